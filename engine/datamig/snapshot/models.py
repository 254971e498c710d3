"""Which models a snapshot holds, and the order they load in."""

from __future__ import annotations

from typing import Any

from ..runtime.rows import migrated_into


def is_content_type(model: Any) -> bool:
    meta = model._meta
    return meta.app_label == "contenttypes" and meta.model_name == "contenttype"


def snapshot_models(alias: str = "default") -> list[Any]:
    """Every model with a table of its own that the current database holds.

    Proxy and unmanaged models have no table of their own to restore. Content types
    are left out: the target's ``migrate`` creates them, and rows refer to them by
    natural key. Automatic many-to-many tables are included (Lino loses them).
    """
    from django.apps import apps
    from django.db import connections

    connection = connections[alias]
    chosen = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or is_content_type(model):
            continue
        if not migrated_into(model, connection):
            continue
        chosen.append(model)
    return load_order(chosen)


def dependencies(model: Any, among: set[Any]) -> set[Any]:
    """Models that ``model``'s table points to (foreign keys, parent links)."""
    found = set()
    for field in model._meta.local_concrete_fields:
        remote = getattr(field, "remote_field", None)
        target = getattr(remote, "model", None)
        if target in among and target is not model:
            found.add(target)
    return found


def load_order(models: list[Any]) -> list[Any]:
    """Models after the models they point to; a cycle is broken at its smallest
    number of unmet dependencies, then by label, so the order is deterministic."""
    remaining = sorted(models, key=lambda m: m._meta.label_lower)
    pool = set(remaining)
    needs = {m: dependencies(m, pool) for m in remaining}
    ordered: list[Any] = []
    done: set[Any] = set()
    while remaining:
        ready = [m for m in remaining if needs[m] <= done]
        if not ready:
            ready = [min(remaining, key=lambda m: (len(needs[m] - done), m._meta.label_lower))]
        for model in ready:
            ordered.append(model)
            done.add(model)
        remaining = [m for m in remaining if m not in done]
    return ordered


def cycles_note(models: list[Any]) -> list[str]:
    """Models loaded before something they point to (caught in foreign-key cycles)."""
    seen: set[Any] = set()
    pool = set(models)
    notes = []
    for model in models:
        early = dependencies(model, pool) - seen
        if early:
            names = ", ".join(sorted(m._meta.label for m in early))
            notes.append(f"{model._meta.label} -> {names}")
        seen.add(model)
    return notes


def left_alone(alias: str = "default") -> list[dict[str, str]]:
    """What a snapshot does not carry, and why: tables of unmanaged models (the site
    keeps them up itself) and columns of a model's table that no field describes."""
    from django.apps import apps
    from django.db import connections

    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        found = []
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if meta.proxy or meta.db_table not in tables:
                continue
            if not meta.managed:
                found.append(
                    {
                        "model": meta.label,
                        "table": meta.db_table,
                        "reason": "unmanaged model (managed = False): its table is left alone",
                    }
                )
                continue
            if not migrated_into(model, connection) or is_content_type(model):
                continue
            known = {f.column for f in meta.local_concrete_fields}
            # the columns the table has (cheaper than the introspection's description)
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(meta.db_table)} WHERE 1 = 0")
            unknown = sorted(c[0] for c in cursor.description if c[0] not in known)
            if unknown:
                found.append(
                    {
                        "model": meta.label,
                        "table": meta.db_table,
                        "reason": f"column(s) {', '.join(unknown)} that no field describes: "
                        "left alone (a restore gives them their database default)",
                    }
                )
    return sorted(found, key=lambda item: item["model"])
