#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: database
short_description: Tell whether a Django site's database exists and how big it is; create it
description:
  - Runs C(datamig database) with the site's own Python, against the database its settings
    name (or O(database_name)), on SQLite, PostgreSQL or MariaDB/MySQL.
  - With O(state=query), only reports RV(exists) and RV(size_bytes); this is what the upgrade's
    preflight asks (database reachable and present, free disk for a snapshot and a new database).
  - With O(state=present), creates an empty database when it does not exist (UTF-8; the
    settings' charset on MariaDB/MySQL), as a new site needs before its first C(migrate).
    An existing database is left as it is.
  - With O(state=prepared), creates the database O(database_name) names and migrates it
    with the code of O(python) (C(datamig database --create --migrate)), as an upgrade does
    before its maintenance window, so that the restore (M(datamig.site.restore) with
    O(datamig.site.restore#module:prepared=true)) only moves rows. A database that is
    already exactly prepared (migrated to the code's migrations, no rows but those
    C(migrate) writes) is left alone (C(changed=false)); one with other tables or data is
    refused and nothing is changed.
  - With O(state=absent), drops the database O(database_name) names (C(datamig database
    --drop)) - an old database an earlier upgrade left. The live database, the one the
    settings name from the site's environment, is refused with an error and nothing is
    dropped; so is O(state=absent) without O(database_name).
version_added: 0.1.0
options:
  state:
    description:
      - V(query) reports; V(present) creates the database if it is missing; V(prepared)
        creates and migrates O(database_name) (a new, empty database for a restore);
        V(absent) drops O(database_name) (never the live database).
    type: str
    choices: [query, present, prepared, absent]
    default: query
extends_documentation_fragment:
  - datamig.site.datamig
  - datamig.site.datamig.django
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reports whether O(state=present) would create the database (O(state=prepared)
      create or migrate it, O(state=absent) drop it), and changes nothing.
seealso:
  - module: datamig.site.restore
author:
  - datamig developers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Is the live database there, and how big is it?
  datamig.site.database:
    python: /srv/mysite/current/venv/bin/python
    settings: mysite.settings
    pythonpath: [/srv/mysite/current]
    environment:
      MYSITE_DB_PASSWORD: "{{ vault_mysite_db_password }}"
  register: live_db

- name: Drop a database an old upgrade left (never the live one)
  datamig.site.database:
    python: /srv/mysite/current/venv/bin/python
    settings: mysite.settings
    pythonpath: [/srv/mysite/current]
    database_name: mysite_1_20261101T090000Z
    state: absent

- name: Create and migrate the new database of an upgrade, before its maintenance window
  datamig.site.database:
    python: /srv/mysite/releases/2-20261124T140312Z/venv/bin/python
    settings: mysite.settings
    pythonpath: [/srv/mysite/releases/2-20261124T140312Z]
    database_name: mysite_2_20261124t140312z
    state: prepared

- name: Create the database of a new site
  datamig.site.database:
    python: /srv/mysite/releases/1-20261124T101500/venv/bin/python
    settings: mysite.settings
    pythonpath: [/srv/mysite/releases/1-20261124T101500]
    database_name: mysite
    state: present
"""

RETURN = r"""
vendor:
  description: The database's vendor as Django names it.
  returned: success
  type: str
  sample: postgresql
name:
  description: The database's name (for SQLite, the absolute path of its file).
  returned: success
  type: str
  sample: mysite
exists:
  description: Whether the database exists after the task (for SQLite, whether its file does).
  returned: success
  type: bool
  sample: true
dropped:
  description: Whether the task dropped the database (in check mode, whether it would).
  returned: when O(state=absent)
  type: bool
  sample: true
created:
  description: Whether the task created the database (in check mode, whether it would).
  returned: success
  type: bool
  sample: false
migrated:
  description: Whether the task migrated the database (in check mode, whether it would).
  returned: when O(state=prepared)
  type: bool
  sample: true
prepared:
  description: Whether the database is (after the task; in check mode, before it) exactly prepared by the code.
  returned: when O(state=prepared)
  type: bool
  sample: true
size_bytes:
  description:
    - What the database takes on its server (PostgreSQL C(pg_database_size), the tables'
      data and indexes on MariaDB/MySQL, the file's size on SQLite); V(0) if it does not exist.
  returned: success
  type: int
  sample: 73400320
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.datamig_cli import (  # noqa: E402
    DatamigCLI,
    django_argument_spec,
)


def drop(module, cli):
    """state=absent: the engine drops the database, refusing the live one."""
    target = cli.result(cli.run("database", *cli.django_args()), drop=("ok",))
    if module.check_mode:
        live_args = list(cli.django_args())
        cut = live_args.index("--database-name")
        live = cli.result(
            cli.run("database", *(live_args[:cut] + live_args[cut + 2 :])), drop=("ok",)
        )
        if live["name"] == target["name"]:
            module.fail_json(
                msg=f"refused: {target['name']!r} is the live {live['vendor']} database "
                "(the one the settings name); nothing dropped",
                kind="usage",
            )
        module.exit_json(changed=target["exists"], dropped=target["exists"], **target)
    result = cli.result(cli.run("database", *cli.django_args(), "--drop"), drop=("ok",))
    module.exit_json(changed=result["dropped"], exists=False, **result)


def prepare(module, cli):
    """state=prepared: the engine creates and migrates the database, or finds it prepared."""
    found = cli.result(cli.run("database", *cli.django_args(), "--prepared"), drop=("ok",))
    if found["prepared"]:
        found.update(created=False, migrated=False)
        module.exit_json(changed=False, **found)
    if found["has_tables"]:  # what the engine refuses: nothing is changed
        module.fail_json(
            msg=f"{found['vendor']} database {found['name']!r} has tables and is not a database "
            f"prepared by this code: {'; '.join(found['problems'])}; nothing was changed "
            "(name a new database)",
            kind="target_not_empty",
            **found,
        )
    if module.check_mode:
        found.update(created=not found["exists"], exists=True, migrated=True)
        module.exit_json(changed=True, **found)
    result = cli.result(
        cli.run("database", *cli.django_args(), "--create", "--migrate"), drop=("ok",)
    )
    result["changed"] = bool(result["created"] or result["migrated"])
    module.exit_json(**result)


def main():
    spec = django_argument_spec()
    spec.update(
        state=dict(type="str", choices=["query", "present", "prepared", "absent"], default="query")
    )
    module = AnsibleModule(
        argument_spec=spec,
        required_if=[
            ("state", "absent", ["database_name"]),
            ("state", "prepared", ["database_name"]),
        ],
        supports_check_mode=True,
    )
    cli = DatamigCLI(module)
    if module.params["state"] == "absent":
        drop(module, cli)
    if module.params["state"] == "prepared":
        prepare(module, cli)

    result = cli.result(cli.run("database", *cli.django_args()), drop=("ok",))
    if module.params["state"] == "present" and not result["exists"]:
        if module.check_mode:
            result.update(created=True, exists=True)
        else:
            created = cli.run("database", *cli.django_args(), "--create")
            result = cli.result(created, drop=("ok",))
    result["changed"] = bool(result["created"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
