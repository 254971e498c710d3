"""What differs between a snapshot and the current code, before anything is restored.

Models and fields added, removed, retyped; which changes a migrator covers; which
would lose data. A loss that no migrator covers and that the operator did not allow
(``--allow-loss app.Model.field`` or ``--allow-loss app.Model``) blocks the restore.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from .migrations import Plan
from .rows import table_fields

TEXT_TYPES = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField"})


@dataclass
class ModelDiff:
    model: str  # as in the snapshot
    target: str | None  # as in the current code (None: no such model)
    rows: int
    status: str  # same, changed, removed
    migrator: bool = False  # a migrator operation touches it
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)
    allowed_loss: list[str] = field(default_factory=list)
    loss: list[str] = field(default_factory=list)  # blocking
    notes: list[str] = field(default_factory=list)


@dataclass
class SchemaDiff:
    source: dict[str, Any]
    current: dict[str, Any]
    models: list[ModelDiff] = field(default_factory=list)
    added_models: list[str] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocking: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def allowed_losses(self) -> dict[str, list[str]]:
        """Final label -> fields ("*" for the whole model) to drop, as allowed."""
        allowed: dict[str, list[str]] = {}
        for entry in self.models:
            for item in entry.allowed_loss:
                label = entry.target or entry.model
                allowed.setdefault(label, []).append(item)
        return allowed

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["models"] = [m for m in data["models"] if m["status"] != "same" or m["migrator"]]
        return data

    def print_text(self, write: Any = print) -> None:
        write(
            f"snapshot: {self.source.get('application')} {self.source.get('version')}; "
            f"code: {self.current.get('application')} {self.current.get('version')}"
        )
        for step in self.plan:
            write(f"migrator {step['from']} -> {step['to']}: {len(step['operations'])} operations")
        for label in self.added_models:
            write(f"  + {label}: new model")
        for entry in self.models:
            if entry.status == "same" and not entry.migrator:
                continue
            head = f"  {'-' if entry.status == 'removed' else '~'} {entry.model}"
            if entry.target and entry.target != entry.model:
                head += f" -> {entry.target}"
            write(f"{head} ({entry.rows} rows){' [migrator]' if entry.migrator else ''}")
            for name in entry.added:
                write(f"      + {name}")
            for name in entry.removed:
                write(f"      - {name}")
            for name in entry.retyped:
                write(f"      ~ {name}")
            for text in entry.covered:
                write(f"      covered: {text}")
            for text in entry.allowed_loss:
                write(f"      loss allowed: {text}")
            for text in entry.loss:
                write(f"      DATA LOSS: {text}")
            for text in entry.notes:
                write(f"      note: {text}")
        for warning in self.warnings:
            write(f"warning: {warning}")
        for text in self.blocking:
            write(f"blocked: {text}")


def _allowed(allow_loss: list[str], labels: tuple[str, ...], name: str | None) -> bool:
    wanted = {item.lower() for item in allow_loss}
    for label in labels:
        key = label.lower() if name is None else f"{label}.{name}".lower()
        if key in wanted:
            return True
    return False


Sampler = Callable[[str], "list[dict[str, Any]] | None"]


def compare(
    manifest: dict[str, Any],
    plan: Plan,
    current: dict[str, Any],
    allow_loss: list[str],
    sampler: Sampler | None = None,
    loaded: set[str] | None = None,
) -> SchemaDiff:
    """Compare the manifest's models with the current models, through the plan.

    Where a transform touches a model, what it does with a removed column cannot be
    read from its declaration: the first rows of the snapshot are run through the
    plan (``sampler`` gives them), and a column still present in what comes out is a
    loss. ``plan`` is spent by this (transforms keep state): restore with a fresh one.
    Sampled rows also tell which columns an edited create function really passes;
    models left out of ``loaded`` (restore.py's LOAD) are reported, not restored.
    """
    from django.apps import apps

    source = {
        "application": (manifest.get("application") or {}).get("name"),
        "version": (manifest.get("application") or {}).get("version"),
    }
    diff = SchemaDiff(
        source=source, current=current, plan=plan.describe(), warnings=list(plan.warnings)
    )
    if (
        source["application"]
        and current.get("application")
        and source["application"] != current["application"]
    ):
        diff.blocking.append(
            f"the snapshot is of application {source['application']!r}, this code is "
            f"{current['application']!r}: not a snapshot of this site"
        )
    seen_targets: set[str] = set()
    for entry in manifest["models"]:
        label = entry["model"]
        types = dict(zip(entry["columns"], entry.get("types") or [None] * len(entry["columns"])))
        if loaded is not None and label not in loaded:
            item = ModelDiff(label, None, entry["rows"], "left out")
            item.notes.append(
                f"left out of LOAD in restore.py: its {entry['rows']} rows are not restored"
            )
            diff.models.append(item)
            diff.warnings.append(
                f"{label}: left out of LOAD in restore.py ({entry['rows']} rows not restored)"
            )
            continue
        # What the create function really passes (restore.py may have been edited).
        sample = sampler(label) if sampler is not None else None
        columns = _columns_seen(sample) or list(entry["columns"])
        fate = plan.fate(label, columns)
        item = ModelDiff(label, fate.label, entry["rows"], "same", migrator=plan.touches(label))
        diff.models.append(item)
        if fate.dropped_by_migrator:
            item.status = "removed"
            item.covered.append(f"model dropped by migrator: {entry['rows']} rows reported")
            continue
        try:
            model = apps.get_model(fate.label) if fate.label else None
        except LookupError:
            model = None
        if model is None:
            item.status, item.target = "removed", None
            if not entry["rows"]:
                item.notes.append("no rows: nothing is lost")
            elif _allowed(allow_loss, (label, fate.label or label), None):
                item.allowed_loss.append("*")
            elif fate.opaque:
                item.covered.append("a transform splits or maps its rows")
            else:
                item.loss.append(f"model removed: its {entry['rows']} rows would be lost")
            continue
        seen_targets.add(model._meta.label)
        leftovers = _leftover_columns(plan, label, model, sample) if fate.opaque else None
        _compare_fields(item, model, entry, fate, types, allow_loss, leftovers)
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.label in seen_targets:
            continue
        if meta.app_label == "contenttypes" and meta.model_name == "contenttype":
            continue
        diff.added_models.append(meta.label)
    for entry in diff.models:
        diff.blocking.extend(f"{entry.model}: {text}" for text in entry.loss)
    return diff


def _columns_seen(sample: list[dict[str, Any]] | None) -> list[str]:
    seen: dict[str, None] = {}
    for row in sample or ():
        seen.update(dict.fromkeys(row))
    return list(seen)


def _leftover_columns(
    plan: Plan, label: str, model: Any, sample: list[dict[str, Any]] | None
) -> set[str] | None:
    """Columns that sampled rows still carry after the plan ran, which the model lacks;
    None when no rows could be sampled."""
    if sample is None:
        return None
    names = {f.attname for f in table_fields(model)}
    leftover: set[str] = set()
    for row in sample:
        for out_label, out_row in plan.run(label, dict(row)):
            if out_label == model._meta.label:
                leftover |= set(out_row) - names
    plan.drops()
    return leftover


def _compare_fields(
    item: ModelDiff,
    model: Any,
    entry: dict[str, Any],
    fate: Any,
    types: dict,
    allow_loss: list[str],
    leftovers: set[str] | None,
) -> None:
    fields = {f.attname: f for f in table_fields(model)}
    labels = (item.model, model._meta.label)
    for name in fate.columns:
        if name in fields:
            old_type, new_type = types.get(name), fields[name].get_internal_type()
            if old_type and old_type != new_type:
                item.retyped.append(f"{name}: {old_type} -> {new_type}")
                if not item.migrator:
                    item.notes.append(
                        f"{name} is converted by the field itself ({new_type}.to_python)"
                    )
            continue
        item.removed.append(name)
        if not entry["rows"]:
            continue
        if _allowed(allow_loss, labels, name):
            item.allowed_loss.append(name)
        elif fate.opaque and leftovers is not None and name not in leftovers:
            item.covered.append(f"{name}: consumed by a transform")
        elif fate.opaque and leftovers is None:
            item.notes.append(f"{name}: a transform may consume it (checked while restoring)")
        else:
            item.loss.append(
                f"field {name} removed: its values in {entry['rows']} rows would be lost"
            )
    for name, new_field in fields.items():
        if name in fate.columns:
            continue
        item.added.append(name)
        if new_field.has_default() or new_field.null or new_field.primary_key:
            continue
        if fate.opaque:
            item.covered.append(f"{name}: new required field, a transform may fill it")
        elif new_field.get_internal_type() in TEXT_TYPES:
            item.notes.append(f"{name}: new required field without a default: gets ''")
        else:
            item.notes.append(
                f"{name}: new required field without a default: each row gets the value the "
                "model's own code gives it (full_clean(), pre_save()), checked while restoring; "
                f"or give one with --set {item.target or item.model}.{name}=VALUE or m.add_field()"
            )
    if item.added or item.removed or item.retyped or item.target != item.model:
        item.status = "changed"
