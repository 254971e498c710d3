"""datamig.site.snapshot: writes a verified snapshot once; a rerun (or check mode) over a
snapshot that verifies changes nothing; secrets never show."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from ...helpers import COLLECTIONS, PYTHON, ROOT, SECRET, run_module, site_args

from ansible_collections.datamig.site.plugins.modules import snapshot  # isort: skip
from tests.engine.helpers import Database, datamig  # isort: skip
from ansible.release import __version__ as ANSIBLE_CORE  # isort: skip

_CORE = tuple(int(part) for part in ANSIBLE_CORE.split(".")[:2])
INJECT_INVOCATION = {"_ansible_inject_invocation": True} if _CORE >= (2, 21) else {}


def test_writes_a_snapshot_that_verifies(source: Database, tmp_path: Path):
    dest = tmp_path / "snap"
    result = run_module(snapshot, site_args(source, dest=str(dest), rows_per_file=50))
    assert not result.failed, result
    assert result["changed"] is True and result["existed"] is False
    assert result["directory"] == str(dest)
    assert result["rows"] == sum(m["rows"] for m in result["models"]) > 0
    assert {"model": "exact.Everything", "rows": 120, "files": 3} in result["models"]
    assert "ok" not in result and isinstance(result["seconds"], float)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    verified = json.loads(datamig("verify", str(dest), "--json").stdout)
    assert verified["ok"] and verified["rows"] == result["rows"]


def test_check_mode_writes_nothing_and_names_the_folder(source: Database, tmp_path: Path):
    dest = tmp_path / "snap"
    result = run_module(snapshot, site_args(source, dest=str(dest)), check_mode=True)
    assert not result.failed, result
    assert result == {"changed": True, "directory": str(dest), "existed": False}
    assert not dest.exists()


def test_an_empty_folder_is_room_for_a_snapshot(source: Database, tmp_path: Path):
    dest = tmp_path / "empty"
    dest.mkdir()
    result = run_module(snapshot, site_args(source, dest=str(dest)))
    assert not result.failed, result
    assert result["changed"] and (dest / "manifest.json").exists()


def test_a_verified_snapshot_at_dest_is_left_alone_in_check_mode_and_for_real(
    source: Database, source_snapshot: Path
):
    manifest = source_snapshot / "manifest.json"
    before = manifest.stat().st_mtime_ns
    expected = json.loads(manifest.read_text())
    for check_mode in (True, False):
        result = run_module(
            snapshot, site_args(source, dest=str(source_snapshot)), check_mode=check_mode
        )
        assert not result.failed, result
        assert result["changed"] is False and result["existed"] is True
        assert result["rows"] == expected["total_rows"]
        assert result["site"] == "testsite"
        assert result["application"] == {"name": "datamig-testsite", "version": "1"}
        assert result["created"] == expected["created"]
    assert manifest.stat().st_mtime_ns == before


def test_a_folder_holding_something_else_fails_and_is_left_alone(source: Database, tmp_path: Path):
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "notes.txt").write_text("not a snapshot\n")
    for check_mode in (True, False):
        result = run_module(snapshot, site_args(source, dest=str(dest)), check_mode=check_mode)
        assert result.failed and result["kind"] == "snapshot_failed", result
        assert str(dest) in result["msg"] and "manifest" in result["msg"]
    assert os.listdir(dest) == ["notes.txt"]


def test_settings_that_do_not_import_fail_with_kind_settings(source: Database, tmp_path: Path):
    args = site_args(source, dest=str(tmp_path / "snap"), settings="no_such_site.settings")
    result = run_module(snapshot, args)
    assert result.failed and result["kind"] == "settings", result
    assert "no_such_site.settings" in result["msg"]
    assert "-m datamig snapshot" in result["cmd"] and result["rc"] != 0
    assert not (tmp_path / "snap").exists()


def test_a_python_that_is_not_the_sites_fails_with_kind_engine(source: Database, tmp_path: Path):
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'python: No module named datamig' >&2\nexit 1\n")
    args = site_args(source, dest=str(tmp_path / "snap"), python=str(python))
    result = run_module(snapshot, args)
    assert result.failed and result["kind"] == "engine", result
    assert "is not an executable file" in result["msg"]
    python.chmod(0o755)
    result = run_module(snapshot, args)
    assert result.failed and result["kind"] == "engine", result
    assert result["msg"] == (
        "datamig snapshot printed no JSON result (exit status 1): python: No module named datamig"
    )
    assert "No module named datamig" in result["stderr"] and result["rc"] == 1


def test_a_secret_in_environment_never_appears_in_a_result(source: Database, tmp_path: Path):
    args = site_args(
        source,
        dest=str(tmp_path / "snap"),
        environment={"DEMO_DB_PASSWORD": SECRET, "DJANGO_SECRET": f"django-{SECRET}"},
    )
    result = run_module(snapshot, args)
    assert not result.failed and result["changed"], result
    assert SECRET not in result.serialized()


def test_a_secret_that_the_engine_repeats_in_an_error_is_masked(source: Database, tmp_path: Path):
    # The test site's settings look the vendor up in a dict: an unknown vendor makes the
    # engine's error message repeat the value (KeyError: 's3cret-value').
    args = site_args(
        source, dest=str(tmp_path / "snap"), environment={"TESTSITE_DB_VENDOR": SECRET}
    )
    result = run_module(snapshot, args)
    assert result.failed and result["kind"] == "settings", result
    assert SECRET not in result.serialized()
    assert "KeyError: '********'" in result["msg"]


def test_the_module_run_as_ansible_runs_it_prints_no_secret(source: Database, tmp_path: Path):
    """The module as a program, as Ansible's module runner starts it: what it prints is the
    result Ansible receives (invocation included)."""
    args = site_args(source, dest=str(tmp_path / "snap"), environment={"DEMO_DB_PASSWORD": SECRET})
    args_file = tmp_path / "args.json"
    # ansible-core 2.21 returns the arguments (``invocation``) only when the controller asks
    # (inject_invocation, off by default); ask, so that their masking is checked there too
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**args, **INJECT_INVOCATION}}))
    env = {**os.environ, "PYTHONPATH": str(COLLECTIONS)}
    run = subprocess.run(
        [PYTHON, str(ROOT / "plugins" / "modules" / "snapshot.py"), str(args_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["changed"] is True and result["rows"] > 0
    assert SECRET not in run.stdout + run.stderr
    hidden = result["invocation"]["module_args"]["environment"]
    assert hidden == {"DEMO_DB_PASSWORD": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
