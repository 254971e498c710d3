"""datamig.site.adopt: a site datamig did not deploy, read and recorded, nothing of it changed."""

import json
import os
import pwd
from pathlib import Path

from ...getlino_node import configure, startsite
from ...helpers import run_module

from ansible_collections.datamig.site.plugins.modules import adopt  # isort: skip

PASSWORD = "db-pass $1 = x"


def _tree(root):
    """Every file under root with its content and mode: what 'changes nothing' compares."""
    out = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            out[path] = (Path(path).read_bytes(), os.lstat(path).st_mode)
    return out


def test_a_getlino_site_is_recorded_without_its_password_and_its_files_untouched(tmp_path):
    node = tmp_path / "node"
    startsite(node, configure(node), "prod1", db_password=PASSWORD)
    before = _tree(node)
    state_dir = tmp_path / "state"
    args = {"name": "prod1", "root": str(node), "state": "present", "state_dir": str(state_dir)}
    result = run_module(adopt, args)
    assert not result.failed, result
    assert result["changed"] is True
    assert PASSWORD not in result.serialized()
    assert result["site"]["database"]["password_set"] is True
    record = state_dir / "adopted.json"
    assert result["record"] == str(record)
    assert oct(record.stat().st_mode & 0o777) == "0o600"
    recorded = json.loads(record.read_text())
    assert recorded == result["site"] and PASSWORD not in record.read_text()
    assert _tree(node) == before
    again = run_module(adopt, args)
    assert again["changed"] is False


def test_check_mode_and_query_record_nothing(tmp_path):
    node = tmp_path / "node"
    startsite(node, configure(node), "prod1")
    state_dir = tmp_path / "state"
    result = run_module(
        adopt,
        {"name": "prod1", "root": str(node), "state": "present", "state_dir": str(state_dir)},
        check_mode=True,
    )
    assert result["changed"] is True and not state_dir.exists()
    result = run_module(adopt, {"name": "prod1", "root": str(node)})
    assert result["changed"] is False and "record" not in result and not state_dir.exists()


def test_a_refused_site_fails_with_every_reason_and_records_nothing(tmp_path):
    node = tmp_path / "node"
    config = configure(node)
    for prj in ("s1", "s2"):
        startsite(node, config, prj, shared_env="/usr/local/lino/env", db_password=PASSWORD)
    state_dir = tmp_path / "state"
    args = {"name": "s1", "root": str(node), "state": "present", "state_dir": str(state_dir)}
    result = run_module(adopt, args)
    assert result.failed
    assert "shared with s2" in result["msg"] and result["refusals"]
    assert PASSWORD not in result.serialized()
    assert not state_dir.exists()
    allowed = run_module(adopt, dict(args, allow_shared_env=True))
    assert not allowed.failed and allowed["site"]["venv_shared_with"] == ["s2"]


def test_a_node_without_getlino_is_told_so(tmp_path):
    result = run_module(adopt, {"name": "prod1", "root": str(tmp_path)})
    assert result.failed and "no getlino configuration" in result["msg"]


def _django_node(tmp_path):
    node = tmp_path / "node"
    (node / "srv" / "shop" / "venv" / "bin").mkdir(parents=True)
    (node / "srv" / "shop" / "venv" / "bin" / "python").write_text("")
    (node / "etc" / "nginx" / "sites-available").mkdir(parents=True)
    (node / "etc" / "nginx" / "sites-available" / "shop.conf").write_text("server {}\n")
    return node


DESCRIPTION = {
    "project_dir": "/srv/shop",
    "settings_module": "shop.settings",
    "venv": "/srv/shop/venv",
    "database": {"vendor": "postgresql", "name": "shop", "user": "shop", "host": "localhost"},
    "programs": ["shop-gunicorn", {"name": "shop-worker", "role": "background"}],
    "app_server": "gunicorn",
    "web_server": {"kind": "nginx", "config": "/etc/nginx/sites-available/shop.conf"},
    "run_user": "shop",
}


def test_a_hand_deployed_site_is_checked_against_the_node(tmp_path):
    node = _django_node(tmp_path)
    args = {"name": "shop", "layout": "django", "root": str(node), "description": DESCRIPTION}
    result = run_module(adopt, dict(args, database_password=PASSWORD))
    assert not result.failed, result
    site = result["site"]
    assert site["layout"] == "django" and site["python_path"] == "/srv/shop"
    assert [(p["name"], p["role"]) for p in site["programs"]] == [
        ("shop-gunicorn", "web"),
        ("shop-worker", "background"),
    ]
    assert site["database"]["password_set"] is True and PASSWORD not in result.serialized()


