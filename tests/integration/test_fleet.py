"""A fleet: examples/fleet/inventory.yml (4 sites on 2 servers, SQLite and PostgreSQL) on
two test hosts, upgraded by playbooks/upgrade.yml.

1. v1 -> v2 in one batch with beta's v2 broken (its health check fails): beta ends on its
   old release with identical tables, serving v1; alpha, gamma and delta end on v2 with
   the expected content; the fleet report says exactly this. The journals show at most
   one restore (and one snapshot) at once per server, although the sites of a server ran
   in the same batch.
2. v2 -> v3 with batches of one and max_fail_percentage 0, gamma's v3 broken: alpha is
   upgraded, gamma fails and rolls back, the run stops there: delta is not touched.
3. A rehearsal of alpha (v3 again, forced) leaves it byte-identical and serving; the real run
   then measures a downtime within 2x of the rehearsal's estimate.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.hosts.ansible import ROOT, run_playbook
from tests.hosts.netns import TestHost
from tests.hosts.postgres import start_postgres

from .demo_site import (
    ALLOW_LOSS_1_TO_2,
    BROKEN_HEALTH,
    DEMO,
    expected_checksums,
    journal,
    live_checksums,
    read_text,
    reports,
    site_env_prefix,
    site_vars,
    variant,
)

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "examples" / "fleet" / "inventory.yml"
SERVERS = {"web1": ["alpha", "beta"], "web2": ["gamma", "delta"]}
PORTS = {"alpha": 8001, "beta": 8002, "gamma": 8001, "delta": 8002}
VENDORS = {"alpha": "sqlite", "beta": "sqlite", "gamma": "postgresql", "delta": "postgresql"}


def root(site: str) -> str:
    return f"/srv/{site}"


def fleet_inventory(
    hosts: dict[str, TestHost], overrides: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The example inventory with the test hosts' addresses and connection variables, the
    test machine's release settings, and per-site overrides (a broken version)."""
    data = yaml.safe_load(EXAMPLE.read_text())
    tree = copy.deepcopy(data)
    shared = site_vars("unused")
    shared.pop("datamig_site")
    tree["all"]["vars"].update(shared, fleet_code=str(DEMO))
    for server, host in hosts.items():
        tree["all"]["children"][server]["vars"].update(host.inventory_vars())
    for site, extra in overrides.items():
        [server] = [s for s, sites in SERVERS.items() if site in sites]
        tree["all"]["children"][server]["hosts"][site] = {
            **(tree["all"]["children"][server]["hosts"][site] or {}),
            **extra,
        }
    return tree


def get(host: TestHost, site: str, path: str = "/") -> tuple[int, str]:
    try:
        url = f"http://{host.address}:{PORTS[site]}{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, repr(error)


class FleetPoller:
    """GET / of every site every 0.2 s in a thread: what users saw, per site."""

    def __init__(self, hosts: dict[str, TestHost], sites: list[str]) -> None:
        self.targets = {
            site: hosts[s] for s, names in SERVERS.items() for site in names if site in sites
        }
        self.seen: dict[str, list[int]] = {site: [] for site in self.targets}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self) -> None:
        while not self.stop.is_set():
            for site, host in self.targets.items():
                status = get(host, site)[0]
                if not self.seen[site] or self.seen[site][-1] != status:
                    self.seen[site].append(status)
            self.stop.wait(0.2)

    def __enter__(self) -> FleetPoller:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    events = sorted(
        [(start, 1) for start, end in intervals] + [(end, -1) for start, end in intervals]
    )
    running = most = 0
    for _when, step in events:
        running += step
        most = max(most, running)
    return most


def run_records(host: TestHost, site: str, run_id: str) -> list[dict[str, Any]]:
    return [r for r in journal(host, root(site)) if r.get("run_id") == run_id]


def fleet_report(report_dir: Path) -> dict[str, Any]:
    [run] = [p for p in report_dir.iterdir() if p.is_dir()]
    report = json.loads((run / "fleet.json").read_text())
    assert (run / "fleet.md").read_text().startswith(f"# Fleet upgrade {run.name}")
    return report


