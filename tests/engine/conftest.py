"""Fixtures for engine tests: real databases on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import TEST_SITE, Database, Site, make_source, new_database, snapshot

VENDORS = ["sqlite", "postgresql", "mysql"]


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[callable]:
    """A factory of fresh database names; every database made is dropped at the end."""
    made: list[Database] = []

    def factory(vendor: str, label: str = "db", site: Site = TEST_SITE) -> Database:
        db = new_database(vendor, tmp_path, label, site)
        made.append(db)
        return db

    yield factory
    for db in made:
        db.drop()


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Path]]:
    """A filled SQLite source database of the test site and a snapshot of it."""
    folder = tmp_path_factory.mktemp("source")
    db = Database("sqlite", str(folder / "source.sqlite3"))
    make_source(db, rows=300)
    out = folder / "snapshot"
    snapshot(db, out)
    yield db, out
    db.drop()
