"""Migrators: how rows of an older version become rows of the current one.

An application names a module in ``settings.DATAMIG["migrators"]``. It defines one
function per source version, ``migrate_from_<version>(m)`` (dots and dashes of the
version become underscores), which declares operations on ``m`` (a :class:`Step`) and
returns the version it migrates to. A restore runs the chain from the snapshot's
version to the current one. Labels and field names are those of the step's FROM
version; a row is a dict of attname -> Python value. The module does not import
datamig: ``m`` is all it needs.

Operations on one model run in the order they were declared; a model no step touches
keeps the fast path (no per-row cost at all).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import RestoreFailed

Row = dict[str, Any]
# What an operation gives back: the row (possibly changed), None (the row is dropped)
# or a list of rows and ("app.Model", row) pairs (the row is split).
Outcome = Any


class MigratorError(RestoreFailed):
    """The application's migrators are missing, broken or inconsistent."""


@dataclass
class Operation:
    """One declared operation on the rows of one model."""

    kind: str  # rename_field, add_field, convert, drop_field, drop_duplicates, transform
    label: str
    apply: Callable[[Row], Outcome]
    fields: tuple[str, ...] = ()
    new_name: str | None = None


@dataclass
class Drop:
    """Why a row (or a value) did not reach the target."""

    label: str
    reason: str
    pk: Any
    field: str | None = None
    value: Any = None


def version_key(version: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "_", str(version))


class Step:
    """The ``m`` of ``migrate_from_<version>(m)``: operations from one version to the next."""

    def __init__(self, from_version: str) -> None:
        self.from_version = from_version
        self.to_version: str | None = None
        self.operations: dict[str, list[Operation]] = {}
        self.model_renames: dict[str, str] = {}
        self.dropped_models: set[str] = set()
        self.drops: list[Drop] = []  # filled while rows flow; read by the restore
        self.drop_reason = "dropped by migrator"

    # -- the API migrators use -------------------------------------------------------
    def rename_model(self, old: str, new: str) -> None:
        self.model_renames[_label(old)] = _label(new)

    def rename_field(self, label: str, old: str, new: str) -> None:
        def rename(row: Row) -> Row:
            if old in row:
                row[new] = row.pop(old)
            return row

        self._add(Operation("rename_field", _label(label), rename, (old,), new))

    def add_field(self, label: str, name: str, value: Any) -> None:
        """Give a field (usually new and required) its value: a constant or ``f(row)``."""

        def add(row: Row) -> Row:
            row[name] = value(row) if callable(value) else value
            return row

        self._add(Operation("add_field", _label(label), add, (name,)))

    def convert(self, label: str, name: str, function: Callable[[Any], Any]) -> None:
        """Change one field's value (a type change): ``row[name] = function(row[name])``."""

        def convert(row: Row) -> Row:
            if name in row:
                row[name] = function(row[name])
            return row

        self._add(Operation("convert", _label(label), convert, (name,)))

    def drop_field(self, label: str, name: str) -> None:
        """The field is gone: its values are reported (and kept in the lost-values file)."""
        label = _label(label)

        def drop(row: Row) -> Row:
            if name in row:
                value = row.pop(name)
                self.drops.append(Drop(label, self.drop_reason, _pk(row), name, value))
            return row

        self._add(Operation("drop_field", label, drop, (name,)))

    def drop_model(self, label: str) -> None:
        """The model is gone: all its rows are reported (and kept in the lost-values file)."""
        self.dropped_models.add(_label(label))

    def drop_duplicates(self, label: str, fields: Iterable[str]) -> None:
        """Keep the first row (in primary-key order) of each value of ``fields``; report
        the others by primary key. Rows with a NULL in ``fields`` are never duplicates."""
        label = _label(label)
        names = tuple(fields)
        seen: set[tuple[Any, ...]] = set()

        def dedupe(row: Row) -> Row | None:
            key = tuple(row.get(n) for n in names)
            if any(v is None for v in key):
                return row
            if key in seen:
                reason = f"same {', '.join(names)} as an earlier row"
                self.drops.append(Drop(label, reason, _pk(row), None, dict(row)))
                return None
            seen.add(key)
            return row

        self._add(Operation("drop_duplicates", label, dedupe, names))

    def transform(
        self, label: str
    ) -> Callable[[Callable[[Row], Outcome]], Callable[[Row], Outcome]]:
        """Decorator: ``f(row)`` returns the row, None (drop) or a list (split)."""

        def register(function: Callable[[Row], Outcome]) -> Callable[[Row], Outcome]:
            self._add(Operation("transform", _label(label), function))
            return function

        return register

    # -- used by the plan ------------------------------------------------------------
    def _add(self, operation: Operation) -> None:
        self.operations.setdefault(operation.label, []).append(operation)

    def touches(self, label: str) -> bool:
        return (
            label in self.operations or label in self.model_renames or label in self.dropped_models
        )

    def run(self, label: str, row: Row) -> list[tuple[str, Row]]:
        """The rows (with their labels at the TO version) that one row becomes."""
        if label in self.dropped_models:
            self.drops.append(Drop(label, self.drop_reason, _pk(row), None, dict(row)))
            return []
        current: list[tuple[str, Row]] = [(label, row)]
        for operation in self.operations.get(label, ()):
            produced: list[tuple[str, Row]] = []
            for item_label, item in current:
                if item_label != label:  # split off into another model: passes on as is
                    produced.append((item_label, item))
                    continue
                produced.extend(_outcome(label, operation.apply(item)))
            current = produced
        renamed = self.model_renames.get(label, label)
        return [
            (renamed if item_label == label else item_label, item) for item_label, item in current
        ]


