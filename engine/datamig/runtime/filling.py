"""Values for new required fields that have no default: the model's own code, or ``--set``.

A release often adds a field that is required and has no ``default=`` because the
model fills it itself (Lino's models do it in ``full_clean()``; ``auto_now_add`` does it
in ``pre_save``). A snapshot of the older version has no column for it. For such a
field, each row gets:

1. the value the operator gave (``--set app.Model.field=VALUE``), if any;
2. else the value the model's own code gives a row that lacks it: an instance built
   from the row, its ``full_clean()`` (errors it raises about other things are not
   ours to judge: only the value it leaves counts), then the field's
   ``pre_save(instance, add=True)``;
3. else (still empty) the restore fails, naming the field, and nothing is written.
   Text fields fall back to ``''`` as Django's own ``get_default()`` gives them.

Rows are filled one by one only for models that have such a field; every other model
keeps its row maker untouched (no per-row cost).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from .errors import RestoreFailed, UsageError


def parse_given(items: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``["app.Model.field=VALUE", ...]`` -> {label: {attname: Python value}}; a wrong
    item is a UsageError naming it (needs Django set up)."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist, ValidationError

    given: dict[str, dict[str, Any]] = {}
    for item in items:
        name, equals, text = item.partition("=")
        app, _, rest = name.partition(".")
        model_name, _, field_name = rest.partition(".")
        if not equals or not app or not model_name or not field_name:
            raise UsageError(f"--set {item!r}: expected app.Model.field=VALUE")
        try:
            model = apps.get_model(app, model_name)
        except LookupError:
            raise UsageError(
                f"--set {item!r}: the current code has no model {app}.{model_name}"
            ) from None
        try:
            field = model._meta.get_field(field_name)
        except FieldDoesNotExist:
            raise UsageError(
                f"--set {item!r}: model {model._meta.label} has no field {field_name}"
            ) from None
        if not getattr(field, "concrete", False) or getattr(field, "many_to_many", False):
            raise UsageError(f"--set {item!r}: {field_name} is not a column of its table")
        try:
            value = field.to_python(text)
        except ValidationError as exc:
            raise UsageError(
                f"--set {item!r}: {text!r} is not a value of {model._meta.label}.{field_name}: "
                f"{'; '.join(exc.messages)}"
            ) from None
        given.setdefault(model._meta.label, {})[field.attname] = value
    return given


def needs_a_value(model: Any, snapshot_columns: Iterable[str]) -> list[Any]:
    """Fields of ``model``'s table that rows with only ``snapshot_columns`` lack and
    that nothing else gives a value: required, no default, no database default."""
    have = set(snapshot_columns)
    found = []
    for field in model._meta.local_concrete_fields:
        if field.attname in have or field.null or field.primary_key or field.has_default():
            continue
        if getattr(field, "generated", False):
            continue
        if getattr(field, "db_default", None) is not None and _has_db_default(field):
            continue
        found.append(field)
    return found


def _has_db_default(field: Any) -> bool:
    from django.db.models.fields import NOT_PROVIDED

    return field.db_default is not NOT_PROVIDED


class Filler:
    """Wraps one model's row maker to fill the fields of :func:`needs_a_value`."""

    def __init__(self, model: Any, fields: list[Any], given: dict[str, Any]) -> None:
        self.model = model
        self.label = model._meta.label
        self.fields = fields
        self.given = given
        self.attnames = {f.attname for f in model._meta.concrete_fields}
        self.counts: dict[str, dict[str, int]] = {
            f.name: {"rows": 0, "by_set": 0, "by_model": 0, "empty_text": 0} for f in fields
        }

    def wrap(self, make: Callable[..., tuple]) -> Callable[..., tuple]:
        fill = self.fill

        def make_filled(**row: Any) -> tuple:
            return make(**fill(row))

        return make_filled

    def fill(self, row: dict[str, Any]) -> dict[str, Any]:
        instance = None
        for field in self.fields:
            counts = self.counts[field.name]
            counts["rows"] += 1
            if field.attname in self.given:
                row[field.attname] = self.given[field.attname]
                counts["by_set"] += 1
                continue
            if instance is None:
                instance = self._from_model(row)
            value = getattr(instance, field.attname, None)
            if _empty(value):
                value = field.pre_save(instance, add=True)
            if _empty(value):
                if field.empty_strings_allowed and value == "":
                    counts["empty_text"] += 1
                    row[field.attname] = ""
                    continue
                raise RestoreFailed(
                    f"{self.label}.{field.name} is a new required field without a default, "
                    f"and the model's own code (full_clean(), pre_save()) gives row "
                    f"{_pk(row)!r} no value: give one with --set "
                    f"{self.label}.{field.name}=VALUE, or write a migrator (m.add_field)"
                )
            row[field.attname] = value
            counts["by_model"] += 1
        return row

    def _from_model(self, row: dict[str, Any]) -> Any:
        values = {k: v for k, v in row.items() if k in self.attnames}
        instance = self.model(**values)
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        except Exception:  # the model's judgement of other fields is not ours
            pass
        return instance

    def report(self) -> dict[str, dict[str, int]]:
        return {f"{self.label}.{name}": dict(c) for name, c in self.counts.items() if c["rows"]}


class Fillers:
    """The fillers of one restore: made for each target model as its row maker is."""

    def __init__(self, columns: dict[str, list[str]], given: dict[str, dict[str, Any]]) -> None:
        self.columns = columns  # target label -> the columns its rows come with
        self.given = given
        self.made: list[Filler] = []

    def prepare(self, maker: Any) -> None:
        columns = self.columns.get(maker.label)
        if columns is None:  # rows shaped by a transform: its business
            return
        fields = needs_a_value(maker.model, columns)
        if not fields:
            return
        filler = Filler(maker.model, fields, self.given.get(maker.label, {}))
        maker.make = filler.wrap(maker.make)
        self.made.append(filler)

    def report(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for filler in self.made:
            found.update(filler.report())
        return found


def snapshot_columns(manifest: dict[str, Any], plan: Any) -> dict[str, list[str]]:
    """Target label -> the columns that the snapshot's rows bring to it (through the
    plan's renames, additions and drops); models a transform touches are left out."""
    found: dict[str, list[str]] = {}
    for entry in manifest["models"]:
        fate = plan.fate(entry["model"], list(entry["columns"]))
        if fate.label and not fate.opaque:
            found[fate.label] = fate.columns
    return found


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _pk(row: dict[str, Any]) -> Any:
    return row.get("id", next(iter(row.values()), None))
