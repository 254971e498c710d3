"""How each column's values are written into data files, and read back.

A value is written as a JSON literal (so that the engine can parse a row line with
``json.loads``) that is also a Python literal. Types JSON lacks are written as strings
(ISO dates and times, Decimal digits, base64 bytes, UUIDs, JSON text) and turned back by
a converter of ``datamig.runtime.values`` that ``restore.py``'s create functions call.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Callable

from ..runtime.raw import RawValueError, encode_raw, kinds_in
from ..runtime.rows import storage_field, stored_raw, table_fields, value_field

Encoder = Callable[[Any], Any]


def _datetime(value: datetime.datetime) -> str:
    return value.isoformat(" ")


def _isoformat(value: Any) -> str:
    return value.isoformat()


def _text(value: Any) -> str:
    return str(value)


def _bytes(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _duration(value: datetime.timedelta) -> int:
    return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds


# internal type -> (encoder, name of the converter in restore.py)
_BY_TYPE: dict[str, tuple[Encoder, str]] = {
    "DateTimeField": (_datetime, "to_datetime"),
    "DateField": (_isoformat, "to_date"),
    "TimeField": (_isoformat, "to_time"),
    "DecimalField": (_text, "to_decimal"),
    "UUIDField": (_text, "to_uuid"),
    "BinaryField": (_bytes, "to_bytes"),
    "DurationField": (_duration, "to_duration"),
    "JSONField": (_text, "to_json"),
}


@dataclass
class Column:
    """One column of a model's table as a snapshot writes it."""

    field: Any
    attname: str
    encoder: Encoder | None  # None: the value is written as it is
    converter: str | None  # the restore.py function that reads it back
    content_type: bool = False  # a foreign key to ContentType, written as natural key
    json_text: bool = False  # read as the database's JSON text, not decoded
    raw: bool = False  # read as the driver returns it (datamig.runtime.raw)
    # raw columns: each kind of value seen -> the first such value, as written
    kinds: dict[str, Any] = dataclass_field(default_factory=dict)

    def record(self, value: Any) -> Any:
        """A raw value's JSON form, noting its kinds on the way."""
        try:
            encoded = encode_raw(value)
        except RawValueError as exc:
            raise RawValueError(f"field {self.field.name}: {exc}") from None
        for kind in kinds_in(value):
            if kind not in self.kinds:
                self.kinds[kind] = encoded
        return encoded


def column_of(field: Any) -> Column:
    from .models import is_content_type

    remote = getattr(field, "remote_field", None)
    if remote is not None and is_content_type(remote.model) and field.concrete:
        return Column(field, field.attname, None, "ct", content_type=True)
    if stored_raw(field):
        column = Column(field, field.attname, None, "to_raw", raw=True)
        column.encoder = column.record
        return column
    internal = value_field(storage_field(field)).get_internal_type()
    encoder, converter = _BY_TYPE.get(internal, (None, None))
    return Column(
        field,
        field.attname,
        encoder,
        converter,
        json_text=internal == "JSONField" and remote is None,
    )


def columns_of(model: Any, generated: bool = False) -> list[Column]:
    """The columns a snapshot writes; with ``generated``, also the generated columns
    (the database computes them: a checksum reads them, a restore never writes them)."""
    fields = model._meta.local_concrete_fields if generated else table_fields(model)
    return [column_of(f) for f in fields]


_PLAIN = (str, int, float, bool)


def row_encoder(
    columns: list[Column], content_types: dict[int, list[str]]
) -> Callable[[tuple], list]:
    """A function turning one fetched row into the list that is written as JSON."""
    env: dict[str, Any] = {"_ct": content_types, "_check": _checked}
    items = []
    for index, column in enumerate(columns):
        name = f"r[{index}]"
        if column.content_type:
            items.append(f"None if {name} is None else _ct[{name}]")
        elif column.encoder is not None:
            env[f"e{index}"] = column.encoder
            items.append(f"None if {name} is None else e{index}({name})")
        else:
            items.append(f"_check({name}, {index})")
    source = f"def encode(r):\n    return [{', '.join(items)}]\n"
    exec(compile(source, "<row encoder>", "exec"), env)
    return env["encode"]


def _checked(value: Any, index: int) -> Any:
    """Plain values pass; anything else would not survive the round trip: refuse."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, _PLAIN):  # subclasses of str/int (e.g. enum values)
        return value
    raise TypeError(f"column {index}: cannot write a {type(value).__name__} value exactly")
