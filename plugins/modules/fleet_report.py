#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: fleet_report
short_description: Add one site's outcome to a fleet run's report (JSON and Markdown)
version_added: "0.1.0"
description:
  - A fleet upgrade (C(playbooks/upgrade.yml) over many sites, in batches) ends with one
    report. Each site adds its own outcome when its run ends, whatever the outcome, and the
    module rewrites the whole report from every outcome written so far; so the report is
    complete also when the play stops early (a failure threshold reached) - the sites the run
    never reached are listed as V(not reached).
  - Runs on the controller (C(delegate_to) V(localhost)). Files, under O(dest)/O(run) -
    C(sites/<site>.json) per site, C(fleet.json) (per site - server, versions from and to,
    outcome, failed step and reason, downtime, rows restored, warnings; then totals) and
    C(fleet.md) (the same as a Markdown table). Several sites of a batch write at once -
    every write happens under an exclusive C(flock) of the run's folder, and each file is
    replaced atomically.
author:
  - datamig developers (!UNKNOWN)
options:
  dest:
    description: The folder of fleet reports on the controller; each run gets a folder O(run) in it.
    type: path
    required: true
  run:
    description: The fleet run's id, the same for every site of one C(ansible-playbook) run.
    type: str
    required: true
  site:
    description: The site whose outcome this is.
    type: str
    required: true
  report:
    description:
      - The site's upgrade report (the fact C(upgrade_report) of role C(datamig.site.upgrade))
        - C(outcome), C(version_from), C(version_to), C(failed_step), C(reason),
        C(downtime_seconds), C(rows_restored), C(losses), C(run_id).
    type: dict
    required: true
  sites:
    description:
      - Every site of the fleet run (all its batches) and its server, so that the sites not
        reached are listed too.
    type: dict
    required: true
  warnings:
    description: Warnings to list for this site besides the ones derived from its report (losses accepted).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: datamig.site.journal
"""

EXAMPLES = r"""
- name: Add this site to the fleet report
  datamig.site.fleet_report:
    dest: "{{ datamig_fleet_report_dir }}"
    run: "{{ upgrade_fleet_run }}"
    site: "{{ inventory_hostname }}"
    report: "{{ upgrade_report }}"
    sites: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'ansible_host'))) }}"
  delegate_to: localhost
"""

RETURN = r"""
json:
  description: The path of the fleet report in JSON.
  returned: always
  type: str
  sample: /home/ops/datamig-reports/20261124T190301Z-48211/fleet.json
markdown:
  description: The path of the fleet report in Markdown.
  returned: always
  type: str
  sample: /home/ops/datamig-reports/20261124T190301Z-48211/fleet.md
totals:
  description: The totals of the report as written (sites per outcome, downtime, rows).
  returned: always
  type: dict
  sample:
    sites: 4
    outcomes: {"upgraded": 3, "rolled back": 1}
    not_reached: 0
    downtime_seconds_max: 41.2
    downtime_seconds_total: 150.3
    rows_restored: 80000
