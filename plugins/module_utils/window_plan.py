# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The upgrade window's decisions: which step comes next and what rollback means.

The window is steps 3 to 9 of docs/design.md, run in this order. Until the switch the
old release and its database are untouched (the snapshot reads it, the restore writes a
new one), so a rollback there only starts the old programs again; from the switch on it
also switches back. Once the health check passed the new release stays: a failure or
the deadline after that only retries maintenance off.
"""

STEPS = (
    "maintenance_on",
    "snapshot",
    "restore",
    "verify",
    "switch",
    "health",
    "maintenance_off",
)

KEEP = "keep"  # the new release answered: keep it, only maintenance off
RESTART_OLD = "restart old"  # old release and database untouched: start them again
SWITCH_BACK = "switch back"  # current and site.env point at the new one: point back


def next_step(steps: dict) -> "str | None":
    """The first window step not done (steps: step name -> last status), None when all are."""
    for step in STEPS:
        if steps.get(step) != "done":
            return step
    return None


def rollback_kind(steps: dict) -> str:
    """What rolling back means after a failure or the deadline, given the steps' statuses."""
    if steps.get("health") == "done":
        return KEEP
    if steps.get("switch") in ("started", "done", "failed"):
        return SWITCH_BACK
    return RESTART_OLD
