"""rollback.yml and the cleanup on a real test host, SQLite site: v1 -> v2, a rerun that
finds the site at its version, then rollback.yml goes back to v1 (the release live before
v2, not v2 the rerun found), its database with every table's checksum as before the
upgrade; a second rollback, with nothing live before v1, is refused and changes nothing.
Then an upgrade keeping one release removes the old v2 release, its database and snapshot,
and keeps v1 - the rollback target - and the live ones.
"""

from __future__ import annotations

import pytest

from tests.hosts.ansible import run_playbook

from .demo_site import (
    ALLOW_LOSS_1_TO_2,
    DEMO,
    exists,
    get,
    live_checksums,
    read_text,
    reports,
    site_env_prefix,
    site_vars,
)

pytestmark = pytest.mark.slow

SITE = "rbdemo"
ROOT_DIR = f"/srv/{SITE}"


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _upgrade(host, **extra):
    variables = site_vars(
        SITE,
        datamig_version="2",
        datamig_release_src=str(DEMO / "v2"),
        datamig_allow_loss=ALLOW_LOSS_1_TO_2,
        **extra,
    )
    return run_playbook("playbooks/upgrade.yml", [host], variables)


def _settled(host, version: str) -> None:
    assert get(host, "/") == (200, f"datamig-demo version {version}")
    assert not exists(host, f"{ROOT_DIR}/maintenance/maintenance.json")
    assert not exists(host, f"{ROOT_DIR}/datamig.lock")


def _current(host) -> str:
    return host.run(f"readlink -f {ROOT_DIR}/current", check=True).stdout.strip()


def _ls(host, folder: str) -> set[str]:
    return set(host.run(f"ls {ROOT_DIR}/{folder}", check=True).stdout.split())


def test_rollback_after_a_rerun_then_cleanup(test_host):
    host = test_host
    deploy = site_vars(SITE, datamig_version="1", datamig_release_src=str(DEMO / "v1"))
    _assert_ok(run_playbook("playbooks/deploy.yml", [host], deploy))
    host.run(
        site_env_prefix(ROOT_DIR) + "venv/bin/python manage.py demo_fill --rows 300 --seed 1",
        check=True,
    )
    v1_checksums = live_checksums(host, ROOT_DIR)
    v1_release = _current(host)
    v1_env = read_text(host, f"{ROOT_DIR}/shared/site.env")

    _assert_ok(_upgrade(host))
    _settled(host, "2")
    first_v2 = reports(host, ROOT_DIR)[-1]

    rerun = _upgrade(host)
    _assert_ok(rerun)
    assert reports(host, ROOT_DIR)[-1]["outcome"] == "already at version"
    assert "rbdemo: already at version (2 -> 2)" in rerun.stdout, rerun.stdout[-3000:]

    rollback = run_playbook("playbooks/rollback.yml", [host], site_vars(SITE))
    _assert_ok(rollback)
    _settled(host, "1")
    assert _current(host) == v1_release
    assert read_text(host, f"{ROOT_DIR}/shared/site.env") == v1_env
    assert live_checksums(host, ROOT_DIR) == v1_checksums  # v1's database as before

    # nothing was live before v1: refused, nothing changed
    again = run_playbook("playbooks/rollback.yml", [host], site_vars(SITE))
    assert again.returncode != 0
    assert "no release and database known" in again.stdout, again.stdout[-3000:]
    _settled(host, "1")
    assert _current(host) == v1_release and live_checksums(host, ROOT_DIR) == v1_checksums

    # v1 -> v2 again, keeping one release: the first v2 (release, database, snapshot) goes;
    # v1, the rollback target, stays with its database, and the live ones
    _assert_ok(_upgrade(host, datamig_keep_releases=1))
    _settled(host, "2")
    report = reports(host, ROOT_DIR)[-1]
    assert {f"{ROOT_DIR}/releases/{r}" for r in _ls(host, "releases")} == {
        v1_release,
        report["release_to"],
    }
    assert {f"{ROOT_DIR}/shared/db/{d}" for d in _ls(host, "shared/db")} == {
        report["database_from"],
        report["database_to"],
    }
    assert report["database_from"] != first_v2["database_to"]
    assert all(s.startswith(report["run_id"]) for s in _ls(host, "snapshots"))
    assert not exists(host, first_v2["snapshot"])
