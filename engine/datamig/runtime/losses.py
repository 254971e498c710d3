"""Values that did not reach the target: counted in the report, kept in a file.

A restore never drops a value in silence. Whatever a migrator or ``--allow-loss``
drops (a removed field's values, a removed model's rows, duplicates of a new unique
constraint) is counted per model and field in the report, with the first values, and
written whole to a JSON-lines file the report names.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import os
import uuid
from typing import Any, TextIO

from .errors import UsageError
from .migrations import Drop
from .secrets import HIDDEN, is_secret, shown

SAMPLES = 3


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, memoryview)):
        return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, datetime.timedelta)):
        return str(value)
    return repr(value)


def _sample(drop: Drop) -> Any:
    """A dropped value as the report shows it: secrets hidden (the file keeps them)."""
    if is_secret(drop.field):
        return HIDDEN
    value = shown(drop.value) if isinstance(drop.value, dict) else drop.value
    return json.loads(json.dumps(value, default=_jsonable))


class LostValues:
    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        if os.path.islink(self.path):  # refused before anything is restored
            raise UsageError(
                f"--lost-values {self.path} is a symlink: refused (it would write the lost "
                "values wherever it points); give a plain file path"
            )
        self.stream: TextIO | None = None
        self.count = 0
        # label -> what -> {"count": n, "reason": ..., "first": [...]}
        self.summary: dict[str, dict[str, dict[str, Any]]] = {}

    def record(self, drops: list[Drop]) -> None:
        for drop in drops:
            what = drop.field or "*row"
            entry = self.summary.setdefault(drop.label, {}).setdefault(
                what, {"count": 0, "reason": drop.reason, "first": []}
            )
            entry["count"] += 1
            if len(entry["first"]) < SAMPLES:
                entry["first"].append({"pk": drop.pk, "value": _sample(drop)})
            self._write(drop)

    def _write(self, drop: Drop) -> None:
        if self.stream is None:
            # never through a symlink, and 0600 whatever the mode of a file it replaces
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            os.fchmod(fd, 0o600)
            self.stream = open(fd, "w", encoding="utf-8")  # noqa: SIM115 (closed by close())
        record = {
            "model": drop.label,
            "pk": drop.pk,
            "field": drop.field,
            "reason": drop.reason,
            "value": drop.value,
        }
        self.stream.write(json.dumps(record, default=_jsonable) + "\n")
        self.count += 1

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def discard(self) -> None:
        """Remove the file of a restore that failed (its load was rolled back)."""
        self.close()
        if self.count:
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path if self.count else None,
            "values": self.count,
            "models": self.summary,
        }
