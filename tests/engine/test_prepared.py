"""A database prepared before the maintenance window (``datamig database --create
--migrate``) and a restore that only moves rows into it (``datamig restore --prepared``),
on every vendor; and what either refuses, with nothing changed."""

from __future__ import annotations

import json
import os
import stat

import pytest

from .helpers import checksums, datamig, django_script, json_error, restore, site_args

VENDORS = ["sqlite", "postgresql", "mysql"]


def _prepare(db, check: bool = True):
    return datamig("database", *site_args(), "--json", "--create", "--migrate", db=db, check=check)


def _migrations(db) -> list[tuple[str, str]]:
    out = django_script(
        db,
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT app, name FROM django_migrations ORDER BY app, name')\n"
        "    print(json.dumps(c.fetchall()))\n",
    ).stdout
    return [tuple(row) for row in json.loads(out.strip().splitlines()[-1])]


def _sql(db, statement: str) -> None:
    django_script(
        db,
        "from django.db import connection\n"
        f"with connection.cursor() as c:\n    c.execute({statement!r})\n",
    )


@pytest.mark.parametrize("vendor", VENDORS)
def test_prepare_then_restore_prepared_keeps_every_table(databases, sqlite_source, vendor):
    source, snap = sqlite_source
    db = databases(vendor, "prepared")
    first = json.loads(_prepare(db).stdout)
    assert (first["created"], first["migrated"], first["prepared"]) == (True, True, True)
    if vendor == "sqlite":
        assert stat.S_IMODE(os.stat(db.name).st_mode) == 0o600
    migrations = _migrations(db)
    assert ("exact", "0001_initial") in migrations

    again = json.loads(_prepare(db).stdout)  # a rerun: already prepared, nothing done
    assert (again["created"], again["migrated"]) == (False, False)
    assert _migrations(db) == migrations

    report = json.loads(restore(snap, db, "--prepared").stdout)
    assert report["created_database"] is False
    assert checksums(db) == checksums(source)
    assert _migrations(db) == migrations


@pytest.mark.parametrize("vendor", VENDORS)
def test_prepare_refuses_a_database_with_data(databases, sqlite_source, vendor):
    db = databases(vendor, "filled")
    restore(sqlite_source[1], db)  # created, migrated and filled (no --prepared)
    before = checksums(db)
    error = json_error(_prepare(db, check=False))
    assert error["kind"] == "target_not_empty", error
    assert "not a database prepared" in error["error"] and "holds data" in error["error"]
    assert checksums(db) == before


def test_migrate_needs_create(databases):
    db = databases("sqlite", "alone")
    error = json_error(datamig("database", *site_args(), "--json", "--migrate", db=db, check=False))
    assert error["kind"] == "usage" and "--migrate needs --create" in error["error"]
    assert not db.exists()


@pytest.mark.parametrize("vendor", VENDORS)
def test_restore_prepared_refuses_a_missing_or_unmigrated_database(
    databases, sqlite_source, vendor
):
    _source, snap = sqlite_source
    missing = databases(vendor, "missing")
    error = json_error(restore(snap, missing, "--prepared", check=False))
    assert error["kind"] == "not_prepared" and "does not exist" in error["error"], error
    assert not missing.exists()  # not created

    empty = databases(vendor, "empty")
    datamig("database", *site_args(), "--json", "--create", db=empty)
    _sql(empty, "CREATE TABLE unrelated (x int)")  # a table, but never migrated
    error = json_error(restore(snap, empty, "--prepared", check=False))
    assert error["kind"] == "not_prepared" and "never migrated" in error["error"], error
    assert "nothing was written" in error["error"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_restore_prepared_refuses_other_migrations_and_data(databases, sqlite_source, vendor):
    source, snap = sqlite_source
    db = databases(vendor, "other")
    _prepare(db)

    # a migration the code does not have (a database prepared by newer code)
    _sql(
        db,
        "INSERT INTO django_migrations (app, name, applied) VALUES ('exact', '9999_future', '2026-12-01 10:00:00')",
    )
    error = json_error(restore(snap, db, "--prepared", check=False))
    assert error["kind"] == "not_prepared", error
    assert "not the code's (exact.9999_future)" in error["error"]
    assert checksums(db)["exact_everything"]["rows"] == 0  # nothing written
    assert json_error(_prepare(db, check=False))["kind"] == "target_not_empty"

    # a migration of the code not applied (a database prepared by older code)
    _sql(db, "DELETE FROM django_migrations WHERE name = '9999_future'")
    _sql(db, "DELETE FROM django_migrations WHERE app = 'exact' AND name = '0001_initial'")
    error = json_error(restore(snap, db, "--prepared", check=False))
    assert "are not applied (exact.0001_initial)" in error["error"], error

    # the rows of a restore: a database that is live, or was restored into already
    filled = databases(vendor, "filled")
    _prepare(filled)
    restore(snap, filled, "--prepared")
    before = checksums(filled)
    error = json_error(restore(snap, filled, "--prepared", check=False))
    assert error["kind"] == "not_prepared" and "holds data" in error["error"], error
    assert checksums(filled) == before == checksums(source)
    error = json_error(restore(snap, filled, "--prepared", "--flush", check=False))
    assert error["kind"] == "usage" and checksums(filled) == before


BROKEN_MIGRATION = """
import importlib

from django.db import migrations

_real = importlib.import_module("exact.migrations.0001_initial")


def _fail(apps, schema_editor):
    raise RuntimeError("broken migration")


class Migration(_real.Migration):
    operations = [*_real.Migration.operations, migrations.RunPython(_fail)]
"""


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_a_failed_migrate_drops_the_database_it_created(databases, tmp_path, vendor):
    """The code's migration fails halfway (other apps' tables made): nothing is left."""
    (tmp_path / "brokenmig").mkdir()
    (tmp_path / "brokenmig" / "__init__.py").write_text("")
    (tmp_path / "brokenmig" / "0001_initial.py").write_text(BROKEN_MIGRATION)
    (tmp_path / "brokensite.py").write_text(
        "from testsite.settings import *  # noqa: F403\nMIGRATION_MODULES = {'exact': 'brokenmig'}\n"
    )
    db = databases(vendor, "broken")
    args = ["--settings", "brokensite", "--pythonpath", str(tmp_path), *site_args()[2:]]
    result = datamig("database", *args, "--json", "--create", "--migrate", db=db, check=False)
    error = json_error(result)
    assert "broken migration" in error["error"], error
    assert not db.exists()
