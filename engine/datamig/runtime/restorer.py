"""Restore a snapshot into a database: the whole load in one transaction.

Schema comes from the current code (``migrate`` on an empty database); rows come from
the snapshot's data files, written as they were stored: no ``save()``, no signals, no
``auto_now``. A failure leaves the target as it was before (a database this restore
created is dropped again).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable

from . import values
from .content_types import content_type_model, keep_ids, model_renames
from .counters import raise_counter
from .databases import SiteDatabase
from .datafiles import first_rows, run_file
from .errors import DatamigError, NotPrepared, RestoreFailed, TargetNotEmpty, UsageError
from .filling import Fillers, parse_given, snapshot_columns
from .identity import site_identity
from .losses import LostValues
from .manifest import EDITABLE_FILES, require_valid
from .migrations import Plan
from .raw import refusals as raw_refusals
from .report import MAX_ERRORS_KEPT, ModelReport, Progress, RestoreReport
from .rows import RowMaker, migrated_into
from .schema import (
    applied_migrations,
    current_tables,
    migrate_schema,
    occupied_tables,
    prepared_problems,
    undo_migrations,
)
from .schema_diff import SchemaDiff, compare
from .secrets import shown

BATCH_ROWS = 2000


class Routed(list):
    """What a migrated row became: ``(label, row tuple)`` pairs, possibly none."""


class TableBatch:
    """Rows on their way into one table, written in batches, each in a savepoint so
    that a failing batch can be searched for the rows that fail."""

    def __init__(
        self, target: SiteDatabase, maker: RowMaker, on_written: Callable[[], None]
    ) -> None:
        self.target = target
        self.maker = maker
        self.rows: list[tuple] = []
        self.written = 0
        self.preexisting = target.row_count(maker.table)
        self.errors: list[str] = []
        self.on_written = on_written

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        from django.db import transaction

        rows, self.rows = self.rows, []
        try:
            with transaction.atomic(using=self.target.alias):
                self.target.insert_rows(self.maker.table, self.maker.columns, rows)
        except Exception as exc:
            self._diagnose(rows, exc)
        self.written += len(rows)
        self.on_written()

    def _diagnose(self, rows: list[tuple], batch_error: Exception) -> None:
        from django.db import transaction

        failures = []
        for row in rows:
            try:
                with transaction.atomic(using=self.target.alias):
                    self.target.insert_one(self.maker.table, self.maker.columns, row)
            except Exception as exc:
                failures.append(
                    f"{_one_line(exc)} in row {shown(dict(zip(self.maker.attnames, row)))!r}"
                )
                if len(failures) >= MAX_ERRORS_KEPT:
                    break
        if not failures:
            failures.append(_one_line(batch_error))
        self.errors.extend(failures)
        raise RestoreFailed(f"{self.maker.label}: {failures[0]}")


class Tables:
    """One batch per target model; row makers built once per model."""

    def __init__(
        self,
        target: SiteDatabase,
        on_written: Callable[[], None],
        prepare: Callable[[RowMaker], None] | None = None,
    ) -> None:
        self.target = target
        self.batches: dict[str, TableBatch] = {}
        self.on_written = on_written
        self.prepare = prepare  # e.g. fillers of new required fields (filling.py)

    def batch(self, label: str) -> TableBatch:
        found = self.batches.get(label)
        if found is None:
            from django.apps import apps

            try:
                model = apps.get_model(label)
            except LookupError:
                raise RestoreFailed(
                    f"rows were made for model {label}, which the current code does not have"
                ) from None
            maker = RowMaker(model, self.target.connection)
            if self.prepare is not None:
                self.prepare(maker)
            found = TableBatch(self.target, maker, lambda: self.on_written())
            self.batches[label] = found
        return found

    def flush(self) -> None:
        for batch in self.batches.values():
            batch.flush()


class ModelLoader:
    """The ``loader`` that one snapshot model's data files talk to."""

    def __init__(self, default: TableBatch | None, tables: Tables, report: ModelReport) -> None:
        self.default = default
        self.tables = tables
        self.report = report

    def save(self, item: Any) -> None:
        self.report.read += 1
        if item is None:  # a create function or migrator dropped the row
            self.report.ignored += 1
        elif isinstance(item, Routed):
            if not item:
                self.report.ignored += 1
                return
            self.report.transformed += 1
            for label, row in item:
                self.tables.batch(label).add(row)
        elif isinstance(item, tuple):
            assert self.default is not None
            self.default.add(item)
            self.report.restored += 1
        else:  # a create function that built a model instance itself
            assert self.default is not None
            maker = self.default.maker
            self.default.add(maker.make(**{name: getattr(item, name) for name in maker.attnames}))
            self.report.restored += 1

    def flush_deferred_objects(self) -> None:
        self.tables.flush()


