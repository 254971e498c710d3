"""The dump/restore tools compared: datamig, Django's dumpdata/loaddata, the native tools.

A tool's ``restore`` starts from *no database at all* and ends with a loaded one, so
the three are compared on the same work: datamig's restore creates and migrates the
database itself; for Django the database is created (server vendors) and migrated,
then loaddata runs; a native reload creates the schema from the dump. Each step's own
time is kept in the results.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .databases import Backend, MySQL, PostgreSQL, SQLite, mysql_args, pg_args
from .measure import Measurement, combine, run_measured
from .sites import Site

# dumpdata without the rows that ``migrate`` creates by itself in the new database
# (content types, permissions); --natural-foreign makes the references to them (GFKs'
# content_type, user and group permissions, admin log entries) natural keys, which
# resolve whatever ids the new database gave them. Primary keys are kept as they are
# (no --natural-primary), so the restored rows keep their ids.
DUMPDATA_FLAGS = ("--natural-foreign", "--exclude", "contenttypes", "--exclude", "auth.permission")


@dataclass
class Run:
    """One benchmark cell: a site on a backend with one generated source database."""

    site: Site
    backend: Backend
    source: str
    workdir: Path

    def env(self, database: str) -> dict[str, str]:
        return self.site.env(self.backend.vendor, database)


class Tool:
    key = ""

    def label(self, backend: Backend) -> str:
        raise NotImplementedError

    def dump(self, run: Run) -> Measurement:
        raise NotImplementedError

    def restore(self, run: Run, target: str) -> Measurement:
        raise NotImplementedError

    def dump_path(self, run: Run) -> Path:
        return run.workdir / f"dump-{self.key}"

    def remove_dump(self, run: Run) -> None:
        path = self.dump_path(run)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)

    def dump_bytes(self, run: Run) -> int:
        path = self.dump_path(run)
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size if path.exists() else 0


class Datamig(Tool):
    key = "datamig"

    def label(self, backend: Backend) -> str:
        return "datamig snapshot / restore"

    def dump(self, run: Run) -> Measurement:
        argv = run.site.datamig(
            "snapshot",
            "--database-name",
            run.source,
            "-o",
            str(self.dump_path(run)),
            "--json",
            "--no-progress",
        )
        return run_measured(argv, env=run.env(run.source), label="datamig snapshot")

    def restore(self, run: Run, target: str) -> Measurement:
        run.backend.register(target)  # datamig creates it
        argv = run.site.datamig("restore", str(self.dump_path(run)))
        argv += ["--database-name", target, "--json", "--no-progress"]
        return run_measured(argv, env=run.env(target), label="datamig restore")


class Django(Tool):
    key = "django"

    def label(self, backend: Backend) -> str:
        return "dumpdata / loaddata JSON"

    def dump_path(self, run: Run) -> Path:
        return run.workdir / "dumpdata.json"

    def dump(self, run: Run) -> Measurement:
        argv = run.site.django("dumpdata", *DUMPDATA_FLAGS, "-o", str(self.dump_path(run)))
        return run_measured(argv, env=run.env(run.source), label="dumpdata")

    def restore(self, run: Run, target: str) -> Measurement:
        env = run.env(target)
        steps = _timed_create(run.backend, target)
        steps.append(
            run_measured(
                run.site.django("migrate", "--no-input", "-v", "0"), env=env, label="migrate"
            )
        )
        loaddata = run.site.django("loaddata", str(self.dump_path(run)))
        steps.append(run_measured(loaddata, env=env, label="loaddata"))
        return combine(steps)


def _timed_create(backend: Backend, name: str) -> list[Measurement]:
    """Create an empty database as a measured step (no step for SQLite: no server)."""
    backend.register(name)
    command = backend.create_command(name)
    return [run_measured(command, label="create database")] if command else []


class Native(Tool):
    key = "native"

    def label(self, backend: Backend) -> str:
        return {
            "sqlite": "sqlite3 .dump / reload",
            "postgresql": "pg_dump -Fc / pg_restore",
            "mysql": "mariadb-dump / mariadb",
        }[backend.vendor]

    def dump_path(self, run: Run) -> Path:
        suffix = {"sqlite": "sql", "postgresql": "pgdump", "mysql": "sql"}[run.backend.vendor]
        return run.workdir / f"native.{suffix}"

    def dump(self, run: Run) -> Measurement:
        out = self.dump_path(run)
        backend = run.backend
        if isinstance(backend, SQLite):
            return run_measured(
                ["sqlite3", run.source, ".dump"], stdout_path=out, label="sqlite3 .dump"
            )
        if isinstance(backend, PostgreSQL):
            argv = ["pg_dump", *pg_args(), "-Fc", "-f", str(out), run.source]
            return run_measured(argv, label="pg_dump -Fc")
        assert isinstance(backend, MySQL)
        argv = ["mariadb-dump", *mysql_args(), "--single-transaction"]
        argv += ["--default-character-set=utf8mb4", f"--result-file={out}", run.source]
        return run_measured(argv, label="mariadb-dump")

    def restore(self, run: Run, target: str) -> Measurement:
        dump = self.dump_path(run)
        backend = run.backend
        if isinstance(backend, SQLite):
            backend.register(target)
            return run_measured(["sqlite3", target], stdin_path=dump, label="sqlite3 < dump")
        steps = _timed_create(backend, target)
        if isinstance(backend, PostgreSQL):
            argv = ["pg_restore", *pg_args(), "--exit-on-error", "-d", target, str(dump)]
            steps.append(run_measured(argv, label="pg_restore"))
        else:
            argv = ["mariadb", *mysql_args(), "--default-character-set=utf8mb4", target]
            steps.append(run_measured(argv, stdin_path=dump, label="mariadb < dump"))
        return combine(steps)


TOOLS: dict[str, Tool] = {tool.key: tool for tool in (Datamig(), Django(), Native())}
