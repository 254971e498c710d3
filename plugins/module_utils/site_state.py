# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A site's state on the node: its layout, what is live, and what was live before.

What was live before comes from the journal: every run ends with a ``finish`` record, and
the finish records of the upgrade, its recovery and ``playbooks/rollback.yml`` carry the
state they leave (``data.live``) and the one they found (``data.before``), each
``{release, db_name, version}``. Read in order, they give the site's *live history*: a
stack that an upgrade which switched pushes onto and a rollback to the state below the
top pops. A run that changed nothing (the site already at its version, a failed run rolled
back) leaves it as it was, so the rollback target - the state below the live one - stays
the release and database that were live before the current one, whatever ran in between.
Older journals without ``live`` in their finish records are read from their preflight,
release and restore records.
"""

import os

from ansible_collections.datamig.site.plugins.module_utils import (
    outcomes,
    signing_keys,
    site_env,
)
from ansible_collections.datamig.site.plugins.module_utils.journal import FINISH_STEP


def layout(root):
    """The site's paths under its root (the names the datamig roles use)."""
    return {
        "root": root,
        "releases_dir": os.path.join(root, "releases"),
        "shared_dir": os.path.join(root, "shared"),
        "db_dir": os.path.join(root, "shared", "db"),
        "key_dir": signing_keys.key_dir(os.path.join(root, "shared")),
        "site_env_path": os.path.join(root, "shared", "site.env"),
        "snapshots_dir": os.path.join(root, "snapshots"),
        "reports_dir": os.path.join(root, "reports"),
        "current_link": os.path.join(root, "current"),
        "journal_path": os.path.join(root, "datamig-journal.jsonl"),
        "lock_path": os.path.join(root, "datamig.lock"),
        "maintenance_dir": os.path.join(root, "maintenance"),
        "maintenance_flag": os.path.join(root, "maintenance", "maintenance.json"),
        "bin_dir": os.path.join(root, "bin"),
    }


def live_release(current_link):
    """The release `current` points at (resolved), or "" when there is none."""
    if not os.path.islink(current_link) and not os.path.exists(current_link):
        return ""
    return os.path.realpath(current_link)


def split_env(env, secret_keys):
    """(plain, secret): site.env's variables, the secret ones apart."""
    secret = {k: v for k, v in env.items() if k in secret_keys}
    plain = {k: v for k, v in env.items() if k not in secret_keys}
    return plain, secret


def state(release, db_name, version=""):
    """One live state; None without a release."""
    if not release:
        return None
    return {"release": release, "db_name": db_name or "", "version": str(version or "")}


def same(one, other):
    """Whether two live states are the same release on the same database."""
    return bool(one and other) and (one["release"], one["db_name"]) == (
        other["release"],
        other["db_name"],
    )


def _data(records, step, status="done"):
    found = [r for r in records if r["step"] == step and r.get("status") == status]
    return (found[-1].get("data") or {}) if found else {}


def transition(run):
    """(before, after) live states of one run's records, or None if it did not finish."""
    finishes = [r for r in run if r["step"] == FINISH_STEP]
    if not finishes:
        return None
    data = finishes[-1].get("data") or {}
    if "live" in data:
        before = data.get("before") or None
        return (state(**before) if before else None), (
            state(**data["live"]) if data["live"] else None
        )
    pre = _data(run, "preflight")
    before = state(pre.get("old_release"), pre.get("old_db_name"), pre.get("old_version"))
    if data.get("outcome") in outcomes.SWITCHED:
        after = state(
            _data(run, "release").get("new_release"),
            _data(run, "restore").get("new_db_name") or _data(run, "prepare").get("new_db_name"),
            pre.get("target_version"),
        )
        return before, after
    return before, before


def runs(records):
    """The journal's records grouped by run, runs in the order they began."""
    grouped = {}
    for record in records:
        grouped.setdefault(record["run_id"], []).append(record)
    return list(grouped.values())


def live_history(records):
    """The stack of live states, oldest first, the live one last (see the module doc)."""
    stack = []
    for run in runs(records):
        moved = transition(run)
        if moved is None or moved[1] is None:
            continue
        before, after = moved
        if stack and same(after, stack[-1]):
            continue
        if len(stack) >= 2 and same(after, stack[-2]):
            stack.pop()
            continue
        if before and not same(before, after) and not (stack and same(before, stack[-1])):
            stack.append(before)  # the first switch, or one after a change made by hand
        stack.append(after)
    return stack


def rollback_target(history, release):
    """The live state below the one of release in history (None: no earlier one known)."""
    for index in range(len(history) - 1, 0, -1):
        if history[index]["release"] == release:
            return history[index - 1]
    return None


def live_state(history, release, db_name):
    """The live state: the history's entry for release (with its version), or as found."""
    for entry in reversed(history):
        if entry["release"] == release and entry["db_name"] == db_name:
            return entry
    return state(release, db_name)


def read(root, db_name_var, secret_keys, records):
    """Everything site_info returns, read once."""
    paths = layout(root)
    release = live_release(paths["current_link"])
    env = site_env.read(paths["site_env_path"]) if os.path.exists(paths["site_env_path"]) else {}
    plain, secret = split_env(env, secret_keys)
    history = live_history(records)
    return {
        "paths": paths,
        "live_release": release,
        "live_db_name": env.get(db_name_var, ""),
        "env_exists": os.path.exists(paths["site_env_path"]),
        "env": env,
        "plain_env": plain,
        "engine_env": signing_keys.engine_env(plain, paths["key_dir"]),
        "secret_env": secret,
        "history": history,
        "live_state": live_state(history, release, env.get(db_name_var, "")),
        "rollback_target": rollback_target(history, release),
    }
