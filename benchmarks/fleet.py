"""Fleet benchmark: 6 sites on 2 servers upgraded in one run, against one site alone.

    .venv/bin/python benchmarks/fleet.py [--rows 5000] [--heavy-per-server 1] [--out benchmarks/results/NAME.json]

Two test hosts (network namespaces with sshd, nginx, supervisor: tests/hosts) hold
seven demo sites at version 1 on SQLite, `--rows` rows of demo data each: `solo` and
s1..s3 on server web1, s4..s6 on web2. Then, measured by wall clock around
`ansible-playbook playbooks/upgrade.yml` to version 2:

1. `-l solo`: one site alone (the baseline);
2. `-l s1,...,s6 -f 12`: the fleet, one batch, at most `--heavy-per-server` snapshots and
   restores at once per server.

Both upgrades must succeed and every site must answer version 2. The target is
fleet <= 2.5 x solo (issue 6); a missed target is a result (printed), not an error.
Needs root (tools/bootstrap's Debian packages). About 6 minutes with 5000 rows.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hosts.ansible import run_playbook  # noqa: E402
from tests.hosts.netns import TestHost, TestNetwork  # noqa: E402
from tests.integration.demo_site import DEMO, site_env_prefix, site_vars  # noqa: E402

TARGET_RATIO = 2.5
LAYOUT = {"web1": ["solo", "s1", "s2", "s3"], "web2": ["s4", "s5", "s6"]}


def inventory(hosts: dict[str, TestHost], heavy: int, report_dir: Path) -> dict[str, Any]:
    shared = site_vars("unused")
    shared.pop("datamig_site")
    children: dict[str, Any] = {}
    for server, sites in LAYOUT.items():
        children[server] = {
            "vars": hosts[server].inventory_vars(),
            "hosts": {
                site: {
                    "datamig_http_listen": f"{hosts[server].address}:{8001 + n}",
                    "datamig_app_bind": f"127.0.0.1:{9001 + n}",
                }
                for n, site in enumerate(sites)
            },
        }
    return {
        "all": {
            "vars": {
                **shared,
                "datamig_heavy_per_server": heavy,
                "datamig_fleet_report_dir": str(report_dir),
                "datamig_gunicorn_workers": 1,
            },
            "children": children,
        }
    }


def upgrade_vars(version: str) -> dict[str, Any]:
    loss = ["contacts.Partner.phone", "notes.Mention"] if version == "2" else []
    return {
        "datamig_version": version,
        "datamig_release_src": str(DEMO / f"v{version}"),
        "datamig_allow_loss": loss,
    }


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (every process: the controller,
    its workers and ssh, and the test hosts' sshd, modules, pip, gunicorn)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


CPU: dict[str, dict[str, float]] = {}


def timed_playbook(
    playbook: str, inv: dict[str, Any], extra: dict[str, Any], args: list[str], label: str = ""
) -> float:
    started = time.monotonic()
    busy = busy_cpu_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_playbook(playbook, inv, extra, args=args, timeout=3600)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if label:
        CPU[label] = {
            "machine_busy_cpu_seconds": round(busy_cpu_seconds() - busy, 1),
            "controller_cpu_seconds": round(
                after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime, 1
            ),
        }
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:] + result.stderr[-3000:])
        raise SystemExit(f"{playbook} {' '.join(args)} failed (exit {result.returncode})")
    return seconds


def site_reports(host: TestHost, site: str) -> list[dict[str, Any]]:
    names = host.run(f"ls /srv/{site}/reports/*.json | sort", check=True).stdout.split()
    return [json.loads(host.run(["cat", name], check=True).stdout) for name in names]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--heavy-per-server", type=int, default=1)
    parser.add_argument("--out", type=Path)
    options = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("benchmarks/fleet.py makes test hosts: run it as root")

    with TestNetwork() as network:
        web1, web2 = network.add_hosts(2, names=["web1", "web2"])
        hosts = {"web1": web1, "web2": web2}
        report_dir = Path(f"/tmp/datamig-fleet-bench-{os.getpid()}")
        inv = inventory(hosts, options.heavy_per_server, report_dir)
        all_sites = [site for sites in LAYOUT.values() for site in sites]
        fleet = [site for site in all_sites if site != "solo"]

        print(f"deploying {len(all_sites)} sites at version 1 ...", file=sys.stderr)
        deploy_seconds = timed_playbook(
            "playbooks/deploy.yml", inv, upgrade_vars("1"), ["-f", "12"]
        )
        for seed, site in enumerate(all_sites, start=1):
            host = hosts["web1" if site in LAYOUT["web1"] else "web2"]
            host.run(
                site_env_prefix(f"/srv/{site}")
                + f"venv/bin/python manage.py demo_fill --rows {options.rows} --seed {seed}",
                check=True,
                timeout=600,
            )

        print("upgrading one site alone ...", file=sys.stderr)
        solo_seconds = timed_playbook(
            "playbooks/upgrade.yml", inv, upgrade_vars("2"), ["-l", "solo"], "solo"
        )
        print(f"upgrading the fleet of {len(fleet)} ...", file=sys.stderr)
        fleet_seconds = timed_playbook(
            "playbooks/upgrade.yml",
            inv,
            upgrade_vars("2"),
            ["-l", ",".join(fleet), "-f", "12"],
            "fleet",
        )

        per_site = {}
        for server, sites in LAYOUT.items():
            for site in sites:
                report = site_reports(hosts[server], site)[-1]
                assert report["outcome"] == "upgraded" and report["version_to"] == "2", report
                per_site[site] = {
                    "server": server,
                    "downtime_seconds": report["downtime_seconds"],
                    "rows_restored": report["rows_restored"],
                    "steps": {step: t.get("seconds") for step, t in report["steps"].items()},
                }

    ratio = fleet_seconds / solo_seconds
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "load_before": os.getloadavg()},
        "rows_per_site": options.rows,
        "heavy_per_server": options.heavy_per_server,
        "deploy_seconds": round(deploy_seconds, 1),
        "solo_seconds": round(solo_seconds, 1),
        "fleet_sites": len(fleet),
        "fleet_seconds": round(fleet_seconds, 1),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO,
        "cpu": CPU,
        "sites": per_site,
    }
    markdown = "\n".join(
        [
            f"# Fleet benchmark {result['date']}",
            "",
            f"{len(fleet)} sites on 2 servers vs 1 site alone, {options.rows} rows each, "
            f"{options.heavy_per_server} heavy job(s) per server, {os.cpu_count()} cores.",
            "",
            "| run | wall seconds | ratio to one site | machine CPU s | controller CPU s |",
            "|---|---|---|---|---|",
            f"| one site alone | {solo_seconds:.1f} | 1.00 | {CPU['solo']['machine_busy_cpu_seconds']} "
            f"| {CPU['solo']['controller_cpu_seconds']} |",
            f"| fleet of {len(fleet)} | {fleet_seconds:.1f} | {ratio:.2f} (target <= {TARGET_RATIO}) "
            f"| {CPU['fleet']['machine_busy_cpu_seconds']} | {CPU['fleet']['controller_cpu_seconds']} |",
            "",
            "CPU seconds: the whole machine busy during the run (the controller and both servers "
            f"share its {os.cpu_count()} cores) and the controller's part (ansible-playbook, its "
            "workers, ssh).",
            "",
            "| site | server | downtime s | rows restored | snapshot s | restore s |",
            "|---|---|---|---|---|---|",
            *[
                f"| {site} | {row['server']} | {row['downtime_seconds']} | {row['rows_restored']} | "
                f"{row['steps'].get('snapshot')} | {row['steps'].get('restore')} |"
                for site, row in per_site.items()
            ],
            "",
        ]
    )
    print(markdown)
    print(json.dumps(result, indent=2))
    if options.out:
        options.out.write_text(json.dumps(result, indent=2) + "\n")
        options.out.with_suffix(".md").write_text(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
