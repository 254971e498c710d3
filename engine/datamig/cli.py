"""The ``datamig`` command: snapshot, restore, verify, diff, repair, checksum, database,
scheduled-snapshot, offsite, key, readonly.

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
from .keys import KeyStore
from .readonly_cli import READONLY_COMMANDS, add_readonly_parser
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
from .runtime.errors import DatamigError, SnapshotInvalid
from .runtime.report import Progress
from .schedule_cli import SCHEDULE_COMMANDS, add_schedule_parsers
from .seal import SEAL_NOTE_ENV, SEALED_ENV, Sealed, check_snapshot
from .snapshot.reader import SQLITE_DECIMAL_RULES


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="datamig", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"datamig {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    snap = commands.add_parser("snapshot", help="write a snapshot (a Python dump) of a database")
    _add_source_arguments(snap)
    snap.add_argument("-o", "--output", required=True, help="new folder to write the snapshot into")
    snap.add_argument("--site", help="site name to record (default: settings.DATAMIG['site'])")
    snap.add_argument("--rows-per-file", type=int, default=20_000, help="rows per data file part")
    add_key_arguments(snap, reading=False)

    restore = commands.add_parser("restore", help="restore a snapshot (verifies it first)")
    restore.add_argument("directory")
    add_target_arguments(restore)
    add_key_arguments(restore)

    diff = commands.add_parser("diff", help="what differs between a snapshot and the current code")
    diff.add_argument("directory")
    _add_source_arguments(diff)
    add_loss_arguments(diff)
    add_key_arguments(diff)

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
    add_key_arguments(repair)

    verify = commands.add_parser("verify", help="check a snapshot against its manifest")
    verify.add_argument("directory")
    verify.add_argument("--json", action="store_true")
    add_key_arguments(verify)

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
        help="whether the site's database exists, its size; create (and migrate) it, or drop an old one",
    )
    _add_source_arguments(database)
    database.add_argument(
        "--migrate",
        action="store_true",
        help="with --create: migrate the new database with the current code (a prepared "
        "database, for restore --prepared); refuses a database with tables unless it is "
        "exactly a prepared one",
    )
    database.add_argument(
        "--prepared",
        action="store_true",
        help="also say whether the database is exactly prepared by the current code "
        "(prepared, has_tables, problems); changes nothing",
    )
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
    _add_key_parser(commands)
    add_readonly_parser(commands)
    return parser


def add_key_arguments(parser: argparse.ArgumentParser, *, reading: bool = True) -> None:
    """--key-dir (and, for commands that read snapshots, --trust-unsigned)."""
    parser.add_argument(
        "--key-dir",
        metavar="DIR",
        help="key folder (default: $DATAMIG_KEY_DIR, else ~/.config/datamig/keys)",
    )
    if reading:
        parser.add_argument(
            "--trust-unsigned",
            action="store_true",
            help="accept a snapshot without a signature (written before datamig signed); "
            "its origin is not checked, and the report says so",
        )


def _add_key_parser(commands: Any) -> None:
    key = commands.add_parser(
        "key",
        help="the key that signs snapshots: show, rotate, trust another machine's",
        description="Snapshots are signed with the key folder's Ed25519 key (created by the "
        "first snapshot) and verified against the public keys it trusts.",
    )
    actions = key.add_subparsers(dest="key_command", required=True)
    for name, text in (
        ("show", "the signing key's public line (give it to `datamig key trust` elsewhere)"),
        ("rotate", "a new signing key; the old public key stays trusted"),
        ("trust", "trust another machine's public key"),
    ):
        action = actions.add_parser(name, help=text)
        if name == "trust":
            action.add_argument("public_key", help="a file holding the public line, or - (stdin)")
        add_key_arguments(action, reading=False)
        action.add_argument("--json", action="store_true")


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
        keys=KeyStore.from_option(args.key_dir),
    )
    summary = f"snapshot {result.directory}: {result.rows:,} rows of {len(result.models)} models in {result.seconds:.2f} s"
    return succeed(result.as_dict(), args.json, lambda: print(summary))


def check_sealed(args: argparse.Namespace, allow_edited: tuple[str, ...] = ()) -> Sealed:
    """The snapshot's signature and files, checked before anything of it runs; an
    unsigned one accepted (with --trust-unsigned) says so on stderr."""
    sealed = check_snapshot(
        args.directory,
        KeyStore.from_option(args.key_dir),
        trust_unsigned=args.trust_unsigned,
        allow_edited=allow_edited,
    )
    if not sealed.signed:
        print(f"datamig: warning: {sealed.directory}: {sealed.note}", file=sys.stderr)
    return sealed


def _restore(args: argparse.Namespace) -> int:
    """Check the snapshot (signature, every file restore.py included, nothing extra)
    before running its code, isolated: ``python -I -B`` (the snapshot's folder is not
    on sys.path, no environment PYTHON* variable applies, no bytecode written)."""
    sealed = check_sealed(args)
    directory = sealed.directory
    env = dict(os.environ)
    env[SEALED_ENV] = directory
    env.pop(SEAL_NOTE_ENV, None)
    if not sealed.signed:
        env[SEAL_NOTE_ENV] = sealed.note
    command = [
        sys.executable,
        "-I",
        "-B",
        os.path.join(directory, "restore.py"),
        *_passthrough(args, env.get("PYTHONPATH")),
    ]
    return subprocess.call(command, env=env)


def _passthrough(args: argparse.Namespace, pythonpath: str | None = None) -> list[str]:
    out: list[str] = []
    if args.settings:
        out += ["--settings", args.settings]
    # -I ignores PYTHONPATH: its folders go on as --pythonpath, after the given ones
    extra = [p for p in (pythonpath or "").split(os.pathsep) if p]
    for folder in [*args.pythonpath, *extra]:
        out += ["--pythonpath", os.path.abspath(folder)]
    out += ["--database", args.database]
    if args.database_name:
        out += ["--database-name", args.database_name]
    if args.flush:
        out.append("--flush")
    if args.prepared:
        out.append("--prepared")
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
    try:
        sealed = check_sealed(args)
    except SnapshotInvalid as exc:
        if args.json:
            write_json(
                {
                    "ok": False,
                    "kind": exc.kind,
                    "error": str(exc),
                    "directory": directory,
                    "problems": getattr(exc, "problems", None) or [str(exc)],
                    **_described(getattr(exc, "manifest", None) or {}),
                }
            )
        print(f"datamig: error: {exc}", file=sys.stderr)
        return 1
    manifest = sealed.manifest
    data: dict[str, Any] = {
        "ok": True,
        "directory": sealed.directory,
        "problems": [],
        "extra_files": [],
        **sealed.as_dict(),
        **_described(manifest),
    }

    def show() -> None:
        print(
            f"snapshot {sealed.directory} verified: {sealed.files_checked} files, "
            f"{sealed.bytes_checked:,} bytes; {sealed.note}"
        )

    return succeed(data, args.json, show)


def _described(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "site": manifest.get("site"),
        "application": manifest.get("application"),
        "created": manifest.get("created"),
        "rows": manifest.get("total_rows"),
        "format": manifest.get("format"),
    }


def _key(args: argparse.Namespace) -> int:
    """datamig key show | rotate | trust FILE."""
    from .keys import public_line

    store = KeyStore.from_option(args.key_dir)
    action = args.key_command
    if action == "show":
        signer, created = store.signer_or_create()
        data: dict[str, Any] = {"created": created}
    elif action == "rotate":
        signer, old = store.rotate()
        data = {"rotated_from": old}
    else:
        if args.public_key == "-":
            text, where = sys.stdin.read(4096), "stdin"
        else:
            with open(args.public_key, encoding="ascii", errors="replace") as stream:
                text, where = stream.read(4096), args.public_key
        ident = store.trust(text, where)
        signer = None
        data = {"trusted": ident}
    if signer is not None:
        data.update(key=signer.key_id, public_key=public_line(signer.public_raw))
    data.update(ok=True, key_dir=store.directory, trusted_keys=sorted(store.trusted()))

    def show() -> None:
        if action == "trust":
            print(f"trusted key {data['trusted']} in {store.directory}")
            return
        if action == "rotate":
            print(f"new signing key {data['key']} (old {data['rotated_from']} stays trusted)")
        print(data["public_key"])

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
    database for a new site, or a prepared one for an upgrade (--migrate): the one place
    outside a restore that creates one."""
    from .runtime.databases import SiteDatabase
    from .runtime.errors import UsageError

    if args.drop:
        return _drop_database(args)
    if args.migrate and not args.create:
        raise UsageError("--migrate needs --create: it prepares a new database")
    if args.prepared and args.create:
        raise UsageError("--prepared only asks; --create --migrate prepares")
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
    migrated = _prepare(database, created=not existed) if args.migrate else None
    exists = existed or args.create
    result: dict[str, Any] = {
        "ok": True,
        "vendor": database.vendor,
        "name": str(database.name),
        "exists": exists,
        "created": exists and not existed,
        "size_bytes": database.size_bytes() if exists else 0,
    }
    if migrated is not None:
        result.update(migrated=migrated, prepared=True)
    elif args.prepared:
        result.update(_prepared_state(database, exists))

    def show() -> None:
        state = "created" if result["created"] else ("exists" if exists else "does not exist")
        if migrated is not None:
            state += ", migrated" if migrated else ", already prepared"
        print(f"{database.describe()}: {state}, {result['size_bytes']:,} bytes")

    return succeed(result, args.json, show)