def _outcome(label: str, result: Outcome) -> list[tuple[str, Row]]:
    if result is None:
        return []
    if isinstance(result, dict):
        return [(label, result)]
    if isinstance(result, (list, tuple)):
        out = []
        for item in result:
            if isinstance(item, dict):
                out.append((label, item))
            elif isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[1], dict):
                out.append((_label(item[0]), item[1]))
            else:
                raise MigratorError(f"{label}: a transform returned {item!r} in its list")
        return out
    raise MigratorError(f"{label}: a transform returned {type(result).__name__}, not a row")


def _label(label: str) -> str:
    app, _, model = label.partition(".")
    if not app or not model:
        raise MigratorError(f"{label!r} is not an 'app_label.ModelName' label")
    return label


def _pk(row: Row) -> Any:
    return row.get("id", next(iter(row.values()), None))


@dataclass
class Plan:
    """The chain of steps from the snapshot's version to the current one."""

    source_version: str | None
    current_version: str | None
    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls, source_version: str | None, current_version: str | None, module_name: str | None
    ) -> Plan:
        plan = cls(source_version, current_version)
        if source_version is None or current_version is None or source_version == current_version:
            return plan
        if not module_name:
            plan.warnings.append(
                f"the snapshot is of version {source_version}, the code of version {current_version}, "
                "and the application declares no migrators (settings.DATAMIG['migrators'])"
            )
            return plan
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise MigratorError(
                f"migrators module {module_name!r} does not import: {type(exc).__name__}: {exc}"
            ) from None
        version, seen = str(source_version), set()
        while version != str(current_version):
            function = getattr(module, f"migrate_from_{version_key(version)}", None)
            if function is None:
                plan.warnings.append(
                    f"no migrator from version {version} (migrate_from_{version_key(version)} in "
                    f"{module_name}); rows of version {version} are restored as they are"
                )
                break
            step = Step(version)
            next_version = function(step)
            if next_version is None:
                raise MigratorError(
                    f"{module_name}.{function.__name__} must return the version it migrates to"
                )
            step.to_version = str(next_version)
            if step.to_version in seen or step.to_version == version:
                raise MigratorError(f"{module_name}: migrators loop at version {step.to_version}")
            seen.add(version)
            plan.steps.append(step)
            version = step.to_version
        return plan

    def touches(self, label: str) -> bool:
        current = label
        for step in self.steps:
            if step.touches(current):
                return True
            current = step.model_renames.get(current, current)
        return False

    def allow_losses(self, allowed: dict[str, list[str]]) -> None:
        """A last step that drops what the operator allowed to lose (labels as current)."""
        if not allowed:
            return
        step = Step(self.current_version or "")
        step.to_version = self.current_version
        step.drop_reason = "loss allowed by --allow-loss"
        for label, names in allowed.items():
            if "*" in names:
                step.drop_model(label)
            for name in names:
                if name != "*":
                    step.drop_field(label, name)
        self.steps.append(step)

    def final_labels(self, label: str) -> list[str]:
        """Where rows of a snapshot model end up, following renames (declared drops
        and transforms' splits aside)."""
        current: str | None = label
        for step in self.steps:
            if current in step.dropped_models:
                return []
            current = step.model_renames.get(current, current)
        return [current] if current else []

    def run(self, label: str, row: Row) -> list[tuple[str, Row]]:
        items = [(label, row)]
        for step in self.steps:
            produced: list[tuple[str, Row]] = []
            for item_label, item in items:
                produced.extend(
                    step.run(item_label, item) if step.touches(item_label) else [(item_label, item)]
                )
            items = produced
        return items

    def drops(self) -> list[Drop]:
        found = []
        for step in self.steps:
            found.extend(step.drops)
            step.drops.clear()
        return found

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "from": step.from_version,
                "to": step.to_version,
                "renamed_models": step.model_renames,
                "dropped_models": sorted(step.dropped_models),
                "operations": [
                    {
                        "model": op.label,
                        "kind": op.kind,
                        "fields": list(op.fields),
                        "new_name": op.new_name,
                    }
                    for ops in step.operations.values()
                    for op in ops
                ],
            }
            for step in self.steps
        ]

    def fate(self, label: str, columns: list[str]) -> Fate:
        """Follow declared renames, additions and drops of fields through the chain."""
        names = list(columns)
        current = label
        opaque = False
        for step in self.steps:
            if current in step.dropped_models:
                return Fate(None, names, opaque, dropped_by_migrator=True)
            for op in step.operations.get(current, ()):
                if op.kind == "rename_field" and op.fields[0] in names:
                    names[names.index(op.fields[0])] = op.new_name or op.fields[0]
                elif op.kind == "add_field" and op.fields[0] not in names:
                    names.append(op.fields[0])
                elif op.kind == "drop_field" and op.fields[0] in names:
                    names.remove(op.fields[0])
                elif op.kind == "transform":
                    opaque = True
            current = step.model_renames.get(current, current)
        return Fate(current, names, opaque)


@dataclass
class Fate:
    """Where a snapshot model's rows go, and with which columns.

    ``opaque``: a transform touches the model, so its columns are the migrator's
    business (not checked field by field)."""

    label: str | None
    columns: list[str]
    opaque: bool
    dropped_by_migrator: bool = False
