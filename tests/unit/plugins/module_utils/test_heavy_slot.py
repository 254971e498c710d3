"""The per-server bound on heavy work: never more than ``slots`` holders at once, a
killed holder frees its slot, a wait that lasts too long fails naming the holders, and
the snapshot module runs the engine inside a slot (and fails, engine not run, without one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ...helpers import COLLECTIONS, run_module, site_args

from ansible_collections.datamig.site.plugins.module_utils.heavy_slot import (  # isort: skip
    HeavySlot,
    SlotTimeout,
)
from ansible_collections.datamig.site.plugins.modules import snapshot  # isort: skip
from tests.engine.helpers import Database  # isort: skip

HOLDER = """
import json, sys, time
sys.path[:0] = [{collections!r}]
from ansible_collections.datamig.site.plugins.module_utils.heavy_slot import HeavySlot
with HeavySlot({directory!r}, {slots}, 60, {{"who": sys.argv[1]}}) as slot:
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
print(json.dumps(slot.info), flush=True)
"""


def _holder(directory: Path, slots: int, who: str, seconds: float) -> subprocess.Popen[str]:
    code = HOLDER.format(collections=str(COLLECTIONS), directory=str(directory), slots=slots)
    return subprocess.Popen(
        [sys.executable, "-c", code, who, str(seconds)], stdout=subprocess.PIPE, text=True
    )


def _most_at_once(intervals: list[tuple[float, float]]) -> int:
    events = sorted(
        [(start, 1) for start, end in intervals] + [(end, -1) for start, end in intervals]
    )
    running = most = 0
    for _when, step in events:  # an end sorts before a start at the same instant
        running += step
        most = max(most, running)
    return most


@pytest.mark.parametrize("slots", [1, 2])
def test_never_more_holders_than_slots(tmp_path: Path, slots: int):
    holders = [_holder(tmp_path, slots, f"site{n}", 0.6) for n in range(5)]
    infos = []
    for process in holders:
        out = process.communicate(timeout=60)[0]
        assert process.returncode == 0
        infos.append(json.loads(out.splitlines()[-1]))
    intervals = [(info["started"], info["ended"]) for info in infos]
    assert _most_at_once(intervals) == slots  # the bound, and used to the full
    assert {info["slot"] for info in infos} == set(range(1, slots + 1))
    assert sum(info["waited_seconds"] > 0.3 for info in infos) >= 5 - slots


def test_a_killed_holder_frees_its_slot(tmp_path: Path):
    process = _holder(tmp_path, 1, "killed", 300)
    assert process.stdout is not None and process.stdout.readline() == "holding\n"
    with pytest.raises(SlotTimeout), HeavySlot(str(tmp_path), 1, 0.5, {"who": "test"}):
        pass
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    started = time.monotonic()
    with HeavySlot(str(tmp_path), 1, 5, {"who": "test"}) as slot:
        assert slot.info["slot"] == 1
    assert time.monotonic() - started < 1


def test_a_timeout_names_the_holders(tmp_path: Path):
    with (
        HeavySlot(str(tmp_path), 1, 5, {"who": "first", "site": "alpha"}),
        pytest.raises(SlotTimeout) as raised,
        HeavySlot(str(tmp_path), 1, 0.3, {"who": "second"}),
    ):
        pass
    assert '"site": "alpha"' in str(raised.value) and "1 slot(s)" in str(raised.value)


def test_no_bound_waits_for_nothing(tmp_path: Path):
    with HeavySlot(str(tmp_path / "unused"), 0, 0, {}) as slot:
        assert slot.info["slot"] is None
    assert not (tmp_path / "unused").exists()


def test_the_snapshot_module_runs_the_engine_inside_a_slot(source: Database, tmp_path: Path):
    slots = tmp_path / "slots"
    args = site_args(source, heavy_slots=1, heavy_slots_dir=str(slots), heavy_wait_timeout=1)
    with HeavySlot(str(slots), 1, 5, {"who": "another site"}):
        refused = run_module(snapshot, {**args, "dest": str(tmp_path / "refused")})
    assert refused.failed and refused["kind"] == "heavy_slot", refused
    assert "another site" in refused["msg"] and not (tmp_path / "refused").exists()

    result = run_module(snapshot, {**args, "dest": str(tmp_path / "snap")})
    assert not result.failed, result
    heavy = result["heavy"]
    assert heavy["slot"] == 1 and heavy["ended"] - heavy["started"] >= result["seconds"]
    assert (slots / "slot-1.lock").exists()