def _prepared_state(database: Any, exists: bool) -> dict[str, Any]:
    from .runtime.schema import prepared_problems

    has_tables = exists and bool(database.existing_tables())
    problems = prepared_problems(database) if has_tables else ["it has no tables"]
    return {"prepared": not problems, "has_tables": has_tables, "problems": problems}


def _prepare(database: Any, created: bool) -> bool:
    """Migrate a new or empty database with the current code; True when it migrated.

    A database with tables is left alone when it is exactly a prepared one (a rerun) and
    refused otherwise; a database this call created is dropped again when migrate fails."""
    from .runtime.errors import TargetNotEmpty
    from .runtime.schema import migrate_schema, prepared_problems

    if not created and database.existing_tables():
        problems = prepared_problems(database)
        if problems:
            raise TargetNotEmpty(
                f"{database.describe()} has tables and is not a database prepared by this "
                f"code: {'; '.join(problems)}; nothing was changed (name a new database)"
            )
        return False
    try:
        migrate_schema(database.alias)
    except BaseException:
        if created:
            database.drop()
        raise
    return True


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
    sys.dont_write_bytecode = True  # nothing written into the snapshot's folder
    path = os.path.join(directory, "restore.py")
    with open(path, encoding="utf-8") as stream:
        exec(compile(stream.read(), path, "exec"), namespace)
    return namespace


def _diff(args: argparse.Namespace) -> int:
    """Exit 1 where restoring would lose data that no migrator covers and no
    --allow-loss accepts (the restore refuses exactly these cases)."""
    from .runtime.restorer import plan_and_diff

    sealed = check_sealed(args)
    directory, manifest = sealed.directory, sealed.manifest
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

    directory = check_sealed(args).directory
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
    "key": _key,
    **SCHEDULE_COMMANDS,
    **READONLY_COMMANDS,
}