def make_router(
    label: str, plan: Plan, tables: Tables, losses: LostValues
) -> Callable[..., Routed]:
    """The stand-in for a model that migrators touch: runs the row through the plan."""

    def route(**row: Any) -> Routed:
        outputs = plan.run(label, row)
        drops = plan.drops()
        if drops:
            losses.record(drops)
        return Routed((out, tables.batch(out).maker.make(**values)) for out, values in outputs)

    return route


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def plan_and_diff(
    manifest: dict[str, Any],
    allow_loss: list[str],
    namespace: dict[str, Any] | None = None,
    alias: str = "default",
) -> tuple[Plan, SchemaDiff]:
    """The migration plan from the snapshot's version to the code's, and what differs.

    With ``namespace`` (restore.py's globals), rows of models that transforms touch are
    sampled to see what the transforms do with removed columns. The plan returned is
    a fresh one: the diff's own plan ran the samples."""
    identity = site_identity()
    current = {
        "application": identity["application"]["name"],
        "version": identity["application"]["version"],
    }
    source_version = (manifest.get("application") or {}).get("version")
    module = identity.get("migrators")
    sampler = None if namespace is None else (lambda label: sample_rows(namespace, label))
    loaded = None if namespace is None else {label for label, _create, _files in namespace["LOAD"]}
    diff = compare(
        manifest,
        Plan.load(source_version, current["version"], module),
        current,
        allow_loss,
        sampler,
        loaded,
    )
    _not_carried(manifest, diff, alias)
    return Plan.load(source_version, current["version"], module), diff


def _not_carried(manifest: dict[str, Any], diff: SchemaDiff, alias: str) -> None:
    """What the snapshot left alone (warnings) and values the target's vendor cannot
    hold (blocking), so that ``datamig diff`` names them before any maintenance."""
    from django.db import connections

    connection = _features_readable(connections[alias])
    try:
        _name_not_carried(manifest, diff, connection, alias)
    finally:
        if connection is not connections[alias]:
            connection.close()


def _features_readable(connection: Any) -> Any:
    """The connection, or, when its database does not exist yet (a diff before the
    restore creates it), one to the same server without a database: Django 6.1 reads
    some features from the server (PostgreSQL's virtual generated columns, by version),
    and ``required_db_features`` asks for them."""
    from django.db import OperationalError
    from django.db.backends.base.base import NO_DB_ALIAS

    if connection.vendor == "sqlite":
        return connection
    try:
        connection.ensure_connection()
    except OperationalError:  # NO_DB_ALIAS: no extension's set-up runs on it either
        return type(connection)({**connection.settings_dict, "NAME": None}, NO_DB_ALIAS)
    return connection


def _name_not_carried(
    manifest: dict[str, Any], diff: SchemaDiff, connection: Any, alias: str
) -> None:
    for item in manifest.get("not_carried") or ():
        diff.warnings.append(f"{item['model']} (table {item['table']}): {item['reason']}")
    for entry in manifest["models"]:
        if entry["rows"] and not _has_table_in(entry["model"], connection, alias):
            diff.blocking.append(
                f"{entry['model']}: the current code keeps this model out of a "
                f"{connection.vendor} database (required_db_vendor, required_db_features or a "
                f"router): its {entry['rows']} rows cannot be restored there"
            )
    diff.blocking.extend(raw_refusals(manifest, connection.vendor))


