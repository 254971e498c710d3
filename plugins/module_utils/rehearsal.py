# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The downtime a real run would cost, estimated by a rehearsal.

A rehearsal measures this run's data steps (snapshot, restore, verify). The rest of the
downtime - maintenance on and off, the switch, the health check and the pace of the
tasks: the fixed part - comes from the site's last real upgrades: each one's downtime less
its data steps. Sites of one batch go at the pace of its slowest task, so a run with a
batch of the size of this one is preferred; else the smallest fixed part measured; else
the configured default.
"""

from ansible_collections.datamig.site.plugins.module_utils import outcomes

DATA_STEPS = ("snapshot", "restore", "verify")


def data_seconds(steps):
    """{step: seconds} of the data steps of a report's (or a run's) steps."""
    return {step: float((steps.get(step) or {}).get("seconds") or 0.0) for step in DATA_STEPS}


def fixed_parts(reports):
    """The fixed part of each real upgrade among reports (newest first, as given)."""
    parts = []
    for report in reports:
        if report.get("outcome") not in outcomes.SWITCHED:
            continue
        data = sum(data_seconds(report.get("steps") or {}).values())
        parts.append(
            {
                "run_id": report.get("run_id"),
                "batch": int(report.get("batch_size") or 0),
                "fixed": max(float(report.get("downtime_seconds") or 0.0) - data, 0.0),
            }
        )
    return parts


def estimate(steps, reports, batch_size, default_fixed, engine_seconds=None):
    """The rehearsal's estimate: steps are this run's step times, reports the site's
    earlier reports newest first. engine_seconds ({step: seconds}, from the engine's own
    results) replace a step's time where given: the rehearsal runs its steps as Ansible
    tasks, whose overhead the real window (one program on the node) does not have."""
    measured = data_seconds(steps)
    for step, seconds in (engine_seconds or {}).items():
        if step in measured and float(seconds or 0) > 0:  # "0": the engine gave no time
            measured[step] = float(seconds)
    parts = fixed_parts(reports)
    same_batch = [p for p in parts if p["batch"] == batch_size]
    base = same_batch[0] if same_batch else min(parts, key=lambda p: p["fixed"], default=None)
    fixed = base["fixed"] if base else float(default_fixed)
    data = sum(measured.values())
    return {
        "measured_seconds": {k: round(v, 3) for k, v in measured.items()},
        "data_seconds": round(data, 3),
        "fixed_seconds": round(fixed, 3),
        "fixed_from": (
            f"run {base['run_id']} ({base['batch']} site(s) in its batch): its downtime less "
            "its snapshot, restore and verify"
            if base
            else "datamig_rehearse_fixed_seconds (no earlier upgrade of this site measured it)"
        ),
        "batch_size": batch_size,
        "downtime_estimate_seconds": round(data + fixed, 3),
    }
