"""Run the real ``datamig`` command and the test site against real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import MySQLdb
import psycopg

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "tests" / "engine" / "site"
PYTHON = sys.executable
SETTINGS = "testsite.settings"


@dataclass(frozen=True)
class Site:
    """A Django project the tests run: its settings, its folder, and the prefix of the
    environment variables that choose its database (``<PREFIX>_DB_VENDOR``, ``_NAME``)."""

    settings: str
    path: Path
    env_prefix: str

    def args(self) -> list[str]:
        return ["--settings", self.settings, "--pythonpath", str(self.path)]


TEST_SITE = Site(SETTINGS, SITE, "TESTSITE")
DEMO_SITE = Site("demo_site.settings", ROOT / "examples" / "demo" / "v1", "DEMO")


@dataclass
class Database:
    """One database of a site on one vendor; ``env`` points the site at it."""

    vendor: str
    name: str
    extra_env: dict[str, str] = field(default_factory=dict)
    site: Site = TEST_SITE

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        prefix = self.site.env_prefix
        env.update(
            {f"{prefix}_DB_VENDOR": self.vendor, f"{prefix}_DB_NAME": self.name}, **self.extra_env
        )
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return env

    def exists(self) -> bool:
        if self.vendor == "sqlite":
            return Path(self.name).exists()
        if self.vendor == "postgresql":
            with _pg() as conn:
                return (
                    conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", [self.name]
                    ).fetchone()
                    is not None
                )
        conn = _my()
        try:
            cur = conn.cursor()
            cur.execute(
                "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", [self.name]
            )
            return cur.fetchone() is not None
        finally:
            conn.close()

    def drop(self) -> None:
        if self.vendor == "sqlite":
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.name}{suffix}").unlink(missing_ok=True)
        elif self.vendor == "postgresql":
            with _pg() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            conn = _my()
            try:
                conn.cursor().execute(f"DROP DATABASE IF EXISTS `{self.name}`")
            finally:
                conn.close()

    def create_empty(self) -> None:
        if self.vendor == "postgresql":
            with _pg() as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        elif self.vendor == "mysql":
            conn = _my()
            try:
                conn.cursor().execute(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")
            finally:
                conn.close()


def _pg() -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)


def _my() -> Any:
    conn = MySQLdb.connect(host="127.0.0.1", user="root", passwd="")
    conn.autocommit(True)
    return conn


def new_database(
    vendor: str, tmp_path: Path, label: str = "db", site: Site = TEST_SITE
) -> Database:
    if vendor == "sqlite":
        return Database(vendor, str(tmp_path / f"{label}.sqlite3"), site=site)
    return Database(vendor, f"dmtest_{label}_{uuid.uuid4().hex[:10]}", site=site)


def run(
    args: list[str], db: Database | None = None, check: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess:
    env = (
        db.env
        if db is not None
        else {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    )
    result = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def datamig(
    *args: str, db: Database | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    return run([PYTHON, "-m", "datamig", *args], db, check=check)


def site_args() -> list[str]:
    return TEST_SITE.args()


def django_script(db: Database, code: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run Python with the test site set up against ``db``."""
    prelude = (
        "import sys, os, json\n"
        f"sys.path.insert(0, {str(db.site.path)!r})\n"
        f"os.environ['DJANGO_SETTINGS_MODULE'] = {db.site.settings!r}\n"
        "import django\ndjango.setup()\n"
    )
    return run([PYTHON, "-c", prelude + code], db, check=check)


def make_source(db: Database, rows: int = 200, seed: int = 1) -> None:
    """Create, migrate and fill a source database of the test site."""
    db.create_empty()
    django_script(
        db,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        f"from exact.fill import fill\nfill({rows}, {seed})\n",
    )


def snapshot(db: Database, out: Path, *extra: str) -> dict[str, Any]:
    result = datamig("snapshot", *db.site.args(), "-o", str(out), "--json", *extra, db=db)
    return json.loads(result.stdout)


def restore(
    snapshot_dir: Path, db: Database, *extra: str, check: bool = True
) -> subprocess.CompletedProcess:
    return datamig(
        "restore", str(snapshot_dir), *db.site.args(), "--json", *extra, db=db, check=check
    )


def checksums(db: Database, *extra: str) -> dict[str, dict[str, Any]]:
    result = datamig("checksum", *db.site.args(), "--json", *extra, db=db)
    return json.loads(result.stdout)["tables"]


def json_error(result: subprocess.CompletedProcess) -> dict[str, Any]:
    """The JSON error object a failed ``--json`` command printed."""
    assert result.returncode != 0, result.stdout
    return json.loads(result.stdout.strip().splitlines()[-1])