"""

import datetime  # noqa: E402
import fcntl  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.outcomes import (  # noqa: E402
    FAILED,
    NOT_REACHED,
)

COLUMNS = (
    "site",
    "server",
    "from",
    "to",
    "outcome",
    "failed step",
    "reason",
    "downtime s",
    "rows restored",
    "warnings",
)


def loss_warnings(losses):
    """One line per field or model a restore did not carry over (accepted losses)."""
    lines = []
    for label, fields in sorted(((losses or {}).get("models") or {}).items()):
        for what, entry in sorted(fields.items()):
            name = label if what == "*row" else f"{label}.{what}"
            lines.append(f"not restored: {name}: {entry.get('count')} ({entry.get('reason')})")
    return lines


def site_entry(site, server, report, warnings):
    return {
        "site": site,
        "server": server,
        "run_id": report.get("run_id"),
        "version_from": report.get("version_from") or None,
        "version_to": report.get("version_to") or None,
        "outcome": report.get("outcome") or FAILED,
        "failed_step": report.get("failed_step") or None,
        "reason": report.get("reason") or None,
        "downtime_seconds": float(report.get("downtime_seconds") or 0.0),
        "rows_restored": report.get("rows_restored"),
        "downtime_estimate_seconds": (report.get("rehearsal") or {}).get(
            "downtime_estimate_seconds"
        ),
        "warnings": list(warnings) + loss_warnings(report.get("losses")),
        "written": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }


def write_atomically(path, text):
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def read_entries(sites_dir):
    entries = {}
    for name in sorted(os.listdir(sites_dir)):
        if name.endswith(".json") and not name.startswith("."):
            with open(os.path.join(sites_dir, name), encoding="utf-8") as handle:
                entry = json.load(handle)
            entries[entry["site"]] = entry
    return entries


def fleet(run, sites, entries):
    """The whole report: every site of the run (reached or not), then the totals."""
    rows = []
    for site in sorted(set(sites) | set(entries)):
        rows.append(
            entries.get(site) or {"site": site, "server": sites.get(site), "outcome": NOT_REACHED}
        )
    outcomes = {}
    for row in rows:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    downtimes = [row.get("downtime_seconds") or 0.0 for row in rows]
    totals = {
        "sites": len(rows),
        "outcomes": outcomes,
        "not_reached": outcomes.get(NOT_REACHED, 0),
        "downtime_seconds_max": round(max(downtimes, default=0.0), 3),
        "downtime_seconds_total": round(sum(downtimes), 3),
        "rows_restored": sum(row.get("rows_restored") or 0 for row in rows),
    }
    return {"run": run, "sites": rows, "totals": totals}


def cell(value):
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report):
    totals = report["totals"]
    lines = [
        f"# Fleet upgrade {report['run']}",
        "",
        f"{totals['sites']} sites: "
        + ", ".join(f"{count} {outcome}" for outcome, count in sorted(totals["outcomes"].items()))
        + f"; downtime max {totals['downtime_seconds_max']} s, total {totals['downtime_seconds_total']} s;"
        + f" {totals['rows_restored']} rows restored.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in report["sites"]:
        values = (
            row["site"],
            row.get("server"),
            row.get("version_from"),
            row.get("version_to"),
            row["outcome"],
            row.get("failed_step"),
            row.get("reason"),
            row.get("downtime_seconds"),
            row.get("rows_restored"),
            "; ".join(row.get("warnings") or []),
        )
        lines.append("| " + " | ".join(cell(value) for value in values) + " |")
    return "\n".join(lines) + "\n"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            run=dict(type="str", required=True),
            site=dict(type="str", required=True),
            report=dict(type="dict", required=True),
            sites=dict(type="dict", required=True),
            warnings=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not params["run"] or os.sep in params["run"] or params["run"].startswith("."):
        module.fail_json(msg=f"run {params['run']!r} is not a usable folder name")
    run_dir = os.path.join(params["dest"], params["run"])
    sites_dir = os.path.join(run_dir, "sites")
    result = dict(
        changed=True,
        json=os.path.join(run_dir, "fleet.json"),
        markdown=os.path.join(run_dir, "fleet.md"),
    )
    sites = {
        str(site): (str(server) if server is not None else None)
        for site, server in params["sites"].items()
    }
    entry = site_entry(
        params["site"], sites.get(params["site"]), params["report"], params["warnings"]
    )

    if module.check_mode:
        existing = read_entries(sites_dir) if os.path.isdir(sites_dir) else {}
        existing[entry["site"]] = entry
        result["totals"] = fleet(params["run"], sites, existing)["totals"]
        module.exit_json(**result)

    os.makedirs(sites_dir, mode=0o700, exist_ok=True)
    fd = os.open(run_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        write_atomically(
            os.path.join(sites_dir, f"{entry['site']}.json"),
            json.dumps(entry, indent=2, sort_keys=True) + "\n",
        )
        report = fleet(params["run"], sites, read_entries(sites_dir))
        write_atomically(result["json"], json.dumps(report, indent=2, sort_keys=True) + "\n")
        write_atomically(result["markdown"], markdown(report))
    finally:
        os.close(fd)
    result["totals"] = report["totals"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
