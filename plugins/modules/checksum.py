#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: checksum
short_description: Checksum the content of every table of a Django site's database
description:
  - Runs C(datamig checksum) with the site's own Python. It computes a SHA-256 per table of its content
    (rows as a snapshot writes them, JSON with sorted keys, content types by natural key),
    comparable across databases and vendors.
  - Two databases hold the same rows exactly when their RV(tables) are equal, which is how a
    restore is proven to have lost nothing. Changes nothing.
version_added: 0.1.0
options: {}
extends_documentation_fragment:
  - datamig.site.datamig
  - datamig.site.datamig.django
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Runs as in a normal run (it only reads).
seealso:
  - module: datamig.site.restore
author:
  - datamig developers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Checksum the live database
  datamig.site.checksum:
    python: /srv/mysite/current/venv/bin/python
    settings: mysite.settings
    pythonpath: [/srv/mysite/current]
  register: live

- name: Checksum the restored database
  datamig.site.checksum:
    python: /srv/mysite/current/venv/bin/python
    settings: mysite.settings
    pythonpath: [/srv/mysite/current]
    database_name: mysite_{{ upgrade_stamp }}
  register: restored

- name: Nothing was lost
  ansible.builtin.assert:
    that: live.tables == restored.tables
"""

RETURN = r"""
tables:
  description: Per table, its model, rows and the SHA-256 of its content.
  returned: success
  type: dict
  sample: {"contacts_partner": {"model": "contacts.Partner", "rows": 85229,
           "sha256": "30e378a048bab36df46a3dc9fdb07f640d17a1fe3891f18fd116e38f630a1118"}}
rows:
  description: Rows in all tables.
  returned: success
  type: int
  sample: 1200345
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.datamig_cli import (  # noqa: E402
    DatamigCLI,
    django_argument_spec,
)


def main():
    module = AnsibleModule(argument_spec=django_argument_spec(), supports_check_mode=True)
    cli = DatamigCLI(module)

    result = cli.result(cli.run("checksum", *cli.django_args()), drop=("ok",))
    result["changed"] = False
    module.exit_json(**result)


if __name__ == "__main__":
    main()
