"""Restore a snapshot into a database: the whole load in one transaction.

Schema comes from the current code (``migrate`` on an empty database); rows come from
the snapshot's data files, written as they were stored: no ``save()``, no signals, no
``auto_now``. A failure leaves the target as it was before (a database this restore
created is dropped again).
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from . import values
from .databases import MIGRATE_SEEDED_TABLES, SiteDatabase
from .datafiles import run_file
from .errors import DatamigError, RestoreFailed, TargetNotEmpty
from .manifest import EDITABLE_FILES, require_valid
from .report import MAX_ERRORS_KEPT, ModelReport, Progress, RestoreReport
from .rows import RowMaker

BATCH_ROWS = 2000


class BatchLoader:
    """The ``loader`` that data files talk to during a restore: it collects the rows
    that row makers return and writes them in batches, each batch in a savepoint so
    that a failing batch can be searched for the row that fails."""

    def __init__(
        self,
        target: SiteDatabase,
        maker: RowMaker,
        report: ModelReport,
        on_progress: Callable[[], None],
    ) -> None:
        self.target = target
        self.maker = maker
        self.report = report
        self.rows: list[tuple] = []
        self.on_progress = on_progress

    def save(self, row: Any) -> None:
        if row is None:  # a create function may drop a row by returning None
            self.report.ignored += 1
            return
        if not isinstance(row, tuple):
            row = self._row_of_instance(row)
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush_deferred_objects()

    def flush_deferred_objects(self) -> None:
        if not self.rows:
            return
        from django.db import transaction

        rows = self.rows
        self.rows = []
        try:
            with transaction.atomic(using=self.target.alias):
                self.target.insert_rows(self.maker.table, self.maker.columns, rows)
        except Exception as exc:
            self._diagnose(rows, exc)
        self.report.restored += len(rows)
        self.on_progress()

    def _row_of_instance(self, obj: Any) -> tuple:
        """A create function that returned a model instance: take its field values."""
        return self.maker.make(**{name: getattr(obj, name) for name in self.maker.attnames})

    def _diagnose(self, rows: list[tuple], batch_error: Exception) -> None:
        from django.db import transaction

        failures = []
        for row in rows:
            try:
                with transaction.atomic(using=self.target.alias):
                    self.target.insert_one(self.maker.table, self.maker.columns, row)
            except Exception as exc:
                failures.append(f"{_one_line(exc)} in row {_shown_row(self.maker.attnames, row)!r}")
                if len(failures) >= MAX_ERRORS_KEPT:
                    break
        if not failures:
            failures.append(_one_line(batch_error))
        self.report.errors += len(failures)
        self.report.first_errors.extend(failures)
        raise RestoreFailed(f"{self.maker.label}: {failures[0]}")

    def report_line(self) -> str:
        r = self.report
        return f"{r.label}: {r.errors} errors, {r.restored} restored, {r.ignored} ignored"


_SECRET_WORDS = ("password", "secret", "token", "session_data", "api_key")


def _shown_row(names: list[str], row: tuple) -> dict[str, Any]:
    """A row for an error message, with values of secret-looking columns hidden."""
    return {
        name: "<hidden>" if any(word in name.lower() for word in _SECRET_WORDS) else value
        for name, value in zip(names, row)
    }


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _current_tables(connection: Any) -> list[str]:
    """Tables of the current code's models that a restore fills or clears."""
    from django.apps import apps

    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table == "django_content_type":
            continue
        if not model._meta.can_migrate(connection):
            continue
        tables.append(meta.db_table)
    return sorted(set(tables))


