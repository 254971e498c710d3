"""What differs between database vendors: creating and dropping a database, telling
whether it holds data, and writing many rows fast (executemany, or COPY on PostgreSQL).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from .errors import DatabaseUnreachable

# Tables that ``migrate`` fills by itself (post_migrate handlers): a freshly migrated
# database has rows there and is still "empty" for a restore.
MIGRATE_SEEDED_TABLES = frozenset({"django_content_type", "auth_permission"})


class SiteDatabase:
    """One database alias of the current settings: a snapshot source or a restore target."""

    def __init__(self, alias: str = "default") -> None:
        from django.db import connections

        self.alias = alias
        self.connection = connections[alias]
        self.vendor = self.connection.vendor
        self.name = self.connection.settings_dict["NAME"]

    # -- existence ----------------------------------------------------------------
    def describe(self) -> str:
        return f"{self.vendor} database {self.name!r}"

    def check_server(self) -> None:
        """Raise DatabaseUnreachable unless the server (or SQLite's folder) answers."""
        if self.vendor == "sqlite":
            folder = os.path.dirname(os.path.abspath(str(self.name)))
            if not os.path.isdir(folder):
                raise DatabaseUnreachable(f"SQLite folder {folder} does not exist")
            return
        try:
            with self.connection._nodb_cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:
            raise DatabaseUnreachable(
                f"cannot reach the {self.vendor} server for {self.name!r}: {_first_line(exc)}"
            ) from None

    def exists(self) -> bool:
        if self.vendor == "sqlite":
            path = str(self.name)
            return path == ":memory:" or (os.path.exists(path) and os.path.getsize(path) > 0)
        query = {
            "postgresql": "SELECT 1 FROM pg_database WHERE datname = %s",
            "mysql": "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        }.get(self.vendor)
        if query is None:
            self.connection.ensure_connection()
            return True
        with self.connection._nodb_cursor() as cursor:
            cursor.execute(query, [self.name])
            return cursor.fetchone() is not None

    def size_bytes(self) -> int:
        """Bytes the database takes on its server (SQLite: its file), 0 if it does not exist."""
        if self.vendor == "sqlite":
            path = str(self.name)
            return os.path.getsize(path) if os.path.exists(path) else 0
        if not self.exists():
            return 0
        query = {
            "postgresql": "SELECT pg_database_size(%s)",
            "mysql": (
                "SELECT COALESCE(SUM(data_length + index_length), 0) "
                "FROM information_schema.TABLES WHERE table_schema = %s"
            ),
        }[self.vendor]
        with self.connection._nodb_cursor() as cursor:
            cursor.execute(query, [self.name])
            return int(cursor.fetchone()[0])

    def create(self) -> None:
        quoted = self.connection.ops.quote_name(self.name)
        if self.vendor == "sqlite":
            # a new file is made here, 0600 (a database holds every user's data, like the
            # snapshot): connecting would create it with the umask's mode (0644)
            if str(self.name) != ":memory:":
                try:
                    os.close(os.open(str(self.name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                except FileExistsError:  # an empty file already there (a site's own
                    pass  # database, recovered into): used as it is, mode and owner kept
            return
        if self.vendor == "postgresql":
            sql = f"CREATE DATABASE {quoted} ENCODING 'UTF8' TEMPLATE template0"
        elif self.vendor == "mysql":
            charset = self.connection.settings_dict.get("OPTIONS", {}).get("charset", "utf8mb4")
            sql = f"CREATE DATABASE {quoted} CHARACTER SET {charset}"
        else:
            raise DatabaseUnreachable(f"cannot create databases on {self.vendor}")
        with self.connection._nodb_cursor() as cursor:
            cursor.execute(sql)

    def drop(self) -> None:
        """Remove a database this restore created (after a failure)."""
        self.connection.close()
        if self.vendor == "sqlite":
            for suffix in ("", "-journal", "-wal", "-shm"):
                try:
                    os.remove(f"{self.name}{suffix}")
                except FileNotFoundError:
                    pass
            return
        quoted = self.connection.ops.quote_name(self.name)
        with self.connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")

    # -- content ------------------------------------------------------------------
    def existing_tables(self) -> set[str]:
        with self.connection.cursor() as cursor:
            return set(self.connection.introspection.table_names(cursor))

    def tables_with_rows(self, tables: Iterable[str]) -> list[str]:
        present = self.existing_tables()
        found = []
        quote = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for table in sorted(set(tables) & present):
                cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
                if cursor.fetchone() is not None:
                    found.append(table)
        return found

    def delete_rows(self, tables: Iterable[str]) -> None:
        quote = self.connection.ops.quote_name
        present = self.existing_tables()
        with self.connection.cursor() as cursor:
            for table in tables:
                if table in present:
                    cursor.execute(f"DELETE FROM {quote(table)}")

    def row_count(self, table: str) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {self.connection.ops.quote_name(table)}")
            return int(cursor.fetchone()[0])

    # -- fast writing ---------------------------------------------------------------
    def insert_rows(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """Insert rows as they are: no save(), no signals, no auto_now."""
        quote = self.connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        raw = self.connection.connection
        if self.vendor == "postgresql" and hasattr(raw, "pgconn"):  # psycopg 3
            sql = f"COPY {quote(table)} ({names}) FROM STDIN"
            with self.connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(columns))
            raw.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)
            return
        marks = ", ".join(["%s"] * len(columns))
        with self.connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)

    def insert_one(self, table: str, columns: Sequence[str], row: tuple) -> None:
        """One row through the ordinary driver path (used to find a failing row)."""
        quote = self.connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        with self.connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", list(row))

    def suspend_indexes_and_foreign_keys(self, tables: Sequence[str]) -> list[str]:
        """PostgreSQL: drop the plain indexes and foreign keys of ``tables`` for the
        load, as pg_restore loads before it indexes; returns the SQL that puts them
        back (foreign keys are then checked in bulk, at once). Primary keys and unique
        constraints stay, so duplicates are still refused row by row. All of it is
        transactional: a failed restore gets them back with the rollback."""
        if self.vendor != "postgresql" or not tables:
            return []
        quote = self.connection.ops.quote_name
        names = [quote(t) for t in tables]
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[]) "
                "ORDER BY 1, 2",
                [names],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY 1",
                [names],
            )
            indexes = cursor.fetchall()
            for table, name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
            for index, _definition in indexes:
                cursor.execute(f"DROP INDEX {index}")
        return [definition for _index, definition in indexes] + [
            f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
            for table, name, definition in foreign_keys
        ]

    def run_statements(self, statements: Sequence[str]) -> None:
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def reset_sequences(self, models: Sequence[Any]) -> None:
        from django.core.management.color import no_style

        statements = self.connection.ops.sequence_reset_sql(no_style(), list(models))
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
