"""takeover: an adopted site put under datamig's layout, its code's paths kept working."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.datamig.site.plugins.module_utils import (  # isort: skip
    adopted_site,
    site_env,
    site_state,
    takeover,
)

ENGINE = Path(__file__).resolve().parents[4] / "engine"
VAR = "SHOP_DB_NAME"
NGINX = """upstream shop { server 127.0.0.1:8011; }
server {
    listen 80;
    location / { proxy_pass http://shop; }
}
server{
    listen 8080;
}
"""


def _site(tmp_path, web=True):
    project = tmp_path / "srv" / "shop"
    (project / "venv" / "bin").mkdir(parents=True)
    (project / "venv" / "bin" / "python").write_text("the site's python\n")
    (project / "shop_settings.py").write_text(
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3',"
        f" 'NAME': '{project}/db.sqlite3'}}}}\n"
    )
    conf = tmp_path / "nginx" / "shop.conf"
    conf.parent.mkdir()
    conf.write_text(NGINX)
    description = {
        "name": "shop",
        "project_dir": str(project),
        "settings_module": "shop_settings",
        "venv": str(project / "venv"),
        "database": {"vendor": "sqlite", "name": f"{project}/db.sqlite3"},
        "programs": ["shop"],
        "app_server": "gunicorn",
        "web_server": {"kind": "nginx", "config": str(conf) if web else ""},
    }
    site, refusals = adopted_site.from_description(description)
    assert refusals == []
    return site, project, conf


def _settings_db_name(project, env=None):
    """DATABASES['default']['NAME'] as the site's own process sees it (the settings run)."""
    code = "import shop_settings; print(shop_settings.DATABASES['default']['NAME'])"
    environ = {"PYTHONPATH": f"{project}:{ENGINE}", "PATH": os.environ["PATH"], **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _files(*folders):
    found = {}
    for folder in folders:
        for base, dirs, files in os.walk(folder):
            for name in files + dirs:
                path = os.path.join(base, name)
                found[path] = (
                    os.readlink(path)
                    if os.path.islink(path)
                    else (Path(path).read_bytes() if os.path.isfile(path) else None)
                )
    return found


def test_the_site_is_taken_over_and_its_paths_keep_working(tmp_path):
    site, project, conf = _site(tmp_path)
    root = str(tmp_path / "state" / "shop")
    paths = site_state.layout(root)
    steps, _facts = takeover.plan(site, root, VAR, "1", stamp="20261204T100000Z")
    assert [action for action, _detail in steps] == [
        "web_server", "release", "venv", "site_env", "current", "env_link", "journal", "settings",
    ]  # fmt: skip
    done = takeover.apply(site, root, VAR, "1", stamp="20261204T100000Z")
    assert [action for action, _detail in done] == [action for action, _detail in steps]

    release = paths["releases_dir"] + "/adopted-20261204T100000Z"
    venv = project / "venv"
    # the virtualenv's path is a link into current; its python is the site's own file
    assert os.readlink(venv) == paths["current_link"] + "/venv"
    assert os.path.realpath(paths["current_link"]) == release
    assert os.readlink(release + "/venv") == str(venv) + ".datamig-adopted"
    assert (venv / "bin" / "python").read_text() == "the site's python\n"
    env = site_env.parse((Path(root) / "shared" / "site.env").read_text())
    assert env == {VAR: f"{project}/db.sqlite3", "PYTHONPATH": str(project)}
    # the live history knows the adopted release, its database and version
    history = site_state.live_history(
        [json.loads(line) for line in Path(paths["journal_path"]).read_text().splitlines()]
    )
    assert history == [{"release": release, "db_name": f"{project}/db.sqlite3", "version": "1"}]

    # the settings read the live name from site.env; a switch rewrites one line of it
    assert _settings_db_name(project) == f"{project}/db.sqlite3"
    env_path = Path(paths["site_env_path"])
    env_path.write_text(env_path.read_text().replace(f"{project}/db.sqlite3", "/x/new db.sqlite3"))
    assert _settings_db_name(project) == "/x/new db.sqlite3"
    # datamig's own run (a restore into the new database) names it in the environment
    assert _settings_db_name(project, {VAR: "/restore/into"}) == "/restore/into"

    text = conf.read_text()
    include = takeover.include_line(paths)
    assert text.count(include) == 2
    assert text.splitlines()[2].strip() == include and text.splitlines()[7].strip() == include
    snippet = Path(paths["maintenance_dir"], "nginx.conf").read_text()
    assert f"if (-f {paths['maintenance_flag']})" in snippet

    # once taken over, nothing more to do, nothing changed
    before = _files(tmp_path)
    assert takeover.plan(site, root, VAR, "1")[0] == []
    assert takeover.apply(site, root, VAR, "1") == []
    assert _files(tmp_path) == before


def test_a_settings_block_is_replaced_not_repeated(tmp_path):
    site, project, _conf = _site(tmp_path, web=False)
    root = str(tmp_path / "state")
    takeover.apply(site, root, VAR, "1")
    settings = project / "shop_settings.py"
    settings.write_text(settings.read_text() + "\nDEBUG = False  # the operator's later line\n")
    takeover.apply(site, str(tmp_path / "state"), "OTHER_VAR", "1")
    text = settings.read_text()
    assert text.count(takeover.BLOCK_BEGIN) == 1 and "'OTHER_VAR'" in text
    assert text.rstrip().endswith(takeover.BLOCK_END)
    assert "DEBUG = False  # the operator's later line" in text


def test_a_web_server_check_that_fails_puts_the_configuration_back(tmp_path):
    site, _project, conf = _site(tmp_path)

    def failing_check():
        raise RuntimeError("nginx: [emerg] unknown directive")

    with pytest.raises(RuntimeError, match="unknown directive"):
        takeover.apply(site, str(tmp_path / "state"), VAR, "1", check_web=failing_check)
    assert conf.read_text() == NGINX


@pytest.mark.parametrize(
    "change, reason",
    [
        ("apache", "only nginx sites are taken over"),
        ("no_server", "found no 'server {' line"),
        ("in_the_way", "is in the way"),
        ("bad_var", "is not a shell variable name"),
        ("no_settings", "the settings module shop_settings is no file"),
    ],
)
def test_what_cannot_be_taken_over_is_refused_before_anything_changes(tmp_path, change, reason):
    site, project, conf = _site(tmp_path)
    var = VAR
    if change == "apache":
        site["web_server"]["kind"] = "apache2"
    elif change == "no_server":
        conf.write_text("upstream shop { server 127.0.0.1:1; }\n")
    elif change == "in_the_way":
        (project / "venv.datamig-adopted").mkdir()
    elif change == "bad_var":
        var = "1 bad"
    else:
        (project / "shop_settings.py").unlink()
    before = _files(tmp_path)
    with pytest.raises(takeover.TakeoverError, match=reason):
        takeover.apply(site, str(tmp_path / "state"), var, "1")
    assert _files(tmp_path) == before
