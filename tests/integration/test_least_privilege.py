"""Least privilege on a real test host: two demo sites on one node, each run as its own
Unix user.

Both sites deployed at v1 (alpha on port 80, beta on 8080), each with data. Each site's
gunicorn runs as its user, never root; each user owns its site's database, keys and
snapshots, and cannot read the other's (nor its site.env), nor change its own code or
replace what root keeps in its site root. alpha is upgraded v1 -> v2 end to end: every
table as expected, its new database and window snapshot its user's, beta untouched. A
scheduled snapshot of alpha is in alpha's user's crontab and, run as that user, writes a
snapshot of its own.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.hosts.ansible import run_playbook

from .demo_site import (
    ALLOW_LOSS_1_TO_2,
    DEMO,
    expected_checksums,
    live_checksums,
    private_crontabs,
    reports,
    site_vars,
)

pytestmark = pytest.mark.slow

SITES = {"alpha": {"http": 80, "app": 8001}, "beta": {"http": 8080, "app": 8002}}


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _inventory(host, **extra):
    hosts = {}
    for site, ports in SITES.items():
        hosts[site] = {
            **host.inventory_vars(),
            **site_vars(
                site,
                datamig_http_listen=f"{host.address}:{ports['http']}",
                datamig_app_bind=f"127.0.0.1:{ports['app']}",
                **extra,
            ),
        }
    return {"all": {"hosts": hosts}}


def _get(host, site: str) -> tuple[int, str]:
    url = f"http://{host.address}:{SITES[site]['http']}/"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _as(user: str, command: str) -> str:
    """``command`` run by ``user`` (its own groups), as a shell line for host.run."""
    return f"setpriv --reuid={user} --regid=$(id -g {user}) --init-groups -- sh -c '{command}'"


def _owner_mode(host, path: str) -> tuple[str, str]:
    owner, mode = host.run(f"stat -c '%U %a' {path}", check=True).stdout.split()
    return owner, mode


def _gunicorn_users(host, site: str) -> set[str]:
    listing = host.run("ps -eo user:32,args", check=True).stdout.splitlines()
    return {
        line.split()[0]
        for line in listing
        if "gunicorn" in line and f"--chdir /srv/{site}/current" in line
    }


def test_two_sites_on_one_node_each_run_as_its_own_user(test_host, tmp_path):
    host = test_host
    private_crontabs(host)
    v1 = _inventory(host, datamig_version="1", datamig_release_src=str(DEMO / "v1"))
    _assert_ok(run_playbook("playbooks/deploy.yml", v1))
    for seed, site in enumerate(SITES, start=1):
        host.run(
            f"cd /srv/{site}/current && /srv/{site}/bin/site-env venv/bin/python manage.py "
            f"demo_fill --rows 600 --seed {seed}",
            check=True,
        )
        assert _get(host, site) == (200, "datamig-demo version 1")

    users = {site: f"datamig-{site}" for site in SITES}
    for site, user in users.items():
        root = f"/srv/{site}"
        # the application (its master and workers) as the site's user, never root
        assert _gunicorn_users(host, site) == {user}
        assert _owner_mode(host, f"{root}/shared/db/{site}.sqlite3") == (user, "600")
        for folder in ("shared/db", "shared/keys", "snapshots"):
            assert _owner_mode(host, f"{root}/{folder}") == (user, "700"), folder
        assert _owner_mode(host, f"{root}/shared/site.env") == ("root", "640")
        assert _owner_mode(host, f"{root}/releases") == ("root", "755")
        assert _owner_mode(host, root) == ("root", "1775")

    beta_beta_sees = host.run(
        _as("datamig-beta", "cat /srv/beta/shared/db/beta.sqlite3 >/dev/null")
    )
    assert beta_beta_sees.returncode == 0, beta_beta_sees.stderr  # its own: readable
    for path in ("shared/db/alpha.sqlite3", "shared/site.env", "shared/keys/signing.key"):
        denied = host.run(_as("datamig-beta", f"cat /srv/alpha/{path}"))
        assert denied.returncode != 0 and "Permission denied" in denied.stderr, (path, denied)
    # its own code and root's entries in its site root stay root's
    for command in (
        "touch /srv/alpha/current/planted.py",
        "echo x >> /srv/alpha/bin/site-env",
        "rm -f /srv/alpha/current",
        "mv /srv/alpha/shared /srv/alpha/shared-moved",
    ):
        refused = host.run(_as("datamig-alpha", command))
        assert refused.returncode != 0, (command, refused.stdout)
    assert host.run("test -L /srv/alpha/current -a -d /srv/alpha/shared").returncode == 0

    # alpha upgraded v1 -> v2 end to end, as alpha's user
    expected = expected_checksums(host, "/srv/alpha", DEMO / "v2", ALLOW_LOSS_1_TO_2, tmp_path)
    beta_before = live_checksums(host, "/srv/beta")
    v2 = _inventory(
        host,
        datamig_version="2",
        datamig_release_src=str(DEMO / "v2"),
        datamig_allow_loss=ALLOW_LOSS_1_TO_2,
    )
    _assert_ok(run_playbook("playbooks/upgrade.yml", v2, args=["-l", "alpha"]))
    assert _get(host, "alpha") == (200, "datamig-demo version 2")
    assert _get(host, "beta") == (200, "datamig-demo version 1")
    assert live_checksums(host, "/srv/alpha") == expected
    assert live_checksums(host, "/srv/beta") == beta_before
    assert _gunicorn_users(host, "alpha") == {"datamig-alpha"}
    report = [r for r in reports(host, "/srv/alpha") if r and r.get("outcome")][-1]
    assert report["outcome"] == "upgraded", report
    assert _owner_mode(host, report["database_to"]) == ("datamig-alpha", "600")
    snapshot = f"/srv/alpha/snapshots/{report['run_id']}"
    assert _owner_mode(host, snapshot)[0] == "datamig-alpha"
    owners = host.run(f"find {snapshot} -printf '%u\\n' | sort -u", check=True).stdout.split()
    assert owners == ["datamig-alpha"]
    denied = host.run(_as("datamig-beta", f"cat {snapshot}/manifest.json"))
    assert denied.returncode != 0 and "Permission denied" in denied.stderr

    # alpha's scheduled snapshots: in its user's crontab, and that user can run them
    _assert_ok(run_playbook("playbooks/schedule.yml", v2, args=["-l", "alpha"]))
    crontab = host.run("crontab -u datamig-alpha -l", check=True).stdout
    assert "/srv/alpha/bin/datamig-scheduled-snapshot" in crontab
    assert "datamig-scheduled-snapshot" not in host.run("crontab -u root -l").stdout
    ran = host.run(_as("datamig-alpha", "/srv/alpha/bin/datamig-scheduled-snapshot --json"))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    record = json.loads(ran.stdout.strip().splitlines()[-1])
    assert record["outcome"] == "ok", record
    scheduled = host.run("ls /srv/alpha/snapshots/scheduled", check=True).stdout.split()
    assert len(scheduled) == 1
    assert _owner_mode(host, f"/srv/alpha/snapshots/scheduled/{scheduled[0]}")[0] == "datamig-alpha"
