# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which old releases, databases and snapshots of a site go (like ansistrano's
``keep_releases``).

The newest ``keep`` releases stay (by the time their folder was made), and always the live
release and the rollback target, whatever their age. A database stays when it belongs to
a release that stays (the reports say which database each run put with which release) or
is the live one or the rollback target's; the other databases the reports name go. The
snapshots of the newest ``keep`` runs stay, and those of the runs whose release stays; the
older ones go. A release's virtualenv is inside its folder and goes with it. The new
databases of cut-off runs that a recovery rolled back (no report names them; the journal's
finish records do, ``failed_db_name``) go too, unless live or the rollback target's.
"""


def _ordered_runs(reports):
    return sorted(reports, key=lambda r: (r.get("_mtime", 0.0), r.get("run_id") or ""))


def abandoned_databases(records):
    """The new databases of cut-off runs rolled back by a recovery (journal finish records)."""
    found = []
    for record in records:
        if record.get("step") == "finish":
            name = (record.get("data") or {}).get("failed_db_name")
            if name and name not in found:
                found.append(name)
    return found


def plan(releases, reports, protected, keep, abandoned=()):
    """What to remove.

    releases: [(path, mtime)] of the folders under releases/; reports: the site's reports
    (with ``_mtime``, their file's time); protected: live states (``{release, db_name}``:
    the live one, the rollback target) that never go; keep: how many releases stay (>= 1);
    abandoned: databases of cut-off runs (:func:`abandoned_databases`), which go unless
    protected. Returns {releases, databases, snapshots}, each a sorted list."""
    keep = max(int(keep), 1)
    protected = [p for p in protected if p]
    ordered = [item[0] for item in sorted(releases, key=lambda item: (item[1], item[0]))]
    kept = set(ordered[-keep:]) | {p["release"] for p in protected}
    runs = _ordered_runs(reports)
    database_of = {}
    for run in runs:
        for release, database in (
            (run.get("release_from"), run.get("database_from")),
            (run.get("release_to"), run.get("database_to")),
        ):
            if release and database:
                database_of[release] = database
    kept_databases = {database_of[r] for r in kept if r in database_of}
    kept_databases |= {p["db_name"] for p in protected if p.get("db_name")}
    named = {database_of[r] for r in database_of} | {
        r.get("database_to") for r in runs if r.get("database_to")
    }
    protected_databases = {p["db_name"] for p in protected if p.get("db_name")}
    named |= set(abandoned)
    kept_databases -= set(abandoned) - protected_databases
    kept_snapshots = {r.get("snapshot") for r in runs[-keep:]}
    kept_snapshots |= {r.get("snapshot") for r in runs if r.get("release_to") in kept}
    snapshots = {r.get("snapshot") for r in runs if r.get("snapshot")} - kept_snapshots
    return {
        "releases": sorted(p for p in ordered if p not in kept),
        "databases": sorted(d for d in named if d and d not in kept_databases),
        "snapshots": sorted(s for s in snapshots if s),
    }
