"""Turn the values written in a snapshot's data files back into Python values.

A data file holds each row as JSON-compatible literals (strings, numbers, ``true``,
``false``, ``null``); the ``create_<app>_<model>`` functions of ``restore.py`` pass
typed columns through these converters. Every converter lets ``None`` (SQL NULL)
through unchanged. They are exact: microseconds, offsets and Decimal digits survive.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import uuid
from typing import Any

# JSON spellings of constants, so that a row line is valid Python as well as JSON.
null = None
true = True
false = False
NaN = float("nan")
Infinity = float("inf")

_db_alias = "default"
_content_type_ids: dict[tuple[str, str], int] = {}


def use_database(alias: str) -> None:
    """Set the database alias that ``ct`` resolves content types in."""
    global _db_alias
    _db_alias = alias
    _content_type_ids.clear()


def use_content_types(ids: dict[tuple[str, str], int]) -> None:
    """Content type ids that ``ct`` gives without asking the database: the snapshot's
    own (its natural keys, renamed models included), which the target now has."""
    _content_type_ids.update(ids)


def to_datetime(value: str | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


def to_date(value: str | None) -> datetime.date | None:
    return None if value is None else datetime.date.fromisoformat(value)


def to_time(value: str | None) -> datetime.time | None:
    return None if value is None else datetime.time.fromisoformat(value)


def to_decimal(value: str | None) -> decimal.Decimal | None:
    return None if value is None else decimal.Decimal(value)


def to_uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def to_bytes(value: str | None) -> bytes | None:
    return None if value is None else base64.b64decode(value)


def to_duration(value: int | None) -> datetime.timedelta | None:
    return None if value is None else datetime.timedelta(microseconds=value)


def to_json(value: str | None) -> Any:
    """JSON text -> the model's value. JSON ``null`` becomes Django's JSON-null marker,
    so that it is stored as JSON null and not as SQL NULL."""
    if value is None:
        return None
    decoded = json.loads(value)
    if decoded is None:
        from django.db.models import JSONField, Value

        return Value(None, output_field=JSONField())
    return decoded


def ct(natural_key: list[str] | tuple[str, str] | None) -> int | None:
    """``["app_label", "model"]`` -> the id of that content type in the target database.

    Content types are referred to by natural key because their ids differ between
    databases. A content type the target does not have (a model that no longer exists)
    is created, so that generic relations keep pointing at what they pointed at.
    """
    if natural_key is None:
        return None
    key = (natural_key[0], natural_key[1])
    found = _content_type_ids.get(key)
    if found is None:
        from django.contrib.contenttypes.models import ContentType

        manager = ContentType.objects.db_manager(_db_alias)
        found = manager.get_or_create(app_label=key[0], model=key[1])[0].pk
        _content_type_ids[key] = found
    return found
