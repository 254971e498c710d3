"""playbooks/schedule.yml on a real test host (SQLite demo site) with a second host as the
off-site SFTP target: the cron entry, its wrapper and the off-site configuration installed
(check mode first changes nothing; a second run changes nothing); the command cron runs,
run over a simulated calendar (``--now``, no sleeping), keeps exactly the snapshots the
retention policies keep, here and at the far end; a run while an upgrade holds the site's
lock is skipped (exit 0, reason logged, no snapshot); state absent removes the schedule.

The node runs no systemd (test hosts have none), so the role's cron path is what runs here;
its systemd timer is written only where /run/systemd/system exists and is not tested.
"""

from __future__ import annotations

import json

import pytest
from pyrage import x25519

from tests.hosts import fixtures
from tests.hosts.ansible import run_playbook

from .demo_site import (
    CRON_ENV,
    DEMO,
    as_cron_of,
    cron_job,
    crontab,
    exists,
    get,
    json_lines,
    listing,
    offsite_vars,
    private_crontabs,
    read_text,
    recap_changed,
    site_env_prefix,
    site_vars,
)

pytestmark = pytest.mark.slow

test_hosts = fixtures.test_hosts

SITE = "demo"
ROOT_DIR = f"/srv/{SITE}"
USER = f"datamig-{SITE}"  # the site's own user: the cron entry is its, the snapshot runs as it
WRAPPER = f"{ROOT_DIR}/bin/datamig-scheduled-snapshot"
RUN_LOG = f"/var/log/supervisor/{SITE}-scheduled-snapshot.jsonl"
FAR = "/srv/offsite"
SCHEDULED = f"{ROOT_DIR}/snapshots/scheduled"

# The simulated calendar: when the scheduled job runs (UTC). ISO weeks 44 (to Sunday 1
# November), 45 (2-8 November), 46 (9-15), 47 (16-22), 48 (23-29); two days have two runs.
RUNS = [
    "2026-10-28T03:17:00Z",  # 1  Wed  w44
    "2026-11-01T03:17:00Z",  # 2  Sun  w44
    "2026-11-01T15:00:00Z",  # 3  Sun  w44 (the newer of that day and week)
    "2026-11-02T03:17:00Z",  # 4  Mon  w45
    "2026-11-05T03:17:00Z",  # 5  Thu  w45
    "2026-11-08T03:17:00Z",  # 6  Sun  w45 (the newest of week 45)
    "2026-11-09T03:17:00Z",  # 7  Mon  w46
    "2026-11-12T03:17:00Z",  # 8  Thu  w46 (the newest of week 46)
    "2026-11-16T03:17:00Z",  # 9  Mon  w47
    "2026-11-20T03:17:00Z",  # 10 Fri  w47
    "2026-11-22T03:17:00Z",  # 11 Sun  w47 (the newest of week 47)
    "2026-11-23T03:17:00Z",  # 12 Mon  w48
    "2026-11-24T03:17:00Z",  # 13 Tue  w48
    "2026-11-24T09:30:00Z",  # 14 Tue  w48 (the newest of all)
]
LOCAL_POLICY = {"datamig_snapshot_keep_last": 2, "datamig_snapshot_keep_daily": 3,
                "datamig_snapshot_keep_weekly": 3}  # fmt: skip
FAR_POLICY = {"keep_last": 1, "keep_daily": 2, "keep_weekly": 5}

