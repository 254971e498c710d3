"""Checksums of every table's content, comparable across database vendors.

A table's checksum is the sum (mod 2**256) of the SHA-256 of each row, the row written
as a snapshot writes it (ISO datetimes with microseconds, exact Decimal digits, base64
bytes, content types by natural key) with JSON normalised (sorted keys), so that the
same content gives the same checksum on SQLite, PostgreSQL and MariaDB, whatever order
the rows come back in. Any changed, missing or extra row changes it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .snapshot.encoding import columns_of, row_encoder
from .snapshot.models import snapshot_models
from .snapshot.reader import content_type_keys, iter_rows

_MODULUS = 1 << 256


def _canonical_json(columns: list[Any]) -> list[int]:
    return [i for i, c in enumerate(columns) if c.json_text]


def table_checksums(
    alias: str = "default", sqlite_decimals: str = "exact"
) -> dict[str, dict[str, Any]]:
    """Every table's checksum. ``sqlite_decimals`` is how a SQLite decimal column is read:
    ``exact`` (as SQLite stores it) or ``django52`` (rounded to 15 significant digits,
    as Django 5.2 reads it: the rule of checksums recorded by datamig 0.1.0)."""
    from django.db import connections, transaction

    from .snapshot.reader import consistent_read

    result = {}
    dump = json.JSONEncoder(ensure_ascii=False, allow_nan=True, sort_keys=True).encode
    with transaction.atomic(using=alias):
        consistent_read(connections[alias])
        content_types = content_type_keys(alias)
        for model in snapshot_models(alias):
            columns = columns_of(model, generated=True)
            encode = row_encoder(columns, content_types)
            json_columns = _canonical_json(columns)
            total = 0
            rows = 0
            for row in iter_rows(model, columns, alias, sqlite_decimals=sqlite_decimals):
                values = encode(row)
                for index in json_columns:
                    if values[index] is not None:
                        values[index] = json.loads(values[index])
                digest = hashlib.sha256(dump(values).encode("utf-8", "surrogatepass")).digest()
                total = (total + int.from_bytes(digest, "big")) % _MODULUS
                rows += 1
            result[model._meta.db_table] = {
                "model": model._meta.label,
                "rows": rows,
                "sha256": f"{total:064x}",
            }
    return result