def test_fleet_upgrade_batches_bound_and_rehearsal(test_hosts, tmp_path):
    web1, web2 = test_hosts(2, names=["web1", "web2"])
    hosts = {"web1": web1, "web2": web2}
    host_of = {site: hosts[s] for s, names in SERVERS.items() for site in names}
    password = "pw-" + secrets.token_hex(12)
    start_postgres(web2, "fleet", password)
    secret_vars = {"fleet_db_password": password}

    # --- every site at version 1, with data ------------------------------------------------
    deployed = run_playbook(
        "playbooks/deploy.yml",
        fleet_inventory(hosts, {}),
        {**secret_vars, "datamig_version": "1"},
        args=["-f", "8"],
    )
    assert_ok(deployed)
    assert password not in deployed.stdout + deployed.stderr
    for seed, site in enumerate(VENDORS, start=1):
        host_of[site].run(
            site_env_prefix(root(site))
            + f"venv/bin/python manage.py demo_fill --rows 1500 --seed {seed}",
            check=True,
        )
        assert get(host_of[site], site) == (200, "datamig-demo version 1")
    before = {site: live_checksums(host_of[site], root(site)) for site in VENDORS}
    assert len({json.dumps(c, sort_keys=True) for c in before.values()}) == 4  # different data
    for site in VENDORS:
        (tmp_path / site).mkdir()
    expected_v2 = {
        site: expected_checksums(
            host_of[site],
            root(site),
            DEMO / "v2",
            ALLOW_LOSS_1_TO_2,
            tmp_path / site,
            vendor=VENDORS[site],
        )
        for site in ("alpha", "gamma", "delta")
    }
    beta_db_sha = web1.run(
        ["sha256sum", f"{root('beta')}/shared/db/beta.sqlite3"], check=True
    ).stdout.split()[0]

    # --- 1. one batch, beta broken ------------------------------------------------------
    broken_v2 = variant(tmp_path, "v2", "v2-broken", append={"demo_site/views.py": BROKEN_HEALTH})
    beta_broken = {
        "fleet_releases": {"1": str(DEMO / "v1"), "2": str(broken_v2), "3": str(DEMO / "v3")}
    }
    reports_1 = tmp_path / "reports-1"
    with FleetPoller(hosts, list(VENDORS)) as poller:
        upgraded = run_playbook(
            "playbooks/upgrade.yml",
            fleet_inventory(hosts, {"beta": beta_broken}),
            {**secret_vars, "datamig_version": "2", "datamig_fleet_report_dir": str(reports_1)},
            args=["-f", "8"],
        )
    assert upgraded.returncode != 0, upgraded.stdout[-4000:]
    assert "upgrade of beta to 2 failed at step health" in upgraded.stdout
    assert password not in upgraded.stdout + upgraded.stderr
    for site in ("alpha", "gamma", "delta"):
        assert get(host_of[site], site) == (200, "datamig-demo version 2"), site
        assert live_checksums(host_of[site], root(site)) == expected_v2[site], site
        assert poller.seen[site] == [200, 503, 200], (site, poller.seen[site])
    assert get(web1, "beta") == (200, "datamig-demo version 1")
    assert live_checksums(web1, root("beta")) == before["beta"]
    assert (
        web1.run(
            ["sha256sum", f"{root('beta')}/shared/db/beta.sqlite3"], check=True
        ).stdout.split()[0]
        == beta_db_sha
    )
    assert poller.seen["beta"] == [200, 503, 200], poller.seen["beta"]

    report = fleet_report(reports_1)
    rows = {row["site"]: row for row in report["sites"]}
    assert set(rows) == set(VENDORS)
    for site in ("alpha", "gamma", "delta"):
        assert rows[site]["outcome"] == "upgraded" and rows[site]["failed_step"] is None, rows[site]
        assert (rows[site]["version_from"], rows[site]["version_to"]) == ("1", "2")
        assert rows[site]["rows_restored"] > 0 and rows[site]["downtime_seconds"] > 0
        assert any("notes.Mention" in w for w in rows[site]["warnings"])  # the accepted loss
        [site_report] = reports(host_of[site], root(site))
        assert rows[site]["downtime_seconds"] == site_report["downtime_seconds"]
        assert rows[site]["rows_restored"] == site_report["rows_restored"]
    assert rows["beta"]["outcome"] == "rolled back" and rows["beta"]["failed_step"] == "health"
    assert "broken release" in rows["beta"]["reason"] or "500" in rows["beta"]["reason"], rows[
        "beta"
    ]
    assert rows["alpha"]["server"] == rows["beta"]["server"] == web1.address
    assert report["totals"]["outcomes"] == {"upgraded": 3, "rolled back": 1}

    # the per-server bound: at most one snapshot and one restore at once per server, while
    # the two sites of each server did run side by side (their releases overlapped)
    for server, sites in SERVERS.items():
        host = hosts[server]
        work: dict[str, list[tuple[float, float]]] = {"snapshot": [], "restore": [], "release": []}
        for site in sites:
            records = journal(host, root(site))
            run_id = reports(host, root(site))[-1]["run_id"]
            for record in records:
                if record.get("run_id") != run_id or record.get("status") != "done":
                    continue
                step = record.get("step")
                if step in ("snapshot", "restore"):
                    heavy = record["data"]["heavy"]
                    assert heavy["slots"] == 1
                    work[step].append((heavy["started"], heavy["ended"]))
            times = reports(host, root(site))[-1]["steps"]["release"]
            work["release"].append((float(times["started"]), float(times["ended"])))
        assert len(work["restore"]) == len(work["snapshot"]) == 2, (server, work)
        assert most_at_once(work["snapshot"] + work["restore"]) == 1, (server, work)
        assert most_at_once(work["release"]) == 2, (server, work)  # same batch, side by side

    # --- 2. batches of one, threshold 0, gamma's v3 broken: stops after gamma -----------
    broken_v3 = variant(tmp_path, "v3", "v3-broken", append={"demo_site/views.py": BROKEN_HEALTH})
    gamma_broken = {
        "fleet_releases": {"1": str(DEMO / "v1"), "2": str(DEMO / "v2"), "3": str(broken_v3)}
    }
    delta_before = live_checksums(web2, root("delta"))
    delta_journal = journal(web2, root("delta"))
    reports_2 = tmp_path / "reports-2"
    stopped = run_playbook(
        "playbooks/upgrade.yml",
        fleet_inventory(hosts, {"gamma": gamma_broken}),
        {
            **secret_vars,
            "datamig_version": "3",
            "datamig_serial": 1,
            "datamig_max_fail_percentage": 0,
            "datamig_fleet_report_dir": str(reports_2),
        },
        args=["-f", "8", "-l", "alpha,gamma,delta"],
    )
    assert stopped.returncode != 0
    assert "upgrade of gamma to 3 failed at step health" in stopped.stdout
    assert get(web1, "alpha") == (200, "datamig-demo version 3")
    assert get(web2, "gamma") == (200, "datamig-demo version 2")
    assert get(web2, "delta") == (200, "datamig-demo version 2")
    assert journal(web2, root("delta")) == delta_journal  # not touched at all
    assert live_checksums(web2, root("delta")) == delta_before
    rows = {row["site"]: row for row in fleet_report(reports_2)["sites"]}
    assert {site: row["outcome"] for site, row in rows.items()} == {
        "alpha": "upgraded",
        "gamma": "rolled back",
        "delta": "not reached",
    }

    # --- 3. rehearsal of alpha (at v3 since its run alone above), then the real run ------
    # (datamig_force: the same version again). The estimate takes the fixed part of the
    # downtime from alpha's last real run with a batch of the same size (one site).
    alpha_before = live_checksums(web1, root("alpha"))
    solo_run = reports(web1, root("alpha"))[-1]
    assert solo_run["outcome"] == "upgraded" and solo_run["batch_size"] == 1
    again = {**secret_vars, "datamig_version": "3", "datamig_force": True}
    reports_3 = tmp_path / "reports-3"
    with FleetPoller(hosts, ["alpha"]) as poller:
        rehearsed = run_playbook(
            "playbooks/upgrade.yml",
            fleet_inventory(hosts, {}),
            {**again, "datamig_rehearse": True, "datamig_fleet_report_dir": str(reports_3)},
            args=["-l", "alpha"],
        )
    assert_ok(rehearsed)
    assert poller.seen["alpha"] == [200], poller.seen["alpha"]
    assert get(web1, "alpha") == (200, "datamig-demo version 3")
    assert live_checksums(web1, root("alpha")) == alpha_before
    rehearsal = reports(web1, root("alpha"))[-1]
    assert rehearsal["outcome"] == "rehearsed" and rehearsal["run_id"].endswith("-rehearsal")
    assert "maintenance_on" not in rehearsal["steps"] and "switch" not in rehearsal["steps"]
    assert rehearsal["rows_restored"] > 0 and rehearsal["models"]
    estimate = rehearsal["rehearsal"]
    assert estimate["fixed_from"].startswith(f"run {solo_run['run_id']} (1 site(s) in its batch)")
    assert "plan" in estimate["schema_diff"]
    live_release = web1.run(["readlink", f"{root('alpha')}/current"], check=True).stdout.strip()
    assert rehearsal["release_to"] != live_release
    for leftover in (rehearsal["release_to"], rehearsal["snapshot"], rehearsal["database_to"]):
        assert web1.run(["test", "-e", leftover]).returncode != 0, leftover  # cleaned up
    [fleet_row] = fleet_report(reports_3)["sites"]
    assert fleet_row["outcome"] == "rehearsed"
    assert fleet_row["downtime_estimate_seconds"] == estimate["downtime_estimate_seconds"]

    real = run_playbook(
        "playbooks/upgrade.yml",
        fleet_inventory(hosts, {}),
        {**again, "datamig_fleet_report_dir": str(tmp_path / "reports-4")},
        args=["-l", "alpha"],
    )
    assert_ok(real)
    assert get(web1, "alpha") == (200, "datamig-demo version 3")
    measured = reports(web1, root("alpha"))[-1]
    assert measured["outcome"] == "upgraded" and measured["run_id"] != solo_run["run_id"]
    ratio = float(estimate["downtime_estimate_seconds"]) / measured["downtime_seconds"]
    print(
        f"rehearsal estimate {estimate['downtime_estimate_seconds']} s, real downtime "
        f"{measured['downtime_seconds']} s, ratio {ratio:.2f}"
    )
    assert 0.5 <= ratio <= 2.0, (estimate, measured["downtime_seconds"])
    assert read_text(web1, f"{root('alpha')}/datamig.lock") is None
    assert run_records(web1, "alpha", measured["run_id"])[-1]["step"] == "finish"
