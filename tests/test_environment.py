"""The test machine itself: the real database servers answer and can host test databases.

These tests never skip: when a server is down, they fail with a message saying what to
start (tools/bootstrap starts both servers when they do not answer).
"""

import os
import sqlite3
import sysconfig
from pathlib import Path

import MySQLdb
import psycopg
import pytest

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}

# Django 5.2's minimum supported versions
PG_MIN = 140000
MARIADB_MIN = (10, 5)
SQLITE_MIN = (3, 31, 0)

SCRATCH_DB = f"datamig_envcheck_{os.getpid()}"


def _pg_connect():
    try:
        return psycopg.connect(connect_timeout=5, autocommit=True, **PG)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL does not answer on {PG['host']}:{PG['port']} as user {PG['user']} "
            f"(trust auth expected); run tools/bootstrap to start it.\n{exc}"
        )


def _mariadb_connect():
    try:
        return MySQLdb.connect(connect_timeout=5, **MARIADB)
    except MySQLdb.OperationalError as exc:
        pytest.fail(
            f"MariaDB does not answer on {MARIADB['host']}:{MARIADB['port']} as "
            f"{MARIADB['user']} with an empty password; run tools/bootstrap to start it.\n{exc}"
        )


def test_postgresql_answers_and_can_create_databases():
    with _pg_connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.info.server_version >= PG_MIN, conn.info.server_version
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
        conn.execute(f"DROP DATABASE {SCRATCH_DB}")


def test_mariadb_answers_and_can_create_databases():
    conn = _mariadb_connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT VERSION()")
        (version,) = cur.fetchone()
        assert "mariadb" in version.lower(), version
        major_minor = tuple(int(part) for part in version.split("-")[0].split(".")[:2])
        assert major_minor >= MARIADB_MIN, version
        cur.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        cur.execute(f"CREATE DATABASE {SCRATCH_DB} CHARACTER SET utf8mb4")
        cur.execute(f"DROP DATABASE {SCRATCH_DB}")
    finally:
        conn.close()


def test_sqlite3_is_the_standard_library_module():
    stdlib = Path(sysconfig.get_path("stdlib")).resolve()
    module_dir = Path(sqlite3.__file__).resolve().parent
    assert module_dir.parent == stdlib, f"sqlite3 comes from {module_dir}, not from {stdlib}"
    assert sqlite3.sqlite_version_info >= SQLITE_MIN, sqlite3.sqlite_version

    conn = sqlite3.connect(":memory:")
    try:
        # Django's JSONField on SQLite needs the JSON1 functions
        assert conn.execute("""SELECT json_extract('{"a": [1, 2]}', '$.a[1]')""").fetchone() == (2,)
    finally:
        conn.close()