def _has_table_in(label: str, connection: Any, alias: str) -> bool:
    """False when the current code has the model but never migrates it into the
    database ``alias`` (whose features ``connection`` reads); a model the code lacks is
    the schema diff's business."""
    from django.apps import apps

    try:
        model = apps.get_model(label)
    except LookupError:
        return True
    return migrated_into(model, connection, alias)


SAMPLE_ROWS = 200


def sample_rows(namespace: dict[str, Any], label: str) -> list[dict[str, Any]] | None:
    """The first rows of a snapshot model, as the keyword arguments its create
    function passes to the model; None if its first data file is not plain rows."""
    for item_label, create, files in namespace["LOAD"]:
        if item_label != label or not files:
            continue
        path = os.path.join(namespace["SNAPSHOT_DIR"], files[0])
        parsed = first_rows(path, create.__name__, SAMPLE_ROWS)
        if parsed is None:
            return None
        swapped: dict[str, Any] = {"ct": namespace.get("ct")}
        _swap_model(namespace, label, lambda **row: row, swapped)
        namespace["ct"] = lambda natural_key: natural_key  # no database needed to sample
        try:
            return [row for row in (create(*values) for values in parsed) if isinstance(row, dict)]
        finally:
            namespace.update(swapped)
    return []


def restore(namespace: dict[str, Any], options: Any) -> RestoreReport:
    """Run the load that ``restore.py`` describes (its ``LOAD`` list) into the target."""
    from django.db import transaction

    directory = namespace["SNAPSHOT_DIR"]
    manifest, verification = require_valid(directory, allow_edited=EDITABLE_FILES)
    plan, diff = plan_and_diff(manifest, list(options.allow_loss), namespace, options.database)
    if not diff.ok:
        raise RestoreFailed(
            "the snapshot does not fit the current code without losing data: "
            + "; ".join(diff.blocking)
            + " (see datamig diff; write a migrator, or pass --allow-loss app.Model[.field])"
        )
    plan.allow_losses(diff.allowed_losses())
    fillers = Fillers(snapshot_columns(manifest, plan), parse_given(options.set_values))
    target = SiteDatabase(options.database)
    report = RestoreReport(snapshot=directory, database=str(target.name), vendor=target.vendor)
    report.warnings.extend(namespace.get("SEAL_WARNINGS") or [])  # restore.py's check
    report.warnings.extend(diff.warnings)
    if verification.edited:
        report.warnings.append(
            f"edited since the snapshot was taken: {', '.join(verification.edited)}"
        )
    losses = LostValues(options.lost_values or _default_lost_path())
    expected = {entry["model"]: entry["rows"] for entry in manifest["models"]}
    progress = Progress(options.progress)
    values.use_database(target.alias)

    target.check_server()
    if options.prepared:
        _require_prepared(target, manifest, options.flush)
    created = not options.prepared and not target.exists()
    if created:
        target.create()
    report.created_database = created
    migrated_from = None  # an existing target's migrations before this restore migrated it
    try:
        connection = target.connection
        if not created and not options.prepared:
            _refuse_occupied(target, manifest, options.flush, report)
            migrated_from = applied_migrations(target.alias)
        if not options.prepared:  # a prepared database was migrated before the window
            migrate_schema(target.alias)
        swapped: dict[str, Any] = {}
        try:
            with transaction.atomic(using=target.alias):
                checks_off = (
                    connection.vendor == "mysql" and connection.disable_constraint_checking()
                )
                try:
                    # A flush replaces everything; otherwise only what migrate put into
                    # the tables this snapshot fills (permissions, a default site ...).
                    cleared = (
                        current_tables(connection)
                        if report.flushed
                        else _loaded_tables(namespace, plan)
                    )
                    # Before any row changes: PostgreSQL refuses DDL on a table with
                    # pending (deferred) trigger events.
                    rebuild = target.suspend_indexes_and_foreign_keys(current_tables(connection))
                    target.delete_rows(cleared)
                    kept = keep_ids(
                        target, manifest.get("content_types"), model_renames(plan.steps)
                    )
                    if kept is not None:
                        values.use_content_types(kept.ids)
                    tables = Tables(target, lambda: None, fillers.prepare)
                    _load_all(namespace, plan, tables, losses, expected, report, progress, swapped)
                    _rebuild(target, rebuild)
                    if checks_off:
                        connection.enable_constraint_checking()
                        checks_off = False
                    loaded = [batch.maker.model for batch in tables.batches.values()]
                    _check_foreign_keys(connection, loaded)
                finally:
                    if checks_off:
                        connection.enable_constraint_checking()
                _check_counts(target, tables, report)
                target.reset_sequences(
                    loaded + ([content_type_model()] if kept is not None else [])
                )
                if kept is not None:
                    report.content_types = kept.as_dict()
                    report.warnings.extend(kept.warnings())
                counters = _counters(manifest, plan)
                if connection.vendor != "mysql":  # on MySQL it is DDL: after the commit
                    _raise_counters(connection, counters)
                _add_missing_permissions(target.alias)
            if connection.vendor == "mysql":
                _raise_counters(connection, counters)
        finally:
            namespace.update(swapped)
            losses.close()
        report.tables = {b.maker.table: b.written for b in tables.batches.values()}
        report.losses = losses.as_dict()
        report.migrators = plan.describe()
        report.filled = fillers.report()
        report.seconds = time.monotonic() - report.started
    except BaseException:
        losses.discard()  # nothing was restored, so nothing was lost
        if created:
            try:
                target.drop()
            except Exception as exc:  # pragma: no cover - reported, original error wins
                report.warnings.append(f"could not drop the database it created: {exc}")
        elif migrated_from is not None:
            _undo_migrations(target, migrated_from, report)
        raise
    return report


