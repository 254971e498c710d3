"""Show how a restored database differs from its source, a few rows per table.

Checksums say *that* a table differs; this says *how*: it walks the source and the
restored table side by side in primary-key order and prints (JSON) the first rows
whose values differ, with a guess at the cause ("microseconds truncated to milliseconds"). Run it as a
child process with the environment pointing the site's settings at the source:

    python rowdiff.py --target NAME TABLE [TABLE ...]

It stops after ``--examples`` differing rows per table, so it costs little when the
difference is everywhere (the usual case) and one pass when it is rare.
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections import Counter
from collections.abc import Iterator
from itertools import zip_longest
from typing import Any

CHUNK = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", required=True, help="NAME of the restored database")
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("tables", nargs="+")
    args = parser.parse_args()
    _add_target_alias(args.target)
    print(json.dumps(diff_tables(args.tables, args.examples), default=repr))


def _add_target_alias(name: str) -> None:
    """A second alias for the restored database, before Django opens any connection."""
    import django
    from django.conf import settings

    target = dict(settings.DATABASES["default"])
    target["NAME"] = name
    settings.DATABASES["restored"] = target
    django.setup()


def diff_tables(tables: list[str], examples: int) -> dict[str, Any]:
    from django.apps import apps

    models = {}
    for model in apps.get_models(include_auto_created=True):
        models.setdefault(model._meta.db_table, model)
    return {
        table: _diff_model(models[table], examples) if table in models else {"error": "no model"}
        for table in tables
    }


def _rows(model: Any, alias: str, fields: list[str]) -> Iterator[tuple]:
    query = model._default_manager.using(alias).order_by("pk").values_list(*fields)
    return query.iterator(chunk_size=CHUNK)


def _diff_model(model: Any, examples: int) -> dict[str, Any]:
    fields = [f.attname for f in model._meta.concrete_fields]
    if model._meta.auto_created:
        return _diff_pairs(model, fields)
    found: list[dict[str, Any]] = []
    causes: set[str] = set()
    for source, restored in zip_longest(
        _rows(model, "default", fields), _rows(model, "restored", fields)
    ):
        if source == restored:
            continue
        example = _describe(fields, source, restored, model._meta.auto_created)
        causes.update(c["cause"] for c in example["columns"])
        found.append(example)
        if len(found) >= examples:
            break
    return {"causes": sorted(causes), "examples": found}


def _diff_pairs(model: Any, fields: list[str]) -> dict[str, Any]:
    """An automatic M2M table: Django's serializers do not keep its ids, so compare the
    pairs it holds (small enough to count in memory: this is a diagnosis, not measured)."""
    pairs = fields[1:]
    source = Counter(_rows(model, "default", pairs))
    restored = Counter(_rows(model, "restored", pairs))
    if source == restored:
        return {"causes": ["automatic M2M ids renumbered (same pairs)"], "examples": []}
    missing, extra = source - restored, restored - source
    return {
        "causes": ["automatic M2M pairs differ"],
        "missing": sum(missing.values()),
        "extra": sum(extra.values()),
        "examples": [list(p) for p in list(missing)[:3]],
    }


def _describe(fields: list[str], source: Any, restored: Any, automatic: bool) -> dict[str, Any]:
    if source is None or restored is None:
        row = source if restored is None else restored
        side = "source" if restored is None else "restored"
        return {"pk": row[0], "columns": [{"column": "*", "cause": f"row only in {side}"}]}
    if source[0] != restored[0]:
        cause = "automatic M2M rows renumbered" if automatic else "primary keys differ"
        return {"pk": source[0], "columns": [{"column": "pk", "cause": cause}]}
    columns = []
    for name, old, new in zip(fields, source, restored):
        if old != new:
            columns.append(
                {
                    "column": name,
                    "source": repr(old),
                    "restored": repr(new),
                    "cause": _cause(old, new),
                }
            )
    return {"pk": source[0], "columns": columns}


def _cause(old: Any, new: Any) -> str:
    temporal = (datetime.datetime, datetime.time)
    if isinstance(old, temporal) and isinstance(new, temporal):
        if old.replace(microsecond=old.microsecond // 1000 * 1000) == new:
            return "microseconds truncated to milliseconds"
        if old.replace(microsecond=new.microsecond) == new:
            return "sub-second part changed"
    if isinstance(old, str) and isinstance(new, str) and old.strip() == new.strip():
        return "whitespace changed"
    return "value differs"


if __name__ == "__main__":
    main()
