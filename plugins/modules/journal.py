#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: journal
short_description: Write and read the per-site upgrade journal on the node
version_added: "0.1.0"
description:
  - The journal is a JSON-lines file on the node, one record per step of a run, so that a
    rerun after a crash knows where the last run stopped and continues or rolls back
    instead of guessing.
  - O(state=append) appends one record C({time, run_id, step, status, data}) with a UTC
    timestamp in microseconds. The record is written with a single C(write) on a file
    opened with C(O_APPEND) under an exclusive C(flock), then C(fsync)ed (the directory
    too when the journal is new), so a record is either wholly there or not at all.
    Appending always reports C(changed); in check mode nothing is written.
  - O(state=read) returns the records of one run (the last run in the journal, or
    O(run_id) if given), in the order they were written. It never changes anything.
  - A line that does not parse (the torn end of a write cut short by a crash) is skipped
    with a warning.
author:
  - datamig developers (!UNKNOWN)
options:
  path:
    description:
      - The journal file, for example C(/srv/mysite/datamig-journal.jsonl). Its directory
        must exist; the file is created (mode C(0640)) by the first append.
    type: path
    required: true
  state:
    description:
      - V(append) adds one record; V(read) returns the records of a run.
    type: str
    choices: [append, read]
    default: append
  run_id:
    description:
      - The run the record belongs to. Required with O(state=append).
      - With O(state=read), the run to read; default the run of the journal's last record.
    type: str
  step:
    description:
      - The step of the run, for example C(preflight), C(snapshot), C(switch). A step
        named C(finish) marks the end of a run. Required with O(state=append).
    type: str
  status:
    description:
      - What happened to the step. Required with O(state=append).
    type: str
    choices: [started, done, failed]
  data:
    description:
      - Facts a rerun needs to continue or roll back, for example the names of the old
        and new databases or the path of the new release. Must be JSON-serialisable.
    type: dict
    default: {}
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
  - module: datamig.site.lock
"""

EXAMPLES = r"""
- name: Record that the snapshot step began
  datamig.site.journal:
    path: /srv/mysite/datamig-journal.jsonl
    run_id: "{{ datamig_run_id }}"
    step: snapshot
    status: started
    data:
      snapshot: /backups/mysite/2026-11-24T140312

- name: Read where the last run stopped
  datamig.site.journal:
    path: /srv/mysite/datamig-journal.jsonl
    state: read
  register: last_run

- name: Roll back a run that crashed after the switch
  ansible.builtin.include_tasks: rollback.yml
  when:
    - last_run.records | length > 0
    - not last_run.finished
    - "'switch' in last_run.steps"
"""

RETURN = r"""
record:
  description: The record appended (also in check mode, where it is not written).
  returned: when O(state=append)
  type: dict
  sample:
    time: "2026-11-24T14:03:12.250301Z"
    run_id: upgrade-20261124T140312-mysite
    step: restore
    status: done
    data:
      database: mysite_new
records:
  description: The run's records, oldest first.
  returned: when O(state=read)
  type: list
  elements: dict
  sample:
    - time: "2026-11-24T14:03:12.250301Z"
      run_id: upgrade-20261124T140312-mysite
      step: preflight
      status: started
      data: {}
run_id:
  description: The run whose records were read (V(null) if the journal holds none).
  returned: always
  type: str
  sample: upgrade-20261124T140312-mysite
last_step:
  description: The step of the run's last record (V(null) if there is none).
  returned: when O(state=read)
  type: str
  sample: restore
last_status:
  description: The status of the run's last record (V(null) if there is none).
  returned: when O(state=read)
  type: str
  sample: failed
steps:
  description: Every step of the run with the status of its last record.
  returned: when O(state=read)
  type: dict
  sample:
    preflight: done
    snapshot: done
    restore: failed
finished:
  description:
    - Whether the run ended, that is a C(finish) step was recorded as V(done) or
      V(failed). A run that did not finish was cut short, and the rerun continues or
      rolls it back.
  returned: when O(state=read)
  type: bool
  sample: false
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.journal import (  # noqa: E402
    append_record,
    read_records,
    summarise,
    utc_now,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["append", "read"], default="append"),
            run_id=dict(type="str"),
            step=dict(type="str"),
            status=dict(type="str", choices=["started", "done", "failed"]),
            data=dict(type="dict", default={}),
        ),
        required_if=[("state", "append", ["run_id", "step", "status"])],
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    directory = os.path.dirname(path) or "."

    if not os.path.isdir(directory):
        module.fail_json(msg=f"The directory of the journal does not exist: {directory}")
    try:
        if params["state"] == "read":
            result = dict(
                changed=False, **summarise(read_records(path, module.warn), params["run_id"])
            )
        else:
            record = dict(
                time=utc_now(),
                run_id=params["run_id"],
                step=params["step"],
                status=params["status"],
                data=params["data"],
            )
            result = dict(changed=True, record=record, run_id=params["run_id"])
            if not module.check_mode:
                append_record(path, record)
    except (OSError, TypeError, ValueError) as exc:
        module.fail_json(msg=f"Journal {path}: {to_native(exc)}")

    module.exit_json(**result)


if __name__ == "__main__":
    main()
