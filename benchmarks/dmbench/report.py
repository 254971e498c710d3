"""Turn a run's results into the Markdown table (tools side by side) and the ratios.

Everything here reads the results dictionary that run.py builds (and writes as JSON),
so a saved JSON file can be rendered again: ``cd benchmarks && python -m dmbench.report results/NAME.json``.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

BACKEND_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}
TOOL_ORDER = ("django", "native", "datamig")
MEMORY_LIMIT_MB = 300.0
MEMORY_GROWTH_LIMIT = 1.25


def size_label(rows: int) -> str:
    for unit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if rows >= unit and rows % unit == 0:
            return f"{rows // unit}{suffix}"
    return f"{rows:,}"


def _seconds(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _identical(entry: dict[str, Any]) -> str:
    if entry.get("skipped"):
        return f"skipped: {entry['skipped']}"
    if entry.get("error"):
        return f"failed: {entry['error'].splitlines()[0][:160]}"
    if entry.get("identical"):
        return "yes"
    differing = entry.get("differing_tables", [])
    causes = sorted({c for d in entry.get("diff", {}).values() for c in d.get("causes", [])})
    why = f" ({'; '.join(causes)})" if causes else ""
    return f"no: {len(differing)} of {entry.get('tables', '?')} tables differ{why}"


def _cells(results: dict[str, Any]) -> list[dict[str, Any]]:
    return results.get("cells", [])


def results_table(results: dict[str, Any]) -> str:
    lines = [
        "| tool | backend | rows | dump s | restore s | peak MB dump | peak MB restore | identical |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for cell in _cells(results):
        backend = BACKEND_LABELS.get(cell["backend"], cell["backend"])
        for key in TOOL_ORDER:
            entry = cell["tools"].get(key)
            if entry is None:
                continue
            lines.append(
                "| "
                + " | ".join(
                    [
                        entry["label"],
                        backend,
                        size_label(cell["size"]),
                        *_numbers(entry),
                        _identical(entry),
                    ]
                )
                + " |"
            )
    return "\n".join(lines)


def _numbers(entry: dict[str, Any]) -> list[str]:
    dump, restore = entry.get("dump"), entry.get("restore")
    return [
        _seconds(dump["seconds"]) if dump else "-",
        _seconds(restore["seconds"]) if restore else "-",
        f"{dump['peak_mb']:.0f}" if dump else "-",
        f"{restore['peak_mb']:.0f}" if restore else "-",
    ]


def _phase(cell: dict[str, Any], tool: str, phase: str) -> float | None:
    entry = cell["tools"].get(tool) or {}
    if entry.get("error") or not entry.get(phase):
        return None
    return entry[phase]["seconds"]


# name, numerator (tool, phase), denominator (tool, phase), comparison, target
RATIOS: list[tuple[str, tuple[str, str], tuple[str, str], str, float]] = [
    ("datamig dump speed-up vs dumpdata", ("django", "dump"), ("datamig", "dump"), ">=", 5.0),
    (
        "datamig restore speed-up vs loaddata",
        ("django", "restore"),
        ("datamig", "restore"),
        ">=",
        10.0,
    ),
    (
        "datamig restore time / native reload",
        ("datamig", "restore"),
        ("native", "restore"),
        "<=",
        5.0,
    ),
]
_MEETS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda value, target: value >= target,
    "<=": lambda value, target: value <= target,
}


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for cell in _cells(results):
        for name, (num_tool, num_phase), (den_tool, den_phase), op, target in RATIOS:
            numerator = _phase(cell, num_tool, num_phase)
            denominator = _phase(cell, den_tool, den_phase)
            if numerator is None or denominator is None or denominator <= 0:
                continue
            value = numerator / denominator
            out.append(
                {
                    "ratio": name,
                    "backend": cell["backend"],
                    "size": cell["size"],
                    "value": round(value, 2),
                    "target": f"{op} {target:g}",
                    "met": _MEETS[op](value, target),
                }
            )
    return out


def memory_growth(results: dict[str, Any]) -> list[dict[str, Any]]:
    """datamig's peak RSS per phase: at the largest vs the smallest size, per backend."""
    out = []
    for backend in dict.fromkeys(c["backend"] for c in _cells(results)):
        cells = sorted(
            (c for c in _cells(results) if c["backend"] == backend), key=lambda c: c["size"]
        )
        for phase in ("dump", "restore"):
            peaks = {
                c["size"]: c["tools"]["datamig"][phase]
                for c in cells
                if c["tools"].get("datamig", {}).get(phase)
            }
            if not peaks:
                continue
            out.append(_growth_entry(backend, phase, peaks))
    return out