# Kept here (last 2, daily 3, weekly 3; restic's rules, a union; days and weeks that have
# snapshots count): last 2 -> runs 14, 13; daily 3 -> the newest of 24 Nov (14), 23 Nov (12),
# 22 Nov (11); weekly 3 -> the newest of week 48 (14), 47 (11), 46 (8).
# Pruning after every run keeps the same set as pruning once at the end: a day's or week's
# newest snapshot stays its newest, and the windows only move forward.
EXPECTED_LOCAL = {
    "20261124T093000Z",  # 14: last, daily, weekly
    "20261124T031700Z",  # 13: last
    "20261123T031700Z",  # 12: daily
    "20261122T031700Z",  # 11: daily, weekly
    "20261112T031700Z",  # 8: weekly
}
# Kept at the far end (last 1, daily 2, weekly 5; every run pushed its snapshot first):
# last 1 -> 14; daily 2 -> 14, 12; weekly 5 -> the newest of weeks 48 (14), 47 (11),
# 46 (8), 45 (6, Sunday 8 Nov, not Monday 9 Nov's 7), 44 (3, the afternoon run of 1 Nov).
EXPECTED_FAR = {
    "20261124T093000Z",  # 14
    "20261123T031700Z",  # 12
    "20261122T031700Z",  # 11
    "20261112T031700Z",  # 8
    "20261108T031700Z",  # 6
    "20261101T150000Z",  # 3
}


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _name(stamp: str) -> str:
    return stamp.replace("-", "").replace(":", "")


