"""Read a model's rows in primary-key order, a page at a time.

Keyset pagination (``pk > last ORDER BY pk LIMIT n``) keeps memory bounded on every
vendor (MySQL's client would otherwise buffer a whole table) and, inside the
snapshot's repeatable-read transaction, sees one consistent state.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from typing import Any

from .encoding import Column

PAGE_ROWS = 5000
# How a SQLite decimal column is read (see sqlite_decimal): "exact" always, except to
# compare with checksums recorded by datamig 0.1.0 under Django 5.2 ("django52").
SQLITE_DECIMAL_RULES = ("exact", "django52")


def iter_rows(
    model: Any,
    columns: list[Column],
    alias: str,
    page: int = PAGE_ROWS,
    sqlite_decimals: str = "exact",
) -> Iterator[tuple]:
    from django.db import connections
    from django.db.models import ExpressionWrapper, F, Field, TextField
    from django.db.models.functions import Cast

    from ..runtime.rows import storage_field

    sqlite = connections[alias].vendor == "sqlite"
    names, annotations = [], {}
    for index, column in enumerate(columns):
        wide = sqlite_decimal(column.field, sqlite_decimals) if sqlite and not column.raw else None
        if wide is not None:  # read as SQLite stores it, not through Django's float
            key = f"datamig_decimal_{index}"
            annotations[key] = ExpressionWrapper(F(column.field.name), output_field=wide)
            names.append(key)
        elif column.json_text:
            key = f"datamig_json_{index}"
            annotations[key] = Cast(F(column.field.name), output_field=TextField())
            names.append(key)
        elif column.raw:  # no converter at all: the driver's value
            key = f"datamig_raw_{index}"
            annotations[key] = ExpressionWrapper(F(column.field.name), output_field=Field())
            names.append(key)
        elif storage_field(column.field) is not column.field:  # read as stored
            key = f"datamig_raw_{index}"
            plain = storage_field(column.field)
            annotations[key] = ExpressionWrapper(F(column.field.name), output_field=plain)
            names.append(key)
        else:
            names.append(column.attname)
    attnames = [c.attname for c in columns]
    # A composite primary key (Django 5.2) pages on its tuple of columns.
    pk_fields = getattr(model._meta, "pk_fields", None) or [model._meta.pk]
    pk_index = [attnames.index(f.attname) for f in pk_fields]
    query = model._base_manager.using(alias).order_by(*(f.attname for f in pk_fields))
    if annotations:
        query = query.annotate(**annotations)
    query = query.values_list(*names)
    last = None
    while True:
        current = query if last is None else query.filter(pk__gt=last)
        rows = list(current[:page])
        yield from rows
        if len(rows) < page:
            return
        key = tuple(rows[-1][i] for i in pk_index)
        last = key if len(key) > 1 else key[0]


_FLOAT_DIGITS = decimal.Context(prec=15)


def sqlite_decimal(field: Any, rule: str = "exact") -> Any:
    """For a decimal column (or a key to one), a field that reads its SQLite values exactly.

    SQLite keeps a decimal as INTEGER when its value is a whole number of up to 19
    digits, as REAL (a float, 15 significant digits) otherwise. Django 5.2 reads both
    through float and so rounds such an INTEGER to 15 digits; Django 6.1 reads it
    exactly. This reads it as 6.1 does, whichever Django runs: the snapshot and the
    checksum of one database are the same under both, and no digit is lost.

    ``rule="django52"`` reads every value as Django 5.2 does (INTEGERs through a
    15-digit float context too), under either Django.
    """
    if rule not in SQLITE_DECIMAL_RULES:
        raise ValueError(f"unknown SQLite decimal rule {rule!r}: one of {SQLITE_DECIMAL_RULES}")
    exact = rule == "exact"
    from django.db.models import Field

    from ..runtime.rows import storage_field, value_field

    target = value_field(storage_field(field))
    target = getattr(target, "output_field", target)  # GeneratedField: what it holds
    if target.get_internal_type() != "DecimalField":
        return None
    places = target.decimal_places
    quantum = None if places is None else decimal.Decimal(1).scaleb(-places)
    context = target.context

    class SQLiteDecimal(Field):
        def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, str) or (exact and isinstance(value, int)):
                number = decimal.Decimal(value)
            else:
                number = _FLOAT_DIGITS.create_decimal_from_float(value)
            return number if quantum is None else number.quantize(quantum, context=context)

    return SQLiteDecimal()


def content_type_keys(alias: str) -> dict[int, list[str]]:
    """Content type id -> [app_label, model] in the source database."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.contenttypes"):
        return {}
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    from ..runtime.rows import migrated_into

    if not migrated_into(ContentType, connections[alias]):  # routed to another database
        return {}
    rows = ContentType.objects.using(alias).values_list("pk", "app_label", "model")
    return {pk: [app_label, name] for pk, app_label, name in rows}


def consistent_read(connection: Any) -> None:
    """Make the current transaction see one snapshot of the whole database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    elif connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
