"""Row makers: stand-ins for model classes that turn keyword arguments into DB rows.

During a restore, every ``create_<app>_<model>`` function of ``restore.py`` still runs
(so that edits to it take effect), but the model class it calls is replaced by a row
maker: instead of a model instance (costly to build, and saving it would run
``save()``, signals and ``auto_now``), it returns a tuple of database-ready values in
the order of the model's own table columns. Columns are matched by name, so a
snapshot column that the current model lacks, or a current field the snapshot lacks,
is known exactly.
"""

from __future__ import annotations

from typing import Any, Callable

from .errors import RestoreFailed

# Field classes whose values pass to the database driver unchanged (for the values a
# snapshot holds: ints, strs, floats, bools). Others go through get_db_prep_save().
_PASS_THROUGH = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "URLField",
        "FloatField",
        "BooleanField",
        "NullBooleanField",
        "FilePathField",
        "IPAddressField",
        "GenericIPAddressField",
    }
)


def _ready_check(field: Any, connection: Any, name: str, env: dict[str, Any]) -> str | None:
    """An expression true when ``name`` already is what get_db_prep_save() would return.

    Only where Django's own preparation is the identity for that Python type on that
    vendor (see the backends' adapt_*_value): PostgreSQL takes dates, times, datetimes,
    Decimals and UUIDs as they are; PostgreSQL and MySQL take Decimals as they are
    (SQLite's go through its own preparer, which refuses a value it would round).
    Skipping Django's generic chain there saves several microseconds per value.
    """
    import datetime
    import decimal
    import uuid

    from django.conf import settings

    internal = value_field(field).get_internal_type()
    env.update(d__datetime=datetime.datetime, d__date=datetime.date, d__time=datetime.time)
    # builtins too under names of their own: a field may be called ``type``
    env.update(d__Decimal=decimal.Decimal, d__UUID=uuid.UUID, d__type=type)
    if internal == "DecimalField" and connection.vendor != "sqlite":
        return f"d__type({name}) is d__Decimal"
    if connection.vendor != "postgresql":
        return None
    if internal == "DateTimeField":
        if settings.USE_TZ:
            return f"(d__type({name}) is d__datetime and {name}.tzinfo is not None)"
        return f"d__type({name}) is d__datetime"
    return {
        "DateField": f"d__type({name}) is d__date",
        "TimeField": f"(d__type({name}) is d__time and {name}.tzinfo is None)",
        "UUIDField": f"d__type({name}) is d__UUID",
    }.get(internal)


class UnknownColumns(RestoreFailed):
    """A create function passed names that the current model has no field for."""

    def __init__(self, label: str, names: list[str]) -> None:
        self.label = label
        self.names = names
        super().__init__(
            f"{label}: rows come with column(s) {', '.join(names)} that the current model has "
            f"no field for (removed or renamed?): write a migrator, or pass --allow-loss "
            f"{label}.{names[0]}"
        )


class LossyValue(RestoreFailed):
    """The target database cannot store a value exactly."""


SQLITE_DECIMAL_DIGITS = 15
_INT64 = (-(2**63), 2**63 - 1)
_MISSING = object()


def value_field(field: Any) -> Any:
    """The field whose type decides how a value is prepared (FKs: the target's)."""
    while getattr(field, "remote_field", None) is not None and hasattr(field, "target_field"):
        field = field.target_field
    return field


def storage_field(field: Any) -> Any:
    """The field that reads and writes a column's values as they are stored.

    A field of a third-party class that converts values on the way out of the
    database (``from_db_value``: Lino's ChoiceListField gives Choice objects, other
    fields turn "" and NULL into one value) is stood in for by a plain Django field of
    the same internal type, so that a snapshot holds, and a restore writes, what the
    database holds. Django's own fields and relations are used as they are.
    """
    if (
        type(field).__module__.startswith("django.")
        or getattr(field, "remote_field", None) is not None
        or not hasattr(field, "from_db_value")
    ):
        return field
    from django.db import models

    cls = getattr(models, field.get_internal_type(), None)
    if (
        not (isinstance(cls, type) and issubclass(cls, models.Field))
        or cls.__module__ == type(field).__module__
    ):
        return field
    kwargs: dict[str, Any] = {"null": field.null}
    if issubclass(cls, models.DecimalField):
        kwargs.update(max_digits=field.max_digits, decimal_places=field.decimal_places)
    plain = cls(**kwargs)
    plain.set_attributes_from_name(field.name)
    plain.column = field.column
    plain.model = field.model
    return plain


def _passes_through(field: Any) -> bool:
    target = value_field(storage_field(field))
    cls = type(target)
    return cls.__module__.startswith("django.") and target.get_internal_type() in _PASS_THROUGH


# Internal types whose values Django's own fields read and write; a snapshot carries
# them as typed values (see datamig.snapshot.encoding).
CORE_TYPES = _PASS_THROUGH | {
    "DateTimeField",
    "DateField",
    "TimeField",
    "DecimalField",
    "UUIDField",
    "BinaryField",
    "DurationField",
    "JSONField",
    "FileField",  # the stored name, a string
    "ImageField",
}


