"""Benchmark datamig against Django's dumpdata/loaddata and the databases' native tools.

For every (backend, size) one source database is generated (migrate + the site's fill
command), checksummed with ``datamig checksum``, and then every tool dumps it and
restores the dump into a NEW database, which is checksummed again and compared table
by table. See benchmarks/README.md for what is measured and how.

    .venv/bin/python benchmarks/run.py --sizes 100k,1M --backends sqlite,postgresql \\
        --out benchmarks/results/NAME.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from dmbench.databases import BACKENDS, Backend
from dmbench.measure import StepFailed, run_measured
from dmbench.report import markdown, memory_growth, ratios, size_label
from dmbench.sites import ROOT, SITES, Site, frozen_code
from dmbench.tools import TOOLS, Run, Tool

HERE = Path(__file__).resolve().parent


def _size(text: str) -> int:
    """100000, 100_000, 100k, 1M, 1.5M."""
    item = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(item[-1:], 1)
    return int(float(item[:-1] if factor > 1 else item) * factor)


def _sizes(text: str) -> list[int]:
    return [_size(item) for item in text.split(",") if item.strip()]


def _names(choices: dict[str, Any]) -> Any:
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {sorted(choices)}")
        return names

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=_sizes, default=_sizes("100k,1M"), help="e.g. 100k,1M")
    parser.add_argument("--backends", type=_names(BACKENDS), default=["sqlite", "postgresql"])
    parser.add_argument("--tools", type=_names(TOOLS), default=["datamig", "django", "native"])
    parser.add_argument("--site", choices=sorted(SITES), default="demo")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--django-max-rows",
        type=_size,
        default=1_000_000,
        help="skip dumpdata/loaddata above this many requested rows (default 1M)",
    )
    parser.add_argument(
        "--out", type=Path, help="write the JSON here and the Markdown beside it (.md)"
    )
    parser.add_argument("--tmp", default="/tmp", help="parent of the run's temporary folder")
    parser.add_argument(
        "--code",
        default="HEAD",
        help="commit whose engine and sites are measured (copied out with git archive), "
        "or 'worktree' for the files as they are (default HEAD)",
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


# -- one cell: a backend and a size ---------------------------------------------------
def checksum(site: Site, backend: Backend, database: str) -> dict[str, Any]:
    argv = site.datamig("checksum", "--database-name", database, "--json", "--no-progress")
    result = run_measured(argv, env=site.env(backend.vendor, database), label="checksum")
    data = json.loads(result.stdout)
    data["seconds"] = round(result.seconds, 2)
    return data


def compare(source: dict[str, Any], restored: dict[str, Any]) -> dict[str, Any]:
    """Table by table: the same rows count and content checksum."""
    left, right = source["tables"], restored["tables"]
    differing = sorted(
        table
        for table in set(left) | set(right)
        if (left.get(table) or {}).get("sha256") != (right.get(table) or {}).get("sha256")
        or (left.get(table) or {}).get("rows") != (right.get(table) or {}).get("rows")
    )
    return {
        "identical": not differing,
        "tables": len(left),
        "rows_restored": restored["rows"],
        "differing_tables": differing,
        "differing_rows": {
            t: {
                "source": (left.get(t) or {}).get("rows"),
                "restored": (right.get(t) or {}).get("rows"),
            }
            for t in differing
        },
        "checksum_seconds": restored["seconds"],
    }


def rowdiff(run: Run, target: str, tables: list[str]) -> dict[str, Any]:
    """First differing rows of each differing table (see rowdiff.py)."""
    argv = [sys.executable, str(HERE / "dmbench" / "rowdiff.py"), "--target", target, *tables]
    try:
        result = run_measured(argv, env=run.env(run.source), label="rowdiff")
        return json.loads(result.stdout)
    except (StepFailed, ValueError) as exc:
        return {"_error": {"causes": [], "error": str(exc)}}


def bench_tool(tool: Tool, run: Run, size: int, source_sums: dict[str, Any], args: Any) -> dict:
    entry: dict[str, Any] = {"label": tool.label(run.backend)}
    if tool.key == "django" and size > args.django_max_rows:
        entry["skipped"] = (
            f"{size_label(size)} rows > --django-max-rows {size_label(args.django_max_rows)}"
        )
        return entry
    target = run.backend.name_for(f"{tool.key}_{size_label(size)}")
    try:
        log(f"{tool.key}: dump")
        dump = tool.dump(run)
        entry["dump"] = dump.as_dict()
        entry["dump_bytes"] = tool.dump_bytes(run)
        _engine_output(entry, "dump", dump.stdout)
        log(f"{tool.key}: dump {dump.seconds:.1f} s, {dump.peak_mb:.0f} MB; restore")
        restore = tool.restore(run, target)
        entry["restore"] = restore.as_dict()
        _engine_output(entry, "restore", restore.stdout)
        log(f"{tool.key}: restore {restore.seconds:.1f} s, {restore.peak_mb:.0f} MB; checksum")
        entry.update(compare(source_sums, checksum(run.site, run.backend, target)))
        if not entry["identical"]:
            entry["diff"] = rowdiff(run, target, entry["differing_tables"])
        log(f"{tool.key}: identical={entry['identical']} {entry['differing_tables']}")
    except StepFailed as exc:
        entry["error"] = str(exc)
        log(f"{tool.key}: FAILED {exc}")
    finally:
        tool.remove_dump(run)
        run.backend.drop(target)
    return entry


def _engine_output(entry: dict[str, Any], phase: str, stdout: str) -> None:
    """Keep what datamig itself reports (its own timing, per-model figures)."""
    if entry["label"].startswith("datamig") and stdout.strip():
        try:
            entry[f"{phase}_engine"] = json.loads(stdout.strip().splitlines()[-1])
        except ValueError:
            entry[f"{phase}_engine"] = {"unparsed": stdout[-2000:]}


def run_cell(site: Site, backend: Backend, size: int, tools: list[Tool], args: Any) -> dict:
    cell: dict[str, Any] = {"backend": backend.vendor, "size": size, "tools": {}}
    workdir = Path(tempfile.mkdtemp(prefix=f"{backend.vendor}-{size}-", dir=backend.workdir))
    source = backend.name_for(f"src_{size_label(size)}")
    try:
        cell["source"] = generate(site, backend, source, size, args.seed)
        log(f"{backend.vendor} {size_label(size)}: source checksum")
        sums = checksum(site, backend, source)
        cell.update(rows=sums["rows"], tables=len(sums["tables"]), checksum_seconds=sums["seconds"])
        cell["source_tables"] = {t: v["rows"] for t, v in sums["tables"].items()}
        run = Run(site, backend, source, workdir)
        for tool in tools:
            cell["tools"][tool.key] = bench_tool(tool, run, size, sums, args)
    except StepFailed as exc:
        cell["error"] = str(exc)
        log(f"{backend.vendor} {size_label(size)}: FAILED {exc}")
    finally:
        backend.drop(source)
        _rmtree(workdir)
    return cell


def generate(site: Site, backend: Backend, source: str, size: int, seed: int) -> dict:
    log(f"{backend.vendor} {size_label(size)}: create + migrate {source}")
    backend.create(source)
    env = site.env(backend.vendor, source)
    migrate = run_measured(
        site.django("migrate", "--no-input", "-v", "0"), env=env, label="migrate"
    )
    log(f"{backend.vendor} {size_label(size)}: fill (migrate took {migrate.seconds:.1f} s)")
    fill = run_measured(site.fill(size, seed), env=env, label="fill")
    return {"migrate": migrate.as_dict(), "fill": fill.as_dict()}


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# -- the whole run --------------------------------------------------------------------
def machine_facts(backends: list[Backend]) -> dict[str, Any]:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        memory_kb = int(handle.readline().split()[1])
    facts: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 2**20, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "psycopg": _version("psycopg"),
        "mysqlclient": _version("mysqlclient"),
        "datamig": metadata.version("datamig"),
        "git_commit": _git("rev-parse", "HEAD"),
    }
    for backend in backends:
        facts[backend.vendor] = backend.version()
    return facts


def _os_name() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:
        return ""


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


def _git(*args: str) -> str:
    result = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return result.stdout.strip()


def code_under_test(site: Site, code: str, tmp: Path) -> tuple[Site, dict[str, Any]]:
    """The site to measure (a frozen copy unless code is 'worktree') and what it is."""
    if code == "worktree":
        dirty = _git("status", "--porcelain", "--", "engine", "examples", "tests/engine/site")
        info: dict[str, Any] = {"worktree": True, "uncommitted": dirty.splitlines()}
    else:
        info = {"commit": frozen_code(code, tmp / "code")}
        site = site.relocated(tmp / "code")
    probe = [sys.executable, "-c", "import datamig; print(datamig.__file__, datamig.__version__)"]
    info["datamig"] = subprocess.run(
        probe, env=site.env("sqlite", ":memory:"), capture_output=True, text=True, check=True
    ).stdout.strip()
    return site, info


def write_outputs(results: dict[str, Any], out: Path | None) -> None:
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(results), encoding="utf-8")


def _stop_on_sigterm() -> None:
    """SIGTERM (kill, a CI timeout) unwinds like Ctrl-C, so every finally cleans up."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _stop_on_sigterm()
    started = time.time()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "site": args.site,
        "seed": args.seed,
        "sizes": args.sizes,
        "django_max_rows": args.django_max_rows,
        "cells": [],
    }
    with tempfile.TemporaryDirectory(prefix="dmbench-", dir=args.tmp) as tmp:
        site, results["code"] = code_under_test(SITES[args.site], args.code, Path(tmp))
        problem = site.ready()
        if problem:
            print(f"run.py: {problem} (try --site testsite)", file=sys.stderr)
            return 2
        log(f"measuring {results['code']}")
        run_matrix(site, [BACKENDS[key](Path(tmp)) for key in args.backends], args, results)
    results["ratios"] = ratios(results)
    results["memory"] = memory_growth(results)
    results["minutes"] = round((time.time() - started) / 60, 1)
    write_outputs(results, args.out)
    sys.stdout.write(markdown(results) + "\n" + json.dumps(results, indent=1) + "\n")
    failed = any(
        c.get("error") or any(t.get("error") for t in c["tools"].values()) for c in results["cells"]
    )
    return 1 if failed else 0


def run_matrix(site: Site, backends: list[Backend], args: Any, results: dict[str, Any]) -> None:
    """Every (backend, size) cell; partial results are written after each one."""
    results["machine"] = machine_facts(backends)
    tools = [TOOLS[key] for key in args.tools]
    for backend in backends:
        try:
            for size in args.sizes:
                results["cells"].append(run_cell(site, backend, size, tools, args))
                write_outputs(results, args.out)
        finally:
            for error in backend.drop_all():
                log(f"cleanup: {error}")


if __name__ == "__main__":
    sys.exit(main())