def _undo_migrations(target: SiteDatabase, before: set[tuple[str, str]], report: Any) -> None:
    """A failed restore into an existing target: the migrations it ran are undone (the
    rows were rolled back with the transaction), so the target is as it was found."""
    try:
        left = undo_migrations(target.alias, before)
    except Exception as exc:  # said; the restore's own error wins
        left = [f"every app ({type(exc).__name__}: {exc})"]
    if left:
        warning = f"the migrations this restore ran stay applied for {', '.join(left)}"
        report.warnings.append(warning)
        print(f"datamig: warning: {warning}", file=sys.stderr)


def _counters(manifest: dict[str, Any], plan: Plan) -> list[tuple[Any, int]]:
    """(current model, the source counter's last value) for models restored as such."""
    from django.apps import apps

    found = []
    for entry in manifest["models"]:
        if not entry.get("counter"):
            continue
        for label in plan.final_labels(entry["model"]):
            try:
                found.append((apps.get_model(label), int(entry["counter"])))
            except LookupError:
                continue
    return found


def _raise_counters(connection: Any, counters: list[tuple[Any, int]]) -> None:
    for model, last in counters:
        raise_counter(connection, model, last)


def _default_lost_path() -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return os.path.join(os.getcwd(), f"datamig-lost-values-{stamp}.jsonl")


def _require_prepared(target: SiteDatabase, manifest: dict[str, Any], flush: bool) -> None:
    """--prepared: the target must be exactly what ``datamig database --create --migrate``
    made with this code; checked before anything is written."""
    if flush:
        raise UsageError("--prepared and --flush exclude each other: a prepared database is empty")
    problems = prepared_problems(target, [entry["table"] for entry in manifest["models"]])
    if problems:
        raise NotPrepared(
            f"{target.describe()} is not a database prepared by this code: "
            + "; ".join(problems)
            + " (datamig database --create --migrate prepares a new one); nothing was written"
        )


def _refuse_occupied(
    target: SiteDatabase, manifest: dict[str, Any], flush: bool, report: RestoreReport
) -> None:
    occupied = occupied_tables(target, [entry["table"] for entry in manifest["models"]])
    if occupied and not flush:
        shown = ", ".join(occupied[:5]) + (" ..." if len(occupied) > 5 else "")
        raise TargetNotEmpty(
            f"{target.describe()} holds data ({shown}); restoring would replace it: "
            "pass --flush to do so, or name an empty or new database"
        )
    report.flushed = bool(occupied)


