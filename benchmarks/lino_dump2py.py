"""Lino's own dump2py beside datamig, on the demo database of a Lino application.

    .venv/bin/python benchmarks/lino_dump2py.py [--out benchmarks/results/lino.json]

Builds the Lino venv (tests/lino/setup_lino_env.sh) and the demo database of the Lino
Così site of tests/lino/project (``manage.py prep``, SQLite), then dumps it and
restores the dump into a NEW database with each tool:

- datamig: ``datamig snapshot -o DIR``, ``datamig restore DIR --database-name NEW``;
- dump2py: ``manage.py dump2py DIR``, ``manage.py run DIR/restore.py --noinput``
  (restore.py runs ``initdb`` on the target, then one ``full_clean()`` and ``save()``
  per row, each committed on its own);
- dump2py --quick: the same restore without ``full_clean()``.

Every command runs in the Lino venv; times are wall seconds of the whole command,
start-up included (Lino's start-up alone is measured too). Each restored database is
compared with the source by ``datamig checksum`` (table by table) and, for SQLite, row
by row with sqlite3 (content types by natural key), which needs no datamig. Lino's
restore deletes the media folder of its site (``initdb``) and checks that uploaded
files exist, so each Lino restore gets a site folder with a copy of the source's media.
The engine is the one installed into the Lino venv (``pip install -e engine``: the
working tree) unless PYTHONPATH puts another copy first; the JSON records which.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from dmbench.measure import StepFailed, run_measured

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PROJECT = ROOT / "tests" / "lino" / "project"
SETUP = ROOT / "tests" / "lino" / "setup_lino_env.sh"
SETTINGS = "lino_site.settings"
STARTUP = (
    "import os, sys; sys.path.insert(0, {project!r}); "
    "os.environ['DJANGO_SETTINGS_MODULE'] = {settings!r}; import django; django.setup()"
)


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


class Lino:
    """The Lino site run by the Lino venv's python, on one database and site folder."""

    def __init__(self, python: str) -> None:
        self.python = python

    def env(self, site_dir: Path, vendor: str, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(LINO_SITE_DIR=str(site_dir), LINO_DB_VENDOR=vendor, LINO_DB_NAME=name)
        return env

    def step(
        self, args: list[str], site_dir: Path, vendor: str, name: str, label: str
    ) -> dict[str, Any]:
        """Run one measured command; a failure is recorded, not raised."""
        argv = [self.python, *args]
        started = time.perf_counter()
        try:
            m = run_measured(argv, env=self.env(site_dir, vendor, name), label=label)
        except StepFailed as exc:
            return {
                "ok": False,
                "seconds": round(time.perf_counter() - started, 3),
                "returncode": exc.returncode,
                "error": _last_line(exc.stderr),
            }
        return {"ok": True, **m.as_dict(), "stdout": m.stdout}

    def manage(self, site_dir: Path, vendor: str, name: str, *args: str) -> dict[str, Any]:
        return self.step([str(PROJECT / "manage.py"), *args], site_dir, vendor, name, args[0])

    def datamig(self, site_dir: Path, vendor: str, name: str, *args: str) -> dict[str, Any]:
        argv = ["-m", "datamig", *args, "--settings", SETTINGS, "--pythonpath", str(PROJECT)]
        result = self.step([*argv, "--json", "--no-progress"], site_dir, vendor, name, args[0])
        if result["ok"]:
            result["json"] = json.loads(result.pop("stdout"))
        return result


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# -- comparing a restored database with the source ------------------------------------
def compare_checksums(source: dict[str, Any], restored: dict[str, Any]) -> dict[str, Any]:
    left, right = source["tables"], restored["tables"]
    differing = {
        table: [(left.get(table) or {}).get("rows"), (right.get(table) or {}).get("rows")]
        for table in sorted(set(left) | set(right))
        if left.get(table) != right.get(table)
    }
    return {
        "tables": len(set(left) | set(right)),
        "identical": len(set(left) | set(right)) - len(differing),
        "differing": differing,  # table -> [rows in source, rows restored]
    }


_NOT_CONTENT = {"django_migrations", "sqlite_sequence"}


def sqlite_tables(path: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Columns and rows of every table as stored; content types by natural key."""
    conn = sqlite3.connect(path)
    try:
        types = {
            pk: (app, model)
            for pk, app, model in conn.execute(
                "SELECT id, app_label, model FROM django_content_type"
            )
        }
        tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if table in _NOT_CONTENT:
                continue
            if table == "django_content_type":
                tables[table] = (["app_label", "model"], sorted(types.values()))
                continue
            names = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            links = {
                row[3]
                for row in conn.execute(f'PRAGMA foreign_key_list("{table}")')
                if row[2] == "django_content_type"
            }
            indexes = [i for i, name in enumerate(names) if name in links]
            rows = []
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                row = list(row)
                for i in indexes:
                    row[i] = None if row[i] is None else types.get(row[i], row[i])
                rows.append(tuple(row))
            tables[table] = (names, sorted(rows, key=repr))
        return tables
    finally:
        conn.close()


def _decimal_as_read(source: Any, restored: Any) -> bool:
    """SQLite may hold more decimal places than the field has (781.4415 for 2 places);
    Django reads the value rounded to the field's places, as a snapshot holds it."""
    if not isinstance(source, float) or not isinstance(restored, (int, float)):
        return False
    places = Decimal(repr(restored)).as_tuple().exponent
    return Decimal(repr(source)).quantize(Decimal(1).scaleb(places)) == Decimal(repr(restored))


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return a == b or all(x == y or _decimal_as_read(x, y) for x, y in zip(a, b))


def compare_sqlite(source: str, target: str) -> dict[str, Any]:
    """Row-by-row comparison of two SQLite files: how each differing table differs."""
    left, right = sqlite_tables(source), sqlite_tables(target)
    differing: dict[str, str] = {}
    for table in sorted(set(left) | set(right)):
        if table not in left or table not in right:
            differing[table] = "missing in the " + ("source" if table not in left else "target")
            continue
        names, rows = left[table]
        other = right[table][1]
        if len(rows) != len(other):
            differing[table] = f"{len(rows)} rows -> {len(other)}"
            continue
        changed = [(a, b) for a, b in zip(rows, other) if not _same(a, b)]
        if changed:
            a, b = changed[0]
            columns = ", ".join(
                f"{names[i]} {x!r:.40} -> {y!r:.40}" for i, (x, y) in enumerate(zip(a, b)) if x != y
            )
            differing[table] = f"{len(changed)} of {len(rows)} rows changed, e.g. {columns}"
    tables = len(set(left) | set(right))
    rows = sum(len(entry[1]) for entry in left.values())
    return {
        "tables": tables,
        "identical": tables - len(differing),
        "source_rows": rows,
        "differing": differing,
    }


# -- the run ---------------------------------------------------------------------------
def build_lino_venv() -> str:
    log(f"{SETUP.relative_to(ROOT)}")
    result = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"{SETUP} failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


def run(options: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    lino = Lino(build_lino_venv())
    site = tmp / "source-site"
    site.mkdir()
    source = str(tmp / "source.sqlite3")
    log("manage.py prep --noinput (the demo database)")
    prep = lino.manage(site, "sqlite", source, "prep", "--noinput")
    if not prep["ok"]:
        sys.exit(f"prep failed: {prep['error']}")
    startup = lino.step(
        ["-c", STARTUP.format(project=str(PROJECT), settings=SETTINGS)],
        site,
        "sqlite",
        source,
        "start-up",
    )
    if not startup["ok"]:
        sys.exit(f"Lino does not start: {startup['error']}")

    log("datamig checksum of the source")
    source_sums = lino.datamig(site, "sqlite", source, "checksum")
    if not source_sums["ok"]:
        log(f"datamig checksum fails on the source: {source_sums['error']}")
    raw_source = sqlite_tables(source)
    engine = lino.step(
        ["-c", "import datamig, sys; sys.stdout.write(datamig.__file__)"],
        site,
        "sqlite",
        source,
        "engine",
    )
    results: dict[str, Any] = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "engine": {
            "imported_from": engine.get("stdout", ""),
            "commit": _git("rev-parse", "HEAD"),
            "engine_changes_uncommitted": bool(_git("status", "--porcelain", "--", "engine")),
            "pythonpath": os.environ.get("PYTHONPATH", ""),
        },
        "packages": _packages(lino.python),
        "source": {
            "database": "sqlite",
            "tables": len(source_sums["json"]["tables"]) if source_sums["ok"] else None,
            "rows": source_sums["json"]["rows"] if source_sums["ok"] else None,
            "sqlite_tables": len(raw_source),
            "sqlite_rows": sum(len(rows) for _names, rows in raw_source.values()),
            "prep_seconds": prep["seconds"],
        },
        "lino_startup_seconds": startup["seconds"],
    }

    rounds: list[list[dict[str, Any]]] = []
    startups = [startup["seconds"]]
    for number in range(1, options.repeat + 1):
        work = tmp / f"round-{number}"
        work.mkdir()
        again = lino.step(
            ["-c", STARTUP.format(project=str(PROJECT), settings=SETTINGS)],
            site,
            "sqlite",
            source,
            "start-up",
        )
        if again["ok"]:
            startups.append(again["seconds"])
        done: dict[str, dict[str, Any]] = {}
        for tool in options.tools:
            done[tool] = measure_tool(lino, tool, site, source, source_sums, work, done)
        rounds.append([done[tool] for tool in options.tools])
        shutil.rmtree(work)
    results["rounds"] = len(rounds)
    results["lino_startup_seconds"] = min(startups)
    results["tools"] = [best(entries) for entries in zip(*rounds)]
    return results


def measure_tool(
    lino: Lino,
    tool: str,
    site: Path,
    source: str,
    source_sums: dict[str, Any],
    work: Path,
    done: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Dump the source with one tool, restore the dump into a new SQLite database,
    compare it with the source."""
    name = tool.replace(" ", "").replace("-", "")
    folder = work / f"dump-{name}"
    target_site = work / f"site-{name}"
    shutil.copytree(site / "media", target_site / "media")
    target = str(work / f"restored-{name}.sqlite3")
    if tool == "datamig":
        log(f"{tool}: dump")
        dump = lino.datamig(site, "sqlite", source, "snapshot", "-o", str(folder))
        rows = dump["json"]["rows"] if dump["ok"] else None
        log(f"{tool}: restore")
        restore = (
            lino.datamig(
                target_site, "sqlite", target, "restore", str(folder), "--database-name", target
            )
            if dump["ok"]
            else {"ok": False, "seconds": None, "error": "no dump"}
        )
    else:
        if tool != "dump2py" and "dump2py" in done:  # --quick restores dump2py's dump
            dump, folder = done["dump2py"]["dump"], work / "dump-dump2py"
        else:
            log(f"{tool}: dump")
            dump = lino.manage(site, "sqlite", source, "dump2py", str(folder))
        rows = dump.get("rows") or (_dump2py_rows(dump.get("stdout", "")) if dump["ok"] else None)
        log(f"{tool}: restore")
        extra = ["--quick"] if tool.endswith("--quick") else []
        restore = lino.manage(
            target_site, "sqlite", target, "run", str(folder / "restore.py"), "--noinput", *extra
        )
    entry: dict[str, Any] = {
        "tool": tool,
        "rows": rows,
        "dump": _public(dump),
        "restore": _public(restore),
    }
    if Path(target).exists():
        log(f"{tool}: comparing with the source")
        entry["raw"] = compare_sqlite(source, target)
        sums = lino.datamig(target_site, "sqlite", target, "checksum")
        if source_sums["ok"] and sums["ok"]:
            entry["checksums"] = compare_checksums(source_sums["json"], sums["json"])
        else:
            entry["checksums"] = {"error": (source_sums.get("error") or sums.get("error"))}
    return entry


def best(entries: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """One tool over several rounds: the fastest dump and restore; the last comparison."""
    entry = dict(entries[-1])
    for step in ("dump", "restore"):
        times = [e[step]["seconds"] for e in entries if e[step].get("seconds") is not None]
        fastest = min(
            (e[step] for e in entries if e[step].get("seconds") is not None),
            key=lambda s: s["seconds"],
            default=entry[step],
        )
        entry[step] = {**fastest, "all_seconds": times}
    return entry


def _dump2py_rows(stdout: str) -> int | None:
    for line in stdout.splitlines():
        if line.startswith("Wrote ") and " objects to " in line:
            return int(line.split()[1])
    return None


def _public(step: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in step.items() if k not in ("stdout", "json")}
    if "Wrote " in step.get("stdout", ""):
        data["rows"] = _dump2py_rows(step["stdout"])
    if "json" in step:
        data["reported_seconds"] = step["json"].get("seconds")
    return data


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
    return result.stdout.strip()


def _packages(python: str) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        "print(json.dumps({n: m.version(n) for n in "
        "['lino', 'lino_xl', 'lino_cosi', 'Django', 'datamig']}))"
    )
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


# -- the report --------------------------------------------------------------------------
def _seconds(step: dict[str, Any]) -> str:
    if step.get("seconds") is None:
        return "–"
    text = f"{step['seconds']:.2f}"
    return text if step.get("ok") else f"{text} (failed)"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| tool | rows | dump s | restore s | rows/s restore | identical tables / total |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for entry in results["tools"]:
        rows, restore = entry["rows"], entry["restore"]
        rate = (
            f"{rows / restore['seconds']:,.0f}"
            if rows and restore.get("ok") and restore.get("seconds")
            else "–"
        )
        sums, raw = entry.get("checksums") or {}, entry.get("raw") or {}
        if "identical" in sums:
            same = f"{sums['identical']} / {sums['tables']}"
        elif raw:
            same = f"{raw['identical']} / {raw['tables']} (sqlite3; no checksum)"
        else:
            same = "–"
        lines.append(
            f"| {entry['tool']} | {rows if rows is not None else '–'} | "
            f"{_seconds(entry['dump'])} | {_seconds(restore)} | {rate} | {same} |"
        )
        for step in ("dump", "restore"):
            if not entry[step].get("ok") and entry[step].get("error"):
                notes.append(f"- {entry['tool']} {step} failed: {entry[step]['error']}")
        if sums.get("differing"):
            tables = ", ".join(f"{t} ({a} -> {b} rows)" for t, (a, b) in sums["differing"].items())
            notes.append(f"- {entry['tool']}: checksums differ for {tables}")
        if "error" in sums:
            notes.append(f"- {entry['tool']}: no datamig checksum: {sums['error']}")
        for table, what in (raw.get("differing") or {}).items():
            notes.append(f"- {entry['tool']}: sqlite3 row by row, {table}: {what}")
    source = results["source"]
    if source["rows"] is not None:
        counted = f"{source['rows']} rows in {source['tables']} tables"
    else:
        counted = f"{source['sqlite_rows']} rows in {source['sqlite_tables']} tables (sqlite3)"
    lines.append("")
    lines.append(
        f"Source: the Lino Così demo database (`manage.py prep`) on SQLite, {counted}. "
        f"Times are of whole commands; Lino's start-up alone takes "
        f"{results['lino_startup_seconds']:.2f} s."
    )
    startup = results["lino_startup_seconds"]
    net = []
    for entry in results["tools"]:
        restore, rows = entry["restore"], entry["rows"]
        if not (restore.get("ok") and rows):
            continue
        text = entry["tool"]
        if restore["seconds"] > startup:
            seconds = restore["seconds"] - startup
            text += f" {seconds:.2f} s ({rows / seconds:,.0f} rows/s)"
        if restore.get("reported_seconds") is not None:
            seconds = restore["reported_seconds"]
            text += f", by its own count {seconds:.2f} s ({rows / seconds:,.0f} rows/s)"
        net.append(text)
    if net:
        lines.append("Restores less one start-up: " + "; ".join(net) + ".")
    if results.get("rounds", 1) > 1:
        lines.append(f"Fastest of {results['rounds']} rounds.")
    if results.get("note"):
        lines.append(f"Note: {results['note']}")
    return "\n".join(lines + (["", *notes] if notes else []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=HERE / "results" / "lino.json", help="the JSON goes here"
    )
    parser.add_argument(
        "--tools",
        default="datamig,dump2py,dump2py --quick",
        type=lambda text: [t.strip() for t in text.split(",") if t.strip()],
        help="comma-separated: datamig, dump2py, dump2py --quick",
    )
    parser.add_argument("--tmp", default=None, help="parent of the run's temporary folder")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds; the table shows each tool's fastest"
    )
    parser.add_argument("--note", default="", help="a remark kept in the JSON and the table")
    options = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="dmbench-lino-", dir=options.tmp))
    try:
        results = run(options, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["note"] = options.note
    results["markdown"] = markdown(results)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(results["markdown"])
    log(f"wrote {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
