"""The part of datamig that travels inside every snapshot.

``restore.py`` imports this package from the snapshot's own folder, so a snapshot
restores with nothing but Django and the application installed. It imports only the
standard library and Django (and Django only inside functions that need it).
"""

from __future__ import annotations

import sys
from typing import Any

from .cli import Options, fail, parse_args, reserve_stdout_for_json, setup_django, succeed
from .errors import DatamigError
from .raw import to_raw
from .values import (
    Infinity,
    NaN,
    ct,
    false,
    null,
    to_bytes,
    to_date,
    to_datetime,
    to_decimal,
    to_duration,
    to_json,
    to_time,
    to_uuid,
    true,
)

__all__ = [
    "Infinity",
    "NaN",
    "Options",
    "ct",
    "false",
    "main",
    "model",
    "null",
    "start",
    "to_bytes",
    "to_date",
    "to_datetime",
    "to_decimal",
    "to_duration",
    "to_json",
    "to_raw",
    "to_time",
    "to_uuid",
    "true",
]


class MissingModel:
    """Stands for a model that the current code does not have; calling it explains."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __call__(self, **values: Any) -> Any:
        raise DatamigError(
            f"model {self.label} does not exist in the current code (removed or renamed): "
            "edit its create function in restore.py, or drop its files from LOAD"
        )


def model(label: str) -> Any:
    """The model class for ``app_label.ModelName``, or a MissingModel."""
    from django.apps import apps

    try:
        return apps.get_model(label)
    except LookupError:
        return MissingModel(label)


def start(argv: list[str], default_settings: str | None) -> Options:
    """``python restore.py ...``: parse the arguments and set up Django, or exit."""
    as_json = "--json" in argv
    if as_json:
        reserve_stdout_for_json()
    try:
        options = parse_args(argv, default_settings)
        setup_django(options)
    except DatamigError as exc:
        raise SystemExit(fail(exc, as_json)) from None
    return options


def main(namespace: dict[str, Any], options: Options) -> int:
    """Restore what ``restore.py`` describes; print the report; return the exit code."""
    from .restorer import restore

    try:
        report = restore(namespace, options)
    except DatamigError as exc:
        return fail(exc, options.json)
    except Exception as exc:  # an unexpected error still gets one clear line
        return fail(exc, options.json)
    out = sys.stdout
    return succeed(report.as_dict(), options.json, lambda: report.print_table(out))
