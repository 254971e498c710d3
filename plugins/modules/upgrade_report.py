#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: upgrade_report
short_description: Write the upgrade report of a run from its journal, and end the run
version_added: "0.1.0"
description:
  - Builds the report of run O(run_id) from the journal's records of that run - each step's
    time, the downtime (maintenance on to maintenance off) and its parts
    (C(window_seconds) - snapshot, restore, verify, switch, other) - and what the run
    passes (versions, releases, databases, the restore's rows and losses).
  - With O(rehearsal), adds the downtime a real run would cost - this run's snapshot,
    restore and verify plus the fixed part of the site's last real upgrade, read from the
    other reports beside O(dest).
  - Writes the report to O(dest) (mode C(0600)), appends the run's C(finish) record to the
    journal (its outcome, and the live states the run found and leaves, from which
    M(datamig.site.site_info) reads the site's live history) and returns a short summary
    for people.
  - In check mode nothing is written.
author:
  - datamig developers (!UNKNOWN)
options:
  journal:
    description: The site's journal.
    type: path
    required: true
  dest:
    description: The report file.
    type: path
    required: true
  run_id:
    description: The run.
    type: str
    required: true
  site:
    description: The site's name.
    type: str
    required: true
  outcome:
    description: How the run ended.
    type: str
    required: true
    choices:
      - upgraded
      - already at version
      - rehearsed
      - rolled back
      - rehearsal failed
      - failed before any change
  version_from:
    description: The version that was live.
    type: str
    default: ""
  version_to:
    description: The target version.
    type: str
    default: ""
  release_from:
    description: The release that was live.
    type: str
    default: ""
  release_to:
    description: The new release.
    type: str
    default: ""
  database_from:
    description: The database that was live.
    type: str
    default: ""
  database_to:
    description: The new database.
    type: str
    default: ""
  snapshot:
    description: The run's snapshot.
    type: str
    default: ""
  failed_step:
    description: The step that failed.
    type: str
  reason:
    description: Why it failed.
    type: str
  restore:
    description: The result of M(datamig.site.restore) (C(rows), C(models), C(losses)).
    type: dict
    default: {}
  batch_size:
    description: Sites upgraded side by side in this run's batch.
    type: int
    default: 1
  rehearsal:
    description:
      - For a rehearsal - C(default_fixed) (seconds of the fixed part when no earlier
        upgrade measured it), C(engine_seconds) (the engine's own seconds of the snapshot and
        the restore, which replace those steps' task times in the estimate) and anything else
        to keep in the report's C(rehearsal) (the schema diff, the side database kept).
    type: dict
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
  - module: datamig.site.fleet_report
"""

EXAMPLES = r"""
- name: Write the report
  datamig.site.upgrade_report:
    journal: /srv/mysite/datamig-journal.jsonl
    dest: /srv/mysite/reports/20261124T140312Z.json
    run_id: 20261124T140312Z
    site: mysite
    outcome: upgraded
    version_from: "1"
    version_to: "2"
    restore: "{{ restore_result }}"
  register: upgrade_report

- name: Say how it went
  ansible.builtin.debug:
    msg: "{{ upgrade_report.summary }}"
"""

RETURN = r"""
report:
  description: The report as written.
  returned: always
  type: dict
  sample:
    outcome: upgraded
    downtime_seconds: 7.9
    window_seconds: {snapshot: 1.2, restore: 2.5, verify: 0.8, switch: 1.1, other: 2.3}
summary:
  description: The report in a few lines (versions, outcome, downtime and its parts, rows, losses).
  returned: always
  type: str
finish:
  description: The journal's finish record.
  returned: always
  type: dict
"""

import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import (  # noqa: E402
    outcomes,
    rehearsal,
    report,
    site_state,
)
from ansible_collections.datamig.site.plugins.module_utils.journal import (  # noqa: E402
    FINISH_STEP,
    append_record,
    read_records,
    summarise,
    utc_now,
)

OUTCOMES = [
    outcomes.UPGRADED,
    outcomes.ALREADY_AT_VERSION,
    outcomes.REHEARSED,
    outcomes.ROLLED_BACK,
    outcomes.REHEARSAL_FAILED,
    outcomes.FAILED_BEFORE_CHANGE,
]
RUN_FIELDS = (
    "site",
    "run_id",
    "outcome",
    "version_from",
    "version_to",
    "release_from",
    "release_to",
    "database_from",
    "database_to",
    "snapshot",
    "failed_step",
    "reason",
    "restore",
    "batch_size",
)


def earlier_reports(folder, exclude, warn, newest=20):
    """The newest reports in folder (newest first), but exclude."""
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith(".")]
    except FileNotFoundError:
        return []
    paths = [os.path.join(folder, n) for n in names if os.path.join(folder, n) != exclude]
    paths.sort(key=os.path.getmtime, reverse=True)
    found = []
    for path in paths[:newest]:
        try:
            with open(path, encoding="utf-8") as handle:
                found.append(json.load(handle))
        except (OSError, ValueError) as exc:
            warn(f"report {path} not read: {exc}")
    return found


def write_atomically(path, text):
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def main():
    text = dict(type="str", default="")
    module = AnsibleModule(
        argument_spec=dict(
            journal=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            run_id=dict(type="str", required=True),
            site=dict(type="str", required=True),
            outcome=dict(type="str", required=True, choices=OUTCOMES),
            version_from=text,
            version_to=text,
            release_from=text,
            release_to=text,
            database_from=text,
            database_to=text,
            snapshot=text,
            failed_step=dict(type="str"),
            reason=dict(type="str"),
            restore=dict(type="dict", default={}),
            batch_size=dict(type="int", default=1),
            rehearsal=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        records = summarise(read_records(params["journal"], module.warn), params["run_id"])
        run_records = [r for r in records["records"] if r["step"] != FINISH_STEP]
        run = {name: params[name] for name in RUN_FIELDS}
        if params["rehearsal"] is not None:
            extra = dict(params["rehearsal"])
            default_fixed = float(extra.pop("default_fixed", 30))
            engine_seconds = extra.pop("engine_seconds", None)
            steps = report.step_times(run_records)
            reports = earlier_reports(os.path.dirname(params["dest"]), params["dest"], module.warn)
            run["rehearsal"] = dict(
                extra,
                **rehearsal.estimate(
                    steps, reports, params["batch_size"], default_fixed, engine_seconds
                ),
            )
        built = report.build(run, run_records, time.time())
        before = site_state.state(
            params["release_from"], params["database_from"], params["version_from"]
        )
        after = site_state.state(params["release_to"], params["database_to"], params["version_to"])
        finish = {
            "time": utc_now(),
            "run_id": params["run_id"],
            "step": FINISH_STEP,
            "status": outcomes.finish_status(built["outcome"]),
            "data": report.finish_data(built, before, after),
        }
        if not module.check_mode:
            write_atomically(params["dest"], json.dumps(built, indent=4, sort_keys=True) + "\n")
            append_record(params["journal"], finish)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        module.fail_json(msg=f"report of run {params['run_id']}: {to_native(exc)}")
    module.exit_json(changed=True, report=built, summary=report.summary(built), finish=finish)


if __name__ == "__main__":
    main()
