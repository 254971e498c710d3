"""The upgrade window ends by itself on the node when the controller is lost.

One real test host, the demo SQLite site at v1. For each cut: `ansible-playbook
playbooks/upgrade.yml` (v1 -> v2) is started in its own process group and SIGKILLed when
the node's journal shows a given record of the window (five points spread over it), or
once the host's sshd session processes are killed (the connection cut). Without any
rerun, within the window's own duration plus 30 s, the site serves version 2 with the
engine's migration of the data, maintenance is off, the lock free, the journal finished.
After the first and the last, a rerun reports how that run ended and does nothing twice
(every cut run has one finish record); the first cut
upgrades v1 -> v2, the later ones v2 -> v2 again (datamig_force), so that each runs the
whole window. Then playbooks/rollback.yml brings back the release live before the last
cut, its database byte for byte. Last, the deadline: a restore that overruns
datamig_window_timeout is killed by the node, which rolls back by itself (the controller
killed too), the old database byte-identical.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import time

import pytest

from tests.hosts.ansible import run_playbook, start_playbook

from .demo_site import (
    ALLOW_LOSS_1_TO_2,
    DEMO,
    exists,
    expected_checksums,
    get,
    journal,
    live_checksums,
    site_env_prefix,
    site_vars,
)

# six upgrades, two reruns, a rollback: minutes on a loaded machine (pytest-timeout's 900 s
# is for one upgrade test)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

SITE = "demo"
ROOT_DIR = f"/srv/{SITE}"
JOURNAL = f"{ROOT_DIR}/datamig-journal.jsonl"
SLOW_SMOKE = "import time; time.sleep(120)  # slow smoke check"
# (step, status) of the window's records at which the controller is killed
KILL_POINTS = [
    ("maintenance_on", "started"),
    ("snapshot", "done"),
    ("restore", "started"),
    ("switch", "started"),
    ("health", "done"),
]


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _upgrade_vars(run_id: str, src=DEMO / "v2", **extra):
    return site_vars(
        SITE,
        datamig_version="2",
        datamig_release_src=str(src),
        datamig_allow_loss=ALLOW_LOSS_1_TO_2,
        datamig_run_id=run_id,
        **extra,
    )


def _wait_for_record(host, run_id: str, step: str, status: str, timeout: float = 600) -> None:
    """Until the journal holds run_id's record (step, status), polled on the node itself."""
    needle = f'"run_id": "{run_id}", "status": "{status}", "step": "{step}"'
    tries = int(timeout / 0.02)
    script = (
        f'i=0; until grep -qF -- "$1" {JOURNAL} 2>/dev/null; do '
        f"i=$((i+1)); [ $i -gt {tries} ] && exit 1; sleep 0.02; done"
    )
    result = host.run(["sh", "-c", script, "sh", needle], timeout=timeout + 30)
    assert result.returncode == 0, f"no record {step} {status} of {run_id} in {timeout} s"


def _run_records(host, run_id: str) -> list[dict]:
    return [r for r in journal(host, ROOT_DIR) if r["run_id"] == run_id]


def _settle(host, run_id: str, timeout: float = 600) -> float:
    """Seconds until the run's journal is finished, maintenance off and the lock free."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        records = _run_records(host, run_id)
        if (
            records
            and records[-1]["step"] == "finish"
            and not exists(host, f"{ROOT_DIR}/maintenance/maintenance.json")
            and not exists(host, f"{ROOT_DIR}/datamig.lock")
        ):
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(
        f"run {run_id} not settled in {timeout} s: {_run_records(host, run_id)[-3:]}"
    )


def epoch(stamp: str) -> float:
    parsed = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()


def _window_seconds(records: list[dict]) -> float:
    """The window's own duration: its first record to the finish record."""
    first = next(r for r in records if r["step"] == "window")
    return epoch(records[-1]["time"]) - epoch(first["time"])


def _db_sha(host, path: str) -> str:
    return host.run(["sha256sum", path], check=True).stdout.split()[0]


def _live_db(host) -> str:
    return host.run(f'. {ROOT_DIR}/shared/site.env; printf %s "$DEMO_DB_NAME"', check=True).stdout


def _current(host) -> str:
    return host.run(f"readlink {ROOT_DIR}/current", check=True).stdout.strip()


def _kill_ssh_sessions(host) -> None:
    """Cut the connection: kill this host's sshd session processes (the children of its
    listening sshd), never the listener, never anything outside the host."""
    host.run('pkill -KILL -P "$(cat /run/sshd.pid)"', check=True)


