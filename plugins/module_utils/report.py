# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The upgrade report, computed from the journal's records of the run.

Step times come from the journal (the first ``started`` to the last ``done`` or
``failed`` record of a step), whoever wrote them: the controller's tasks or the window's
program on the node. The downtime runs from ``maintenance_on`` started to
``maintenance_off`` ended (or now, when maintenance was not switched off), and
``window_seconds`` splits it into the parts of the window: snapshot, restore, verify,
switch, and ``other`` - the rest, the window's fixed cost (maintenance on and off, stopping
and starting the application, the health check, the pace of the tasks).
"""

import datetime

from ansible_collections.datamig.site.plugins.module_utils import outcomes

WINDOW_PARTS = ("snapshot", "restore", "verify", "switch")
MODEL_FIELDS = ("expected", "read", "restored", "transformed", "ignored", "errors", "seconds")


def epoch(time):
    """A journal time ("2026-11-24T14:03:12.250301Z") as seconds since the epoch."""
    parsed = datetime.datetime.strptime(time, "%Y-%m-%dT%H:%M:%S.%fZ")
    return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()


def step_times(records):
    """{step: {started, ended, seconds, status}} of one run's records, in step order."""
    times = {}
    for record in records:
        step, status, at = record["step"], record.get("status"), epoch(record["time"])
        entry = times.setdefault(step, {"started": at})
        if status == "started":
            continue
        entry.update(status=status, ended=at, seconds=round(at - entry["started"], 3))
    return times


def downtime_seconds(times, now):
    """Maintenance on to maintenance off (or now); 0 when maintenance never went on."""
    if "maintenance_on" not in times:
        return 0.0
    end = times.get("maintenance_off", {}).get("ended", now)
    return round(end - times["maintenance_on"]["started"], 3)


def window_seconds(times, downtime):
    """The downtime in its parts; ``other`` is what the parts do not account for."""
    parts = {part: float(times.get(part, {}).get("seconds", 0.0)) for part in WINDOW_PARTS}
    parts["other"] = max(downtime - sum(parts.values()), 0.0) if downtime else 0.0
    return {part: round(seconds, 3) for part, seconds in parts.items()}


def models(restore_models):
    """Rows per model of the restore result, the report's fields only."""
    return {
        entry["model"]: {k: v for k, v in entry.items() if k in MODEL_FIELDS}
        for entry in restore_models or []
    }


def build(run, records, now):
    """The report of a run.

    run: site, run_id, outcome, version_from/to, release_from/to, database_from/to,
    snapshot, failed_step, reason, restore (the restore module's result), rehearsal,
    batch_size."""
    restore = run.get("restore") or {}
    times = step_times(records)
    downtime = downtime_seconds(times, now)
    return {
        "site": run["site"],
        "run_id": run["run_id"],
        "outcome": run["outcome"],
        "version_from": str(run.get("version_from") or ""),
        "version_to": str(run.get("version_to") or ""),
        "release_from": run.get("release_from") or "",
        "release_to": run.get("release_to") or "",
        "database_from": run.get("database_from") or "",
        "database_to": run.get("database_to") or "",
        "snapshot": run.get("snapshot") or "",
        "failed_step": run.get("failed_step") or None,
        "reason": run.get("reason") or None,
        "steps": times,
        "downtime_seconds": downtime,
        "window_seconds": window_seconds(times, downtime),
        "rows_restored": restore.get("rows"),
        "models": models(restore.get("models")),
        "losses": restore.get("losses") or {},
        "rehearsal": run.get("rehearsal") or None,
        # sites upgraded side by side in this run's batch: they share the pace of its tasks
        "batch_size": int(run.get("batch_size") or 1),
    }


def finish_data(report, before, after):
    """The journal's finish record for a report: the outcome, and the live states it found
    and leaves (site_state reads the live history from them)."""
    switched = report["outcome"] in outcomes.SWITCHED
    return {
        "outcome": report["outcome"],
        "before": before or None,
        "live": (after if switched else before) or None,
    }


def lost_fields(losses):
    """How many values of what a restore did not carry over ("app.Model.field": count)."""
    lost = {}
    for label, fields in sorted(((losses or {}).get("models") or {}).items()):
        for what, entry in sorted(fields.items()):
            lost[label if what == "*row" else f"{label}.{what}"] = entry.get("count")
    return lost


def summary(report):
    """A few lines a person reads at the end of the playbook."""
    versions = f"{report['version_from'] or '?'} -> {report['version_to']}"
    lines = [f"{report['site']}: {report['outcome']} ({versions}), run {report['run_id']}"]
    if report.get("failed_step"):
        lines.append(f"failed at {report['failed_step']}: {report.get('reason') or ''}".strip())
    if report["downtime_seconds"]:
        parts = ", ".join(f"{k} {v:.1f}" for k, v in report["window_seconds"].items())
        lines.append(f"downtime {report['downtime_seconds']:.1f} s ({parts})")
    rehearsal = report.get("rehearsal") or {}
    if rehearsal.get("downtime_estimate_seconds") is not None:
        lines.append(f"estimated downtime {float(rehearsal['downtime_estimate_seconds']):.1f} s")
    if report.get("rows_restored") is not None:
        lines.append(f"rows restored {report['rows_restored']} in {len(report['models'])} models")
    lost = lost_fields(report.get("losses"))
    lines.append(
        "not restored: " + ", ".join(f"{k} ({v})" for k, v in lost.items())
        if lost
        else "nothing lost"
    )
    if report.get("release_to"):
        lines.append(f"release {report['release_to']}, database {report['database_to']}")
    return "\n".join(lines)
