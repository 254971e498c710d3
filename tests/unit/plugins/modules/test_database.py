"""datamig.site.database: reports existence and size; state=present creates a missing
database (not in check mode) and never touches an existing one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ...helpers import SECRET, run_module, site_args

from ansible_collections.datamig.site.plugins.modules import database  # isort: skip
from tests.engine.helpers import Database, new_database  # isort: skip


def test_query_reports_the_live_database_and_changes_nothing(source: Database):
    before = Path(source.name).stat().st_mtime_ns
    result = run_module(database, site_args(source))
    assert not result.failed, result
    assert (result["changed"], result["exists"], result["created"]) == (False, True, False)
    assert result["vendor"] == "sqlite" and result["name"] == source.name
    assert result["size_bytes"] == os.path.getsize(source.name)
    assert Path(source.name).stat().st_mtime_ns == before


@pytest.mark.parametrize("vendor", ["postgresql", "mysql"])
def test_present_creates_a_missing_server_database_once(source: Database, vendor, tmp_path):
    target = new_database(vendor, tmp_path, "module")
    args = site_args(target, state="present")
    try:
        checked = run_module(database, args, check_mode=True)
        assert (checked["changed"], checked["created"]) == (True, True), checked
        assert not target.exists()  # check mode created nothing

        made = run_module(database, args)
        assert (made["changed"], made["created"], made["exists"]) == (True, True, True), made
        assert target.exists()

        again = run_module(database, args)
        assert (again["changed"], again["created"]) == (False, False), again
    finally:
        target.drop()


def test_a_secret_in_environment_never_appears(source: Database):
    result = run_module(database, site_args(source, environment={"DEMO_DB_PASSWORD": SECRET}))
    assert not result.failed and SECRET not in result.serialized(), result


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_absent_drops_an_old_database_never_the_live_one(source: Database, vendor, tmp_path):
    live = new_database(vendor, tmp_path, "live")
    old = new_database(vendor, tmp_path, "old")
    try:
        for db in (live, old):
            made = run_module(database, site_args(db, state="present"))
            assert made["exists"] and not made.failed, made
            if vendor == "sqlite":
                Path(db.name).write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
        args = site_args(live, state="absent", database_name=old.name)

        checked = run_module(database, args, check_mode=True)
        assert (checked["changed"], checked["dropped"]) == (True, True), checked
        assert old.exists()  # check mode dropped nothing

        dropped = run_module(database, args)
        assert (dropped["changed"], dropped["dropped"]) == (True, True), dropped
        assert not old.exists() and live.exists()
        assert run_module(database, args)["changed"] is False

        for check_mode in (True, False):
            refused = run_module(
                database, site_args(live, state="absent", database_name=live.name), check_mode
            )
            assert refused.failed and "is the live" in refused["msg"], refused
        assert live.exists()
    finally:
        live.drop()
        old.drop()


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql", "mysql"])
def test_prepared_creates_and_migrates_once_and_refuses_a_database_with_data(
    source: Database, vendor, tmp_path
):
    target = new_database(vendor, tmp_path, "prepared")
    args = site_args(target, state="prepared", database_name=target.name)
    try:
        checked = run_module(database, args, check_mode=True)
        assert (checked["changed"], checked["created"], checked["migrated"]) == (True, True, True)
        assert not target.exists()  # check mode created nothing

        made = run_module(database, args)
        assert not made.failed, made
        assert (made["changed"], made["created"], made["migrated"]) == (True, True, True), made
        assert made["prepared"] is True and target.exists()

        for check_mode in (True, False):  # already prepared: nothing to do
            again = run_module(database, args, check_mode=check_mode)
            assert (again["changed"], again["prepared"], again["migrated"]) == (False, True, False)

        # the live database (tables and rows): refused in check mode too, nothing changed
        before = Path(source.name).read_bytes()
        for check_mode in (True, False):
            live = run_module(
                database, site_args(source, state="prepared", database_name=source.name), check_mode
            )
            assert live.failed and live["kind"] == "target_not_empty", live
            assert "holds data" in live["msg"]
        assert Path(source.name).read_bytes() == before
    finally:
        target.drop()