def test_the_node_finishes_the_window_when_the_controller_is_lost(test_host, tmp_path):
    host = test_host
    _assert_ok(
        run_playbook(
            "playbooks/deploy.yml",
            [host],
            site_vars(SITE, datamig_version="1", datamig_release_src=str(DEMO / "v1")),
        )
    )
    host.run(
        site_env_prefix(ROOT_DIR) + "venv/bin/python manage.py demo_fill --rows 2000 --seed 1",
        check=True,
    )
    expected_v2 = expected_checksums(host, ROOT_DIR, DEMO / "v2", ALLOW_LOSS_1_TO_2, tmp_path)

    # The first cut upgrades v1 -> v2; the later ones v2 -> v2 again (datamig_force: a new
    # release and a new database, the whole window), so that no rollback is needed between.
    cuts = [(f"kill-{step}-{status}", (step, status), "kill") for step, status in KILL_POINTS]
    cuts.insert(3, ("cut-ssh", ("restore", "started"), "ssh"))
    before = None  # (release, database, its sha256) live before the last cut
    for number, (run_id, (step, status), how) in enumerate(cuts):
        before = (_current(host), _live_db(host), _db_sha(host, _live_db(host)))
        extra = {"datamig_force": True} if number else {}
        first = start_playbook(
            "playbooks/upgrade.yml",
            [host],
            _upgrade_vars(run_id, **extra),
            workdir=tmp_path / run_id,
        )
        try:
            _wait_for_record(host, run_id, step, status)
            if how == "kill":
                os.killpg(first.pid, signal.SIGKILL)
            else:
                _kill_ssh_sessions(host)
        finally:
            if how == "kill" and first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        settled = _settle(host, run_id)
        records = _run_records(host, run_id)
        window = _window_seconds(records)
        # the window ended by itself, in its own time (+30 s), without a rerun
        assert settled <= window + 30, (run_id, settled, window)
        assert records[-1]["status"] == "done", records[-1]
        assert (records[-1]["data"]["outcome"], records[-1]["data"]["by"]) == ("upgraded", "window")
        assert get(host, "/") == (200, "datamig-demo version 2"), run_id
        assert live_checksums(host, ROOT_DIR) == expected_v2, run_id
        assert _current(host) != before[0] and _live_db(host) != before[1]
        assert _db_sha(host, before[1]) == before[2]  # the old database untouched
        if how == "ssh":
            first.wait(120)  # the controller, alone, gives up or polls the end

        if 0 < number < len(cuts) - 1:
            continue  # (the rerun after the first and the last cut: each costs a playbook run)
        # A rerun reports how it ended and does nothing twice: no second window.
        again = run_playbook("playbooks/upgrade.yml", [host], _upgrade_vars(f"{run_id}-again"))
        _assert_ok(again)
        assert f"the last run {run_id} ended: upgraded" in again.stdout, again.stdout[-4000:]
        rerun = _run_records(host, f"{run_id}-again")
        assert not any(r["step"] in ("window", "maintenance_on", "release") for r in rerun), rerun
        assert rerun[-1]["data"]["outcome"] == "already at version"
        finishes = [r for r in _run_records(host, run_id) if r["step"] == "finish"]
        assert len(finishes) == 1, finishes

    for run_id, _point, _how in cuts:  # each cut run ended once, by its window
        finishes = [r for r in _run_records(host, run_id) if r["step"] == "finish"]
        assert [r["data"]["by"] for r in finishes] == ["window"], (run_id, finishes)

    # rollback.yml: back to the release live before the last cut run, its database byte for byte
    _assert_ok(run_playbook("playbooks/rollback.yml", [host], site_vars(SITE)))
    assert get(host, "/") == (200, "datamig-demo version 2")
    assert (_current(host), _live_db(host)) == before[:2]
    assert _db_sha(host, before[1]) == before[2]
    assert live_checksums(host, ROOT_DIR) == expected_v2

    # The deadline: the smoke check (in verify) overruns datamig_window_timeout; the node
    # kills it and rolls back by itself, its controller killed meanwhile.
    run_id = "deadline"
    live = (_current(host), _live_db(host), _db_sha(host, _live_db(host)))
    first = start_playbook(
        "playbooks/upgrade.yml",
        [host],
        _upgrade_vars(
            run_id,
            datamig_window_timeout=15,
            datamig_force=True,
            datamig_smoke_command=["venv/bin/python", "-c", SLOW_SMOKE],
        ),
        workdir=tmp_path / run_id,
    )
    try:
        _wait_for_record(host, run_id, "verify", "started")
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    settled = _settle(host, run_id)
    records = _run_records(host, run_id)
    assert settled <= _window_seconds(records) + 30
    failed = [r for r in records if r["status"] == "failed" and r["step"] == "verify"]
    assert failed and "deadline" in failed[0]["data"]["reason"], records
    assert (records[-1]["status"], records[-1]["data"]["outcome"]) == ("failed", "rolled back")
    assert get(host, "/") == (200, "datamig-demo version 2")
    assert (_current(host), _live_db(host)) == live[:2]
    assert _db_sha(host, live[1]) == live[2]
    assert live_checksums(host, ROOT_DIR) == expected_v2
    # the overrunning check was killed, not left running
    assert host.run(["pgrep", "-f", "[s]low smoke check"]).returncode == 1
    report = json.loads(host.run(f"cat {ROOT_DIR}/reports/{run_id}.json", check=True).stdout)
    assert (report["outcome"], report["failed_step"]) == ("rolled back", "verify")
