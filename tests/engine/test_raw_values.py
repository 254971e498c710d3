"""Raw values (datamig.runtime.raw): the JSON form turns back into the driver's value."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

import pytest
from psycopg.types.range import Range

from datamig.runtime.raw import RawValueError, cannot_cross, encode_raw, kinds_in, to_raw

UTC = datetime.timezone.utc
VALUES = [
    "text",
    "",
    7,
    -(2**63),
    2.5,
    True,
    b"\x00\xff",
    decimal.Decimal("-1.500"),
    datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime.datetime(2026, 1, 2, 3, 4, 5, 6),
    datetime.date(2026, 12, 31),
    datetime.time(23, 59, 59, 999999),
    datetime.timedelta(days=-1, microseconds=3),
    uuid.UUID(int=12345),
    [1, None, [2, 3]],
    [decimal.Decimal("1.0"), datetime.date(2026, 1, 1)],
    {"k": "v", "none": None, "": ""},
    {"dict": "a map whose only key is a kind's name"},
    Range(1, 10, "[)"),
    Range(decimal.Decimal("0.5"), None, "(]"),
    Range(empty=True),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_json_form_turns_back_into_the_same_value(value):
    written = json.dumps(encode_raw(value))
    back = to_raw(json.loads(written))
    assert back == value
    assert type(back) is type(value) or isinstance(value, Range)


def test_kinds_of_nested_values_are_all_named():
    assert kinds_in([datetime.date(2026, 1, 1), None]) == {"list", "date"}
    assert kinds_in(Range(decimal.Decimal(1), None)) == {"range", "decimal"}
    assert kinds_in(None) == set()


def test_an_unknown_driver_value_is_refused_with_its_type():
    class Geometry:
        pass

    with pytest.raises(RawValueError, match="cannot write a Geometry value exactly"):
        encode_raw(Geometry())


def test_only_portable_kinds_cross_vendors():
    kinds = {"text": "a", "list": [1], "range": {"range": "empty"}, "decimal": {"decimal": "1"}}
    assert cannot_cross(kinds, "postgresql", "mysql") == ["list", "range"]
    assert cannot_cross(kinds, "postgresql", "postgresql") == []
