"""datamig.site.diff: what differs between a snapshot and the current code; fails where
data would be lost unless told not to; never changes anything."""

from __future__ import annotations

from pathlib import Path

from ...helpers import DEMO_V2, SECRET, run_module, site_args

from ansible_collections.datamig.site.plugins.modules import diff  # isort: skip
from tests.engine.helpers import Database  # isort: skip

ALLOW = ["contacts.Partner.phone", "notes.Mention"]


def v2(tmp_path: Path) -> Database:
    return Database("sqlite", str(tmp_path / "v2.sqlite3"), site=DEMO_V2)


def test_the_same_code_has_no_difference(source: Database, source_snapshot: Path):
    for check_mode in (False, True):
        result = run_module(
            diff, site_args(source, src=str(source_snapshot)), check_mode=check_mode
        )
        assert not result.failed, result
        assert result["changed"] is False and result["ok"] is True
        assert result["blocking"] == [] and result["models"] == [] and result["plan"] == []
        assert result["source"] == result["current"]


def test_data_that_would_be_lost_fails_with_kind_data_loss(demo_v1_snapshot: Path, tmp_path: Path):
    target = v2(tmp_path)
    result = run_module(diff, site_args(target, src=str(demo_v1_snapshot)))
    assert result.failed and result["kind"] == "data_loss", result
    assert "contacts.Partner: field phone removed" in result["msg"]
    assert "notes.Mention: model removed" in result["msg"]
    assert "allow_loss" in result["msg"]
    assert len(result["blocking"]) == 2 and result["ok"] is False
    assert not Path(target.name).exists()


def test_fail_on_loss_false_reports_it(demo_v1_snapshot: Path, tmp_path: Path):
    args = site_args(v2(tmp_path), src=str(demo_v1_snapshot), fail_on_loss=False)
    result = run_module(diff, args)
    assert not result.failed, result
    assert result["changed"] is False and result["ok"] is False
    assert len(result["blocking"]) == 2
    models = {m["model"]: m for m in result["models"]}
    assert models["notes.Tag"]["target"] == "notes.Label" and models["notes.Tag"]["migrator"]
    assert "contacts.City" in result["added_models"]
    assert result["source"]["version"] == "1" and result["current"]["version"] == "2"


def test_allowed_losses_make_it_pass(demo_v1_snapshot: Path, tmp_path: Path):
    args = site_args(v2(tmp_path), src=str(demo_v1_snapshot), allow_loss=ALLOW)
    result = run_module(diff, args)
    assert not result.failed, result
    assert result["ok"] is True and result["blocking"] == []
    allowed = [item for m in result["models"] for item in m["allowed_loss"]]
    assert len(allowed) == 2


def test_a_tampered_snapshot_fails_with_snapshot_invalid(
    source: Database, source_snapshot: Path, tmp_path: Path
):
    import shutil

    src = tmp_path / "snap"
    shutil.copytree(source_snapshot, src)
    (src / "restore.py").write_text((src / "restore.py").read_text() + "\n# edited\n")
    result = run_module(diff, site_args(source, src=str(src)))
    assert result.failed and result["kind"] == "snapshot_invalid", result
    assert "restore.py" in result["msg"]


def test_a_secret_in_environment_never_appears(demo_v1_snapshot: Path, tmp_path: Path):
    args = site_args(
        v2(tmp_path), src=str(demo_v1_snapshot), environment={"DEMO_DB_PASSWORD": SECRET}
    )
    failed = run_module(diff, args)
    reported = run_module(diff, {**args, "fail_on_loss": False})
    assert failed.failed and not reported.failed
    assert SECRET not in failed.serialized() + reported.serialized()
