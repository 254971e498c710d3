"""The database servers a benchmark runs against: naming, creating and dropping databases.

Every database a run creates is registered here and dropped by ``drop_all`` (called
from a ``finally``), so an interrupted or failing run leaves nothing behind.
Server databases are named ``dmbench_<pid>_<label>``; SQLite databases are files in
the run's temporary folder.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
MYSQL = {"host": "127.0.0.1", "port": "3306", "user": "root"}
PREFIX = "dmbench_"


class Backend:
    """One database vendor. Subclasses say how to create and drop a database."""

    vendor = ""
    label = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.created: list[str] = []

    def name_for(self, label: str) -> str:
        """A database name (a file path for SQLite) that no other run uses."""
        safe = re.sub(r"[^a-z0-9_]", "_", label.lower())
        return f"{PREFIX}{os.getpid()}_{safe}"

    def create_command(self, name: str) -> list[str] | None:
        """The command that creates an empty database (None: nothing to do, SQLite)."""
        raise NotImplementedError

    def create(self, name: str) -> None:
        """Create an empty database (one that ``migrate`` or a reload can fill)."""
        self.register(name)
        command = self.create_command(name)
        if command:
            _check(command)

    def register(self, name: str) -> None:
        """Remember a database that some tool creates, so that ``drop_all`` drops it."""
        if name not in self.created:
            self.created.append(name)

    def drop(self, name: str) -> None:
        raise NotImplementedError

    def drop_all(self) -> list[str]:
        """Drop every registered database; return the errors (cleanup must not stop)."""
        errors = []
        for name in reversed(self.created):
            try:
                self.drop(name)
            except Exception as exc:
                errors.append(f"{name}: {exc}")
        self.created.clear()
        return errors

    def version(self) -> str:
        raise NotImplementedError


class SQLite(Backend):
    vendor = "sqlite"
    label = "SQLite"

    def name_for(self, label: str) -> str:
        return str(self.workdir / f"{super().name_for(label)}.sqlite3")

    def create_command(self, name: str) -> list[str] | None:
        return None  # the file appears on first connection

    def drop(self, name: str) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)

    def version(self) -> str:
        cli = _output(["sqlite3", "--version"]).split()[0]
        import sqlite3

        return f"sqlite3 CLI {cli}, Python's sqlite3 library {sqlite3.sqlite_version}"


def pg_args() -> list[str]:
    return ["-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]


class PostgreSQL(Backend):
    vendor = "postgresql"
    label = "PostgreSQL"

    def create_command(self, name: str) -> list[str] | None:
        return ["createdb", *pg_args(), name]

    def drop(self, name: str) -> None:
        _check(["dropdb", *pg_args(), "--if-exists", "--force", name])

    def version(self) -> str:
        server = _output(["psql", *pg_args(), "-Atc", "SHOW server_version", "postgres"])
        return f"PostgreSQL server {server.split()[0]}, {_output(['pg_dump', '--version'])}"


def mysql_args() -> list[str]:
    return ["-h", MYSQL["host"], "-P", MYSQL["port"], "-u", MYSQL["user"]]


class MySQL(Backend):
    vendor = "mysql"
    label = "MariaDB"

    def create_command(self, name: str) -> list[str] | None:
        sql = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        return ["mariadb", *mysql_args(), "-e", sql]

    def drop(self, name: str) -> None:
        _check(["mariadb", *mysql_args(), "-e", f"DROP DATABASE IF EXISTS `{name}`"])

    def version(self) -> str:
        server = _output(["mariadb", *mysql_args(), "-N", "-e", "SELECT VERSION()"])
        return f"MariaDB server {server}"


BACKENDS: dict[str, type[Backend]] = {"sqlite": SQLite, "postgresql": PostgreSQL, "mysql": MySQL}


def _check(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")


def _output(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
