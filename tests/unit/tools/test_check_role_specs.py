"""tools/check_role_specs.py: the roles pass; a deliberately broken copy fails, naming why."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHECK = ROOT / "tools" / "check_role_specs.py"


def check(roles):
    return subprocess.run(
        [sys.executable, str(CHECK), str(roles)], capture_output=True, text=True, check=False
    )


@pytest.fixture
def roles(tmp_path):
    copy = tmp_path / "roles"
    shutil.copytree(ROOT / "roles", copy)
    return copy


def edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def test_the_roles_pass():
    result = check(ROOT / "roles")
    assert result.returncode == 0, result.stderr


def test_a_default_not_documented_fails(roles):
    with (roles / "upgrade" / "defaults" / "main.yml").open("a") as out:
        out.write('upgrade_surprise: "{{ datamig_surprise | default(1) }}"\n')
    result = check(roles)
    assert result.returncode == 1
    assert (
        "upgrade: defaults/main.yml sets upgrade_surprise (from datamig_surprise)" in result.stderr
    )


def test_an_option_no_default_reads_fails(roles):
    edit(
        roles / "upgrade" / "defaults" / "main.yml",
        "upgrade_keep_releases:",
        "# upgrade_keep_releases:",
    )
    result = check(roles)
    assert result.returncode == 1
    assert "upgrade: meta/argument_specs.yml documents datamig_keep_releases" in result.stderr


def test_a_demo_name_in_a_default_fails(roles):
    edit(
        roles / "common" / "defaults" / "main.yml",
        "{{ datamig_db_name_var }}",
        "{{ datamig_db_name_var | default('DEMO_DB_NAME') }}",
    )
    result = check(roles)
    assert result.returncode == 1
    assert "common: default common_db_name_var is the demo's" in result.stderr


def test_a_demo_name_as_a_documented_default_fails(roles):
    edit(
        roles / "common" / "meta" / "argument_specs.yml",
        "default: /etc/nginx/nginx.conf",
        "default: demo_site.settings",
    )
    result = check(roles)
    assert result.returncode == 1
    assert "datamig_nginx_config's documented default is the demo's" in result.stderr
