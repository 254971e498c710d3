"""playbooks/upgrade.yml on a PostgreSQL site (a server of the test host's own, password
authentication): v1 -> v2 run with -vvv never shows the password and leaves snapshot
files 0600; a second upgrade and a snapshot are refused by the lock while one runs; the
controller's ansible-playbook killed (SIGKILL) in the middle of the restore, the same
command run again recovers from the journal and finishes, the site consistent and serving.
"""

from __future__ import annotations

import os
import secrets
import signal
import time

import pytest

from tests.hosts.ansible import run_playbook, start_playbook
from tests.hosts.postgres import start_postgres

from .demo_site import (
    ALLOW_LOSS_1_TO_2,
    DEMO,
    Poller,
    exists,
    expected_checksums,
    get,
    journal,
    live_checksums,
    read_text,
    reports,
    site_env_prefix,
    site_vars,
    variant,
)

pytestmark = pytest.mark.slow

SITE = "pgdemo"
ROOT_DIR = f"/srv/{SITE}"
USER = "pgdemo"
SLOW_FLAG = f"{ROOT_DIR}/slow-migration"
SLOW_MIGRATOR = f"""
import os as _os
import time as _time

_migrate_from_2 = migrate_from_2


def migrate_from_2(m):  # slow while the test wants time to act: 30 s more per diff and restore
    if _os.path.exists({SLOW_FLAG!r}):
        _time.sleep(30)
    return _migrate_from_2(m)
"""


