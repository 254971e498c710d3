"""Repair mode: put chosen rows of a snapshot back into a LIVE database.

This is the seed's "manually repairing data" made a command. The snapshot's
``restore.py`` is executed only to define its create functions; each row of the chosen
model becomes a model instance (through the migrators when the snapshot is of an older
version), is validated with ``full_clean()``, and, with ``apply``, is written as it is
(no ``save()``, no signals, no ``auto_now``): inserted when missing, updated when present
unless ``missing_only``. Without ``apply`` nothing is written (the seed's
``REALLY = False``). A failing row is reported and does not stop the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .cli import load_restore_script
from .runtime.databases import SiteDatabase
from .runtime.datafiles import run_file
from .runtime.errors import RestoreFailed, UsageError
from .runtime.manifest import require_valid
from .runtime.restorer import plan_and_diff
from .runtime.rows import RowMaker

MAX_ERRORS_SHOWN = 10


@dataclass
class RepairReport:
    model: str
    applied: bool
    missing_only: bool
    restored: int = 0  # inserted (or would be)
    updated: int = 0  # present and overwritten (or would be)
    ignored: int = 0  # present and left alone (missing_only)
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    pks: list[str] = field(default_factory=list)  # what was (or would be) written

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "model": self.model,
            "applied": self.applied,
            "missing_only": self.missing_only,
            "restored": self.restored,
            "updated": self.updated,
            "ignored": self.ignored,
            "errors": self.errors,
            "first_errors": self.first_errors,
            "pks": self.pks[:1000],
        }

    def line(self) -> str:
        verb = "" if self.applied else " (dry run: nothing written; --apply to write)"
        return (
            f"{self.model}: {self.errors} errors, {self.restored} restored, {self.updated} updated, "
            f"{self.ignored} ignored{verb}"
        )


class RepairLoader:
    """The seed's PartnerLoader, as a command: one ``save()`` per snapshot row."""

    def __init__(
        self,
        model: Any,
        alias: str,
        pks: set[str] | None,
        missing_only: bool,
        apply: bool,
        report: RepairReport,
    ) -> None:
        self.model = model
        self.alias = alias
        self.pks = pks
        self.missing_only = missing_only
        self.apply = apply
        self.report = report
        self.target = SiteDatabase(alias)
        self.maker = RowMaker(model, self.target.connection)

    def save(self, obj: Any) -> None:
        for instance in obj if isinstance(obj, list) else [obj]:
            if instance is not None and isinstance(instance, self.model):
                self._one(instance)

    def _one(self, obj: Any) -> None:
        from django.core.exceptions import ValidationError
        from django.db import transaction

        if self.pks is not None and str(obj.pk) not in self.pks:
            return
        manager = self.model._base_manager.using(self.alias)
        exists = manager.filter(pk=obj.pk).exists()
        if exists and self.missing_only:
            self.report.ignored += 1
            return
        if exists:
            obj._state.adding = False
            obj._state.db = self.alias
        try:
            obj.full_clean()
        except ValidationError as exc:
            self._error(
                obj, f"ValidationError: {exc.message_dict if hasattr(exc, 'message_dict') else exc}"
            )
            return
        if self.apply:
            try:
                with transaction.atomic(using=self.alias):
                    values = {f.attname: getattr(obj, f.attname) for f in self.maker.fields}
                    if exists:
                        manager.filter(pk=obj.pk).update(
                            **{k: v for k, v in values.items() if k != self.model._meta.pk.attname}
                        )
                    else:
                        self.target.insert_one(
                            self.maker.table, self.maker.columns, self.maker.make(**values)
                        )
            except Exception as exc:
                self._error(
                    obj,
                    f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
                )
                return
        if exists:
            self.report.updated += 1
        else:
            self.report.restored += 1
        self.report.pks.append(str(obj.pk))

    def _error(self, obj: Any, message: str) -> None:
        self.report.errors += 1
        if len(self.report.first_errors) < MAX_ERRORS_SHOWN:
            self.report.first_errors.append(f"pk {obj.pk}: {message}")

    def flush_deferred_objects(self) -> None:
        pass


def repair(
    directory: str, label: str, *, alias: str, pks: list[str], missing_only: bool, apply: bool
) -> RepairReport:
    from django.apps import apps
    from django.db import transaction

    manifest, _ = require_valid(directory)
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise UsageError(f"no model {label!r} in the current code") from None
    plan, _diff = plan_and_diff(manifest, [])
    entry = _snapshot_entry(manifest["models"], plan, model._meta.label)
    if entry is None:
        raise UsageError(f"the snapshot has no rows that become {model._meta.label}")
    namespace = load_restore_script(directory)
    report = RepairReport(model._meta.label, apply, missing_only)
    loader = RepairLoader(model, alias, set(pks) if pks else None, missing_only, apply, report)
    if plan.touches(entry["model"]):
        _route_through_plan(namespace, entry["model"], plan)
    namespace["loader"] = loader
    create = _create_function(namespace, entry["model"])
    with transaction.atomic(using=alias):
        for name in entry["files"]:
            run_file(os.path.join(directory, name), create.__name__, namespace, loader.save)
        if apply:
            SiteDatabase(alias).reset_sequences([model])
    return report


def _snapshot_entry(entries: list[dict[str, Any]], plan: Any, label: str) -> dict[str, Any] | None:
    for entry in entries:
        if entry["model"].lower() == label.lower() or label in plan.final_labels(entry["model"]):
            return entry
    return None


def _create_function(namespace: dict[str, Any], label: str) -> Any:
    for item_label, create, _files in namespace["LOAD"]:
        if item_label == label:
            return create
    raise RestoreFailed(f"restore.py's LOAD has no entry for {label}")


def _route_through_plan(namespace: dict[str, Any], label: str, plan: Any) -> None:
    """Instances of the current models from a row of an older version."""
    from django.apps import apps

    def build(**row: Any) -> list[Any]:
        return [apps.get_model(out)(**values) for out, values in plan.run(label, row)]

    for name, value in list(namespace.items()):
        meta = getattr(value, "_meta", None)
        if (meta is not None and meta.label == label) or getattr(value, "label", None) == label:
            namespace[name] = build
