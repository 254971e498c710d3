"""playbooks/upgrade.yml against a real test host, SQLite site: the demo site upgraded
from v1 to v2 through nginx and gunicorn under supervisor while a poller watches what
users see; then a failure injected at each step from maintenance-on onwards, each rolled
back; then an upgrade refused in preflight for want of disk.

The site root is a small tmpfs of the host's own, so that the low-disk case is real.
"""

from __future__ import annotations

import pytest

from tests.hosts.ansible import run_playbook

from .demo_site import (
    ALLOW_LOSS_1_TO_2,
    BROKEN_HEALTH,
    BROKEN_MIGRATOR,
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
    site_key,
    site_vars,
    snapshot_signer,
    variant,
)

pytestmark = pytest.mark.slow

SITE = "demo"
ROOT_DIR = f"/srv/{SITE}"
TMPFS_MB = 400
MIGRATORS = "demo_site/migrators.py"


# An operator's hook task file: writes its name and a value to /tmp/hook-<name> on the node.
_HOOK_TASK = """---
- name: The operator's hook {name}
  ansible.builtin.copy:
    dest: /tmp/hook-{name}
    content: "{name} {text}\\n"
    mode: "0644"
"""

BROKEN_MIGRATION_FILE = "contacts/migrations/0003_version_3.py"
BROKEN_MIGRATION = """def _broken(apps, schema_editor):  # the broken release: its migration fails
    raise RuntimeError("broken migration")


Migration.operations.append(migrations.RunPython(_broken))
"""


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _upgrade(host, version: str, src, **extra):
    return run_playbook(
        "playbooks/upgrade.yml",
        [host],
        site_vars(SITE, datamig_version=version, datamig_release_src=str(src), **extra),
    )


def _state(host) -> dict:
    return {
        "current": host.run(f"readlink {ROOT_DIR}/current").stdout,
        "site.env": read_text(host, f"{ROOT_DIR}/shared/site.env"),
        "checksums": live_checksums(host, ROOT_DIR),
    }


def _assert_settled(host, version: str) -> None:
    """Serving `version`, maintenance off, lock free."""
    assert get(host, "/") == (200, f"datamig-demo version {version}")
    assert not exists(host, f"{ROOT_DIR}/maintenance/maintenance.json")
    assert not exists(host, f"{ROOT_DIR}/datamig.lock")


