"""Values carried as the database stores them, for columns no core Django field describes.

A column of ``django.contrib.postgres`` (arrays, hstore, ranges) or of a third-party
field with a column type or a Python value of its own is read without any converter:
what the driver returns is what the database stores, and writing it back unchanged
is exact by construction. Such a value is written as JSON: strings, numbers, booleans
and lists as they are; everything else as a one-key object naming its kind
(``{"decimal": "1.50"}``, ``{"date": "2026-01-31"}``, ``{"dict": {...}}``,
``{"range": [lower, upper, "[)"]}`` ...), which ``to_raw`` turns back into the value.

Each value has a *kind*; a snapshot's manifest lists the kinds each raw column holds,
so that a restore into another vendor is refused, before anything is written, when a
kind cannot cross (an array, a key-value map or a range exists only on PostgreSQL).
"""

from __future__ import annotations

import base64
import datetime
import decimal
import ipaddress
import uuid
from typing import Any

# Kinds any vendor stores as they are (a column of the same declared type).
PORTABLE_KINDS = frozenset(
    {"text", "int", "float", "bool", "bytes", "decimal", "date", "time", "datetime", "uuid"}
)


_INET = (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Network, ipaddress.IPv6Network)


class RawValueError(TypeError):
    """A driver value of a type no kind describes: it cannot be written exactly."""


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(value, decimal.Decimal):
        return "decimal"
    if isinstance(value, datetime.datetime):
        return "datetime"
    if isinstance(value, datetime.date):
        return "date"
    if isinstance(value, datetime.time):
        return "time"
    if isinstance(value, datetime.timedelta):
        return "duration"
    if isinstance(value, uuid.UUID):
        return "uuid"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, _INET):
        return "inet"
    if hasattr(value, "isempty") and hasattr(value, "lower") and hasattr(value, "upper"):
        return "range"
    raise RawValueError(f"cannot write a {type(value).__name__} value exactly: {value!r:.80}")


def encode_raw(value: Any) -> Any:
    """A driver value -> its JSON form (see the module's docstring)."""
    if value is None:
        return None
    kind = kind_of(value)
    if kind in ("bool", "int", "float", "text"):
        return value
    if kind == "list":
        return [encode_raw(item) for item in value]
    if kind == "dict":
        return {"dict": {str(key): encode_raw(item) for key, item in value.items()}}
    if kind == "bytes":
        return {"bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if kind == "datetime":
        return {"datetime": value.isoformat(" ")}
    if kind in ("date", "time"):
        return {kind: value.isoformat()}
    if kind == "duration":
        microseconds = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
        return {"duration": microseconds}
    if kind == "range":
        if value.isempty:
            return {"range": "empty"}
        bounds = getattr(value, "bounds", None) or getattr(value, "_bounds", "[)")
        return {"range": [encode_raw(value.lower), encode_raw(value.upper), bounds]}
    return {kind: str(value)}  # decimal, uuid, inet


def kinds_in(value: Any) -> set[str]:
    """The kinds of a driver value and of what it holds (a list of dates: list, date)."""
    if value is None:
        return set()
    kind = kind_of(value)
    found = {kind}
    if kind == "list":
        for item in value:
            found |= kinds_in(item)
    elif kind == "dict":
        for item in value.values():
            found |= kinds_in(item)
    elif kind == "range" and not value.isempty:
        found |= kinds_in(value.lower) | kinds_in(value.upper)
    return found


def to_raw(value: Any) -> Any:
    """The JSON form of a raw value -> the value the driver writes back."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [to_raw(item) for item in value]
    ((kind, payload),) = value.items()
    if kind == "dict":
        return {key: to_raw(item) for key, item in payload.items()}
    if kind == "bytes":
        return base64.b64decode(payload)
    if kind == "datetime":
        return datetime.datetime.fromisoformat(payload)
    if kind == "date":
        return datetime.date.fromisoformat(payload)
    if kind == "time":
        return datetime.time.fromisoformat(payload)
    if kind == "duration":
        return datetime.timedelta(microseconds=payload)
    if kind == "decimal":
        return decimal.Decimal(payload)
    if kind == "uuid":
        return uuid.UUID(payload)
    if kind == "inet":
        return payload  # the database parses its own text form
    if kind == "range":
        return _range(payload)
    raise ValueError(f"unknown kind of raw value {kind!r}")


def _range(payload: Any) -> Any:
    try:
        from psycopg.types.range import Range
    except ImportError:  # pragma: no cover - psycopg2 sites
        from psycopg2.extras import Range  # type: ignore[no-redef]
    if payload == "empty":
        return Range(empty=True)
    lower, upper, bounds = payload
    return Range(to_raw(lower), to_raw(upper), bounds)


def cannot_cross(kinds: dict[str, Any], source_vendor: str, target_vendor: str) -> list[str]:
    """Kinds of a raw column (kind -> an example value) that the target cannot hold."""
    if source_vendor == target_vendor:
        return []
    return sorted(kind for kind in kinds if kind not in PORTABLE_KINDS)


def refusals(manifest: dict[str, Any], target_vendor: str) -> list[str]:
    """Each raw column of the snapshot holding values the target vendor cannot store,
    named with its model, field and a value (checked before anything is written)."""
    source_vendor = manifest.get("vendor") or target_vendor
    found = []
    for entry in manifest.get("models", []):
        for attname, kinds in (entry.get("raw") or {}).items():
            for kind in cannot_cross(kinds, source_vendor, target_vendor):
                shown = repr(kinds[kind])
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                found.append(
                    f"{entry['model']}.{attname}: holds {kind} values (e.g. {shown}) that only "
                    f"{source_vendor} stores; {target_vendor} cannot hold them exactly: "
                    f"restore into {source_vendor}, or convert them in restore.py"
                )
    return found
