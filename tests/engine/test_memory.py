"""Memory stays bounded: peak RSS of snapshot and restore does not grow with the data.

The benchmark (benchmarks/run.py) measures this at 100k and 1M rows on the demo site;
this test keeps CI honest at 20k and 200k rows (ten times more data) of the widest
test model: the larger run may use at most 1.25x the peak of the smaller one, and
never more than 300 MB.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from .helpers import PYTHON, ROOT, Database, django_script, site_args

LIMIT_MB = 300


def peak_mb(args: list[str], db: Database) -> float:
    """Run a command to the end; the peak RSS of it and every child it waited for."""
    proc = subprocess.Popen(
        args, env=db.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == 0, stderr
    return usage.ru_maxrss / 1024


def measure(rows: int, tmp_path, databases) -> tuple[float, float]:
    source = databases("sqlite", f"mem{rows}")
    django_script(
        source,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        f"from exact.fill import fill_everything\nfill_everything({rows})\n",
    )
    snap = tmp_path / f"snap{rows}"
    dump = peak_mb([PYTHON, "-m", "datamig", "snapshot", *site_args(), "-o", str(snap)], source)
    target = databases("sqlite", f"memtarget{rows}")
    load = peak_mb([PYTHON, "-m", "datamig", "restore", str(snap), *site_args()], target)
    assert target.exists()
    return dump, load


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_the_database(tmp_path, databases):
    small_dump, small_load = measure(20_000, tmp_path, databases)
    large_dump, large_load = measure(200_000, tmp_path, databases)
    print(
        f"snapshot peak MB: {small_dump:.0f} -> {large_dump:.0f}; restore: {small_load:.0f} -> {large_load:.0f}"
    )
    assert large_dump <= 1.25 * small_dump, (small_dump, large_dump)
    assert large_load <= 1.25 * small_load, (small_load, large_load)
    assert max(large_dump, large_load) < LIMIT_MB
