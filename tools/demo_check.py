"""tools/demo's report printer and checks (run with .venv's python).

    demo_check.py report REPORT.json
    demo_check.py check --report R --port P --site DIR --before B.json --after A.json \\
        --expect upgraded|"rolled back"

``report`` prints an upgrade report (``reports/<run id>.json`` on the site root, written by
the upgrade role) readably. ``check`` checks the site after ``tools/demo``'s upgrade: the
report's outcome, the site's answers through nginx, maintenance off, no lock, and the
content of every table (``datamig checksum --json`` before and after the upgrade): after a
rollback every table is as it was; after the upgrade from version 1 to 2 every table that
version 2 does not change is as it was, the tables it changes hold the rows expected, and
(``--expected``) every table equals the same table of the upgrade's snapshot restored by
the engine alone into a scratch database.
Exit status 1 with the reasons when something is not as expected.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# What version 2 changes in a version 1 database (examples/demo/README.md, Versions),
# table by table: the reason, and how many rows it has after the upgrade (None: as many
# as before; "dropped": before minus the rows the restore ignored; another table's name: as
# many as that table had; "any": not checked).
CHANGED_BY_V2: dict[str, tuple[str, Any]] = {
    "contacts_city": ("new model, made from Partner.city (1, 8b)", "new"),
    "contacts_country": ("new field is_eu (2)", None),
    "contacts_partner": ("phone removed, city -> city_id (4, 8b)", None),
    "contacts_person": ("nickname, title -> honorific, height_m decimal (3, 6, 8a)", None),
    "notes_mention": ("model removed (5)", "gone"),
    "notes_tag": ("renamed notes_label (7)", "gone"),
    "notes_label": ("renamed from notes_tag (7)", "notes_tag"),
    "notes_comment_tags": ("column tag_id -> label_id (7)", None),
    "library_copy": ("duplicate barcodes dropped (9)", "dropped"),
    "library_loan": ("loans of dropped copies moved (9)", None),
    "library_category": ("new field name_de (10)", None),
    "auth_permission": ("permissions of the new models added", "any"),
}


def _report(path: str) -> None:
    r = json.loads(Path(path).read_text())
    print(f"site {r['site']}, run {r['run_id']}: {r['outcome'].upper()}")
    print(f"  version   {r['version_from']} -> {r['version_to']}")
    print(f"  release   {r['release_from']}\n         -> {r['release_to']}")
    print(f"  database  {r['database_from']}\n         -> {r['database_to']}")
    print(f"  snapshot  {r['snapshot']}")
    if r.get("failed_step"):
        print(f"  FAILED at step {r['failed_step']}: {r.get('reason')}")
    print("  steps:")
    for step, t in sorted(r["steps"].items(), key=lambda kv: kv[1].get("started", 0)):
        seconds = t.get("seconds")
        shown = f"{seconds:8.2f} s" if seconds is not None else "       - "
        print(f"    {step:<16} {shown}  {t.get('status', 'started')}")
    print(f"  downtime  {float(r['downtime_seconds']):.2f} s (maintenance on -> off)")
    models = r.get("models") or {}
    if models:
        width = max(len(m) for m in models)
        print(f"  rows per model ({r.get('rows_restored') or 0:,} rows restored):")
        print(
            f"    {'model':<{width}} {'expected':>9} {'read':>9} {'restored':>9} "
            f"{'transformed':>11} {'ignored':>8} {'errors':>6} {'seconds':>8}"
        )
        for label, m in models.items():
            print(
                f"    {label:<{width}} {m.get('expected', 0):>9,} {m.get('read', 0):>9,} "
                f"{m.get('restored', 0):>9,} {m.get('transformed', 0):>11,} "
                f"{m.get('ignored', 0):>8,} {m.get('errors', 0):>6,} {m.get('seconds', 0):>8.2f}"
            )
    losses = r.get("losses") or {}
    for label, fields in (losses.get("models") or {}).items():
        for what, entry in fields.items():
            name = label if what == "*row" else f"{label}.{what}"
            print(f"  not restored: {name}: {entry['count']:,} ({entry['reason']})")
    if losses.get("file"):
        print(f"  every value not restored is in {losses['file']}")


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _tables(path: str) -> dict[str, dict[str, Any]]:
    return json.loads(Path(path).read_text())["tables"]


def _check(args: argparse.Namespace) -> list[str]:
    problems: list[str] = []
    r = json.loads(Path(args.report).read_text())
    upgraded = args.expect == "upgraded"
    if r["outcome"] != args.expect:
        problems.append(f"report: outcome {r['outcome']!r}, not {args.expect!r}")
    version = r["version_to"] if upgraded else r["version_from"]
    if upgraded:
        for step in ("preflight", "release", "maintenance_on", "snapshot", "restore", "verify"):
            if r["steps"].get(step, {}).get("status") != "done":
                problems.append(f"report: step {step} not done")
        for label, m in r["models"].items():
            if m["read"] != m["expected"] or m["errors"]:
                problems.append(
                    f"report: {label} read {m['read']} of {m['expected']}, {m['errors']} errors"
                )
    elif not r.get("failed_step"):
        problems.append("report: no failed step")
    if float(r["downtime_seconds"]) <= 0:
        problems.append("report: no downtime measured")

    status, text = _get(args.port, "/")
    if (status, text) != (200, f"datamig-demo version {version}"):
        problems.append(f"GET /: {status} {text[:200]!r}, not 'datamig-demo version {version}'")
    status, text = _get(args.port, "/health")
    health = json.loads(text) if status == 200 else {}
    if health.get("status") != "ok" or str(health.get("version")) != version:
        problems.append(f"GET /health: {status} {text[:200]!r}")
    site = Path(args.site)
    for left in ("maintenance/maintenance.json", "datamig.lock"):
        if (site / left).exists():
            problems.append(f"{left} is still there")

    before, after = _tables(args.before), _tables(args.after)
    same = [t for t in before if t in after and before[t]["sha256"] == after[t]["sha256"]]
    if not upgraded:
        differ = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
        problems += [f"table {t}: content changed by a rolled back upgrade" for t in differ]
        rows = sum(t["rows"] for t in after.values())
        print(
            f"demo: every table as before: {len(after)} tables, {rows:,} rows (SHA-256 of the content)"
        )
        return problems
    dropped = r["models"].get("library.Copy", {}).get("ignored", 0)
    for table in sorted(before.keys() | after.keys()):
        if table not in CHANGED_BY_V2:
            if table in same:
                continue
            problems.append(f"table {table}: changed, though version 2 does not change it")
            continue
        reason, rows = CHANGED_BY_V2[table]
        had = before.get(table, {}).get("rows")
        has = after.get(table, {}).get("rows")
        expected = {
            None: had,
            "new": has if table not in before and has else -1,
            "gone": None,
            "dropped": (had or 0) - dropped,
            "any": has,
        }.get(rows, before.get(str(rows), {}).get("rows"))
        if has != expected:
            problems.append(f"table {table} ({reason}): {has} rows, expected {expected}")
        print(f"demo: {table:<22} {reason}: {had} -> {has} rows")
    if args.expected:
        expected = _tables(args.expected)
        differ = sorted(
            t for t in expected.keys() | after.keys() if expected.get(t) != after.get(t)
        )
        problems += [
            f"table {t}: not what the snapshot restored by datamig alone holds" for t in differ
        ]
        if not differ:
            print(
                f"demo: every table ({len(after)}) holds what the upgrade's snapshot restored "
                "by datamig alone into a scratch database holds"
            )
    rows = sum(before[t]["rows"] for t in same)
    print(
        f"demo: {len(same)} tables that version 2 does not change have the same content "
        f"({rows:,} rows, SHA-256 of the content); {dropped} duplicate copies dropped"
    )
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report")
    report.add_argument("report")
    check = sub.add_parser("check")
    check.add_argument("--report", required=True)
    check.add_argument("--port", type=int, required=True)
    check.add_argument("--site", required=True)
    check.add_argument("--before", required=True)
    check.add_argument("--after", required=True)
    check.add_argument("--expected", help="checksums every table must have after the upgrade")
    check.add_argument("--expect", choices=["upgraded", "rolled back"], required=True)
    args = parser.parse_args()
    if args.command == "report":
        _report(args.report)
        return 0
    problems = _check(args)
    for problem in problems:
        print(f"demo: NOT AS EXPECTED: {problem}", file=sys.stderr)
    if not problems:
        print(f"demo: the site is as expected ({args.expect})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
