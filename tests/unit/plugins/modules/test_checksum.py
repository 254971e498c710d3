"""datamig.site.checksum: a SHA-256 per table; equal for equal content, different when a
row changes; never changes anything."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from ...helpers import SECRET, run_module, site_args

from ansible_collections.datamig.site.plugins.modules import checksum  # isort: skip
from tests.engine.helpers import Database  # isort: skip


def test_every_table_with_its_rows_and_sha256(source: Database):
    for check_mode in (False, True):
        result = run_module(checksum, site_args(source), check_mode=check_mode)
        assert not result.failed, result
        assert result["changed"] is False
        everything = result["tables"]["exact_everything"]
        assert everything["rows"] == 120 and everything["model"] == "exact.Everything"
        assert len(everything["sha256"]) == 64
        assert result["rows"] == sum(t["rows"] for t in result["tables"].values())


def test_one_changed_value_changes_that_table_only(source: Database, tmp_path: Path):
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(source.name, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute(
            "UPDATE exact_tag SET name = name || '!' WHERE id = (SELECT MIN(id) FROM exact_tag)"
        )
    before = run_module(checksum, site_args(source))["tables"]
    after = run_module(checksum, site_args(source, database_name=str(copy)))["tables"]
    assert after["exact_tag"]["sha256"] != before["exact_tag"]["sha256"]
    assert after["exact_tag"]["rows"] == before["exact_tag"]["rows"]
    assert {t: v for t, v in after.items() if t != "exact_tag"} == {
        t: v for t, v in before.items() if t != "exact_tag"
    }


def test_an_unknown_database_alias_fails_with_kind_settings(source: Database):
    result = run_module(checksum, site_args(source, database="archive"))
    assert result.failed and result["kind"] == "settings", result
    assert "archive" in result["msg"]


def test_a_secret_in_environment_never_appears(source: Database):
    result = run_module(checksum, site_args(source, environment={"DEMO_DB_PASSWORD": SECRET}))
    assert not result.failed and SECRET not in result.serialized(), result
