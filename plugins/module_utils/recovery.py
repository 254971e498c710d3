# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a run does about the journal's last run when that one did not finish.

A run that ended without its ``finish`` record was cut off (its controller killed, the
connection lost). What it did is in the journal; :func:`decide` decides from there, never
guesses:

- nothing to do: no earlier run, it finished, or it is this run;
- refuse: the cut-off run may still be alive - the lock is held by another owner, its
  controller is another machine (whether it still runs cannot be checked), its
  ansible-playbook process still runs on this controller, or its window (module
  datamig.site.window) still runs on the node - the caller waits for that one first;
- finish: its new release had answered the health check, or maintenance was already off;
- rolled back: its rollback was done (nothing to redo, only the end to record);
- rollback: it had passed preflight - back to the release and database its preflight
  recorded (until the switch, the old release and its untouched database are still live;
  a run cut off before maintenance, in its release or prepare step, changed nothing live
  either); ``failed_db_name`` names the new database it had prepared, if any;
  or it was a rollback (playbooks/rollback.yml) - its switch back again;
- unchanged: it had not passed preflight - nothing had changed.
"""

from ansible_collections.datamig.site.plugins.module_utils import outcomes, site_state

NOTHING = "nothing"
REFUSE = "refuse"
FINISH = "finish"
ROLLED_BACK = "rolled back"
ROLLBACK = "rollback"
UNCHANGED = "unchanged"

OUTCOME = {
    FINISH: outcomes.RECOVERED_UPGRADED,
    ROLLED_BACK: outcomes.RECOVERED_ROLLED_BACK,
    ROLLBACK: outcomes.RECOVERED_ROLLED_BACK,
    UNCHANGED: outcomes.RECOVERED_UNCHANGED,
}


def _data(records, step, status, last=True):
    found = [r for r in records if r["step"] == step and r.get("status") == status]
    if not found:
        return {}
    return (found[-1] if last else found[0]).get("data") or {}


def ansible_playbook_pids(processes):
    """The pids of ansible-playbook processes in ``ps -eo pid=,args=`` output lines."""
    pids = set()
    for line in processes:
        fields = line.split(None, 1)
        if len(fields) == 2 and fields[0].isdigit() and "ansible-playbook" in fields[1]:
            pids.add(int(fields[0]))
    return pids


def window_pid(summary):
    """The pid of the run's window program on the node while it has not ended, else None.

    The window records its pid in its first record (``window started``) and ends with
    ``window done`` or ``failed``."""
    pid = None
    for record in summary.get("records") or []:
        if record["step"] != "window":
            continue
        if record.get("status") == "started":
            pid = (record.get("data") or {}).get("pid")
        else:
            pid = None
    return int(pid) if pid else None


def previous_outcome(summary):
    """The outcome a finished run's finish record names (None without one)."""
    for record in reversed(summary.get("records") or []):
        if record["step"] == "finish":
            return (record.get("data") or {}).get("outcome")
    return None


def decide(summary, lock, run_id, controller, running_pids, window_running=False):
    """The recovery plan for the journal's last run (``summary`` as journal.summarise gives).

    lock: the lock file's content ({} when there is none); run_id: this run's id;
    controller: this controller's host name; running_pids: its ansible-playbook pids;
    window_running: whether the run's window program still runs on the node."""
    previous = summary.get("run_id")
    plan = {"action": NOTHING, "run_id": previous, "reason": "", "outcome": None}
    if summary.get("finished"):
        plan["previous_outcome"] = previous_outcome(summary)
    if previous is None or summary.get("finished") or previous == run_id:
        return plan
    records = summary.get("records") or []
    # who ran it: the preflight's first record (an upgrade), the rollback's (rollback.yml)
    start = next(
        (r.get("data") or {} for r in records if "controller" in (r.get("data") or {})), {}
    )
    pre = _data(records, "preflight", "done")
    steps = summary.get("steps") or {}
    holder = (lock or {}).get("owner") or previous
    last = f"{summary.get('last_step')} {summary.get('last_status')}"
    why = None
    if holder != previous:
        why = f"the lock is held by {holder} since {(lock or {}).get('since', '?')}"
    elif (start.get("controller") or "") != controller:
        why = (
            f"its controller {start.get('controller') or '(unknown)'} is not this one "
            f"({controller}), so whether it still runs cannot be checked"
        )
    elif int(start.get("controller_pid") or 0) in running_pids:
        why = f"its ansible-playbook (pid {start.get('controller_pid')}) is still running"
    elif window_running:
        why = f"its window still runs on the node (pid {window_pid(summary)})"
    if why:
        plan.update(
            action=REFUSE,
            reason=f"run {previous} has not finished (last step {last}) and {why}",
        )
        return plan
    before = site_state.state(
        pre.get("old_release"), pre.get("old_db_name"), pre.get("old_version")
    )
    new = site_state.state(
        _data(records, "release", "done").get("new_release"),
        _data(records, "restore", "done").get("new_db_name")
        or _data(records, "prepare", "done").get("new_db_name"),
        pre.get("target_version"),
    )
    first = records[0] if records else {}
    redo = (first.get("data") or {}).get("to") if first.get("step") == "rollback" else None
    if redo:  # playbooks/rollback.yml cut off: its switch back again (it is idempotent)
        before = site_state.state(**((first.get("data") or {}).get("from") or {"release": ""}))
        action, live = ROLLBACK, site_state.state(**redo)
    elif steps.get("health") == "done" or steps.get("maintenance_off") == "done":
        if steps.get("rollback") in ("started", "done"):
            action, live = (ROLLED_BACK if steps["rollback"] == "done" else ROLLBACK), before
        else:
            action, live = FINISH, new
    elif steps.get("rollback") == "done":
        action, live = ROLLED_BACK, before
    elif before:
        action, live = ROLLBACK, before
    else:
        action, live = UNCHANGED, None
    plan.update(
        action=action,
        reason=f"run {previous} was cut off at {last}",
        outcome=OUTCOME[action],
        finish_status=outcomes.finish_status(OUTCOME[action]),
        rollback_to=live if action == ROLLBACK else None,
        # the cut-off run's new database when it is not the one that stays live
        failed_db_name=(new or {}).get("db_name", "") if action in (ROLLBACK, ROLLED_BACK) else "",
        before=before,
        live=live,
        last_step=summary.get("last_step"),
        last_status=summary.get("last_status"),
    )
    return plan
