"""The per-model restore report, for the terminal and for ``--json``."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

MAX_ERRORS_KEPT = 5


@dataclass
class ModelReport:
    label: str
    table: str
    expected: int
    read: int = 0
    restored: int = 0
    transformed: int = 0
    ignored: int = 0
    errors: int = 0
    seconds: float = 0.0
    fast_path: bool = True
    defaults_used: list[str] = field(default_factory=list)
    first_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.label,
            "table": self.table,
            "expected": self.expected,
            "read": self.read,
            "restored": self.restored,
            "transformed": self.transformed,
            "ignored": self.ignored,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "fast_path": self.fast_path,
            "defaults_used": self.defaults_used,
            "first_errors": self.first_errors,
        }


@dataclass
class RestoreReport:
    snapshot: str
    database: str
    vendor: str
    created_database: bool = False
    flushed: bool = False
    models: list[ModelReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    losses: dict[str, Any] = field(default_factory=dict)
    migrators: list[dict[str, Any]] = field(default_factory=list)
    # app.Model.field -> rows filled: by --set, by the model's code, '' (filling.py)
    filled: dict[str, dict[str, int]] = field(default_factory=dict)
    content_types: dict[str, Any] | None = None  # ids kept, added, stale (content_types.py)
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "snapshot": self.snapshot,
            "database": self.database,
            "vendor": self.vendor,
            "created_database": self.created_database,
            "flushed": self.flushed,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "models": [m.as_dict() for m in self.models],
            "tables": self.tables,
            "losses": self.losses,
            "migrators": self.migrators,
            "content_types": self.content_types,
            "filled": self.filled,
            "warnings": self.warnings,
        }

    def print_table(self, out: TextIO = sys.stdout) -> None:
        width = max([len(m.label) for m in self.models] + [5])
        out.write(f"Restored {self.snapshot} into {self.vendor} database {self.database}\n")
        out.write(
            f"{'model':<{width}} {'restored':>10} {'transformed':>11} {'ignored':>8} {'errors':>7} "
            f"{'seconds':>8} {'rows/s':>9}\n"
        )
        for m in self.models:
            rate = m.read / m.seconds if m.seconds > 0 else 0
            out.write(
                f"{m.label:<{width}} {m.restored:>10,} {m.transformed:>11,} {m.ignored:>8,} {m.errors:>7,} "
                f"{m.seconds:>8.2f} {rate:>9,.0f}\n"
            )
        rate = self.rows / self.seconds if self.seconds > 0 else 0
        out.write(
            f"{'total':<{width}} {self.rows:>10,} rows in {self.seconds:.2f} s ({rate:,.0f} rows/s)\n"
        )
        for m in self.models:
            for error in m.first_errors:
                out.write(f"error in {m.label}: {error}\n")
        for label, fields in (self.losses.get("models") or {}).items():
            for what, entry in fields.items():
                name = label if what == "*row" else f"{label}.{what}"
                shown = ", ".join(repr(s["value"]) for s in entry["first"])
                out.write(
                    f"not restored: {name}: {entry['count']:,} ({entry['reason']}); first: {shown}\n"
                )
        if self.losses.get("file"):
            out.write(f"every value not restored is in {self.losses['file']}\n")
        for name, counts in self.filled.items():
            out.write(
                f"filled: {name}: {counts['rows']:,} rows ({counts['by_model']:,} by the "
                f"model's code, {counts['by_set']:,} by --set, {counts['empty_text']:,} '')\n"
            )
        for warning in self.warnings:
            out.write(f"warning: {warning}\n")


class Progress:
    """Rows per second on a terminal; silent otherwise."""

    def __init__(self, enabled: bool, stream: TextIO = sys.stderr) -> None:
        self.enabled = enabled
        self.stream = stream
        self._last = 0.0

    def update(
        self, label: str, done: int, total: int, started: float, final: bool = False
    ) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self._last < 0.5:
            return
        self._last = now
        rate = done / (now - started) if now > started else 0
        end = "\n" if final else "\r"
        self.stream.write(f"  {label:<40} {done:>10,}/{total:<10,} {rate:>9,.0f} rows/s{end}")
        self.stream.flush()