def restore(namespace: dict[str, Any], options: Any) -> RestoreReport:
    """Run the load that ``restore.py`` describes (its ``LOAD`` list) into the target."""
    from django.core.management import call_command
    from django.db import transaction

    directory = namespace["SNAPSHOT_DIR"]
    manifest, verification = require_valid(directory, allow_edited=EDITABLE_FILES)
    target = SiteDatabase(options.database)
    report = RestoreReport(snapshot=directory, database=str(target.name), vendor=target.vendor)
    if verification.edited:
        report.warnings.append(
            f"edited since the snapshot was taken: {', '.join(verification.edited)}"
        )
    expected = {entry["model"]: entry["rows"] for entry in manifest["models"]}
    progress = Progress(options.progress)
    values.use_database(target.alias)

    target.check_server()
    created = not target.exists()
    if created:
        target.create()
    report.created_database = created
    try:
        connection = target.connection
        current_tables = _current_tables(connection)
        if not created:
            snapshot_tables = [entry["table"] for entry in manifest["models"]]
            occupied = [
                t
                for t in target.tables_with_rows(set(current_tables) | set(snapshot_tables))
                if t not in MIGRATE_SEEDED_TABLES
            ]
            if occupied and not options.flush:
                shown = ", ".join(occupied[:5]) + (" ..." if len(occupied) > 5 else "")
                raise TargetNotEmpty(
                    f"{target.describe()} holds data ({shown}); restoring would replace it: "
                    "pass --flush to do so, or name an empty or new database"
                )
            report.flushed = bool(occupied)
        call_command("migrate", database=target.alias, interactive=False, verbosity=0)
        current_tables = _current_tables(connection)
        swapped: dict[str, Any] = {}
        try:
            with transaction.atomic(using=target.alias):
                checks_off = (
                    connection.vendor == "mysql" and connection.disable_constraint_checking()
                )
                try:
                    # A flush replaces everything; otherwise only what migrate put into
                    # the tables this snapshot fills (permissions, a default site ...).
                    target.delete_rows(
                        current_tables if report.flushed else _loaded_tables(namespace)
                    )
                    loaded = _load_all(namespace, target, expected, report, progress, swapped)
                    if checks_off:
                        connection.enable_constraint_checking()
                        checks_off = False
                    _check_foreign_keys(connection, loaded)
                finally:
                    if checks_off:
                        connection.enable_constraint_checking()
                _check_counts(target, report)
                target.reset_sequences(loaded)
                _add_missing_permissions(target.alias)
        finally:
            namespace.update(swapped)
        report.seconds = time.monotonic() - report.started
    except BaseException:
        if created:
            try:
                target.drop()
            except Exception as exc:  # pragma: no cover - reported, original error wins
                report.warnings.append(f"could not drop the database it created: {exc}")
        raise
    return report


def _loaded_tables(namespace: dict[str, Any]) -> list[str]:
    from django.apps import apps

    tables = []
    for label, _create, _files in namespace["LOAD"]:
        try:
            tables.append(apps.get_model(label)._meta.db_table)
        except LookupError:
            continue
    return tables


def _load_all(
    namespace: dict[str, Any],
    target: SiteDatabase,
    expected: dict[str, int],
    report: RestoreReport,
    progress: Progress,
    swapped: dict[str, Any],
) -> list[Any]:
    from django.apps import apps

    directory = namespace["SNAPSHOT_DIR"]
    loaded = []
    for label, create, files in namespace["LOAD"]:
        try:
            model = apps.get_model(label)
        except LookupError:
            raise RestoreFailed(
                f"{label}: the snapshot has {expected.get(label, '?')} rows of this model, which "
                "the current code does not have (removed or renamed); edit restore.py to map "
                "or drop them"
            ) from None
        maker = RowMaker(model, target.connection)
        for name, value in list(namespace.items()):
            if value is model:
                swapped.setdefault(name, value)
                namespace[name] = maker.make
        entry = ModelReport(label=label, table=maker.table, expected=expected.get(label, 0))
        report.models.append(entry)
        started = time.monotonic()
        loader = BatchLoader(
            target,
            maker,
            entry,
            lambda e=entry, s=started: progress.update(e.label, e.restored, e.expected, s),
        )
        namespace["loader"] = loader
        for name in files:
            fast = run_file(os.path.join(directory, name), create.__name__, namespace, loader.save)
            entry.fast_path = entry.fast_path and fast
        loader.flush_deferred_objects()
        entry.defaults_used = sorted(maker.missing_seen)
        entry.seconds = time.monotonic() - started
        progress.update(entry.label, entry.restored, entry.expected, started, final=True)
        loaded.append(model)
    return loaded


def _check_foreign_keys(connection: Any, loaded: list[Any]) -> None:
    """Check every foreign key of the loaded tables now, to name the row that breaks one
    (at commit, SQLite would only say that some constraint failed)."""
    from django.db import IntegrityError

    try:
        connection.check_constraints(table_names=[m._meta.db_table for m in loaded])
    except IntegrityError as exc:
        raise RestoreFailed(f"a foreign key points nowhere after the load: {exc}") from None


def _add_missing_permissions(alias: str) -> None:
    """Permissions of models that the snapshot did not know (new in the current code)."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.auth"):
        return
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=alias)


def _check_counts(target: SiteDatabase, report: RestoreReport) -> None:
    for entry in report.models:
        if entry.restored + entry.ignored != entry.expected:
            raise RestoreFailed(
                f"{entry.label}: the manifest says {entry.expected} rows, the data files gave "
                f"{entry.restored + entry.ignored}"
            )
    by_table: dict[str, int] = {}
    for entry in report.models:
        by_table[entry.table] = by_table.get(entry.table, 0) + entry.restored
    for table, rows in by_table.items():
        found = target.row_count(table)
        if found != rows:
            raise RestoreFailed(
                f"table {table} holds {found} rows after the load, {rows} were written"
            )


__all__ = ["BatchLoader", "DatamigError", "restore"]
