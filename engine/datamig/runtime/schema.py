"""The target's schema: migrating it with the current code, and telling whether a database
is *prepared* - migrated to exactly the code's migrations and holding no rows but those
``migrate`` itself writes.

An upgrade prepares the new database before its maintenance window (the schema does not
depend on the data: ``datamig database --create --migrate``), so that inside the window a
restore (``--prepared``) only moves rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .databases import MIGRATE_SEEDED_TABLES, SiteDatabase
from .rows import migrated_into


def migrate_schema(alias: str) -> None:
    """``migrate`` with the current code. Apps without migrations (Lino's plugins) get
    their tables from --run-syncdb, after the migrated apps (their tables point at
    content types, users ...)."""
    from django.core.management import call_command

    call_command("migrate", database=alias, interactive=False, verbosity=0)
    call_command("migrate", database=alias, interactive=False, verbosity=0, run_syncdb=True)


def applied_migrations(alias: str) -> set[tuple[str, str]]:
    """The migrations the database has applied (none when it was never migrated)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connections[alias])
    return set(recorder.applied_migrations()) if recorder.has_table() else set()


def undo_migrations(alias: str, before: set[tuple[str, str]]) -> list[str]:
    """Unapply what ``migrate_schema`` applied since ``before`` (a failed restore into an
    existing, partly migrated target must leave it as it found it): each app goes back to
    its latest migration of ``before``, or to zero. Returns what could not be undone."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    graph = executor.loader.graph
    added = set(executor.loader.applied_migrations) - before
    targets: list[tuple[str, str | None]] = []
    left = []
    for app in sorted({app for app, _name in added}):
        kept = {key for key in before if key[0] == app and key in graph.node_map}
        leaves = [
            key
            for key in kept
            if not any(child.key in kept for child in graph.node_map[key].children)
        ]
        if not kept:
            targets.append((app, None))
        elif len(leaves) == 1:
            targets.append(leaves[0])
        else:
            left.append(f"{app} (its applied migrations have {len(leaves)} leaves)")
    if targets:
        executor.migrate(targets, plan=executor.migration_plan(targets))
    return left


def current_tables(connection: Any) -> list[str]:
    """Tables of the current code's models that a restore fills or clears."""
    from django.apps import apps

    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table == "django_content_type":
            continue
        if not migrated_into(model, connection):
            continue
        tables.append(meta.db_table)
    return sorted(set(tables))


def _listed(names: Iterable[Any], limit: int = 5) -> str:
    names = sorted(str(n) for n in names)
    return ", ".join(names[:limit]) + (
        f" and {len(names) - limit} more" if len(names) > limit else ""
    )


def migration_problems(target: SiteDatabase) -> list[str]:
    """How the database's applied migrations differ from the code's (empty: exactly them),
    and the tables of the code's models that it lacks."""
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    connection = target.connection
    if not MigrationRecorder(connection).has_table():
        return ["it was never migrated (no django_migrations table)"]
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    nodes = set(loader.graph.nodes)
    applied = set(loader.applied_migrations)
    squashed = set(loader.replacements)
    replaced = {key for migration in loader.replacements.values() for key in migration.replaces}
    problems = []
    missing = nodes - applied
    if missing:
        shown = _listed(f"{app}.{name}" for app, name in missing)
        problems.append(f"{len(missing)} migrations of the code are not applied ({shown})")
    unknown = applied - nodes - squashed - replaced
    if unknown:
        shown = _listed(f"{app}.{name}" for app, name in unknown)
        problems.append(f"{len(unknown)} applied migrations are not the code's ({shown})")
    absent = set(current_tables(connection)) - target.existing_tables()
    if absent:
        problems.append(f"tables of the code's models are missing ({_listed(absent)})")
    return problems


def occupied_tables(target: SiteDatabase, tables: Iterable[str]) -> list[str]:
    """The tables (of ``tables`` and the code's) that hold rows ``migrate`` does not write."""
    wanted = set(current_tables(target.connection)) | set(tables)
    return [t for t in target.tables_with_rows(wanted) if t not in MIGRATE_SEEDED_TABLES]


def prepared_problems(target: SiteDatabase, tables: Iterable[str] = ()) -> list[str]:
    """Why ``target`` is not a prepared database (empty: it is one). ``tables``: more
    tables that must be empty (a snapshot's)."""
    if not target.exists():
        return ["it does not exist"]
    problems = migration_problems(target)
    occupied = occupied_tables(target, tables)
    if occupied:
        problems.append(f"it holds data ({_listed(occupied)})")
    return problems
