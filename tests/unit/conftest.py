"""Fixtures of the module tests: a filled SQLite database of the engine's test site, and
snapshots taken with the snapshot module (see helpers.py for how modules are run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import run_module, site_args

from ansible_collections.datamig.site.plugins.modules import snapshot  # isort: skip
from tests.engine.helpers import DEMO_SITE, Database, django_script, make_source  # isort: skip


@pytest.fixture(scope="session")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A filled SQLite database of the engine's test site."""
    db = Database("sqlite", str(tmp_path_factory.mktemp("source") / "source.sqlite3"))
    make_source(db, rows=120)
    yield db
    db.drop()


@pytest.fixture(scope="session")
def source_snapshot(source: Database, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of ``source`` taken with the snapshot module. Tests that change a
    snapshot work on a copy."""
    dest = tmp_path_factory.mktemp("snapshots") / "source"
    result = run_module(snapshot, site_args(source, dest=str(dest)))
    assert result.get("changed") and not result.failed, result
    return dest


@pytest.fixture(scope="session")
def demo_v1_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the demo site's version 1. Version 2 takes it only when
    contacts.Partner.phone and notes.Mention may be lost (examples/demo/README.md)."""
    folder = tmp_path_factory.mktemp("demo")
    db = Database("sqlite", str(folder / "v1.sqlite3"), site=DEMO_SITE)
    django_script(
        db,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('demo_fill', rows=200, seed=1, verbosity=0)\n",
    )
    dest = folder / "snapshot"
    result = run_module(snapshot, site_args(db, dest=str(dest)))
    assert result.get("changed") and not result.failed, result
    db.drop()
    return dest
