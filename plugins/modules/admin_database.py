#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: admin_database
short_description: Make a new, empty database as the server's administrator and give it to the site's user
version_added: "0.1.0"
description:
  - For sites whose database user may not create databases - getlino creates each one as
    C(postgres) or MariaDB's root and grants it to the site's user - the upgrade's new
    database is made the same way, before the engine migrates it as the site's user.
  - Runs the server's client through its local socket as the administrator's Unix user
    (C(runuser -u postgres -- psql), C(runuser -u root -- mysql)). On PostgreSQL the
    database is owned by O(owner); on MariaDB/MySQL every account of O(owner)
    (C(mysql.user)) is granted all privileges on it.
  - A database that exists already is left as it is (C(changed=false)); whether it is empty
    is for the engine to say when it prepares it. An owner the server does not know fails
    the task and creates nothing.
author:
  - datamig developers (!UNKNOWN)
options:
  vendor:
    description: The database server.
    type: str
    choices: [postgresql, mysql]
    required: true
  name:
    description: The new database.
    type: str
    required: true
  owner:
    description: The site's database user (its settings' C(USER)), who gets the database.
    type: str
    required: true
  admin_user:
    description: The Unix user whose socket login is the server's administrator. Default - V(postgres), or V(root) for MariaDB/MySQL.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Asks whether the database and the owner exist; creates nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: datamig.site.database
"""

EXAMPLES = r"""
- name: Make the new database of a getlino site, owned by its user
  datamig.site.admin_database:
    vendor: postgresql
    name: prod1_2_20261204t101500z
    owner: lino
"""

RETURN = r"""
created:
  description: Whether the database was made (in check mode, would be).
  returned: always
  type: bool
statements:
  description: The SQL run (or, in check mode, that would be run).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import admin_database  # noqa: E402


def query(module, vendor, admin, sql):
    """The rows of one query run by the administrator (failing the task on an error)."""
    argv = admin_database.client_argv(vendor, admin, sql)
    rc, out, err = module.run_command(argv, cwd="/")
    if rc != 0:
        module.fail_json(
            msg=f"{argv[4]} as {admin} failed (exit status {rc}): {(err or out).strip()}",
            created=False,
            statements=[],
        )
    return [line for line in out.splitlines() if line.strip()]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            vendor=dict(type="str", choices=["postgresql", "mysql"], required=True),
            name=dict(type="str", required=True),
            owner=dict(type="str", required=True),
            admin_user=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    vendor = p["vendor"]
    admin = p["admin_user"] or admin_database.DEFAULT_ADMINS[vendor]
    if query(module, vendor, admin, admin_database.exists_query(vendor, p["name"])):
        module.exit_json(changed=False, created=False, statements=[])
    accounts = query(module, vendor, admin, admin_database.owner_query(vendor, p["owner"]))
    if not accounts:
        module.fail_json(
            msg=f"the database server has no user {p['owner']!r} to give {p['name']} to",
            created=False,
            statements=[],
        )
    try:
        statements = admin_database.create_statements(
            vendor, p["name"], p["owner"], accounts if vendor == "mysql" else ()
        )
    except admin_database.AdminDatabaseError as exc:
        module.fail_json(msg=str(exc), created=False, statements=[])
    if not module.check_mode:
        for sql in statements:
            query(module, vendor, admin, sql)
    module.exit_json(changed=True, created=True, statements=statements)


if __name__ == "__main__":
    main()
