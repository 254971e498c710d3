"""datamig.site.snapshot_info: verifies a snapshot with the engine only (no site, no
Django) and tells what it holds; never changes anything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ...helpers import PYTHON, SECRET, run_module

from ansible_collections.datamig.site.plugins.modules import snapshot_info  # isort: skip


def test_a_snapshot_that_verifies(source_snapshot: Path):
    manifest = json.loads((source_snapshot / "manifest.json").read_text())
    for check_mode in (False, True):
        result = run_module(
            snapshot_info, {"python": PYTHON, "src": str(source_snapshot)}, check_mode=check_mode
        )
        assert not result.failed, result
        assert result["changed"] is False and result["ok"] is True
        assert result["problems"] == [] and result["files_checked"] == len(manifest["files"])
        assert result["directory"] == str(source_snapshot)
        assert result["site"] == "testsite"
        assert result["application"] == {"name": "datamig-testsite", "version": "1"}
        assert result["rows"] == manifest["total_rows"] and result["created"] == manifest["created"]
        assert "kind" not in result and "error" not in result


def test_a_tampered_snapshot_fails_or_reports_its_problems(source_snapshot: Path, tmp_path: Path):
    src = tmp_path / "snap"
    shutil.copytree(source_snapshot, src)
    (src / "exact_note.py").write_text("# emptied\n")
    (src / "auth_user.py").unlink()
    args = {"python": PYTHON, "src": str(src)}

    failed = run_module(snapshot_info, args)
    assert failed.failed and failed["kind"] == "snapshot_invalid", failed
    assert "exact_note.py" in failed["msg"] and "auth_user.py" in failed["msg"]
    assert len(failed["problems"]) == 2

    reported = run_module(snapshot_info, {**args, "fail_on_invalid": False})
    assert not reported.failed, reported
    assert reported["changed"] is False and reported["ok"] is False
    problems = " | ".join(reported["problems"])
    assert "exact_note.py" in problems and "auth_user.py" in problems
    assert reported["site"] == "testsite" and reported["rows"] > 0


def test_a_missing_snapshot_is_a_problem_too(tmp_path: Path):
    args = {"python": PYTHON, "src": str(tmp_path / "gone"), "fail_on_invalid": False}
    result = run_module(snapshot_info, args)
    assert not result.failed and result["ok"] is False, result
    assert len(result["problems"]) == 1 and "does not exist" in result["problems"][0]
    assert (
        run_module(snapshot_info, {**args, "fail_on_invalid": True})["kind"] == "snapshot_invalid"
    )


def test_a_relative_src_is_taken_from_chdir(source_snapshot: Path):
    args = {"python": PYTHON, "src": source_snapshot.name, "chdir": str(source_snapshot.parent)}
    result = run_module(snapshot_info, args)
    assert not result.failed and result["ok"], result
    assert result["directory"] == str(source_snapshot)


def test_a_secret_in_the_src_path_is_masked(tmp_path: Path):
    args = {
        "python": PYTHON,
        "src": str(tmp_path / SECRET),
        "environment": {"DJANGO_SECRET": SECRET},
    }
    for fail_on_invalid in (True, False):
        result = run_module(snapshot_info, {**args, "fail_on_invalid": fail_on_invalid})
        assert SECRET not in result.serialized(), result
        assert "********" in result.serialized()
