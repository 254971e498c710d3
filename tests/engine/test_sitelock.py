"""The engine's site lock and the Ansible module datamig.site.lock share one file format.

The module's own functions (plugins/modules/lock.py: take, release, read_lock, describe,
create_lock) are loaded from the repository and used against the engine's lock.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from datamig.sitelock import SiteLock, SiteLocked, read_lock

ROOT = Path(__file__).resolve().parents[2]


def _load_module():
    spec = importlib.util.spec_from_file_location(
        "datamig_lock_module", ROOT / "plugins" / "modules" / "lock.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lock_module = _load_module()


def module_take(path: Path, owner: str, pid: int | None = None, stale_after: int = 0):
    """What ``datamig.site.lock: state=present`` does: (error message or None, result)."""
    fake = SimpleNamespace(
        params={"owner": owner, "stale_after": stale_after, "pid": pid, "force": False},
        check_mode=False,
    )
    result = {"changed": False, "lock": None, "stale_taken_over": False, "previous": None}
    with lock_module.DirectoryFlock(str(path.parent)):
        error = lock_module.take(fake, str(path), result)
    return error, result


def module_release(path: Path, owner: str):
    fake = SimpleNamespace(params={"owner": owner, "force": False}, check_mode=False)
    result = {"changed": False, "lock": None}
    with lock_module.DirectoryFlock(str(path.parent)):
        error = lock_module.release(fake, str(path), result)
    return error, result


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_engine_lock_is_the_module_format(tmp_path):
    path = tmp_path / "site.lock"
    lock = SiteLock(str(path), "scheduled-20261124T030000Z", pid=4242)
    content = lock.acquire()
    raw = path.read_bytes()
    # byte for byte what the module's create_lock writes for the same content
    assert raw == json.dumps(content, sort_keys=True).encode() + b"\n"
    assert sorted(content) == ["host", "owner", "pid", "since"]
    assert content["host"] == socket.gethostname()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    module_content, age = lock_module.read_lock(str(path))
    assert module_content == content
    assert 0 <= age < 60  # the module parses our "since"
    assert lock_module.describe(module_content) == (
        f"run 'scheduled-20261124T030000Z' (host {socket.gethostname()}, pid 4242) "
        f"since {content['since']}"
    )
    # an upgrade (the module) cannot take it and names the scheduled run
    error, result = module_take(path, "upgrade-20261124T031500-demo")
    assert "locked by run 'scheduled-20261124T030000Z'" in error
    assert result["lock"] == content
    # the module does not release another owner's lock, the engine does release its own
    error, _ = module_release(path, "upgrade-20261124T031500-demo")
    assert "left in place" in error
    assert path.read_bytes() == raw
    assert lock.release() is True
    assert not path.exists()


def test_a_module_lock_keeps_the_engine_out_and_is_left_untouched(tmp_path):
    path = tmp_path / "site.lock"
    error, result = module_take(path, "upgrade-20261124T031500-demo", pid=dead_pid())
    assert error is None
    raw = path.read_bytes()
    # an upgrade's lock is never taken over, even when its pid is gone
    with pytest.raises(SiteLocked) as caught:
        SiteLock(str(path), "scheduled-20261124T040000Z").acquire()
    assert caught.value.holder == result["lock"]
    assert caught.value.kind == "site_locked"
    assert lock_module.describe(result["lock"]) in str(caught.value)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == raw
    # the engine does not release someone else's lock either
    assert SiteLock(str(path), "scheduled-20261124T040000Z").release() is False
    assert path.read_bytes() == raw


def write_module_lock(path: Path, **content) -> None:
    full = {"owner": None, "host": socket.gethostname(), "pid": None, "since": "x"}
    full.update(content)
    full["since"] = lock_module.utc_now()
    assert lock_module.create_lock(str(path), full)


def test_only_a_crashed_scheduled_run_on_this_host_is_taken_over(tmp_path):
    path = tmp_path / "site.lock"
    cases = [
        ({"owner": "scheduled-20261123T030000Z", "pid": os.getpid()}, "running pid"),
        (
            {"owner": "scheduled-20261123T030000Z", "pid": dead_pid(), "host": "elsewhere"},
            "other host",
        ),
        ({"owner": "scheduled-20261123T030000Z", "pid": None}, "no pid"),
        ({"owner": "upgrade-20261123T030000Z", "pid": dead_pid()}, "an upgrade"),
        ({"owner": None, "pid": dead_pid()}, "no owner"),
    ]
    for content, label in cases:
        write_module_lock(path, **content)
        raw = path.read_bytes()
        with pytest.raises(SiteLocked):
            SiteLock(str(path), "scheduled-20261124T030000Z").acquire()
        assert path.read_bytes() == raw, label
        path.unlink()
    path.write_text("not json at all\n")
    with pytest.raises(SiteLocked, match="unreadable lock"):
        SiteLock(str(path), "scheduled-20261124T030000Z").acquire()
    path.unlink()

    crashed = {"owner": "scheduled-20261123T030000Z", "pid": dead_pid()}
    write_module_lock(path, **crashed)
    old = read_lock(str(path))
    lock = SiteLock(str(path), "scheduled-20261124T030000Z")
    content = lock.acquire()
    assert lock.taken_over == old
    assert read_lock(str(path)) == content
    assert content["owner"] == "scheduled-20261124T030000Z"
    assert content["pid"] == os.getpid()
    lock.release()


def test_the_lock_directory_must_exist(tmp_path):
    from datamig.sitelock import LockError

    with pytest.raises(LockError, match="does not exist"):
        SiteLock(str(tmp_path / "nowhere" / "site.lock"), "scheduled-x").acquire()


RACER = """
import sys, time
from datamig.sitelock import SiteLock, SiteLocked
until = float(sys.argv[2])
while time.time() < until:
    time.sleep(0.001)
try:
    SiteLock(sys.argv[1], "upgrade-racer-" + sys.argv[3]).acquire()
    print("won")
except SiteLocked:
    print("lost")
"""


def test_racing_runs_cannot_both_win(tmp_path):
    import time

    path = tmp_path / "site.lock"
    start = time.time() + 1.0
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(path), str(start), str(n)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    outcomes = [r.communicate(timeout=60)[0].strip() for r in racers]
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    winner = outcomes.index("won")
    assert read_lock(str(path))["owner"] == f"upgrade-racer-{winner}"
