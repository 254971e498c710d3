"""The ``datamig`` command: snapshot, restore, verify, diff, repair, checksum, database,
scheduled-snapshot, offsite.

Every command prints one JSON object on stdout with ``--json`` (what the Ansible
modules read), a short human summary otherwise; errors are one line on stderr and
exit non-zero.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import Any

from .runtime.cli import (
    _Parser,
    add_loss_arguments,
    add_target_arguments,
    fail,
    options_from,
    reserve_stdout_for_json,
    setup_django,
    succeed,
    write_json,
)
from .runtime.errors import DatamigError, UsageError
from .runtime.manifest import load_manifest, require_valid, verify_files
from .runtime.report import Progress


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="datamig", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    snap = commands.add_parser("snapshot", help="write a snapshot (a Python dump) of a database")
    _add_source_arguments(snap)
    snap.add_argument("-o", "--output", required=True, help="new folder to write the snapshot into")
    snap.add_argument("--site", help="site name to record (default: settings.DATAMIG['site'])")
    snap.add_argument("--rows-per-file", type=int, default=20_000, help="rows per data file part")

    restore = commands.add_parser("restore", help="restore a snapshot (verifies it first)")
    restore.add_argument("directory")
    add_target_arguments(restore)

    diff = commands.add_parser("diff", help="what differs between a snapshot and the current code")
    diff.add_argument("directory")
    _add_source_arguments(diff)
    add_loss_arguments(diff)

    repair = commands.add_parser(
        "repair", help="put chosen rows of a snapshot back into a live database"
    )
    repair.add_argument("directory")
    _add_source_arguments(repair)
    repair.add_argument("--model", required=True, help="app_label.ModelName to repair")
    repair.add_argument(
        "--pk", action="append", default=[], help="only this primary key (repeatable)"
    )
    repair.add_argument("--missing-only", action="store_true", help="leave rows that exist alone")
    repair.add_argument("--apply", action="store_true", help="write (without it: only report)")

    verify = commands.add_parser("verify", help="check a snapshot against its manifest")
    verify.add_argument("directory")
    verify.add_argument("--json", action="store_true")

    checksum = commands.add_parser("checksum", help="checksum every table's content")
    _add_source_arguments(checksum)

    database = commands.add_parser(
        "database", help="whether the site's database exists, its size; create it if asked"
    )
    _add_source_arguments(database)
    database.add_argument(
        "--create", action="store_true", help="create the database when it does not exist"
    )
    _add_scheduled_parser(commands)
    _add_offsite_parser(commands)
    return parser


RETENTION_HELP = (
    "Retention (restic's rules): --keep-last N keeps the N newest; --keep-daily D keeps the "
    "newest snapshot of each of the last D UTC days that have snapshots; --keep-weekly W the "
    "same for the last W ISO weeks; a snapshot any rule keeps is kept; the newest is always "
    "kept, even when every count is 0. Only names that are snapshot times "
    "(%Y%m%dT%H%M%SZ) are considered."
)


def _add_retention_arguments(parser: argparse.ArgumentParser, default: int | None) -> None:
    for flag, what in (
        ("--keep-last", "the N newest"),
        ("--keep-daily", "the newest of each of the last N days with snapshots"),
        ("--keep-weekly", "the newest of each of the last N ISO weeks with snapshots"),
    ):
        parser.add_argument(flag, type=int, default=default, metavar="N", help=f"keep {what}")


def _add_scheduled_parser(commands: Any) -> None:
    sched = commands.add_parser(
        "scheduled-snapshot",
        help="one scheduled run: lock, snapshot, verify, retention, off-site copy",
        description="One scheduled snapshot run (what cron or a systemd timer calls). "
        "The snapshot goes to SNAPSHOTS_DIR/scheduled/<%Y%m%dT%H%M%SZ>; a site lock "
        "held by another run makes the run 'skipped' (exit 0). "
        + RETENTION_HELP
        + " Without any --keep-* option nothing is removed.",
    )
    _add_source_arguments(sched)
    sched.add_argument("--snapshots-dir", required=True, help="the site's snapshots folder")
    sched.add_argument("--lock", required=True, help="the site's lock file (shared with upgrades)")
    _add_retention_arguments(sched, None)
    sched.add_argument("--offsite", metavar="CONFIG.json", help="off-site target (JSON, mode 0600)")
    sched.add_argument("--now", help="the run's time, ISO 8601 UTC (default: now)")
    sched.add_argument("--log", metavar="FILE", help="append one JSON line per run to FILE")
    sched.add_argument("--site", help="site name to record (default: settings.DATAMIG['site'])")
    sched.add_argument("--rows-per-file", type=int, default=20_000, help=argparse.SUPPRESS)
    sched.add_argument(
        "--quiet", action="store_true", help="print nothing when the run is ok or skipped"
    )
    sched.add_argument("--verbose", action="store_true", help="report each step on stderr")


def _add_offsite_parser(commands: Any) -> None:
    offsite = commands.add_parser(
        "offsite",
        help="off-site copies over SSH: push, verify, list, fetch, prune",
        description="Off-site copies of snapshots over SSH (key authentication, known host "
        "key), checksum-verified at the far end: <path>/<site>/<name>/ exists only for "
        "verified copies.",
    )
    actions = offsite.add_subparsers(dest="offsite_command", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--config", required=True, metavar="CONFIG.json", help="off-site target (mode 0600)"
        )
        parser.add_argument("--site", help="site folder at the far end (default: the config's)")
        parser.add_argument("--json", action="store_true")

    push = actions.add_parser("push", help="copy snapshots off-site, verified at the far end")
    push.add_argument("directories", nargs="+", metavar="SNAPSHOT_DIR")
    common(push)
    verify = actions.add_parser("verify", help="check a far-end copy at the far end")
    verify.add_argument("name")
    verify.add_argument("--local", metavar="SNAPSHOT_DIR", help="also compare its manifest")
    common(verify)
    listing = actions.add_parser("list", help="the verified far-end copies")
    common(listing)
    fetch = actions.add_parser("fetch", help="download a far-end copy (disaster recovery)")
    fetch.add_argument("name")
    fetch.add_argument("local_dir", metavar="LOCAL_DIR", help="new folder to fetch into")
    common(fetch)
    prune = actions.add_parser(
        "prune",
        help="apply retention at the far end",
        description="Apply retention at the far end (default: the config's keep_*). "
        + RETENTION_HELP
        + " .partial-<name> folders older than the oldest copy kept are removed.",
    )
    _add_retention_arguments(prune, None)
    prune.add_argument("--dry-run", action="store_true", help="only report")
    common(prune)


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--settings", help="Django settings module (default: DJANGO_SETTINGS_MODULE)"
    )
    parser.add_argument("--pythonpath", action="append", default=[])
    parser.add_argument("--database", default="default", help="database alias")
    parser.add_argument("--database-name", help="override the NAME of that database")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--flush", action="store_true", help=argparse.SUPPRESS)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    as_json = "--json" in argv
    if as_json:
        reserve_stdout_for_json()
    try:
        args = _parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except DatamigError as exc:
        return fail(exc, as_json)
    except KeyboardInterrupt:
        return fail(DatamigError("interrupted"), as_json)
    except Exception as exc:  # unexpected: still one clear line, and JSON with --json
        return fail(exc, as_json)


def _snapshot(args: argparse.Namespace) -> int:
    from .snapshot.writer import take_snapshot

    options = options_from(args, None)
    setup_django(options)
    result = take_snapshot(
        args.output,
        alias=options.database,
        site=args.site,
        rows_per_file=args.rows_per_file,
        progress=Progress(options.progress),
    )
    summary = f"snapshot {result.directory}: {result.rows:,} rows of {len(result.models)} models in {result.seconds:.2f} s"
    return succeed(result.as_dict(), args.json, lambda: print(summary))


def _restore(args: argparse.Namespace) -> int:
    """Verify every file (restore.py included) before running the snapshot's code."""
    directory = os.path.abspath(args.directory)
    require_valid(directory)
    command = [sys.executable, os.path.join(directory, "restore.py"), *_passthrough(args)]
    return subprocess.call(command)