def _vars(password: str, **extra):
    return site_vars(
        SITE,
        datamig_db_vendor="postgresql",
        datamig_db_name=SITE,
        datamig_site_env={
            "DEMO_DB_HOST": "127.0.0.1",
            "DEMO_DB_PORT": "5432",
            "DEMO_DB_USER": USER,
            "DEMO_DB_PASSWORD": password,
        },
        datamig_site_env_secret_keys=["DEMO_DB_PASSWORD"],
        **extra,
    )


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _live_db_name(host) -> str:
    env = read_text(host, f"{ROOT_DIR}/shared/site.env") or ""
    [line] = [line for line in env.splitlines() if line.startswith("DEMO_DB_NAME=")]
    return line.split("=", 1)[1].strip("'")


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_postgresql_site_upgrade_secrets_lock_and_kill(test_host, tmp_path):
    host = test_host
    password = "pw-" + secrets.token_hex(12)
    server = start_postgres(host, USER, password)

    deployed = run_playbook(
        "playbooks/deploy.yml",
        [host],
        _vars(password, datamig_version="1", datamig_release_src=str(DEMO / "v1")),
        args=["-vvv"],
    )
    _assert_ok(deployed)
    assert password not in deployed.stdout + deployed.stderr
    assert SITE in server.databases()
    host.run(
        site_env_prefix(ROOT_DIR) + "venv/bin/python manage.py demo_fill --rows 3000 --seed 2",
        check=True,
    )
    assert get(host, "/") == (200, "datamig-demo version 1")
    expected = expected_checksums(
        host, ROOT_DIR, DEMO / "v2", ALLOW_LOSS_1_TO_2, tmp_path, vendor="postgresql"
    )

    # v1 -> v2 with -vvv: content as expected, no password anywhere in the output.
    result = run_playbook(
        "playbooks/upgrade.yml",
        [host],
        _vars(
            password,
            datamig_version="2",
            datamig_release_src=str(DEMO / "v2"),
            datamig_allow_loss=ALLOW_LOSS_1_TO_2,
        ),
        args=["-vvv"],
    )
    _assert_ok(result)
    output = result.stdout + result.stderr
    assert password not in output
    assert "DEMO_DB_PASSWORD" in output  # the name shows, its value does not
    assert get(host, "/") == (200, "datamig-demo version 2")
    new_db = _live_db_name(host)
    assert new_db != SITE and {SITE, new_db} <= server.databases()  # the old one is kept
    assert live_checksums(host, ROOT_DIR) == expected
    [report] = reports(host, ROOT_DIR)
    assert report["outcome"] == "upgraded" and report["database_to"] == new_db
    # snapshots hold every user's data: folders 0700, files 0600
    modes = host.run(f"find {ROOT_DIR}/snapshots -printf '%y %m %p\\n'", check=True).stdout
    entries = [line.split(" ", 2) for line in modes.splitlines()]
    assert any(entry[0] == "f" for entry in entries)
    for kind, mode, path in entries:
        assert mode == ("700" if kind == "d" else "600"), (kind, mode, path)

    # While an upgrade to v3 runs: a second upgrade and a snapshot are refused and change
    # nothing; then its ansible-playbook is killed while the engine restores on the host.
    # (This v3's migrator is slow while SLOW_FLAG exists, so that the run is still going.)
    before = live_checksums(host, ROOT_DIR)
    slow_v3 = variant(tmp_path, "v3", "v3-slow", append={"demo_site/migrators.py": SLOW_MIGRATOR})
    v3 = _vars(password, datamig_version="3", datamig_release_src=str(slow_v3))
    snapshots_before = host.run(f"ls {ROOT_DIR}/snapshots").stdout
    host.run(["touch", SLOW_FLAG], check=True)
    first = start_playbook("playbooks/upgrade.yml", [host], v3, workdir=tmp_path / "first")
    try:
        _wait_for(
            lambda: any(
                r["step"] == "preflight" and r["status"] == "done"
                for r in journal(host, ROOT_DIR)[-2:]
            ),
            300,
            "the first run's preflight",
        )
        second = run_playbook("playbooks/upgrade.yml", [host], v3)
        assert second.returncode != 0
        assert "ansible-playbook (pid" in second.stdout and "still running" in second.stdout, (
            second.stdout[-4000:]
        )
        snap = run_playbook("playbooks/snapshot.yml", [host], _vars(password))
        assert snap.returncode != 0
        assert "The site is locked by run" in snap.stdout, snap.stdout[-4000:]
        assert host.run(f"ls {ROOT_DIR}/snapshots").stdout == snapshots_before
        _wait_for(
            lambda: host.run(["pgrep", "-f", "[d]atamig restore"]).returncode == 0,
            300,
            "the engine's restore on the host",
        )
        assert first.poll() is None, "the first run ended before it could be killed"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
        host.run(["rm", SLOW_FLAG], check=True)
        last = journal(host, ROOT_DIR)[-1]
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert (last["step"], last["status"]) == ("restore", "started"), last
    cut = journal(host, ROOT_DIR)
    assert cut[-1]["step"] != "finish"
    assert exists(host, f"{ROOT_DIR}/datamig.lock")  # held by the killed run's window

    # The window goes on on the node without its controller. The same command again waits
    # for it, reports how it ended and does not redo it.
    with Poller(host, every=0.2) as users:
        again = run_playbook("playbooks/upgrade.yml", [host], v3)
    _assert_ok(again)
    killed = cut[-1]["run_id"]
    assert f"the last run {killed} ended: upgraded" in again.stdout, again.stdout[-4000:]
    assert get(host, "/") == (200, "datamig-demo version 3")
    assert set(users.statuses()) <= {200, 503}, users.statuses()
    assert not exists(host, f"{ROOT_DIR}/maintenance/maintenance.json")
    assert not exists(host, f"{ROOT_DIR}/datamig.lock")
    records = journal(host, ROOT_DIR)
    ended = [r for r in records if r["run_id"] == killed][-1]
    assert (ended["step"], ended["status"]) == ("finish", "done"), ended
    assert (ended["data"]["outcome"], ended["data"]["by"]) == ("upgraded", "window")
    assert not any(r["step"] == "recovery" for r in records if r["run_id"] == killed)
    # v2 -> v3 changes Person.nickname only; every other table kept its content
    after = live_checksums(host, ROOT_DIR)
    changed = {t for t in after if after[t] != before.get(t)}
    assert changed == {"contacts_person"}, changed
    assert reports(host, ROOT_DIR)[-1]["outcome"] == "already at version"

    # Cleanup after a successful run comes from the controller, after the window: the killed
    # run's did not run, the rerun changed nothing. With a fourth release (v4 is v3 again,
    # forced) the oldest goes: v1's release, its database dropped on the server through the
    # engine; v3 (the rollback target) and the live one stay, releases and databases.
    v3_db = _live_db_name(host)
    _assert_ok(run_playbook("playbooks/upgrade.yml", [host], dict(v3, datamig_force=True)))
    releases = host.run(f"ls {ROOT_DIR}/releases", check=True).stdout.split()
    assert len(releases) == 3 and not any(r.startswith("1-") for r in releases), releases
    live_db = _live_db_name(host)
    assert SITE not in server.databases()
    assert {v3_db, live_db} <= server.databases()
