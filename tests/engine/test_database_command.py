"""``datamig database``: what a preflight asks (exists, size) and the creation of a
new site's empty database, on every vendor."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .helpers import datamig, json_error, make_source, restore, site_args

VENDORS = ["sqlite", "postgresql", "mysql"]


def _info(db, *extra: str) -> dict:
    return json.loads(datamig("database", *site_args(), "--json", *extra, db=db).stdout)


@pytest.mark.parametrize("vendor", VENDORS)
def test_missing_database_is_reported_and_created_only_when_asked(databases, vendor):
    db = databases(vendor, "new")
    info = _info(db)
    assert (info["exists"], info["created"], info["size_bytes"]) == (False, False, 0)
    assert info["vendor"] == vendor and info["name"].endswith(Path(db.name).name)
    assert not db.exists()  # asking creates nothing

    created = _info(db, "--create")
    assert (created["exists"], created["created"]) == (True, True)
    assert db.exists()

    again = _info(db, "--create")
    assert (again["exists"], again["created"]) == (True, False)


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_size_grows_with_the_data(databases, vendor):
    small_db = databases(vendor, "small")
    make_source(small_db, rows=20)
    small = _info(small_db)["size_bytes"]
    assert small > 0
    if vendor == "sqlite":
        assert small == os.path.getsize(small_db.name)
    big_db = databases(vendor, "big")
    make_source(big_db, rows=2000)
    assert _info(big_db)["size_bytes"] > small


def test_size_on_mariadb_counts_the_restored_tables(databases, sqlite_source):
    """The test site's fill does not run on MariaDB: a restore fills the database."""
    db = databases("mysql", "sized")
    assert _info(db, "--create")["size_bytes"] == 0  # no tables yet
    restore(sqlite_source[1], db)
    assert _info(db)["size_bytes"] > 0


def test_unreachable_server_is_a_clear_error(databases):
    db = databases("postgresql", "nowhere")
    db.extra_env["TESTSITE_DB_PORT"] = "1"  # nothing listens there
    error = json_error(datamig("database", *site_args(), "--json", db=db, check=False))
    assert error["kind"] == "database_unreachable", error
    assert db.name in error["error"]


def _roundabout(path: str) -> str:
    """The same file by another spelling."""
    folder = os.path.dirname(path)
    return os.path.join(folder, "..", os.path.basename(folder), ".", os.path.basename(path))


@pytest.mark.parametrize("vendor", VENDORS)
def test_drop_removes_an_old_database_and_refuses_the_live_one(databases, vendor):
    live = databases(vendor, "live")
    old = databases(vendor, "old")
    _info(live, "--create")
    _info(old, "--create")
    assert live.exists() and old.exists()

    dropped = _info(live, "--drop", "--database-name", old.name)
    assert (dropped["dropped"], dropped["vendor"]) == (True, vendor)
    assert not old.exists() and live.exists()
    # dropping what is not there is not an error (a rerun of a cleanup)
    assert _info(live, "--drop", "--database-name", old.name)["dropped"] is False

    for name in (live.name, _roundabout(live.name) if vendor == "sqlite" else live.name):
        result = datamig(
            "database",
            *site_args(),
            "--json",
            "--drop",
            "--database-name",
            name,
            db=live,
            check=False,
        )
        error = json_error(result)
        assert error["kind"] == "usage" and "is the live" in error["error"], error
    assert live.exists()
    error = json_error(datamig("database", *site_args(), "--json", "--drop", db=live, check=False))
    assert "--drop needs --database-name" in error["error"]
    assert live.exists()