def _passthrough(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    if args.settings:
        out += ["--settings", args.settings]
    for folder in args.pythonpath:
        out += ["--pythonpath", os.path.abspath(folder)]
    out += ["--database", args.database]
    if args.database_name:
        out += ["--database-name", args.database_name]
    if args.flush:
        out.append("--flush")
    for item in args.allow_loss:
        out += ["--allow-loss", item]
    if args.lost_values:
        out += ["--lost-values", os.path.abspath(args.lost_values)]
    if args.json:
        out.append("--json")
    if args.progress is not None:
        out.append("--progress" if args.progress else "--no-progress")
    return out


def _verify(args: argparse.Namespace) -> int:
    directory = os.path.abspath(args.directory)
    manifest = load_manifest(directory)
    result = verify_files(directory, manifest)
    data: dict[str, Any] = result.as_dict()
    data.update(
        site=manifest.get("site"),
        application=manifest.get("application"),
        created=manifest.get("created"),
        rows=manifest.get("total_rows"),
        format=manifest.get("format"),
    )
    if not result.ok:
        if args.json:
            data["kind"] = "snapshot_invalid"
            data["error"] = "; ".join(result.problems)
            write_json(data)
        for problem in result.problems:
            print(f"datamig: error: {problem}", file=sys.stderr)
        return 1

    def show() -> None:
        print(
            f"snapshot {directory} verified: {result.files_checked} files, {result.bytes_checked:,} bytes"
        )
        for name in result.extra:
            print(f"warning: not in the manifest: {name}")

    return succeed(data, args.json, show)


def _checksum(args: argparse.Namespace) -> int:
    from .checksum import table_checksums

    options = options_from(args, None)
    setup_django(options)
    tables = table_checksums(options.database)
    result = {"ok": True, "tables": tables, "rows": sum(t["rows"] for t in tables.values())}

    def show() -> None:
        for table, entry in sorted(tables.items()):
            print(f"{entry['sha256']}  {entry['rows']:>10}  {table}")

    return succeed(result, args.json, show)


def _database(args: argparse.Namespace) -> int:
    """Answer what a preflight needs (reachable, exists, size) and create an empty
    database for a new site: the one place outside a restore that creates one."""
    from .runtime.databases import SiteDatabase

    options = options_from(args, None)
    setup_django(options)
    database = SiteDatabase(options.database)
    database.check_server()
    if database.vendor == "sqlite":  # an empty file counts: migrate fills it
        existed = os.path.exists(str(database.name))
    else:
        existed = database.exists()
    if args.create and not existed:
        database.create()
        database.connection.ensure_connection()  # SQLite: makes the file
    exists = existed or args.create
    result = {
        "ok": True,
        "vendor": database.vendor,
        "name": str(database.name),
        "exists": exists,
        "created": exists and not existed,
        "size_bytes": database.size_bytes() if exists else 0,
    }

    def show() -> None:
        state = "created" if result["created"] else ("exists" if exists else "does not exist")
        print(f"{database.describe()}: {state}, {result['size_bytes']:,} bytes")

    return succeed(result, args.json, show)


def load_restore_script(directory: str) -> dict[str, Any]:
    """Execute a verified snapshot's restore.py for its definitions (not its main)."""
    namespace: dict[str, Any] = {"__name__": "__datamig__", "SNAPSHOT_DIR": directory}
    path = os.path.join(directory, "restore.py")
    with open(path, encoding="utf-8") as stream:
        exec(compile(stream.read(), path, "exec"), namespace)
    return namespace


def _diff(args: argparse.Namespace) -> int:
    """Exit 1 where restoring would lose data that no migrator covers and no
    --allow-loss accepts (the restore refuses exactly these cases)."""
    from .runtime.restorer import plan_and_diff

    directory = os.path.abspath(args.directory)
    manifest, _ = require_valid(directory)
    options = options_from(args, manifest.get("settings_module"))
    setup_django(options)
    namespace = load_restore_script(directory)
    _plan, diff = plan_and_diff(manifest, list(args.allow_loss), namespace)
    data = diff.as_dict()
    if args.json:
        write_json(data)
    else:
        diff.print_text()
    return 0 if diff.ok else 1


def _repair(args: argparse.Namespace) -> int:
    from .repair import repair

    directory = os.path.abspath(args.directory)
    options = options_from(args, None)
    setup_django(options)
    report = repair(
        directory,
        args.model,
        alias=options.database,
        pks=args.pk,
        missing_only=args.missing_only,
        apply=args.apply,
    )

    def show() -> None:
        print(report.line())
        for error in report.first_errors:
            print(f"error: {error}")

    return succeed(report.as_dict(), args.json, show)


def _say_on_stderr(message: str) -> None:
    print(f"datamig: {message}", file=sys.stderr, flush=True)


def _policy_from(args: argparse.Namespace, fallback: Any = None) -> Any:
    from .retention import Policy

    values = (args.keep_last, args.keep_daily, args.keep_weekly)
    if all(v is None for v in values):
        return fallback
    try:
        return Policy(*(v or 0 for v in values))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _scheduled_snapshot(args: argparse.Namespace) -> int:
    """Outcomes ok and skipped exit 0; failed and offsite_failed exit 1 with the reason
    on stderr (what cron mails)."""
    from .scheduled import ScheduledRun, parse_now, run_scheduled

    run = ScheduledRun(
        options=options_from(args, None),
        snapshots_dir=args.snapshots_dir,
        lock_path=args.lock,
        now=parse_now(args.now),
        policy=_policy_from(args),
        offsite_config=args.offsite,
        site=args.site,
        rows_per_file=args.rows_per_file,
        say=_say_on_stderr if args.verbose else (lambda _message: None),
    )
    record, status = run_scheduled(run, args.log)
    if status != 0:
        print(
            f"datamig: error: scheduled snapshot {record['outcome']}: {record['reason']}",
            file=sys.stderr,
        )
    if args.json:
        write_json(record)
    elif status != 0 or not args.quiet:
        line = f"scheduled snapshot {record['name']}: {record['outcome']}"
        if record["outcome"] == "skipped":
            line += f" ({record['reason']})"
        elif record["outcome"] == "ok":
            line += f", kept {len(record['kept'])}, deleted {len(record['deleted'])}"
            if record["offsite"]:
                line += f", off-site verified: {', '.join(record['offsite']['verified'])}"
        print(line)
    return status


def _offsite(args: argparse.Namespace) -> int:
    from .offsite import Offsite
    from .offsite_config import load_config

    config = load_config(args.config)
    say = (lambda _message: None) if args.json else _say_on_stderr
    action = args.offsite_command
    with Offsite(config, say) as offsite:
        if action == "push":
            pushed = [offsite.push(d, args.site) for d in args.directories]
            result: dict[str, Any] = {"ok": True, "pushed": pushed}
            text = [
                f"{p['name']}: verified at the far end ({p['remote']}), "
                f"{p['bytes_sent']:,} bytes sent, {p['bytes_resumed']:,} resumed"
                for p in pushed
            ]
        elif action == "verify":
            result = offsite.verify(args.name, args.site, args.local)
            text = [f"{args.name}: {'verified' if result['ok'] else 'DIFFERS'} at the far end"]
            text += result["problems"]
        elif action == "list":
            result = offsite.list(args.site)
            text = result["snapshots"] + [f"(partial: {n})" for n in result["partial"]]
        elif action == "fetch":
            result = offsite.fetch(args.name, args.local_dir, args.site)
            text = [f"{args.name}: fetched and verified into {result['local']}"]
        else:
            result = offsite.prune(_policy_from(args, config.policy), args.site, args.dry_run)
            text = [
                f"kept: {', '.join(result['kept']) or '-'}",
                f"deleted: {', '.join(result['deleted']) or '-'}",
            ]
    if not result["ok"]:
        if args.json:
            write_json(
                {**result, "kind": "offsite_invalid", "error": "; ".join(result["problems"])}
            )
        for problem in result["problems"]:
            print(f"datamig: error: {problem}", file=sys.stderr)
        return 1
    return succeed(result, args.json, lambda: print("\n".join(text)))


COMMANDS = {
    "repair": _repair,
    "snapshot": _snapshot,
    "restore": _restore,
    "diff": _diff,
    "verify": _verify,
    "checksum": _checksum,
    "database": _database,
    "scheduled-snapshot": _scheduled_snapshot,
    "offsite": _offsite,
}
