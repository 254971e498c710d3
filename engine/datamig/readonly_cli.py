"""The ``datamig readonly`` command: make a site read-only (and wait for the requests in
flight), allow writes again, or ask. The work is in readonly/gate.py; no Django."""

from __future__ import annotations

import argparse
from typing import Any

from .readonly import gate
from .runtime.cli import succeed
from .runtime.errors import UsageError


def add_readonly_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "readonly",
        help="make a site read-only (reads served, writes refused), or writable again",
        description="The site's app server runs it through datamig.readonly.wsgi; this "
        "command sets or removes the flag that middleware reads. `on` waits until every "
        "request that began before it has ended, so that from its return no request writes.",
    )
    actions = parser.add_subparsers(dest="readonly_command", required=True)
    for name, text in (
        ("on", "read-only from now; returns once no request in flight can write"),
        ("off", "writes allowed again"),
        ("status", "whether the site is read-only"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--flag", required=True, help="the flag file (DATAMIG_READONLY_FLAG)")
        if name == "on":
            action.add_argument(
                "--lock", required=True, help="the drain lock file (DATAMIG_READONLY_LOCK)"
            )
            action.add_argument(
                "--drain-timeout",
                type=float,
                default=30.0,
                help="seconds to wait for requests in flight; past it, writes are allowed "
                "again and the command fails (default 30)",
            )
            action.add_argument("--reason", default="", help="what the refusal page says")
            action.add_argument(
                "--retry-after", type=int, default=gate.DEFAULT_RETRY_AFTER, help="seconds"
            )
        action.add_argument("--json", action="store_true")


def _readonly(args: argparse.Namespace) -> int:
    action = args.readonly_command
    if action == "on":
        if args.drain_timeout < 0:
            raise UsageError("--drain-timeout must be 0 or more seconds")
        data = gate.switch_on(
            args.flag, args.lock, args.drain_timeout, args.reason, args.retry_after
        )
        line = f"read-only: {args.flag} (requests in flight drained in {data['drained_seconds']} s)"
    elif action == "off":
        data = gate.switch_off(args.flag)
        line = "writes allowed" + ("" if data["removed"] else " (the site was not read-only)")
    else:
        flag = gate.read_flag(args.flag)
        data = {"read_only": flag is not None, **(flag or {})}
        line = "read-only" if flag is not None else "writable"
    data["ok"] = True
    return succeed(data, args.json, lambda: print(line))


READONLY_COMMANDS = {"readonly": _readonly}
