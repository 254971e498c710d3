"""The ``datamig scheduled-snapshot`` and ``datamig offsite`` commands (arguments and
what they print); the work is in scheduled.py and offsite.py."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from .runtime.cli import options_from, succeed, write_json
from .runtime.errors import UsageError

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


def add_schedule_parsers(commands: Any, add_source_arguments: Callable[..., None]) -> None:
    """Add ``scheduled-snapshot`` (with the source options of ``datamig snapshot``) and
    ``offsite`` to the ``datamig`` command's subparsers."""
    _add_scheduled_parser(commands, add_source_arguments)
    _add_offsite_parser(commands)


def _add_scheduled_parser(commands: Any, add_source_arguments: Callable[..., None]) -> None:
    sched = commands.add_parser(
        "scheduled-snapshot",
        help="one scheduled run: lock, snapshot, verify, retention, off-site copy",
        description="One scheduled snapshot run (what cron or a systemd timer calls). "
        "The snapshot goes to SNAPSHOTS_DIR/scheduled/<%Y%m%dT%H%M%SZ>; a site lock "
        "held by another run makes the run 'skipped' (exit 0). "
        + RETENTION_HELP
        + " Without any --keep-* option nothing is removed.",
    )
    add_source_arguments(sched)
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
    sched.add_argument(
        "--key-dir",
        metavar="DIR",
        help="key folder (default: $DATAMIG_KEY_DIR, else ~/.config/datamig/keys)",
    )


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
        parser.add_argument(
            "--key-dir",
            metavar="DIR",
            help="key folder (default: $DATAMIG_KEY_DIR, else ~/.config/datamig/keys)",
        )
        parser.add_argument(
            "--trust-unsigned",
            action="store_true",
            help="accept snapshots without a signature (their origin is not checked)",
        )

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
        key_dir=args.key_dir,
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
    from .keys import KeyStore

    keys = KeyStore.from_option(args.key_dir)
    with Offsite(config, say, keys, args.trust_unsigned) as offsite:
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


SCHEDULE_COMMANDS = {
    "scheduled-snapshot": _scheduled_snapshot,
    "offsite": _offsite,
}