def _loaded_tables(namespace: dict[str, Any], plan: Plan) -> list[str]:
    from django.apps import apps

    tables = []
    for label, _create, _files in namespace["LOAD"]:
        for final in plan.final_labels(label):
            try:
                tables.append(apps.get_model(final)._meta.db_table)
            except LookupError:
                continue
    return tables


def _swap_model(
    namespace: dict[str, Any], label: str, stand_in: Any, swapped: dict[str, Any]
) -> None:
    """Point restore.py's variable(s) for ``label`` (a model class, or a stand-in for a
    model the code lacks) at ``stand_in``, remembering the original."""
    for name, value in list(namespace.items()):
        meta = getattr(value, "_meta", None)
        if (meta is not None and getattr(meta, "label", None) == label) or (
            type(value).__name__ == "MissingModel" and getattr(value, "label", None) == label
        ):
            swapped.setdefault(name, value)
            namespace[name] = stand_in


def _load_all(
    namespace: dict[str, Any],
    plan: Plan,
    tables: Tables,
    losses: LostValues,
    expected: dict[str, int],
    report: RestoreReport,
    progress: Progress,
    swapped: dict[str, Any],
) -> None:
    directory = namespace["SNAPSHOT_DIR"]
    for label, create, files in namespace["LOAD"]:
        entry = ModelReport(label=label, table="", expected=expected.get(label, 0))
        report.models.append(entry)
        if not plan.touches(label) and not _has_table_in(
            label, tables.target.connection, tables.target.connection.alias
        ):
            continue  # no rows (the diff refused any): the target has no table for it
        if plan.touches(label):
            default = None
            stand_in = make_router(label, plan, tables, losses)
            entry.table = ", ".join(tables.batch(f).maker.table for f in plan.final_labels(label))
        else:
            default = tables.batch(label)
            stand_in = default.maker.make
            entry.table = default.maker.table
        _swap_model(namespace, label, stand_in, swapped)
        started = time.monotonic()
        loader = ModelLoader(default, tables, entry)
        tables.on_written = lambda e=entry, s=started: progress.update(
            e.label, e.read, e.expected, s
        )
        namespace["loader"] = loader
        try:
            for name in files:
                fast = run_file(
                    os.path.join(directory, name), create.__name__, namespace, loader.save
                )
                entry.fast_path = entry.fast_path and fast
            tables.flush()
        except RestoreFailed:
            for batch in tables.batches.values():
                entry.first_errors.extend(batch.errors)
            entry.errors = len(entry.first_errors)
            raise
        if default is not None:
            entry.defaults_used = sorted(default.maker.missing_seen)
        entry.seconds = time.monotonic() - started
        progress.update(entry.label, entry.read, entry.expected, started, final=True)


def _rebuild(target: SiteDatabase, statements: list[str]) -> None:
    """Put back the indexes and foreign keys suspended for the load."""
    from django.db import IntegrityError

    try:
        target.run_statements(statements)
    except IntegrityError as exc:
        raise RestoreFailed(
            f"a foreign key points nowhere after the load: {_one_line(exc)}"
        ) from None


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


def _check_counts(target: SiteDatabase, tables: Tables, report: RestoreReport) -> None:
    """Every row of the data files was read, and every table holds what was written."""
    for entry in report.models:
        if entry.read != entry.expected:
            raise RestoreFailed(
                f"{entry.label}: the manifest says {entry.expected} rows, the data files gave {entry.read}"
            )
    for batch in tables.batches.values():
        found = target.row_count(batch.maker.table)
        if found != batch.preexisting + batch.written:
            raise RestoreFailed(
                f"table {batch.maker.table} holds {found} rows after the load, "
                f"{batch.written} were written into {batch.preexisting}"
            )


__all__ = ["DatamigError", "ModelLoader", "restore"]