def test_a_wrong_description_names_each_problem(tmp_path):
    node = _django_node(tmp_path)
    wrong = dict(
        DESCRIPTION,
        venv="/srv/shop/nothing",
        database={"vendor": "oracle", "name": "shop"},
        app_server="waitress",
        web_server={"kind": "nginx", "config": "/etc/nginx/sites-available/missing.conf"},
    )
    del wrong["settings_module"]
    result = run_module(
        adopt, {"name": "shop", "layout": "django", "root": str(node), "description": wrong}
    )
    assert result.failed
    reasons = " | ".join(result["refusals"])
    for expected in (
        "lacks settings_module",
        "venv /srv/shop/nothing does not exist",
        "'oracle'",
        "'waitress'",
        "missing.conf does not exist",
    ):
        assert expected in reasons


def test_a_description_is_refused_for_a_getlino_site(tmp_path):
    result = run_module(adopt, {"name": "x", "root": str(tmp_path), "description": {"venv": "/x"}})
    assert result.failed and "layout=django" in result["msg"]


def _managed_site(tmp_path):
    """A hand-deployed site on this machine's own filesystem (state=managed works on /)."""
    project = tmp_path / "shop"
    (project / "venv" / "bin").mkdir(parents=True)
    (project / "venv" / "bin" / "python").write_text("")
    (project / "shop_settings.py").write_text("DATABASES = {'default': {'NAME': 'x'}}\n")
    conf = tmp_path / "shop.conf"
    conf.write_text("server {\n    listen 80;\n}\n")
    description = dict(
        DESCRIPTION,
        project_dir=str(project),
        settings_module="shop_settings",
        venv=str(project / "venv"),
        web_server={"kind": "nginx", "config": str(conf)},
        run_user=pwd.getpwuid(os.getuid()).pw_name,
    )
    args = {
        "name": "shop",
        "layout": "django",
        "description": description,
        "state": "managed",
        "state_dir": str(tmp_path / "state"),
        "db_name_var": "SHOP_DB_NAME",
        "version": "7",
    }
    return args, project, conf


def test_managed_in_check_mode_says_what_it_would_do_and_does_nothing(tmp_path):
    args, _project, _conf = _managed_site(tmp_path)
    before = _tree(tmp_path)
    result = run_module(adopt, dict(args, web_server_check=["true"]), check_mode=True)
    assert not result.failed, result
    assert result["changed"] is True
    assert [step["action"] for step in result["takeover"]][:2] == ["web_server", "release"]
    assert _tree(tmp_path) == before and not (tmp_path / "state").exists()


def test_managed_needs_the_user_the_site_runs_as(tmp_path):
    args, _project, _conf = _managed_site(tmp_path)
    args["description"] = dict(args["description"], run_user="")
    before = _tree(tmp_path)
    refused = run_module(adopt, dict(args, web_server_check=["true"]))
    assert refused.failed and "run_user" in refused["msg"]
    checked = run_module(adopt, dict(args, web_server_check=["true"]), check_mode=True)
    assert checked.failed and "run_user" in checked["msg"]  # the dry run refuses it too
    assert _tree(tmp_path) == before


def test_managed_takes_the_site_over_once_and_a_refused_web_check_changes_nothing(tmp_path):
    args, project, conf = _managed_site(tmp_path)
    before = _tree(project), conf.read_text()
    refused = run_module(
        adopt, dict(args, web_server_check=["sh", "-c", "echo bad conf >&2; false"])
    )
    assert refused.failed and "bad conf" in refused["msg"] and "put back" in refused["msg"]
    assert (_tree(project), conf.read_text()) == before
    done = run_module(adopt, dict(args, web_server_check=["true"]))
    assert not done.failed, done
    assert done["changed"] is True
    assert os.readlink(project / "venv") == str(tmp_path / "state" / "current" / "venv")
    assert done["live_release"].startswith(str(tmp_path / "state" / "releases" / "adopted-"))
    assert (tmp_path / "state" / "adopted.json").exists()
    inventory = done["inventory"]
    assert inventory["datamig_site_root"] == str(tmp_path / "state")
    assert inventory["datamig_settings"] == "shop_settings"
    assert inventory["datamig_db_name_var"] == "SHOP_DB_NAME"
    assert inventory["datamig_programs"] == ["shop-gunicorn", "shop-worker"]
    assert "datamig_health_format" not in inventory  # a hand-deployed site: as described
    again = run_module(adopt, dict(args, web_server_check=["true"]))
    assert not again.failed and again["changed"] is False and again["takeover"] == []
