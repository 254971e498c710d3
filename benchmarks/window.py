"""Window benchmark: the upgrade window of the current code against an older one.

    .venv/bin/python benchmarks/window.py [--sizes 20k,1M] [--backends sqlite,postgresql] \\
        [--code HEAD] [--baseline e1afd5c] [--baseline-max-rows 1M] [--out benchmarks/results/NAME.json]

Both commits are checked out into temporary worktrees (``git worktree add --detach``
under ``.work/bench-window-<pid>/``: the test hosts see that folder, not /tmp), so
the run measures two fixed versions however the working tree changes meanwhile. Each
code gets a test host of its own (network namespace with sshd, nginx, supervisor:
tests/hosts; a PostgreSQL server of the host's own for the PostgreSQL sites).

Per (rows, backend, code) - "a cell" - the demo site is deployed at version 1 with that
code's ``playbooks/deploy.yml``, filled with ``demo_fill --rows N --seed S``, and
upgraded to version 2 with that code's ``playbooks/upgrade.yml``. From the upgrade's
report (and its journal records): the downtime (maintenance on -> off) and its parts
(snapshot, restore, verify, switch, other). Then, in the same run, on the same host and
data, the engine alone: ``datamig snapshot`` and ``datamig verify`` with the old
release's python from the old database, ``datamig restore`` with the new release's
python into a scratch database (``--prepared`` after ``datamig database --create
--migrate`` when that code's window restores into a prepared database), each timed as a
command. Targets (issue 12): downtime <= 1.5 x (engine snapshot + verify + restore) + 5 s,
and at most 10 s at 20,000 rows, 60 s at 1,000,000 rows. A missed target is a result,
not an error. Needs root (test hosts). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import secrets
import shlex
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hosts.ansible import run_playbook  # noqa: E402
from tests.hosts.netns import TestHost, TestNetwork  # noqa: E402
from tests.hosts.postgres import HostPostgres, start_postgres  # noqa: E402
from tests.integration.demo_site import ALLOW_LOSS_1_TO_2, site_vars  # noqa: E402

WINDOW_PARTS = ("snapshot", "restore", "verify", "switch")
ENGINE_FACTOR, ENGINE_ALLOWANCE = 1.5, 5.0
ABSOLUTE_TARGETS = {20_000: 10.0, 1_000_000: 60.0}  # rows -> seconds (issue 12)
PG_USER = "benchdemo"
SETTINGS = "demo_site.settings"


def _size(text: str) -> int:
    """20000, 20_000, 20k, 1M."""
    item = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(item[-1:], 1)
    return int(float(item[:-1] if factor > 1 else item) * factor)


def size_label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    return f"{rows // 1000}k" if rows % 1000 == 0 else str(rows)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20k,1M", help="rows of demo data (20k, 1M, 5000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--code", default="HEAD", help="the commit measured as 'current'")
    parser.add_argument("--baseline", default="e1afd5c", help="the commit measured as 'baseline'")
    parser.add_argument(
        "--baseline-max-rows",
        default="1M",
        help="measure the baseline only up to this size (its 1M upgrade takes ~5 min); 0: never",
    )
    parser.add_argument(
        "--codes", default="current,baseline", help="which of the two to measure (both: compare)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="JSON here, Markdown beside it (.md)")
    options = parser.parse_args(argv)
    options.sizes = [_size(s) for s in options.sizes.split(",") if s.strip()]
    options.backends = [b.strip() for b in options.backends.split(",") if b.strip()]
    unknown = set(options.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backends {sorted(unknown)}: sqlite, postgresql")
    options.baseline_max_rows = _size(options.baseline_max_rows)
    return options


# --- the two codes ------------------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class Code:
    """One commit checked out: its playbooks and roles (as the collection datamig.site),
    its demo site, and its engine in the releases' virtualenvs."""

    label: str
    commit: str
    tree: Path
    collections: Path
    sitedir: Path

    @property
    def prepared_restore(self) -> bool:
        """Whether this code's window restores into a database prepared before it."""
        window = self.tree / "roles" / "upgrade" / "tasks" / "window.yml"
        return window.exists() and "prepared:" in window.read_text()


