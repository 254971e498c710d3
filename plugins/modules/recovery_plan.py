#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: recovery_plan
short_description: Decide from the journal what to do about a run that was cut off
version_added: "0.1.0"
description:
  - Reads the journal's last run and the site's lock and returns what this run must do
    about it - RV(action) V(nothing) (no earlier run, or it finished), V(refuse) (it may
    still be alive - the lock has another owner, its controller is another machine, or its
    ansible-playbook still runs there), V(finish) (its new release had passed the health
    check, or maintenance was off), V(rolled back) (its rollback was done), V(rollback)
    (back to the release and database its preflight recorded) or V(unchanged) (it had not
    passed preflight).
  - It changes nothing; the tasks carry the plan out.
author:
  - datamig developers (!UNKNOWN)
options:
  journal:
    description: The site's journal.
    type: path
    required: true
  lock:
    description: The site's lock file.
    type: path
    required: true
  run_id:
    description: This run's id (a journal whose last run is this one needs nothing).
    type: str
    required: true
  controller:
    description: This controller's host name.
    type: str
    required: true
  controller_processes:
    description:
      - The controller's processes, lines of C(ps -eo pid=,args=), to tell whether the
        cut-off run's ansible-playbook still runs.
    type: list
    elements: str
    default: []
  wait_window:
    description:
      - Seconds to wait for the cut-off run's window (module M(datamig.site.window)) while
        it still runs on the node - it ends by itself, upgraded or rolled back - before
        deciding. Past them the plan is C(refuse).
    type: int
    default: 0
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
  - module: datamig.site.lock
"""

EXAMPLES = r"""
- name: Decide about a cut-off run
  datamig.site.recovery_plan:
    journal: /srv/mysite/datamig-journal.jsonl
    lock: /srv/mysite/datamig.lock
    run_id: "{{ common_run_id }}"
    controller: "{{ lookup('ansible.builtin.pipe', 'hostname') }}"
    controller_processes: "{{ lookup('ansible.builtin.pipe', 'ps -eo pid=,args=').splitlines() }}"
  register: recovery
"""

RETURN = r"""
action:
  description: What to do - nothing, refuse, finish, rolled back, rollback, unchanged.
  returned: always
  type: str
  sample: rollback
run_id:
  description: The journal's last run (V(null) when the journal is empty).
  returned: always
  type: str
reason:
  description: Why (for V(refuse), the error to show).
  returned: always
  type: str
outcome:
  description: The outcome to record in the cut-off run's finish record.
  returned: when RV(action) is not V(nothing) or V(refuse)
  type: str
  sample: rolled back by recovery
finish_status:
  description: The status of that finish record (V(done) or V(failed)).
  returned: when RV(action) is not V(nothing) or V(refuse)
  type: str
rollback_to:
  description: The release, database and version to roll back to (V(rollback) only).
  returned: when RV(action) is not V(nothing) or V(refuse)
  type: dict
before:
  description: The live state the cut-off run found.
  returned: when RV(action) is not V(nothing) or V(refuse)
  type: dict
live:
  description: The live state the recovery leaves.
  returned: when RV(action) is not V(nothing) or V(refuse)
  type: dict
previous_outcome:
  description: The outcome the journal's last run recorded when it finished (by its controller or by its window on the node).
  returned: when the last run finished
  type: str
waited_seconds:
  description: How long the module waited for a window still running on the node.
  returned: always
  type: float
failed_db_name:
  description:
    - The new database the cut-off run had prepared (its C(prepare) or C(restore) record),
      when the recovery rolls back; empty otherwise. It is recorded in the finish record for
      the cleanup of a later successful run.
  returned: when RV(action) is not V(nothing) or V(refuse)
  type: str
"""

import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import recovery  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.journal import (  # noqa: E402
    read_records,
    summarise,
)


def read_lock(path):
    """The lock's content; {} without a lock; an owner of "(unreadable)" if it is not ours."""
    try:
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
    except FileNotFoundError:
        return {}
    except ValueError:
        return {"owner": "(a lock file that is not datamig's)"}
    return (
        content if isinstance(content, dict) else {"owner": "(a lock file that is not datamig's)"}
    )


def alive(pid):
    """Whether process pid runs on this node (a zombie does not count)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            journal=dict(type="path", required=True),
            lock=dict(type="path", required=True),
            run_id=dict(type="str", required=True),
            controller=dict(type="str", required=True),
            controller_processes=dict(type="list", elements="str", default=[]),
            wait_window=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        started = time.monotonic()
        while True:
            summary = summarise(read_records(params["journal"], module.warn), None)
            pid = None if summary.get("finished") else recovery.window_pid(summary)
            running = bool(pid) and alive(pid)
            if not running or time.monotonic() - started >= params["wait_window"]:
                break
            time.sleep(0.5)
        plan = recovery.decide(
            summary,
            read_lock(params["lock"]),
            params["run_id"],
            params["controller"],
            recovery.ansible_playbook_pids(params["controller_processes"]),
            window_running=running,
        )
        plan["waited_seconds"] = round(time.monotonic() - started, 3)
    except OSError as exc:
        module.fail_json(msg=f"journal {params['journal']}: {to_native(exc)}")
    module.exit_json(changed=False, **plan)


if __name__ == "__main__":
    main()