def stored_raw(field: Any) -> bool:
    """True when the column's values are carried as the database driver returns them.

    That is every column whose type Django's core fields do not describe (the
    ``django.contrib.postgres`` fields, a third-party field with a column type of its
    own, a field whose ``from_db_value`` returns an object of its own that no core field
    stands in for): the value read without any converter is what the database stores,
    so writing it back unchanged is exact by construction.
    """
    target = value_field(storage_field(field))
    if getattr(target, "generated", False):
        return False
    if target.get_internal_type() not in CORE_TYPES:
        return True
    return (
        not type(target).__module__.startswith("django.")
        and hasattr(target, "from_db_value")
        and storage_field(target) is target
    )


def migrated_into(model: Any, connection: Any, alias: str | None = None) -> bool:
    """True when ``migrate`` gives the model a table in that database: its vendor and
    features allow it (``required_db_vendor``, ``required_db_features``) and so do the
    site's database routers (a model routed to another alias has no table here).
    ``alias``: the database the routers are asked about, when ``connection`` only
    stands in for it to read features (default: the connection's own)."""
    from django.db import router

    return bool(
        model._meta.can_migrate(connection)
        and router.allow_migrate_model(alias or connection.alias, model)
    )


def table_fields(model: Any) -> list[Any]:
    """The fields a restore writes into the model's own table, in table order.

    Generated columns (``GeneratedField``) are left out: the database computes them."""
    return [f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]


class RowMaker:
    """``make(**attnames)`` returns one DB row tuple for the model's table."""

    def __init__(self, model: Any, connection: Any) -> None:
        self.model = model
        self.label = model._meta.label
        self.table = model._meta.db_table
        self.fields = table_fields(model)
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.missing_seen: set[str] = set()
        self.source = ""  # the generated function's code (see _compile)
        # The plain function, not a bound method: it is what create functions call.
        self.make = self._compile(connection)

    def _compile(self, connection: Any) -> Callable[..., tuple[Any, ...]]:
        """Generate ``make``. Its own names all contain "__", which no Django field
        name can (fields.E002), so no field name collides with them."""
        env: dict[str, Any] = {
            "d__M": _MISSING,
            "d__unknown": self._unknown,
            "d__missing": self._fill,
        }
        params, prologue, items = [], [], []
        for index, field in enumerate(self.fields):
            name = f"d__v{index}"
            params.append(f"{field.attname}=d__M")
            prologue.append(f"    {name} = {field.attname}")
            prologue.append(f"    if {name} is d__M: {name} = d__missing({index})")
            if _passes_through(field) or stored_raw(field):
                items.append(name)
                continue
            env[f"d__p{index}"] = self._preparer(field, connection)
            ready = _ready_check(field, connection, name, env)
            if ready:
                items.append(f"{name} if {name} is None or {ready} else d__p{index}({name})")
            else:
                items.append(f"None if {name} is None else d__p{index}({name})")
        source = (
            f"def make(*, {', '.join(params)}, **d__extra):\n"
            "    if d__extra: d__unknown(d__extra)\n"
            + "\n".join(prologue)
            + f"\n    return ({', '.join(items)},)\n"
        )
        self.source = source
        exec(compile(source, f"<row maker {self.label}>", "exec"), env)
        return env["make"]

    def _preparer(self, field: Any, connection: Any) -> Callable[[Any], Any]:
        field = storage_field(field)
        prepare = field.get_db_prep_save
        if (
            connection.vendor == "sqlite"
            and value_field(field).get_internal_type() == "DecimalField"
        ):
            return self._sqlite_decimal(field, connection)

        def prepared(value: Any) -> Any:
            return prepare(value, connection)

        return prepared

    def _sqlite_decimal(self, field: Any, connection: Any) -> Callable[[Any], Any]:
        """SQLite stores decimals as floating point: refuse a value it would round.

        A whole number of up to 19 digits is written as an int, which SQLite keeps as an
        INTEGER exactly (as text, it would go through a float first)."""
        prepare = field.get_db_prep_save
        label = f"{self.label}.{field.name}"

        def prepared(value: Any) -> Any:
            if (
                value.is_finite()
                and len(value.normalize().as_tuple().digits) > SQLITE_DECIMAL_DIGITS
            ):
                if value == value.to_integral_value() and _INT64[0] <= value <= _INT64[1]:
                    return int(value)
                raise LossyValue(
                    f"{label}: {value} has more than {SQLITE_DECIMAL_DIGITS} significant digits, "
                    "which SQLite cannot store exactly (it keeps decimals as floating point); "
                    "restore into PostgreSQL or MariaDB, or round the value in restore.py"
                )
            return prepare(value, connection)

        return prepared

    def _unknown(self, extra: dict[str, Any]) -> None:
        raise UnknownColumns(self.label, sorted(extra))

    def _fill(self, index: int) -> Any:
        """A field the snapshot has no value for: its default (a new field)."""
        field = self.fields[index]
        self.missing_seen.add(field.attname)
        return field.get_default()
