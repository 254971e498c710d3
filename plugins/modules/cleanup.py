#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: cleanup
short_description: Remove a site's old releases, upgrade databases and snapshots, keeping the newest
version_added: "0.1.0"
description:
  - Keeps the newest O(keep) releases of the site (like ansistrano's C(keep_releases)) and
    always the live release and the rollback target (from the journal's live history,
    M(datamig.site.site_info)), whatever their age. The other release folders go, their
    virtualenvs with them.
  - The databases the site's reports name go unless they belong to a release that stays or
    are the live one or the rollback target's; so do the new databases of cut-off runs that
    a recovery rolled back (named by the journal's finish records). SQLite files (under the site root only) are
    removed here, server databases are returned in RV(drop_databases) for
    M(datamig.site.database) with O(datamig.site.database#module:state=absent) (which
    refuses the live database).
  - The snapshots of the newest O(keep) runs stay, and those of runs whose release stays;
    older upgrade snapshots (and their lost-values files) go.
  - In check mode nothing is removed; the plan is returned.
author:
  - datamig developers (!UNKNOWN)
options:
  root:
    description: The site root on the node.
    type: path
    required: true
  db_name_var:
    description: The variable of C(shared/site.env) that names the live database.
    type: str
    required: true
  db_vendor:
    description: The site's database vendor (V(sqlite) databases are files this module removes).
    type: str
    choices: [sqlite, postgresql, mysql]
    required: true
  keep:
    description: How many releases stay (at least 1; the live release and the rollback target always do).
    type: int
    default: 3
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
  - module: datamig.site.site_info
  - module: datamig.site.database
"""

EXAMPLES = r"""
- name: Keep the newest three releases
  datamig.site.cleanup:
    root: /srv/mysite
    db_name_var: MYSITE_DB_NAME
    db_vendor: postgresql
    keep: 3
  register: cleanup

- name: Drop the old server databases
  datamig.site.database:
    python: /srv/mysite/current/venv/bin/python
    settings: mysite.settings
    pythonpath: [/srv/mysite/current]
    database_name: "{{ item }}"
    state: absent
  loop: "{{ cleanup.drop_databases }}"
"""

RETURN = r"""
removed:
  description: What was removed (in check mode, what would be) - C(releases), C(databases) (SQLite files), C(snapshots).
  returned: always
  type: dict
  sample: {releases: [/srv/mysite/releases/1-20261101T090000Z], databases: [], snapshots: []}
drop_databases:
  description:
    - The server databases to drop (none for SQLite) - every old one the reports name; a
      database dropped before is no longer there, and dropping it again changes nothing.
  returned: always
  type: list
  elements: str
kept:
  description: The releases that stay.
  returned: always
  type: list
  elements: str
"""

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import (  # noqa: E402
    cleanup,
    site_state,
)
from ansible_collections.datamig.site.plugins.module_utils.journal import (  # noqa: E402
    read_records,
)
from ansible_collections.datamig.site.plugins.module_utils.site_env import (  # noqa: E402
    SiteEnvError,
)


def read_reports(folder, warn):
    reports = []
    if not os.path.isdir(folder):
        return reports
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not name.endswith(".json") or name.startswith("."):
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                report = json.load(handle)
        except (OSError, ValueError) as exc:
            warn(f"report {path} not read: {exc}")
            continue
        reports.append(dict(report, _mtime=os.path.getmtime(path)))
    return reports


def inside(path, root):
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real.startswith(base + os.sep)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            db_name_var=dict(type="str", required=True),
            db_vendor=dict(type="str", required=True, choices=["sqlite", "postgresql", "mysql"]),
            keep=dict(type="int", default=3),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = params["root"]
    try:
        paths = site_state.layout(root)
        records = read_records(paths["journal_path"], module.warn)
        info = site_state.read(root, params["db_name_var"], [], records)
        if not info["live_release"]:
            module.fail_json(
                msg=f"site {root}: no live release (current is missing); nothing removed"
            )
        live = site_state.state(info["live_release"], info["live_db_name"])
        folder = paths["releases_dir"]
        releases = [
            (
                os.path.realpath(os.path.join(folder, name)),
                os.path.getmtime(os.path.join(folder, name)),
            )
            for name in os.listdir(folder)
            if os.path.isdir(os.path.join(folder, name))
        ]
        planned = cleanup.plan(
            releases,
            read_reports(paths["reports_dir"], module.warn),
            [live, info["rollback_target"]],
            params["keep"],
            cleanup.abandoned_databases(records),
        )
        files = params["db_vendor"] == "sqlite"
        removed = {
            "releases": [p for p in planned["releases"] if inside(p, folder)],
            "databases": [
                d for d in planned["databases"] if files and inside(d, root) and os.path.exists(d)
            ],
            "snapshots": [
                s
                for s in planned["snapshots"]
                if inside(s, paths["snapshots_dir"]) and os.path.exists(s)
            ],
        }
        drop = [] if files else planned["databases"]
        if not module.check_mode:
            for path in removed["releases"] + removed["snapshots"]:
                if os.path.isdir(path):
                    shutil.rmtree(path)
            for path in removed["snapshots"]:
                lost = path + "-lost-values.jsonl"
                if os.path.exists(lost):
                    os.remove(lost)
            for path in removed["databases"]:
                for suffix in ("", "-journal", "-wal", "-shm"):
                    if os.path.exists(path + suffix):
                        os.remove(path + suffix)
    except (OSError, SiteEnvError) as exc:
        module.fail_json(msg=f"cleanup of {root}: {to_native(exc)}")
    changed = any(removed.values())  # the drops are the database module's changes
    kept = sorted(item[0] for item in releases if item[0] not in planned["releases"])
    module.exit_json(changed=changed, removed=removed, drop_databases=drop, kept=kept)


if __name__ == "__main__":
    main()
