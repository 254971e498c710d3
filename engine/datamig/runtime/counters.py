"""Auto-increment counters: kept past the highest id, as the source had them.

A counter is often ahead of the largest id (the newest rows were deleted). Resetting
it to the largest id after a restore would hand out the ids of deleted rows again,
so links, logs and caches that still name them would point at new, different rows.
A snapshot records each counter's last value; a restore raises the target's counter
to it (never lowers it below the largest id).
"""

from __future__ import annotations

from typing import Any

_AUTO = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})


def has_counter(model: Any) -> bool:
    return model._meta.pk.get_internal_type() in _AUTO


def read_counter(connection: Any, model: Any) -> int | None:
    """The last value the table's counter handed out, where the vendor keeps one."""
    if not has_counter(model):
        return None
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
            if cursor.fetchone() is None:
                return None
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            return None if row is None else int(row[0])
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)", [connection.ops.quote_name(table), column]
            )
            sequence = cursor.fetchone()[0]
            if sequence is None:
                return None
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last, called = cursor.fetchone()
            return int(last) if called else int(last) - 1
        if connection.vendor == "mysql":
            cursor.execute(
                "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                [table],
            )
            row = cursor.fetchone()
            return None if row is None or row[0] is None else int(row[0]) - 1
    return None


def raise_counter(connection: Any, model: Any, last: int) -> None:
    """Make the next id at least ``last + 1``. On MySQL this is DDL (an implicit
    commit): call it after the load's transaction."""
    if not has_counter(model) or last < 1:
        return
    table, column = model._meta.db_table, model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last]
                )
            elif int(row[0]) < last:
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, table])
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)", [connection.ops.quote_name(table), column]
            )
            sequence = cursor.fetchone()[0]
            if sequence is not None:
                cursor.execute(
                    f"SELECT setval(%s, GREATEST(%s, (SELECT COALESCE(MAX({quote(column)}), 0) "
                    f"FROM {quote(table)})))",
                    [sequence, last],
                )
        elif connection.vendor == "mysql":
            cursor.execute(f"ALTER TABLE {quote(table)} AUTO_INCREMENT = {int(last) + 1}")
