"""datamig.site.lock: no two runs work on one site."""

import datetime
import json
import os
import subprocess
import sys

import pytest

from ...helpers import run_module

from ansible_collections.datamig.site.plugins.modules import lock  # isort: skip


def ok(check_mode=False, **args):
    """Run the module in this process; its result, which must not be a failure."""
    result = run_module(lock, args, check_mode=check_mode)
    assert not result.failed, result
    return result


def fails(check_mode=False, **args):
    """Run the module in this process; its failure."""
    result = run_module(lock, args, check_mode=check_mode)
    assert result.failed, result
    return result


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "datamig.lock")


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def ago(seconds):
    stamp = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_lock(path, owner, since):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"owner": owner, "host": "web1", "pid": 4242, "since": since}, handle)


def test_present_creates_the_lock_with_owner_host_pid_and_since(path):
    result = ok(path=path, owner="upgrade-1", pid=1234)

    assert result["changed"] is True
    assert result["stale_taken_over"] is False
    content = read_json(path)
    assert content == result["lock"]
    assert content["owner"] == "upgrade-1"
    assert content["pid"] == 1234
    assert content["host"]
    assert content["since"].endswith("Z")


def test_the_same_owner_again_is_unchanged(path):
    first = ok(path=path, owner="upgrade-1")

    second = ok(path=path, owner="upgrade-1")

    assert second["changed"] is False
    assert second["lock"] == first["lock"] == read_json(path)


def test_a_second_owner_is_refused_with_the_holder_named(path):
    first = ok(path=path, owner="upgrade-1")

    result = fails(path=path, owner="snapshot-2")

    assert "upgrade-1" in result["msg"]
    assert first["lock"]["since"] in result["msg"]
    assert result["changed"] is False
    assert result["lock"] == first["lock"]
    assert read_json(path) == first["lock"]


def test_a_lock_older_than_stale_after_is_taken_over(path):
    write_lock(path, "crashed-run", ago(7200))

    result = ok(path=path, owner="upgrade-2", stale_after=3600)

    assert result["changed"] is True
    assert result["stale_taken_over"] is True
    assert result["previous"]["owner"] == "crashed-run"
    assert read_json(path)["owner"] == "upgrade-2"


def test_a_lock_younger_than_stale_after_is_refused(path):
    write_lock(path, "running-run", ago(60))

    failed = fails(path=path, owner="upgrade-2", stale_after=3600)

    assert "running-run" in failed["msg"]
    assert read_json(path)["owner"] == "running-run"


def test_stale_after_zero_never_takes_over(path):
    write_lock(path, "old-run", ago(10 * 365 * 86400))

    fails(path=path, owner="upgrade-2")

    assert read_json(path)["owner"] == "old-run"


def test_an_unreadable_lock_still_locks_and_ages_by_its_mtime(path):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("locked by hand\n")

    failed = fails(path=path, owner="upgrade-2", stale_after=3600)
    assert "unreadable" in failed["msg"]

    os.utime(path, (1_700_000_000, 1_700_000_000))
    result = ok(path=path, owner="upgrade-2", stale_after=3600)
    assert result["stale_taken_over"] is True
    assert read_json(path)["owner"] == "upgrade-2"


def test_check_mode_takes_nothing(path):
    result = ok(path=path, owner="upgrade-1", check_mode=True)

    assert result["changed"] is True
    assert result["lock"]["owner"] == "upgrade-1"
    assert not os.path.exists(path)


def test_check_mode_takeover_leaves_the_stale_lock(path):
    write_lock(path, "crashed-run", ago(7200))

    result = ok(path=path, owner="upgrade-2", stale_after=60, check_mode=True)

    assert result["changed"] is True
    assert result["stale_taken_over"] is True
    assert read_json(path)["owner"] == "crashed-run"


def test_absent_by_the_owner_removes_the_lock(path):
    taken = ok(path=path, owner="upgrade-1")

    result = ok(path=path, owner="upgrade-1", state="absent")

    assert result["changed"] is True
    assert result["lock"] == taken["lock"]
    assert not os.path.exists(path)
    assert ok(path=path, owner="upgrade-1", state="absent")["changed"] is False


def test_absent_by_another_owner_fails_and_keeps_the_lock(path):
    ok(path=path, owner="upgrade-1")

    failed = fails(path=path, owner="snapshot-2", state="absent")

    assert "upgrade-1" in failed["msg"]
    assert read_json(path)["owner"] == "upgrade-1"


def test_absent_with_force_removes_anyones_lock(path):
    ok(path=path, owner="upgrade-1")

    result = ok(path=path, state="absent", force=True)

    assert result["changed"] is True
    assert not os.path.exists(path)


def test_check_mode_absent_keeps_the_lock(path):
    ok(path=path, owner="upgrade-1")

    result = ok(path=path, owner="upgrade-1", state="absent", check_mode=True)

    assert result["changed"] is True
    assert os.path.exists(path)


def test_present_needs_an_owner(path):
    failed = fails(path=path)

    assert "owner" in failed["msg"]
    assert not os.path.exists(path)


def test_racing_runs_one_wins(tmp_path, path):
    """Eight processes race to take over one stale lock: exactly one gets it."""
    write_lock(path, "crashed-run", ago(7200))
    procs = []
    for n in range(8):
        args = tmp_path / f"args-{n}.json"
        args.write_text(
            json.dumps(
                {"ANSIBLE_MODULE_ARGS": {"path": path, "owner": f"run-{n}", "stale_after": 60}}
            )
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, lock.__file__, str(args)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
            )
        )
    results = [json.loads(proc.communicate(timeout=120)[0]) for proc in procs]

    winners = [r for r in results if not r.get("failed")]
    assert len(winners) == 1, results
    assert winners[0]["stale_taken_over"] is True
    assert read_json(path)["owner"] == winners[0]["lock"]["owner"]
    for loser in (r for r in results if r.get("failed")):
        assert winners[0]["lock"]["owner"] in loser["msg"]