def test_schedule_retention_offsite_lock_and_removal(test_hosts):
    node, far = test_hosts(2)
    private_crontabs(node)
    far.run(f"mkdir -p {FAR} && chmod 0700 {FAR}", check=True)
    _assert_ok(
        run_playbook(
            "playbooks/deploy.yml",
            [node],
            site_vars(SITE, datamig_version="1", datamig_release_src=str(DEMO / "v1")),
        )
    )
    node.run(
        site_env_prefix(ROOT_DIR) + "venv/bin/python manage.py demo_fill --rows 200 --seed 5",
        check=True,
    )
    # off-site copies encrypted for an age recipient; the identity given as a vault would
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    offsite = offsite_vars(far, FAR, **FAR_POLICY)
    offsite["datamig_offsite"]["recipients"] = [recipient]
    schedule = site_vars(SITE, **LOCAL_POLICY, **offsite, datamig_offsite_identity=str(identity))
    key = schedule["datamig_offsite_key"]

    # A systemd timer asked for where systemd does not run: refused, nothing written.
    refused = run_playbook(
        "playbooks/schedule.yml", [node], {**schedule, "datamig_schedule_timer": "systemd"}
    )
    assert refused.returncode != 0
    assert "does not run systemd (no /run/systemd/system)" in refused.stdout, refused.stdout[-3000:]

    # Check mode: reports changes, makes none.
    checked = run_playbook("playbooks/schedule.yml", [node], schedule, args=["--check"])
    _assert_ok(checked)
    assert recap_changed(checked, node.name) > 0
    assert crontab(node, USER) == [] and crontab(node) == []
    assert not exists(node, WRAPPER) and not exists(node, f"{ROOT_DIR}/shared/offsite.json")

    # Installed; the key's content never shows; a second run changes nothing.
    first = run_playbook("playbooks/schedule.yml", [node], schedule, args=["-v"])
    _assert_ok(first)
    assert key.strip().splitlines()[1] not in first.stdout + first.stderr
    assert str(identity) not in first.stdout + first.stderr
    second = run_playbook("playbooks/schedule.yml", [node], schedule)
    _assert_ok(second)
    changed = [t.split("]")[0] for t in second.stdout.split("TASK [") if "\nchanged:" in t]
    assert recap_changed(second, node.name) == 0, changed

    when, job = cron_job(node, WRAPPER, USER)
    assert not any(WRAPPER in line for line in crontab(node))  # none of root's
    assert when == ["17", "3", "*", "*", "*"]  # daily at 03:17, the default
    assert job.startswith(WRAPPER + " ")
    identity_path = f"{ROOT_DIR}/shared/offsite_age_identity"
    modes = node.run(
        f"stat -c '%a %n' {ROOT_DIR}/shared/offsite.json {ROOT_DIR}/shared/offsite_key {WRAPPER}"
        f" {identity_path}",
        check=True,
    ).stdout.split("\n")
    assert modes[:4] == [
        f"600 {ROOT_DIR}/shared/offsite.json",
        f"600 {ROOT_DIR}/shared/offsite_key",
        f"755 {WRAPPER}",
        f"600 {identity_path}",
    ]
    assert (read_text(node, identity_path) or "").strip() == str(identity)
    config = json.loads(read_text(node, f"{ROOT_DIR}/shared/offsite.json") or "{}")
    assert config["host"] == far.address and config["site"] == SITE
    assert config["recipients"] == [recipient] and config["identity_file"] == identity_path
    assert (config["keep_last"], config["keep_daily"], config["keep_weekly"]) == (1, 2, 5)

    # The simulated calendar: cron's own command line, plus --now (words after the
    # redirections are still the wrapper's arguments), in cron's environment.
    for stamp in RUNS:
        run = node.run(as_cron_of(USER, f"{job} --now {stamp}"), env=CRON_ENV, timeout=300)
        output = read_text(node, f"/var/log/supervisor/{SITE}-scheduled-snapshot.out")
        assert run.returncode == 0, (stamp, run.stdout, run.stderr, (output or "")[-3000:])
    runs = json_lines(node, RUN_LOG)
    assert [r["outcome"] for r in runs] == ["ok"] * len(RUNS), runs[-1]  # engine: ok, not done
    assert [r["name"] for r in runs] == [_name(s) for s in RUNS]
    assert listing(node, SCHEDULED) == EXPECTED_LOCAL
    assert listing(far, f"{FAR}/{SITE}") == EXPECTED_FAR
    assert get(node, "/") == (200, "datamig-demo version 1")  # the site never stopped
    # the far end holds ciphertext and its signed index only: no plaintext file, no row
    names = far.run(f"find {FAR}/{SITE} -type f -printf '%f\\n'", check=True).stdout.split()
    assert names and all(n.endswith(".age") or n in ("offsite.json", "offsite.sig") for n in names)
    assert far.run(f"grep -rl SNAPSHOT_DIR {FAR}/{SITE}").stdout == ""

    # A run while an upgrade holds the lock: skipped, exit 0, the holder logged, no snapshot.
    owner = "upgrade-20261125T031000-demo"
    _assert_ok(run_playbook(_lock_play(owner, "present"), [node]))
    skipped = node.run(
        as_cron_of(USER, f"{job} --now 2026-11-25T03:17:00Z"), env=CRON_ENV, timeout=300
    )
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    last = json_lines(node, RUN_LOG)[-1]
    assert last["outcome"] == "skipped", last
    assert owner in last["reason"], last
    assert listing(node, SCHEDULED) == EXPECTED_LOCAL
    assert listing(far, f"{FAR}/{SITE}") == EXPECTED_FAR
    assert json.loads(read_text(node, f"{ROOT_DIR}/datamig.lock") or "{}")["owner"] == owner
    _assert_ok(run_playbook(_lock_play(owner, "absent"), [node]))

    # State absent: entry, wrapper and off-site configuration gone; the snapshots stay.
    removed = run_playbook(
        "playbooks/schedule.yml", [node], {**schedule, "datamig_schedule_state": "absent"}
    )
    _assert_ok(removed)
    assert not any(WRAPPER in line for line in crontab(node, USER) + crontab(node))
    for path in (WRAPPER, f"{ROOT_DIR}/shared/offsite.json", f"{ROOT_DIR}/shared/offsite_key"):
        assert not exists(node, path), path
    assert not exists(node, identity_path)
    assert listing(node, SCHEDULED) == EXPECTED_LOCAL


def _lock_play(owner: str, state: str) -> list[dict]:
    """A tiny play that takes or releases the site's lock as an upgrade does."""
    return [
        {
            "name": f"Lock {state}",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "The site's lock",
                    "datamig.site.lock": {
                        "path": f"{ROOT_DIR}/datamig.lock",
                        "owner": owner,
                        "state": state,
                    },
                }
            ],
        }
    ]
