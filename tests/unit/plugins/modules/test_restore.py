"""datamig.site.restore: restores a snapshot exactly (the checksum module proves it);
check mode verifies and diffs, and changes nothing; bad input fails with the engine's kind
and changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

from ...helpers import DEMO_V2, SECRET, run_module, site_args

from ansible_collections.datamig.site.plugins.modules import checksum, restore  # isort: skip
from tests.engine.helpers import Database  # isort: skip


def tampered_copy(snapshot: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tampered"
    shutil.copytree(snapshot, copy)
    data = copy / "exact_everything.py"
    data.write_text(data.read_text().replace("loader.save(", "loader.save( ", 1))
    return copy


def test_restore_into_a_new_database_gives_identical_checksums(
    source: Database, source_snapshot: Path, tmp_path: Path
):
    target = tmp_path / "restored.sqlite3"
    args = site_args(source, src=str(source_snapshot), database_name=str(target))
    result = run_module(restore, args)
    assert not result.failed, result
    assert result["changed"] is True
    assert result["created_database"] is True and result["flushed"] is False
    assert result["database"] == str(target) and result["vendor"] == "sqlite"
    assert result["snapshot"] == str(source_snapshot)
    assert result["rows"] == sum(m["restored"] for m in result["models"]) > 0
    assert result["losses"] == {"file": None, "values": 0, "models": {}}
    assert "ok" not in result and result.warnings == []

    before = run_module(checksum, site_args(source))
    after = run_module(checksum, site_args(source, database_name=str(target)))
    assert not before.failed and not after.failed, (before, after)
    assert before["changed"] is False and after["changed"] is False
    assert after["tables"] == before["tables"]
    assert after["rows"] == before["rows"] == result["rows"]


def test_check_mode_verifies_and_diffs_and_changes_nothing(
    source: Database, source_snapshot: Path, tmp_path: Path
):
    target = tmp_path / "never.sqlite3"
    args = site_args(source, src=str(source_snapshot), database_name=str(target))
    result = run_module(restore, args, check_mode=True)
    assert not result.failed, result
    assert result["changed"] is True
    assert result["snapshot"] == str(source_snapshot) and result["rows"] > 0
    diff = result["schema_diff"]
    assert diff["ok"] is True and diff["blocking"] == [] and diff["models"] == []
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_target_that_holds_data_is_refused_unless_flushed(
    source: Database, source_snapshot: Path, tmp_path: Path
):
    target = tmp_path / "target.sqlite3"
    args = site_args(source, src=str(source_snapshot), database_name=str(target))
    assert not run_module(restore, args).failed
    refused = run_module(restore, args)
    assert refused.failed and refused["kind"] == "target_not_empty", refused
    assert "--flush" in refused["msg"]
    flushed = run_module(restore, {**args, "flush": True})
    assert not flushed.failed, flushed
    assert flushed["changed"] and flushed["flushed"] and not flushed["created_database"]


def test_a_tampered_snapshot_fails_with_snapshot_invalid_and_creates_nothing(
    source: Database, source_snapshot: Path, tmp_path: Path
):
    src = tampered_copy(source_snapshot, tmp_path)
    target = tmp_path / "target.sqlite3"
    args = site_args(source, src=str(src), database_name=str(target))
    for check_mode in (True, False):
        result = run_module(restore, args, check_mode=check_mode)
        assert result.failed and result["kind"] == "snapshot_invalid", result
        assert "exact_everything.py" in result["msg"]
    assert not target.exists()


def test_a_missing_snapshot_fails_with_snapshot_invalid(source: Database, tmp_path: Path):
    args = site_args(source, src=str(tmp_path / "nothing"), database_name=str(tmp_path / "t"))
    result = run_module(restore, args)
    assert result.failed and result["kind"] == "snapshot_invalid", result
    assert "does not exist" in result["msg"]


def test_check_mode_fails_where_data_would_be_lost(demo_v1_snapshot: Path, tmp_path: Path):
    target = Database("sqlite", str(tmp_path / "v2.sqlite3"), site=DEMO_V2)
    args = site_args(target, src=str(demo_v1_snapshot))
    result = run_module(restore, args, check_mode=True)
    assert result.failed and result["kind"] == "data_loss", result
    assert "contacts.Partner: field phone removed" in result["msg"]
    assert "notes.Mention: model removed" in result["msg"]
    assert result["schema_diff"]["ok"] is False and len(result["schema_diff"]["blocking"]) == 2
    assert not Path(target.name).exists()


def test_allowed_losses_are_restored_reported_and_kept_beside_the_snapshot(
    demo_v1_snapshot: Path, tmp_path: Path
):
    src = tmp_path / "v1"
    shutil.copytree(demo_v1_snapshot, src)
    target = Database("sqlite", str(tmp_path / "v2.sqlite3"), site=DEMO_V2)
    allow = ["contacts.Partner.phone", "notes.Mention"]
    args = site_args(target, src=str(src), allow_loss=allow)

    preview = run_module(restore, args, check_mode=True)
    assert not preview.failed and preview["changed"], preview
    assert preview["schema_diff"]["ok"] is True and preview["schema_diff"]["plan"]
    assert not Path(target.name).exists()

    result = run_module(restore, args)
    assert not result.failed, result
    lost = result["losses"]
    assert lost["values"] > 0 and "notes.Mention" in lost["models"]
    assert Path(lost["file"]).parent == tmp_path
    assert Path(lost["file"]).name.startswith("v1-lost-values-")
    assert Path(lost["file"]).stat().st_size > 0
    assert result["migrators"] and result["migrators"][0]["from"] == "1"


def test_lost_values_goes_where_it_is_told(demo_v1_snapshot: Path, tmp_path: Path):
    target = Database("sqlite", str(tmp_path / "v2.sqlite3"), site=DEMO_V2)
    args = site_args(
        target,
        src=str(demo_v1_snapshot),
        allow_loss=["contacts.Partner.phone", "notes.Mention"],
        chdir=str(tmp_path),
        lost_values="lost.jsonl",
    )
    result = run_module(restore, args)
    assert not result.failed, result
    assert result["losses"]["file"] == str(tmp_path / "lost.jsonl")
    assert (tmp_path / "lost.jsonl").exists()


def test_a_secret_in_environment_never_appears_in_the_report_or_a_failure(
    source: Database, source_snapshot: Path, tmp_path: Path
):
    target = tmp_path / "target.sqlite3"
    args = site_args(
        source,
        src=str(source_snapshot),
        database_name=str(target),
        environment={"DEMO_DB_PASSWORD": SECRET},
    )
    done = run_module(restore, args)
    refused = run_module(restore, args)
    assert not done.failed and refused.failed, (done, refused)
    assert SECRET not in done.serialized() + refused.serialized()
    leak = run_module(restore, {**args, "environment": {"TESTSITE_DB_VENDOR": SECRET}})
    assert leak.failed and SECRET not in leak.serialized(), leak
    assert "********" in leak["msg"]


def test_set_values_give_a_new_required_field_its_value(tmp_path: Path):
    """The module passes set_values as --set: a version-1 snapshot of the newfield site
    is refused by version 2 without it (naming the field), restored with it."""
    from tests.engine.helpers import django_script, snapshot
    from tests.engine.test_new_required_fields import FILL, V1, V2

    source = Database("sqlite", str(tmp_path / "v1.sqlite3"), site=V1)
    django_script(source, FILL)
    snap = tmp_path / "snap"
    snapshot(source, snap)
    target = Database("sqlite", str(tmp_path / "v2.sqlite3"), site=V2)
    args = site_args(target, src=str(snap), lost_values=str(tmp_path / "lost.jsonl"))
    refused = run_module(restore, args)
    assert refused.failed and "stock.Box.weight" in refused["msg"], refused
    assert not Path(target.name).exists()
    restored = run_module(restore, {**args, "set_values": {"stock.Box.weight": 9}})
    assert not restored.failed, restored
    assert restored["filled"]["stock.Box.weight"] == {
        "rows": 3,
        "by_set": 3,
        "by_model": 0,
        "empty_text": 0,
    }


def test_prepared_restores_rows_into_a_prepared_database_and_refuses_another(
    source: Database, source_snapshot: Path, tmp_path: Path
):
    from ansible_collections.datamig.site.plugins.modules import database

    target = tmp_path / "prepared.sqlite3"
    args = site_args(source, src=str(source_snapshot), database_name=str(target), prepared=True)
    missing = run_module(restore, args)
    assert missing.failed and missing["kind"] == "not_prepared", missing
    assert "does not exist" in missing["msg"] and not target.exists()

    prepared = run_module(database, site_args(source, state="prepared", database_name=str(target)))
    assert prepared["migrated"] and not prepared.failed, prepared
    result = run_module(restore, args)
    assert not result.failed, result
    assert result["created_database"] is False and result["flushed"] is False
    after = run_module(checksum, site_args(source, database_name=str(target)))
    assert after["tables"] == run_module(checksum, site_args(source))["tables"]

    refused = run_module(restore, args)  # it holds the rows now: not a prepared database
    assert refused.failed and refused["kind"] == "not_prepared" and "holds data" in refused["msg"]
    both = run_module(restore, {**args, "flush": True})
    assert both.failed and "mutually exclusive" in both["msg"], both
