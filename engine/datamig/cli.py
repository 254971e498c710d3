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

from . import __version__
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
from .runtime.errors import DatamigError
from .runtime.manifest import load_manifest, require_valid, verify_files
from .snapshot.reader import SQLITE_DECIMAL_RULES
from .runtime.report import Progress
from .schedule_cli import SCHEDULE_COMMANDS, add_schedule_parsers


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="datamig", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"datamig {__version__}")
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
    checksum.add_argument(
        "--sqlite-decimals",
        choices=SQLITE_DECIMAL_RULES,
        default="exact",
        help="how SQLite decimal columns are read: exact (as SQLite stores them, the default) "
        "or django52 (through a float, rounded to 15 significant digits, as Django 5.2 reads "
        "them and datamig 0.1.0 did): to compare with checksums recorded that way",
    )

    database = commands.add_parser(
        "database",
        help="whether the site's database exists, its size; create it, or drop an old one",
    )
    _add_source_arguments(database)
    database_action = database.add_mutually_exclusive_group()
    database_action.add_argument(
        "--create", action="store_true", help="create the database when it does not exist"
    )
    database_action.add_argument(
        "--drop",
        action="store_true",
        help="drop the database --database-name names (never the live one, the settings' own)",
    )
    add_schedule_parsers(commands, _add_source_arguments)
    return parser


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
    for item in args.set_values:
        out += ["--set", item]
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
    tables = table_checksums(options.database, sqlite_decimals=args.sqlite_decimals)
    result = {"ok": True, "tables": tables, "rows": sum(t["rows"] for t in tables.values())}

    def show() -> None:
        for table, entry in sorted(tables.items()):
            print(f"{entry['sha256']}  {entry['rows']:>10}  {table}")

    return succeed(result, args.json, show)


def _database(args: argparse.Namespace) -> int:
    """Answer what a preflight needs (reachable, exists, size) and create an empty
    database for a new site: the one place outside a restore that creates one."""
    from .runtime.databases import SiteDatabase

    if args.drop:
        return _drop_database(args)
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


def _same_database(vendor: str, one: str, other: str) -> bool:
    if vendor == "sqlite":
        return os.path.realpath(one) == os.path.realpath(other)
    return one == other


def _drop_database(args: argparse.Namespace) -> int:
    """Drop an old database of the site (one an earlier upgrade left). The live database
    - the one the settings name without --database-name, from the site's environment -
    is refused: dropping it would take the site down."""
    import dataclasses

    from django.db import connections

    from .runtime.databases import SiteDatabase
    from .runtime.errors import UsageError

    options = options_from(args, None)
    if not options.database_name:
        raise UsageError("--drop needs --database-name: the database to drop (never the live one)")
    setup_django(dataclasses.replace(options, database_name=None))
    connection = connections[options.database]
    live = str(connection.settings_dict["NAME"])
    target = options.database_name
    if connection.vendor == "sqlite":
        target = os.path.abspath(target)
    if _same_database(connection.vendor, live, target):
        raise UsageError(
            f"refused: {target!r} is the live {connection.vendor} database (the one the "
            "settings name); nothing dropped"
        )
    connection.settings_dict["NAME"] = target
    database = SiteDatabase(options.database)
    database.check_server()
    if database.vendor == "sqlite":
        existed = os.path.exists(target)
    else:
        existed = database.exists()
    if existed:
        database.drop()
    result = {"ok": True, "vendor": database.vendor, "name": target, "dropped": existed}

    def show() -> None:
        print(f"{database.describe()}: {'dropped' if existed else 'did not exist'}")

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
    _plan, diff = plan_and_diff(manifest, list(args.allow_loss), namespace, options.database)
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


COMMANDS = {
    "repair": _repair,
    "snapshot": _snapshot,
    "restore": _restore,
    "diff": _diff,
    "verify": _verify,
    "checksum": _checksum,
    "database": _database,
    **SCHEDULE_COMMANDS,
}