def checkout(label: str, commit: str, work: Path) -> Code:
    """A detached worktree of commit under work, a collections folder naming it
    datamig.site, and a site-packages folder for the releases: the commit's engine first,
    then .venv's packages (Django, drivers, gunicorn's needs)."""
    full = git("rev-parse", "--verify", f"{commit}^{{commit}}")
    tree = work / f"code-{label}"
    git("worktree", "add", "--detach", str(tree), full)
    collections = work / f"collections-{label}"
    link = collections / "ansible_collections" / "datamig" / "site"
    link.parent.mkdir(parents=True)
    link.symlink_to(tree, target_is_directory=True)
    sitedir = work / f"site-packages-{label}"
    sitedir.mkdir()
    # .pth files are read in name order: the commit's engine goes on sys.path before
    # .venv's folder, whose editable datamig (a meta path finder, asked after sys.path)
    # then never answers for it
    (sitedir / "00-engine.pth").write_text(f"{tree / 'engine'}\n")
    purelib = sysconfig.get_paths()["purelib"]
    (sitedir / "zz-venv.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    return Code(label, full, tree, collections, sitedir)


def remove_checkout(code: Code) -> None:
    subprocess.run(
        ["git", "worktree", "remove", "--force", str(code.tree)], cwd=ROOT, capture_output=True
    )


# --- machine load -------------------------------------------------------------------------


def load() -> dict[str, Any]:
    one, five, fifteen = os.getloadavg()
    return {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "load": [round(one, 2), round(five, 2), round(fifteen, 2)],
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }


def say(text: str) -> None:
    print(f"window-bench {time.strftime('%H:%M:%S')}: {text}", file=sys.stderr, flush=True)


# --- one cell -----------------------------------------------------------------------------


@dataclass
class Cell:
    code: Code
    host: TestHost
    backend: str
    rows: int
    number: int  # for ports and names
    postgres: HostPostgres | None
    seed: int

    @property
    def site(self) -> str:
        return f"{'sq' if self.backend == 'sqlite' else 'pg'}{size_label(self.rows).lower()}"

    @property
    def root(self) -> str:
        return f"/srv/{self.site}"

    def variables(self, version: str) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "datamig_version": version,
            "datamig_release_src": str(self.code.tree / "examples" / "demo" / f"v{version}"),
            "datamig_allow_loss": ALLOW_LOSS_1_TO_2 if version == "2" else [],
            "datamig_venv_inherit_site_packages": str(self.code.sitedir),
            "datamig_gunicorn_workers": 1,
            "datamig_window_timeout": 3600,
        }
        if self.backend == "postgresql":
            assert self.postgres is not None
            extra.update(
                datamig_db_vendor="postgresql",
                datamig_db_name=self.site,
                datamig_site_env={
                    "DEMO_DB_HOST": "127.0.0.1",
                    "DEMO_DB_PORT": "5432",
                    "DEMO_DB_USER": self.postgres.user,
                    "DEMO_DB_PASSWORD": self.postgres.password,
                },
                datamig_site_env_secret_keys=["DEMO_DB_PASSWORD"],
            )
        return site_vars(self.site, **extra)

    def inventory(self) -> dict[str, Any]:
        host_vars = {
            **self.host.inventory_vars(),
            "datamig_http_listen": f"{self.host.address}:{8001 + self.number}",
            "datamig_app_bind": f"127.0.0.1:{9001 + self.number}",
        }
        return {"all": {"hosts": {self.site: host_vars}}}

    def playbook(self, name: str, version: str) -> float:
        started = time.monotonic()
        result = run_playbook(
            str(self.code.tree / "playbooks" / name),
            self.inventory(),
            self.variables(version),
            env={"ANSIBLE_COLLECTIONS_PATH": str(self.code.collections)},
            timeout=7200,
        )
        seconds = time.monotonic() - started
        if result.returncode != 0:
            raise RuntimeError(
                f"{name} ({self.code.label}, {self.site}) failed (exit {result.returncode}):\n"
                + result.stdout[-5000:]
                + result.stderr[-2000:]
            )
        return seconds

    def shell(self, command: str, timeout: float = 3600) -> str:
        result = self.host.run(["bash", "-c", command], timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{command}\nfailed ({result.returncode}): {result.stderr[-3000:]}")
        return result.stdout

    def in_release(self, release: str, db_name: str, argv: list[str]) -> str:
        """A command in a release with the site's environment and DEMO_DB_NAME=db_name."""
        return (
            f"set -a; . {self.root}/shared/site.env; DEMO_DB_NAME={shlex.quote(db_name)}; "
            f"set +a; cd {shlex.quote(release)} && " + shlex.join(argv)
        )

    def engine(self, release: str, db_name: str, args: list[str]) -> tuple[float, dict[str, Any]]:
        """``datamig ARGS --json`` with the release's python: (wall seconds, its JSON)."""
        python = f"{release}/venv/bin/python"
        command = self.in_release(release, db_name, [python, "-m", "datamig", *args, "--json"])
        started = time.monotonic()
        out = self.shell(command)
        seconds = time.monotonic() - started
        return seconds, json.loads(out.strip().splitlines()[-1])

    def measure(self) -> dict[str, Any]:
        say(f"{self.code.label} {self.backend} {size_label(self.rows)}: deploy version 1")
        deploy_seconds = self.playbook("deploy.yml", "1")
        say(f"{self.code.label} {self.backend} {size_label(self.rows)}: fill {self.rows} rows")
        started = time.monotonic()
        self.shell(
            self.in_release(
                f"{self.root}/current",
                self.live_db_name(),
                [
                    "venv/bin/python",
                    "manage.py",
                    "demo_fill",
                    "--rows",
                    str(self.rows),
                    "--seed",
                    str(self.seed),
                ],
            )
        )
        fill_seconds = time.monotonic() - started
        say(f"{self.code.label} {self.backend} {size_label(self.rows)}: upgrade to version 2")
        load_start = load()
        upgrade_seconds = self.playbook("upgrade.yml", "2")
        load_end = load()
        report = self.last_report()
        assert report["outcome"] == "upgraded", report.get("reason")
        records = [r for r in self.journal() if r.get("run_id") == report["run_id"]]
        window = window_parts(report)
        say(f"{self.code.label} {self.backend} {size_label(self.rows)}: the engine alone")
        engine_load_start = load()
        engine = self.engine_alone(report)
        engine_load_end = load()
        self.clean(report)
        return {
            "code": self.code.label,
            "commit": self.code.commit,
            "backend": self.backend,
            "rows": self.rows,
            "site": self.site,
            "deploy_seconds": round(deploy_seconds, 1),
            "fill_seconds": round(fill_seconds, 1),
            "upgrade_playbook_seconds": round(upgrade_seconds, 1),
            "downtime_seconds": report["downtime_seconds"],
            "downtime_from_journal_seconds": journal_downtime(records),
            "window_seconds": window,
            "window_seconds_in_report": "window_seconds" in report,
            "steps": {step: t.get("seconds") for step, t in report["steps"].items()},
            "rows_restored": report.get("rows_restored"),
            "window_restore_models": report.get("models") or {},
            "load_start": load_start,
            "load_end": load_end,
            "engine": engine,
            "engine_load_start": engine_load_start,
            "engine_load_end": engine_load_end,
            "targets": targets(self.rows, report["downtime_seconds"], engine),
        }

    def live_db_name(self) -> str:
        env = self.shell(f"cat {self.root}/shared/site.env")
        lines = [line for line in env.splitlines() if line.startswith("DEMO_DB_NAME=")]
        return shlex.split(lines[-1].split("=", 1)[1])[0]

    def last_report(self) -> dict[str, Any]:
        names = self.shell(f"ls {self.root}/reports/*.json | sort").split()
        return json.loads(self.shell(f"cat {names[-1]}"))

    def journal(self) -> list[dict[str, Any]]:
        text = self.shell(f"cat {self.root}/datamig-journal.jsonl")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def scratch_db(self) -> str:
        if self.backend == "sqlite":
            return f"{self.root}/bench-engine-restore.sqlite3"
        return f"{self.site}_bench_engine"

    def engine_alone(self, report: dict[str, Any]) -> dict[str, Any]:
        """The engine's own snapshot, verify and restore of the same database, as the
        window runs them (the old release's python for the first two, the new one's for
        the restore), each timed as a command from start to exit."""
        old, new = report["release_from"], report["release_to"]
        old_db, scratch = report["database_from"], self.scratch_db()
        snap = f"{self.root}/bench-engine-snapshot"
        self.shell(f"rm -rf {snap} {snap}-lost.jsonl {scratch if self.backend == 'sqlite' else ''}")
        common = ["--settings", SETTINGS, "--database", "default"]
        snapshot_s, snapshot = self.engine(
            old, old_db, ["snapshot", *common, "--pythonpath", old, "-o", snap]
        )
        verify_s, _ = self.engine(old, old_db, ["verify", snap])
        restore_args = ["restore", snap, *common, "--pythonpath", new, "--database-name", scratch]
        restore_args += [a for item in ALLOW_LOSS_1_TO_2 for a in ("--allow-loss", item)]
        restore_args += ["--lost-values", f"{snap}-lost.jsonl"]
        prepare_s = None
        if self.code.prepared_restore:
            prepare_s, _ = self.engine(
                new,
                scratch,
                [
                    "database",
                    *common,
                    "--pythonpath",
                    new,
                    "--database-name",
                    scratch,
                    "--create",
                    "--migrate",
                ],
            )
            restore_args.append("--prepared")
        restore_s, restore = self.engine(new, scratch, restore_args)
        models = [
            {
                "model": m["model"],
                "rows": m.get("read"),
                "seconds": m.get("seconds"),
                "rows_per_second": round(m["read"] / m["seconds"]) if m.get("seconds") else None,
                "fast_path": m.get("fast_path"),
                "transformed": m.get("transformed"),
            }
            for m in restore.get("models") or []
        ]
        imported = self.shell(
            f"{new}/venv/bin/python -c 'import datamig; print(datamig.__file__)'"
        ).strip()
        return {
            "imported_from": imported,  # the code's own engine, not .venv's
            "prepared": self.code.prepared_restore,
            "prepare_seconds_outside_window": round(prepare_s, 2) if prepare_s else None,
            "snapshot_seconds": round(snapshot_s, 2),
            "verify_seconds": round(verify_s, 2),
            "restore_seconds": round(restore_s, 2),
            "total_seconds": round(snapshot_s + verify_s + restore_s, 2),
            "snapshot_engine_reported_seconds": snapshot.get("seconds"),
            "restore_engine_reported_seconds": restore.get("seconds"),
            "rows": restore.get("rows"),
            "models": sorted(models, key=lambda m: -(m["seconds"] or 0)),
        }

    def clean(self, report: dict[str, Any]) -> None:
        """Remove what this cell made that the next ones do not need (disk, at 1M rows)."""
        snap = f"{self.root}/bench-engine-snapshot"
        self.shell(f"rm -rf {snap} {snap}-lost.jsonl {self.root}/snapshots")
        if self.backend == "sqlite":
            self.shell(f"rm -f {self.scratch_db()} {shlex.quote(report['database_from'])}")
        else:
            assert self.postgres is not None
            for name in (self.scratch_db(), report["database_from"]):
                self.postgres.psql(f'DROP DATABASE IF EXISTS "{name}"')


def window_parts(report: dict[str, Any]) -> dict[str, float]:
    """The report's window_seconds; for a code whose report has none, the same split
    from its step times (the parts' seconds, ``other`` the rest of the downtime)."""
    if "window_seconds" in report:
        return dict(report["window_seconds"])
    steps = report.get("steps") or {}
    parts = {p: float((steps.get(p) or {}).get("seconds") or 0.0) for p in WINDOW_PARTS}
    downtime = float(report["downtime_seconds"] or 0)
    parts["other"] = max(downtime - sum(parts.values()), 0.0)
    return {p: round(s, 3) for p, s in parts.items()}


def epoch(when: str) -> float:
    """A journal time ("2026-11-24T14:03:12.250301Z") as seconds since the epoch."""
    parsed = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%fZ")
    return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()


def journal_downtime(records: list[dict[str, Any]]) -> float | None:
    """maintenance_on started -> maintenance_off done, from the run's journal records."""
    on = [r for r in records if r["step"] == "maintenance_on" and r.get("status") == "started"]
    off = [r for r in records if r["step"] == "maintenance_off" and r.get("status") == "done"]
    if not on or not off:
        return None
    return round(epoch(off[-1]["time"]) - epoch(on[0]["time"]), 3)


def targets(rows: int, downtime: float, engine: dict[str, Any]) -> dict[str, Any]:
    limit = ENGINE_FACTOR * engine["total_seconds"] + ENGINE_ALLOWANCE
    out: dict[str, Any] = {
        "engine_limit_seconds": round(limit, 2),
        "engine_ratio": round(downtime / limit, 2),
        "engine_met": downtime <= limit,
    }
    absolute = ABSOLUTE_TARGETS.get(rows)
    if absolute is not None:
        out.update(
            absolute_seconds=absolute,
            absolute_met=downtime <= absolute,
            # even a window with no cost of its own would miss it
            engine_alone_exceeds_absolute=engine["total_seconds"] > absolute,
        )
    return out


# --- the run ------------------------------------------------------------------------------


def markdown(result: dict[str, Any]) -> str:
    rows = result["cells"]
    lines = [
        f"# Window benchmark {result['date']}",
        "",
        f"Current `{result['codes']['current'][:10]}` against baseline "
        f"`{result['codes']['baseline'][:10]}`; demo site upgraded 1 -> 2 by each code's "
        f"playbooks/upgrade.yml on a test host; {result['machine']['cores']} cores, shared. "
        "Seconds; load = 1-minute load average at the upgrade's start and end.",
        "",
        "| code | backend | rows | downtime | snapshot | restore | verify | switch | other "
        "| engine s+v+r | 1.5 x engine + 5 | ratio | met | absolute | load start/end |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for c in rows:
        w, e, t = c["window_seconds"], c["engine"], c["targets"]
        absolute = (
            f"<= {t['absolute_seconds']:.0f}: {'yes' if t['absolute_met'] else '**NO**'}"
            if "absolute_seconds" in t
            else "-"
        )
        lines.append(
            f"| {c['code']} | {c['backend']} | {c['rows']:,} | {c['downtime_seconds']:.1f} "
            f"| {w['snapshot']:.1f} | {w['restore']:.1f} | {w['verify']:.1f} | {w['switch']:.1f} "
            f"| {w['other']:.1f} | {e['total_seconds']:.1f} ({e['snapshot_seconds']:.1f}"
            f"+{e['verify_seconds']:.1f}+{e['restore_seconds']:.1f}) "
            f"| {t['engine_limit_seconds']:.1f} | {t['engine_ratio']:.2f} "
            f"| {'yes' if t['engine_met'] else '**NO**'} | {absolute} "
            f"| {c['load_start']['load'][0]:.2f} / {c['load_end']['load'][0]:.2f} |"
        )
    lines += [
        "",
        "Downtime: maintenance on -> off, from the report (the journal's records give "
        "the same within rounding: `downtime_from_journal_seconds`). The parts are the "
        "report's `window_seconds` (the baseline's report: the same split from its step "
        "times). Engine: `datamig snapshot` + `verify` (old release) + `restore` (new "
        "release) run alone on the same host and data right after the upgrade, each "
        "timed as a command; ratio = downtime / (1.5 x engine + 5 s), met when <= 1.",
        "",
    ]
    for c in rows:
        t = c["targets"]
        if t.get("absolute_met", True):
            continue
        lines += [
            f"## {c['code']} {c['backend']} {c['rows']:,}: absolute target missed",
            "",
            f"The engine alone takes {c['engine']['total_seconds']:.1f} s "
            + (
                f"(more than the {t['absolute_seconds']:.0f} s target by itself)."
                if t["engine_alone_exceeds_absolute"]
                else f"(under the {t['absolute_seconds']:.0f} s target by itself)."
            )
            + " The restore per model (engine alone, largest first):",
            "",
            "| model | rows | seconds | rows/s | path |",
            "|---|---:|---:|---:|---|",
        ]
        for m in c["engine"]["models"][:12]:
            path = "fast" if m["fast_path"] else "hooked (migrator/row code)"
            lines.append(
                f"| {m['model']} | {m['rows']:,} | {m['seconds']:.2f} "
                f"| {m['rows_per_second'] or 0:,} | {path} |"
            )
        lines.append("")
    for label, when in (("start", "load_before"), ("end", "load_after")):
        lines.append(f"Load at the run's {label}: `{result[when]['uptime']}`")
    lines.append("")
    return "\n".join(lines)


def write(result: dict[str, Any], out: Path | None) -> None:
    if out is None:
        return
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result))


