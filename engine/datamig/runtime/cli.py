"""Command line of a snapshot's ``restore.py``: arguments, Django set-up, exit codes."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from .errors import DatamigError, SettingsError, UsageError


@dataclass
class Options:
    settings: str | None = None
    pythonpath: list[str] = field(default_factory=list)
    database: str = "default"
    database_name: str | None = None
    flush: bool = False
    prepared: bool = False
    json: bool = False
    progress: bool = False
    allow_loss: list[str] = field(default_factory=list)
    lost_values: str | None = None
    set_values: list[str] = field(default_factory=list)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say which database to restore into (shared with the engine CLI)."""
    parser.add_argument("--settings", help="Django settings module (default: as recorded)")
    parser.add_argument(
        "--pythonpath", action="append", default=[], help="folder to put on sys.path"
    )
    parser.add_argument("--database", default="default", help="database alias (default: default)")
    parser.add_argument(
        "--database-name",
        help="override the NAME of that database (a file path for SQLite); "
        "created and migrated when it does not exist",
    )
    parser.add_argument(
        "--flush", action="store_true", help="replace the rows of a target that holds data"
    )
    parser.add_argument(
        "--prepared",
        action="store_true",
        help="the target was prepared (datamig database --create --migrate): check that it is "
        "migrated exactly to the current code and empty, then load rows without migrating",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON result on stdout")
    add_loss_arguments(parser)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        dest="set_values",
        metavar="APP.MODEL.FIELD=VALUE",
        help="the value of a new required field for every restored row "
        "(before the model's own code is asked for one)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show rows per second (default: when stderr is a terminal)",
    )


def add_loss_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-loss",
        action="append",
        default=[],
        metavar="APP.MODEL[.FIELD]",
        help="accept losing a removed model's rows or a removed field's values (reported)",
    )
    parser.add_argument(
        "--lost-values",
        metavar="FILE",
        help="where to write every value not restored (JSON lines; default: ./datamig-lost-values-<time>.jsonl)",
    )


def parse_args(argv: list[str], default_settings: str | None = None) -> Options:
    parser = _Parser(prog="restore.py", description="Restore this datamig snapshot.")
    add_target_arguments(parser)
    args = parser.parse_args(argv)
    return options_from(args, default_settings)


def options_from(args: argparse.Namespace, default_settings: str | None) -> Options:
    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    return Options(
        settings=args.settings or os.environ.get("DJANGO_SETTINGS_MODULE") or default_settings,
        pythonpath=list(args.pythonpath),
        database=args.database,
        database_name=args.database_name,
        flush=args.flush,
        prepared=bool(getattr(args, "prepared", False)),
        json=args.json,
        progress=progress,
        allow_loss=list(getattr(args, "allow_loss", []) or []),
        lost_values=getattr(args, "lost_values", None),
        set_values=list(getattr(args, "set_values", []) or []),
    )


def setup_django(options: Options) -> None:
    """Import the settings (with a clear error when they do not import) and set up Django."""
    for folder in reversed(options.pythonpath):
        sys.path.insert(0, os.path.abspath(folder))
    if not options.settings:
        raise SettingsError("no settings module: pass --settings or set DJANGO_SETTINGS_MODULE")
    os.environ["DJANGO_SETTINGS_MODULE"] = options.settings
    try:
        import django
        from django.conf import settings
    except ImportError as exc:
        raise SettingsError(f"Django is not importable by {sys.executable}: {exc}") from None
    try:
        databases = settings.DATABASES
    except Exception as exc:
        raise SettingsError(
            f"settings module {options.settings!r} does not import: {type(exc).__name__}: {exc}"
        ) from None
    if options.database not in databases:
        raise SettingsError(
            f"settings {options.settings!r} define no database {options.database!r}"
        )
    if options.database_name:
        name = options.database_name
        if databases[options.database]["ENGINE"].endswith("sqlite3") and name != ":memory:":
            name = os.path.abspath(name)
        databases[options.database]["NAME"] = name
    try:
        django.setup()
    except Exception as exc:
        raise SettingsError(
            f"Django set-up with {options.settings!r} failed: {type(exc).__name__}: {exc}"
        ) from None


_json_stream: Any = None


def reserve_stdout_for_json() -> None:
    """With --json, stdout carries one JSON object and nothing else: whatever the site
    prints or logs to stdout while it runs (Lino logs there) goes to stderr."""
    global _json_stream
    if _json_stream is None:
        _json_stream = sys.stdout
        sys.stdout = sys.stderr


def write_json(data: dict[str, Any]) -> None:
    stream = _json_stream or sys.stdout
    stream.write(json.dumps(data, default=str) + "\n")
    stream.flush()


def fail(error: BaseException, as_json: bool) -> int:
    """Report an error as one line (and as JSON with --json); return the exit code."""
    kind = getattr(error, "kind", "error")
    message = str(error) if isinstance(error, DatamigError) else f"{type(error).__name__}: {error}"
    sys.stderr.write(f"datamig: error: {message}\n")
    if as_json:
        write_json({"ok": False, "kind": kind, "error": message})
    return getattr(error, "exit_code", 1)


def succeed(result: dict[str, Any], as_json: bool, printer: Any = None) -> int:
    if as_json:
        write_json(result)
    elif printer is not None:
        printer()
    return 0
