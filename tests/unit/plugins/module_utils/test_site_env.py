"""shared/site.env: what the site role writes, the shell sources and site_env reads back
are the same values."""

import subprocess
from pathlib import Path

import jinja2
import pytest
from ansible.plugins.filter.core import quote as ansible_quote

from ansible_collections.datamig.site.plugins.module_utils import site_env  # isort: skip

ROOT = Path(__file__).resolve().parents[4]
TEMPLATE = ROOT / "roles" / "site" / "templates" / "site.env.j2"

VALUES = {
    "SINGLE": "it's",
    "DOUBLE": 'say "hi"',
    "SPACES": "  two  spaces  ",
    "DOLLAR": "$HOME and ${PATH} and $(id) and `id`",
    "EQUALS": "a=b==c",
    "BACKSLASH": "back\\slash\\\\ \\n \\'",
    "UNICODE": "Grüße, ✓, 日本語, emoji 🦉",
    "MIXED": "p@ss'w\"o rd$=\\;#&|<>()*?~!",
    "NEWLINE": "line one\nline two",
    "EMPTY": "",
    "HASH": "#not a comment",
    "PLAIN": "plain_word-1.2/x:y,z@%+",
}


def rendered(env):
    """site.env as roles/site/templates/site.env.j2 writes it, with Ansible's quote filter."""
    environment = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True)
    environment.filters["quote"] = ansible_quote
    template = environment.from_string(TEMPLATE.read_text())
    return template.render(
        site_initial_env=env,
        ansible_managed="Ansible managed",
        common_site_name="mysite",
        common_db_var="MYSITE_DB_NAME",
    )


def sourced(path, name, shell):
    """The value of name after the shell sources path, as bin/site-env does."""
    script = f'set -a; . "$1"; printf %s "${name}"'
    out = subprocess.run([shell, "-c", script, shell, str(path)], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "site.env"
    path.write_text(rendered(VALUES), encoding="utf-8")
    return path


@pytest.mark.parametrize("shell", ["bash", "sh"])
@pytest.mark.parametrize("name", sorted(VALUES))
def test_the_shell_sources_what_the_template_writes(env_file, name, shell):
    assert sourced(env_file, name, shell) == VALUES[name]


def test_the_reader_gives_back_what_the_template_writes(env_file):
    assert site_env.read(env_file) == VALUES


def test_render_writes_what_the_template_writes():
    body = [line for line in rendered(VALUES).splitlines() if not line.startswith("#")]
    assert site_env.render(VALUES).splitlines() == body
    assert site_env.parse(site_env.render(VALUES, header="a\nb")) == VALUES


def test_the_switch_line_reads_back():
    # roles/switch rewrites one line as NAME={{ value | quote }}
    text = rendered({"MYSITE_DB_NAME": "old"}).replace(
        "MYSITE_DB_NAME=old", "MYSITE_DB_NAME=" + ansible_quote("new 'db'")
    )
    assert site_env.parse(text) == {"MYSITE_DB_NAME": "new 'db'"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nexport B='x y'\n", {"A": "1", "B": "x y"}),
        ('A="it\'s \\"q\\" \\$x \\\\ \\n"\n', {"A": 'it\'s "q" $x \\ \\n'}),
        ("A=a\\ b\\'c\n", {"A": "a b'c"}),
        ("  # comment\n\nA=1 # trailing\n", {"A": "1"}),
        ("A='multi\nline'\nB=2\n", {"A": "multi\nline", "B": "2"}),
        ("A=1; B=2\n", {"A": "1", "B": "2"}),
        ("A=1\nA=2\n", {"A": "2"}),
    ],
)
def test_the_reader_follows_the_shell(tmp_path, text, expected):
    path = tmp_path / "site.env"
    path.write_text(text)
    assert site_env.parse(text) == expected
    for name, value in expected.items():
        assert sourced(path, name, "sh") == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A=$HOME\n", "line 1: unquoted $ is expanded"),
        ('A=1\nB="$HOME"\n', "line 2: $ in double quotes"),
        ("A=`id`\n", "unquoted ` is expanded"),
        ("A='open\n", "single quote is not closed"),
        ('A="open\n', "double quote is not closed"),
        ("A=1\necho hi\n", "line 2: 'echo' is not an assignment"),
        ("1A=x\n", "is not an assignment"),
        ("A=1 | cat\n", "'|' is not part of an assignment"),
    ],
)
def test_what_the_shell_would_expand_or_run_is_refused(text, message):
    with pytest.raises(
        site_env.SiteEnvError, match=message.replace("$", r"\$").replace("|", r"\|")
    ):
        site_env.parse(text)


def test_a_bad_name_is_not_written():
    with pytest.raises(site_env.SiteEnvError, match="not a shell variable name"):
        site_env.render({"A-B": "x"})