@contextlib.contextmanager
def checkouts(commits: dict[str, str], work: Path) -> Iterator[dict[str, Code]]:
    codes: dict[str, Code] = {}
    try:
        for label, commit in commits.items():
            codes[label] = checkout(label, commit, work)
        yield codes
    finally:
        for code in codes.values():
            remove_checkout(code)


def plan(options: argparse.Namespace) -> list[tuple[int, str, str]]:
    """(rows, backend, code) in order: per size and backend both codes one after the
    other, the order alternating, so that a change of the machine's load falls on both."""
    cells = []
    flip = False
    for rows in options.sizes:
        for backend in options.backends:
            codes = ["current", "baseline"] if rows <= options.baseline_max_rows else ["current"]
            codes = [code for code in codes if code in options.codes.split(",")]
            cells += [(rows, backend, code) for code in (reversed(codes) if flip else codes)]
            flip = not flip
    return cells


def main(argv: list[str]) -> int:
    options = parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("benchmarks/window.py makes test hosts: run it as root")
    work = ROOT / ".work" / f"bench-window-{os.getpid()}"
    work.mkdir(parents=True)
    result: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["benchmarks/window.py", *argv]),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "kernel": platform.release(),
        },
        "load_before": load(),
        "seed": options.seed,
        "codes": {},
        "cells": [],
        "errors": [],
    }
    try:
        with checkouts({"current": options.code, "baseline": options.baseline}, work) as codes:
            result["codes"] = {label: code.commit for label, code in codes.items()}
            result["prepared_restore"] = {k: c.prepared_restore for k, c in codes.items()}
            with TestNetwork() as network:
                hosts = dict(zip(codes, network.add_hosts(2, names=["wcur", "wbase"])))
                servers: dict[str, HostPostgres | None] = {label: None for label in codes}
                if "postgresql" in options.backends:
                    for label, host in hosts.items():
                        servers[label] = start_postgres(host, PG_USER, secrets.token_hex(12))
                for number, (rows, backend, label) in enumerate(plan(options)):
                    cell = Cell(
                        codes[label],
                        hosts[label],
                        backend,
                        rows,
                        number,
                        servers[label],
                        options.seed,
                    )
                    try:
                        result["cells"].append(cell.measure())
                    except Exception as error:  # a failed cell is recorded; the next go on
                        say(f"{label} {backend} {size_label(rows)} FAILED: {error}")
                        result["errors"].append(
                            {"code": label, "backend": backend, "rows": rows, "error": str(error)}
                        )
                    result["load_after"] = load()
                    write(result, options.out)
    finally:
        result["load_after"] = load()
        write(result, options.out)
        subprocess.run(["rm", "-rf", str(work)])
    print(markdown(result))
    print(json.dumps(result, indent=2))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
