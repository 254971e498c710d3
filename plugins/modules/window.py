#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: window
short_description: Run a site's upgrade window on the node, as one program, to its end
version_added: "0.2.0"
description:
  - Runs the whole downtime of an upgrade on the node - maintenance on and the application
    stopped, the snapshot with the old release's engine, the restore into the new database
    with the new release's engine, verify, switch (C(current) and the database named in
    C(shared/site.env)), the application started, the health check, maintenance off - and,
    on any failure or past O(timeout), the rollback to the old release and its untouched
    database, maintenance off.
  - Each step writes the site's journal (C(started), then C(done) or C(failed), fsync'ed,
    marked C(by=window)); at the end the module writes the run's report
    (C(reports/<run_id>.json)), the journal's C(finish) record, and releases the site's lock
    held by O(run_id). Run it with C(async) (a limit above O(timeout)) and poll it with
    M(ansible.builtin.async_status) - when the controller is lost the window still ends by
    itself, and the next run finds it finished in the journal.
  - It ignores SIGHUP and SIGPIPE, and prints only its result at the very end.
  - In check mode it returns the plan (RV(plan)) and changes nothing.
options:
  site:
    description: The site's name.
    type: str
    required: true
  run_id:
    description: The run's id (journal, lock owner, snapshot and report name).
    type: str
    required: true
  journal:
    description: The site's journal file.
    type: path
    required: true
  lock:
    description: The site's lock file (released at the end when O(run_id) holds it).
    type: path
    required: true
  maintenance_flag:
    description: The maintenance flag file nginx looks for.
    type: path
    required: true
  maintenance_reason:
    description: The reason written into the flag.
    type: str
    default: Upgrade in progress
  stop_app:
    description: Stop the application during the window.
    type: bool
    default: true
  reports_dir:
    description: Where the report is written.
    type: path
    required: true
  current_link:
    description: The site's C(current) symlink.
    type: path
    required: true
  site_env_path:
    description: The site's C(shared/site.env).
    type: path
    required: true
  bin_dir:
    description: The site's C(bin) folder (its C(site-env) wrapper).
    type: path
    required: true
  run_as:
    description:
      - The site's Unix user. The engine's snapshot, verify and restore run as this user
        (C(setpriv)), not as root; C(site-env) drops to it by itself.
      - Not set, or the user the module runs as, nothing is dropped.
    type: str
  snapshots_dir:
    description: Where the snapshot is written (C(<snapshots_dir>/<run_id>)).
    type: path
    required: true
  db_dir:
    description: The site's databases folder (SQLite files).
    type: path
    required: true
  db_vendor:
    description: The database vendor.
    type: str
    choices: [sqlite, postgresql, mysql]
    default: sqlite
  db_name_var:
    description: The variable of C(site.env) that names the database.
    type: str
    required: true
  settings:
    description: The Django settings module.
    type: str
    required: true
  old_release:
    description: The live release (its engine takes the snapshot).
    type: path
    required: true
  old_db_name:
    description: The live database.
    type: str
    required: true
  old_version:
    description: The live version (the rollback's health check expects it).
    type: str
    required: true
  new_release:
    description: The new release (its engine restores).
    type: path
    required: true
  new_version:
    description: The target version (the health check expects it).
    type: str
    required: true
  new_db_name:
    description: The new database's name (default as the restore role names it).
    type: str
    default: ""
  prepared:
    description: The new database was created and migrated before the window (restore C(--prepared)).
    type: bool
    default: false
  hooks:
    description:
      - The operator's commands before and after the window's steps (C(datamig_window_hooks))
        - C(before_<step>) or C(after_<step>) to a list of commands, each a list of arguments
        or a string run by C(/bin/sh -c), for the steps V(maintenance_on), V(snapshot),
        V(restore), V(verify), V(switch), V(health) and V(maintenance_off).
      - They run on the node within the deadline, inside their step's journal record, with
        C(DATAMIG_HOOK), C(DATAMIG_OLD_RELEASE), C(DATAMIG_NEW_RELEASE) and
        C(DATAMIG_NEW_DB_NAME) in their environment; one that fails fails its step and the
        window rolls back. A bad hook is refused before anything is changed.
    type: dict
    default: {}
  snapshot_python:
    description: Another interpreter for the snapshot (default the old release's).
    type: path
  plain_env:
    description: The site's environment that is not secret.
    type: dict
    default: {}
  secret_env:
    description: The site's secret environment (hidden in every message).
    type: dict
    default: {}
  allow_loss:
    description: Losses the restore accepts.
    type: list
    elements: str
    default: []
  set_values:
    description: Values the restore sets (C(app.Model.field) -> value).
    type: dict
    default: {}
  smoke_command:
    description: The application's smoke check (run in the new release with the new database).
    type: list
    elements: str
    default: []
  service_manager:
    description: What runs the application.
    type: str
    choices: [supervisor, systemd]
    default: supervisor
  supervisor_config:
    description: supervisord's configuration.
    type: path
    default: /etc/supervisor/supervisord.conf
  program:
    description: The application's supervisor program or systemd unit.
    type: str
    required: true
  programs:
    description:
      - Every program the window stops and starts, when the site has more than O(program) -
        its background processes (a worker, Lino's linod) and its web server; a supervisor
        group as C(name:*) (an C(fcgi-program), or one with C(numprocs)). Empty - O(program) alone.
    type: list
    elements: str
    default: []
  app_bind:
    description: The application's own address (the health check asks it directly).
    type: str
    default: "127.0.0.1:8000"
  health_path:
    description: The health check's path.
    type: str
    default: /health
  health_format:
    description:
      - V(json) - the health page answers JSON with C(status) V(ok) and the C(version), which
        must be the new one. V(status) - any page answered 200 is healthy and the version is
        not asked (a site without datamig's health page, such as an adopted Lino site).
    type: str
    choices: [json, status]
    default: json
  health_retries:
    description: Health check attempts.
    type: int
    default: 20
  health_delay:
    description: Seconds between them.
    type: float
    default: 1
  heavy_slots:
    description: Snapshots and restores at once per server (0 no bound).
    type: int
    default: 0
  heavy_slots_dir:
    description: The heavy-work slots' folder.
    type: path
    default: /run/datamig/heavy
  heavy_wait_timeout:
    description: Seconds to wait for a slot.
    type: int
    default: 3600
  timeout:
    description:
      - The window's deadline in seconds from its start. Past it the running step is
        killed and the window rolls back (unless the new release already answered).
    type: int
    default: 900
  batch_size:
    description: Sites upgraded side by side (for the report).
    type: int
    default: 1
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
  - module: datamig.site.recovery_plan
author:
  - datamig developers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: The window, on the node
  datamig.site.window:
    site: mysite
    run_id: "{{ common_run_id }}"
    journal: /srv/mysite/datamig-journal.jsonl
    lock: /srv/mysite/datamig.lock
    maintenance_flag: /srv/mysite/maintenance/maintenance.json
    reports_dir: /srv/mysite/reports
    current_link: /srv/mysite/current
    site_env_path: /srv/mysite/shared/site.env
    bin_dir: /srv/mysite/bin
    snapshots_dir: /srv/mysite/snapshots
    db_dir: /srv/mysite/shared/db
    db_name_var: MYSITE_DB_NAME
    settings: mysite.settings
    old_release: /srv/mysite/releases/1-20261201T100000Z
    old_db_name: /srv/mysite/shared/db/mysite.sqlite3
    old_version: "1"
    new_release: /srv/mysite/releases/2-20261202T100000Z
    new_version: "2"
    program: datamig-mysite
    timeout: 900
  async: 1500
  poll: 0
  register: window_job
"""

RETURN = r"""
outcome:
  description: C(upgraded), C(rolled back) or C(rollback failed).
  returned: success
  type: str
failed_step:
  description: The step that failed (V(null) when none did).
  returned: success
  type: str
reason:
  description: Why it failed.
  returned: success
  type: str
new_db_name:
  description: The new database.
  returned: always
  type: str
snapshot:
  description: The snapshot's folder.
  returned: success
  type: str
restore:
  description: The engine's restore result (rows, models, losses).
  returned: success
  type: dict
report:
  description: The run's report (as datamig.site.upgrade_report writes it).
  returned: success
  type: dict
summary:
  description: A few lines for a person.
  returned: success
  type: str
plan:
  description: What the window does, in order (check mode).
  returned: always
  type: list
  elements: str
"""

import signal  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import outcomes, report  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import (  # noqa: E402
    window as window_utils,
)

TEXT = dict(type="str", default="")


def argument_spec():
    path = dict(type="path", required=True)
    return dict(
        site=dict(type="str", required=True),
        run_id=dict(type="str", required=True),
        journal=path,
        lock=path,
        maintenance_flag=path,
        maintenance_reason=dict(type="str", default="Upgrade in progress"),
        stop_app=dict(type="bool", default=True),
        reports_dir=path,
        current_link=path,
        site_env_path=path,
        bin_dir=path,
        run_as=dict(type="str"),
        snapshots_dir=path,
        db_dir=path,
        db_vendor=dict(type="str", choices=["sqlite", "postgresql", "mysql"], default="sqlite"),
        db_name_var=dict(type="str", required=True),
        settings=dict(type="str", required=True),
        old_release=path,
        old_db_name=dict(type="str", required=True),
        old_version=dict(type="str", required=True),
        new_release=path,
        new_version=dict(type="str", required=True),
        new_db_name=TEXT,
        prepared=dict(type="bool", default=False),
        hooks=dict(type="dict", default={}),
        snapshot_python=dict(type="path"),
        plain_env=dict(type="dict", default={}),
        secret_env=dict(type="dict", default={}, no_log=True),
        allow_loss=dict(type="list", elements="str", default=[]),
        set_values=dict(type="dict", default={}),
        smoke_command=dict(type="list", elements="str", default=[]),
        service_manager=dict(type="str", choices=["supervisor", "systemd"], default="supervisor"),
        supervisor_config=dict(type="path", default="/etc/supervisor/supervisord.conf"),
        program=dict(type="str", required=True),
        programs=dict(type="list", elements="str", default=[]),
        app_bind=dict(type="str", default="127.0.0.1:8000"),
        health_path=dict(type="str", default="/health"),
        health_format=dict(type="str", choices=["json", "status"], default="json"),
        health_retries=dict(type="int", default=20),
        health_delay=dict(type="float", default=1.0),
        heavy_slots=dict(type="int", default=0),
        heavy_slots_dir=dict(type="path", default="/run/datamig/heavy"),
        heavy_wait_timeout=dict(type="int", default=3600),
        timeout=dict(type="int", default=900),
        batch_size=dict(type="int", default=1),
    )


def main():
    # The controller may go at any moment: a lost terminal or pipe must not end the window.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds; nothing was changed")
    try:
        plan = window_utils.plan(params)
    except ValueError as exc:  # a bad hook: refused before anything changes
        module.fail_json(msg=f"{exc}; nothing was changed")
    if module.check_mode:
        module.exit_json(changed=True, plan=plan, new_db_name="", outcome=None)
    win = window_utils.Window(params)
    try:
        outcome, failed_step, reason = win.execute()
        built = win.finish(outcome, failed_step, reason)
    except Exception as exc:  # the journal or the disk itself failed: say so, loudly
        module.fail_json(
            msg=f"the window of run {params['run_id']} could not run to its end: {win.hide(str(exc))}",
            new_db_name=win.db_name,
            steps=win.steps,
            plan=plan,
        )
    result = dict(
        changed=True,
        outcome=outcome,
        failed_step=failed_step,
        reason=reason,
        new_db_name=win.db_name,
        snapshot=win.snapshot_dir,
        restore=win.restore_result,
        report=built,
        summary=report.summary(built),
        plan=plan,
    )
    if outcome == outcomes.ROLLBACK_FAILED:
        module.fail_json(msg=f"the rollback failed: {reason}", **result)
    try:
        module.exit_json(**result)
    except (BrokenPipeError, OSError):  # nobody reads the result any more: the journal has it
        pass


if __name__ == "__main__":
    main()