def _growth_entry(backend: str, phase: str, peaks: dict[int, dict[str, Any]]) -> dict[str, Any]:
    small, large = min(peaks), max(peaks)
    growth = peaks[large]["peak_mb"] / peaks[small]["peak_mb"] if large != small else None
    largest = max(p["peak_mb"] for p in peaks.values())
    return {
        "backend": backend,
        "phase": "snapshot" if phase == "dump" else "restore",
        "peak_mb": {size_label(size): p["peak_mb"] for size, p in sorted(peaks.items())},
        "tree_mb": {size_label(size): p["tree_mb"] for size, p in sorted(peaks.items())},
        "growth": round(growth, 3) if growth is not None else None,
        "growth_of": f"{size_label(large)}/{size_label(small)}",
        "met": largest <= MEMORY_LIMIT_MB and (growth is None or growth <= MEMORY_GROWTH_LIMIT),
    }


def ratios_table(items: list[dict[str, Any]]) -> str:
    lines = ["| ratio | backend | rows | value | target | met |", "|---|---|---:|---:|---|---|"]
    for r in items:
        lines.append(
            f"| {r['ratio']} | {BACKEND_LABELS.get(r['backend'], r['backend'])} | "
            f"{size_label(r['size'])} | {r['value']:.1f}x | {r['target']} | {_yes(r['met'])} |"
        )
    return "\n".join(lines)


def memory_table(items: list[dict[str, Any]]) -> str:
    lines = [
        f"| datamig | backend | peak MB (largest process) | peak MB (process tree) | growth | "
        f"target: <= {MEMORY_LIMIT_MB:.0f} MB, growth <= {MEMORY_GROWTH_LIMIT} | ",
        "|---|---|---|---|---:|---|",
    ]
    for m in items:
        growth = f"{m['growth']:.2f} ({m['growth_of']})" if m["growth"] is not None else "-"
        lines.append(
            f"| {m['phase']} | {BACKEND_LABELS.get(m['backend'], m['backend'])} | "
            f"{_sizes(m['peak_mb'])} | {_sizes(m['tree_mb'])} | {growth} | {_yes(m['met'])} |"
        )
    return "\n".join(lines)


def _sizes(values: dict[str, float]) -> str:
    return ", ".join(f"{label}: {mb:.0f}" for label, mb in values.items())


def _yes(met: bool) -> str:
    return "yes" if met else "**NO**"


def sources_table(results: dict[str, Any]) -> str:
    lines = [
        "| backend | size | rows (checksum) | tables | migrate s | fill s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in _cells(results):
        source = c.get("source", {})
        lines.append(
            f"| {BACKEND_LABELS.get(c['backend'], c['backend'])} | {size_label(c['size'])} | "
            f"{c.get('rows', 0):,} | {c.get('tables', 0)} | "
            f"{_step_seconds(source, 'migrate')} | {_step_seconds(source, 'fill')} |"
        )
    return "\n".join(lines)


def _step_seconds(source: dict[str, Any], step: str) -> str:
    return _seconds(source[step]["seconds"]) if step in source else "-"


def markdown(results: dict[str, Any]) -> str:
    parts = [
        results_table(results),
        "Ratios (same run, same databases):",
        ratios_table(results.get("ratios") or ratios(results)),
        "Peak memory of datamig:",
        memory_table(results.get("memory") or memory_growth(results)),
        "Source databases:",
        sources_table(results),
    ]
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        sys.stdout.write(markdown(json.load(handle)))
