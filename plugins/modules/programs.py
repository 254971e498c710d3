#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: programs
short_description: Start, restart or stop a site's programs under supervisor and wait until every process is there
version_added: "0.1.0"
description:
  - Drives the programs of one site - its web server (gunicorn, uwsgi, daphne) and its
    background processes (a worker, Lino's linod) - as the upgrade window does on the node
    (module_utils/services.py), so that a deploy, a rollback and the window treat them alike.
  - Under supervisor, C(supervisorctl update) first (unless stopping), then one
    C(supervisorctl start|restart|stop) of every name, then the processes' states until none
    is STARTING, BACKOFF or STOPPING; the task fails unless every process is RUNNING
    (STOPPED, EXITED or FATAL for O(state=stopped)). supervisorctl's own exit status is not
    the answer (it may be 0 after a spawn error); the states are.
  - A supervisor group (an C(fcgi-program), or a program with C(numprocs)) is named
    C(name:*); each of its processes must get there.
  - Under systemd, one C(systemctl start|restart|stop) of every unit.
author:
  - datamig developers (!UNKNOWN)
options:
  names:
    description: The programs (supervisor program names, C(name:*) for a group, or systemd units).
    type: list
    elements: str
    required: true
  state:
    description: What the programs should be.
    type: str
    choices: [started, restarted, stopped]
    default: started
  manager:
    description: Who runs the programs.
    type: str
    choices: [supervisor, systemd]
    default: supervisor
  supervisor_config:
    description: supervisord's configuration (C(supervisorctl -c)).
    type: path
    default: /etc/supervisor/supervisord.conf
  timeout:
    description: Seconds to wait for the processes to get there.
    type: int
    default: 60
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the states and says whether anything would change; starts and stops nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: datamig.site.window
"""

EXAMPLES = r"""
- name: Restart a Lino site's web server and its linod
  datamig.site.programs:
    names: ["prod1_asgi:*", prod1_linod]
    state: restarted

- name: Stop a site's gunicorn and its worker
  datamig.site.programs:
    names: [shop, shop-worker]
    state: stopped
"""

RETURN = r"""
states:
  description: Each process's state as supervisorctl reports it at the end (under supervisor).
  returned: always
  type: dict
  sample: {prod1_linod: RUNNING, "prod1_asgi:prod1_asgi0": RUNNING}
"""

import subprocess  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import services  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.window import (  # noqa: E402
    run_command,
)

EXPECTED = {"started": "RUNNING", "restarted": "RUNNING", "stopped": "STOPPED"}


def run(argv, timeout, env=None, cwd=None):
    """One command (its process group killed past timeout): (rc, stdout, stderr)."""
    try:
        return run_command(argv, timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        return 124, "", f"{argv[0]} did not answer in {timeout} s"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            state=dict(type="str", choices=["started", "restarted", "stopped"], default="started"),
            manager=dict(type="str", choices=["supervisor", "systemd"], default="supervisor"),
            supervisor_config=dict(type="path", default="/etc/supervisor/supervisord.conf"),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        names = services.program_names(p["names"])
    except services.ServiceError as exc:
        module.fail_json(msg=str(exc))
    if p["manager"] == "systemd":
        if not module.check_mode:
            try:
                services.app(run, p["state"], "systemd", names, "", p["timeout"])
            except services.ServiceError as exc:
                module.fail_json(msg=str(exc), states={})
        module.exit_json(changed=True, states={})
    config = p["supervisor_config"]
    before, _shown = services.supervisor_states(run, config, names, p["timeout"])
    changed = p["state"] == "restarted" or not services.settled(before, EXPECTED[p["state"]])
    if module.check_mode or not changed:
        module.exit_json(changed=changed, states=before)
    try:
        services.app(run, p["state"], "supervisor", names, config, p["timeout"])
    except services.ServiceError as exc:
        module.fail_json(msg=str(exc), states=before)
    after, _shown = services.supervisor_states(run, config, names, p["timeout"])
    module.exit_json(changed=True, states=after)


if __name__ == "__main__":
    main()