def test_upgrade_then_a_failure_at_each_step_then_too_little_disk(test_host, tmp_path):
    host = test_host
    host.run(
        f"mkdir -p {ROOT_DIR} && mount -t tmpfs -o size={TMPFS_MB}m tmpfs {ROOT_DIR}", check=True
    )

    # The site at version 1, filled with demo data.
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
    # root's; its group the site's user's, who reads it (and nobody else)
    stat = host.run(f"stat -c '%a %U %G' {ROOT_DIR}/shared/site.env").stdout.split()
    assert stat == ["640", "root", f"datamig-{SITE}"]
    assert get(host, "/") == (200, "datamig-demo version 1")
    expected = expected_checksums(host, ROOT_DIR, DEMO / "v2", ALLOW_LOSS_1_TO_2, tmp_path)

    # 1. v1 -> v2, watched by users, with the operator's hooks: task files on the
    # controller around the controller's steps, commands on the node inside the window.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "before_release.yml").write_text(
        _HOOK_TASK.format(name="before_release", text="{{ datamig_version }}")
    )
    (hooks / "after_window.yml").write_text(
        _HOOK_TASK.format(name="after_window", text="{{ upgrade_window_outcome }}")
    )
    window_hooks = {
        # runs before current changes: it sees the old release live, and the new database
        "before_switch": [
            f'echo "$DATAMIG_HOOK $(readlink {ROOT_DIR}/current) $DATAMIG_NEW_DB_NAME" > /tmp/hook-before_switch'
        ],
        "after_maintenance_off": [
            ["/bin/sh", "-c", "echo $DATAMIG_HOOK > /tmp/hook-after_maintenance_off"]
        ],
    }
    with Poller(host) as users:
        result = _upgrade(
            host,
            "2",
            DEMO / "v2",
            datamig_allow_loss=ALLOW_LOSS_1_TO_2,
            datamig_hooks_dir=str(hooks),
            datamig_window_hooks=window_hooks,
        )
    _assert_ok(result)
    _assert_settled(host, "2")
    assert live_checksums(host, ROOT_DIR) == expected  # every table as the engine migrates it

    # 2. Users saw version 1, then the maintenance page (503), then version 2; nothing else.
    assert users.statuses() == [200, 503, 200], users.statuses()
    # the end of the playbook says how it went, in a few lines
    assert "demo: upgraded (1 -> 2)" in result.stdout, result.stdout[-3000:]
    assert "not restored: contacts.Partner.phone" in result.stdout
    assert users.bodies(200) == {"datamig-demo version 1", "datamig-demo version 2"}
    assert all("demo is being upgraded" in body for body in users.bodies(503))

    [report] = reports(host, ROOT_DIR)
    assert report["outcome"] == "upgraded"
    assert (report["version_from"], report["version_to"]) == ("1", "2")
    steps = report["steps"]
    for step in ("preflight", "release", "maintenance_on", "snapshot", "restore", "verify"):
        assert steps[step]["status"] == "done", step
    for step in ("switch", "health", "maintenance_off"):
        assert steps[step]["status"] == "done", step
    downtime = steps["maintenance_off"]["ended"] - steps["maintenance_on"]["started"]
    assert report["downtime_seconds"] == pytest.approx(downtime, abs=0.01)
    # the release and the new, migrated database were made before maintenance: their time
    # is not downtime, and the window's restore loaded rows into that very database
    assert steps["release"]["ended"] <= steps["prepare"]["started"]
    assert steps["prepare"]["ended"] <= steps["maintenance_on"]["started"]
    assert steps["release"]["seconds"] > 0 and steps["prepare"]["seconds"] > 0
    run = [r for r in journal(host, ROOT_DIR) if r["run_id"] == report["run_id"]]
    [prepared] = [r for r in run if (r["step"], r["status"]) == ("prepare", "done")]
    assert prepared["data"]["new_db_name"] == report["database_to"]
    # the hooks ran, each at its point
    assert read_text(host, "/tmp/hook-before_release").strip() == "before_release 2"
    assert read_text(host, "/tmp/hook-after_window").strip() == "after_window upgraded"
    switch_hook = read_text(host, "/tmp/hook-before_switch").split()
    assert switch_hook == ["before_switch", report["release_from"], report["database_to"]]
    assert read_text(host, "/tmp/hook-after_maintenance_off").strip() == "after_maintenance_off"
    person = report["models"]["contacts.Person"]
    assert person["expected"] > 0 and person["read"] == person["expected"], report["models"]
    # the window's snapshot is signed by the site's key in shared/keys, not root's default one
    key = site_key(host, ROOT_DIR)
    assert key["modes"] == ["700", "600"], key
    snapshot = f"{ROOT_DIR}/snapshots/{report['run_id']}"
    assert snapshot_signer(host, ROOT_DIR, snapshot, f"{ROOT_DIR}/shared/keys") == key["key"]
    # root's own folder (made by expected_checksums' snapshot above) does not trust it
    with pytest.raises(AssertionError, match="does not trust"):
        snapshot_signer(host, ROOT_DIR, snapshot, "/root/.config/datamig/keys")

    # 3. A failure at each step from maintenance-on onwards: back on v2, nothing changed.
    host.run(
        f"printf '#!/bin/sh\\necho injected snapshot failure >&2\\nexit 3\\n' > {ROOT_DIR}/bin/failing-python"
        f" && chmod 755 {ROOT_DIR}/bin/failing-python",
        check=True,
    )
    smoke = ["venv/bin/python", "-c", "import sys; sys.exit('smoke check failed')"]
    cases = [
        (
            "snapshot",
            variant(tmp_path, "v3", "v3-ok"),
            {"datamig_snapshot_python": f"{ROOT_DIR}/bin/failing-python"},
            "injected snapshot failure",
        ),
        (
            "restore",
            variant(tmp_path, "v3", "v3-bad-migrator", append={MIGRATORS: BROKEN_MIGRATOR}),
            {},
            "broken migrator",
        ),
        ("verify", variant(tmp_path, "v3", "v3-smoke"), {"datamig_smoke_command": smoke}, "smoke"),
        (  # a release without gunicorn: supervisor cannot start it (a broken WSGI module is
            # not reliable here: gunicorn's master may outlive supervisor's startsecs)
            "switch",
            variant(tmp_path, "v3", "v3-no-gunicorn"),
            {"datamig_release_requirements": []},
            "should be RUNNING",
        ),
        (
            "health",
            variant(tmp_path, "v3", "v3-bad-health", append={"demo_site/views.py": BROKEN_HEALTH}),
            {},
            "Status code was 500",
        ),
    ]
    # A migration of the new release that fails: the prepare step stops the run before
    # maintenance - users only ever see the old release - and nothing live changed.
    before = _state(host)
    bad_migration = variant(
        tmp_path, "v3", "v3-bad-migration", append={BROKEN_MIGRATION_FILE: BROKEN_MIGRATION}
    )
    with Poller(host, every=0.25) as users:
        result = _upgrade(host, "3", bad_migration)
    assert result.returncode != 0
    assert "failed at step prepare" in result.stdout, result.stdout[-6000:]
    assert "broken migration" in result.stdout, result.stdout[-6000:]
    assert "the live site was not changed" in result.stdout, result.stdout[-3000:]
    assert users.statuses() == [200], users.statuses()  # never in maintenance
    _assert_settled(host, "2")
    assert _state(host) == before
    report = reports(host, ROOT_DIR)[-1]
    assert (report["outcome"], report["failed_step"]) == ("failed before any change", "prepare")
    assert not exists(host, report["database_to"]), "the engine drops what its failed migrate made"

    for step, src, extra, reason in cases:
        before = _state(host)
        releases_before = set(host.run(f"ls {ROOT_DIR}/releases").stdout.split())
        with Poller(host, every=0.25) as users:
            result = _upgrade(host, "3", src, **extra)
        (tmp_path / f"ansible-{step}.out").write_text(result.stdout)
        assert result.returncode != 0, (step, result.stdout[-4000:])
        assert f"failed at step {step}" in result.stdout, (step, result.stdout[-6000:])
        assert reason in result.stdout, (step, reason, result.stdout[-6000:])
        _assert_settled(host, "2")
        assert _state(host) == before, step  # release, database and every table unchanged
        assert set(users.statuses()) <= {200, 503}, (step, users.statuses())
        report = reports(host, ROOT_DIR)[-1]
        assert (report["outcome"], report["failed_step"]) == ("rolled back", step), report
        # the failed release is kept for diagnosis, and the new database where one was made
        new_releases = set(host.run(f"ls {ROOT_DIR}/releases").stdout.split()) - releases_before
        assert len(new_releases) == 1 and report["release_to"].endswith(new_releases.pop())
        if step in ("verify", "switch", "health"):
            assert exists(host, report["database_to"]), report
        run = [r for r in journal(host, ROOT_DIR) if r["run_id"] == report["run_id"]]
        assert [r["status"] for r in run if r["step"] == step][-1] == "failed"
        assert [(r["step"], r["status"]) for r in run][-1] == ("finish", "failed")

    # 6. Too little free disk for a snapshot and a new database: refused before maintenance.
    before = _state(host)
    db_bytes = int(
        host.run(f'. {ROOT_DIR}/shared/site.env; stat -c %s "$DEMO_DB_NAME"', check=True).stdout
    )
    free = int(host.run(f"df -Pk {ROOT_DIR} | tail -1").stdout.split()[3]) * 1024
    ballast = free - 2 * db_bytes
    host.run(f"head -c {ballast} /dev/zero > {ROOT_DIR}/ballast", check=True)
    try:
        runs_before = {r["run_id"] for r in journal(host, ROOT_DIR)}
        with Poller(host, every=0.2) as users:
            result = _upgrade(host, "3", DEMO / "v3")
        assert result.returncode != 0
        assert "failed at step preflight" in result.stdout, result.stdout[-6000:]
        assert "KiB free under" in result.stdout, result.stdout[-6000:]
        assert users.statuses() == [200], users.statuses()  # never in maintenance
        assert _state(host) == before
        new_run = [r for r in journal(host, ROOT_DIR) if r["run_id"] not in runs_before]
        assert {r["step"] for r in new_run} == {"preflight", "finish"}, new_run
        _assert_settled(host, "2")
    finally:
        host.run(f"rm -f {ROOT_DIR}/ballast", check=True)
