#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: snapshot
short_description: Take a snapshot (an exact Python dump) of a Django site's database
description:
  - Runs C(datamig snapshot) with the site's own Python. Every table is read in one
    repeatable-read transaction into a new folder O(dest) (mode 0700, files 0600), written
    under a temporary name and renamed when complete.
  - Idempotent like a C(creates) condition. When O(dest) already holds a snapshot that
    verifies against its manifest, nothing is done and C(changed) is false. When O(dest)
    exists, is not empty and is not such a snapshot, the module fails (kind
    C(snapshot_failed)) and leaves it alone.
version_added: 0.1.0
options:
  dest:
    description:
      - The folder to write the snapshot into. It must not exist, or be an empty folder.
    type: path
    required: true
  site:
    description:
      - The site name recorded in the manifest.
      - Defaults to C(DATAMIG['site']) of the site's settings.
    type: str
  rows_per_file:
    description:
      - Rows per data file part (the engine's default is 20000).
    type: int
extends_documentation_fragment:
  - datamig.site.datamig
  - datamig.site.datamig.django
  - datamig.site.datamig.heavy
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reads nothing from the database. Reports C(changed=true) and the folder it would
      write, unless O(dest) already holds a verified snapshot.
seealso:
  - module: datamig.site.snapshot_info
  - module: datamig.site.restore
author:
  - datamig developers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Snapshot the live database with the old release
  datamig.site.snapshot:
    python: /srv/mysite/current/venv/bin/python
    settings: mysite.settings
    pythonpath:
      - /srv/mysite/current
    plain_environment:
      DEMO_DB_VENDOR: postgresql
      DEMO_DB_NAME: mysite
    environment:
      DEMO_DB_PASSWORD: "{{ mysite_db_password }}"
    dest: /srv/mysite/snapshots/{{ upgrade_stamp }}
  register: snapshot

- name: Show what it holds
  ansible.builtin.debug:
    msg: "{{ snapshot.rows }} rows of {{ snapshot.models | length }} models in {{ snapshot.directory }}"
"""

RETURN = r"""
heavy:
  description:
    - The heavy-work slot the engine ran in (O(heavy_slots)) - the slot number (V(null)
      without a bound), the seconds waited for it, and when the engine started and ended
      (epoch seconds and UTC), so that a fleet's journals show how much ran at once.
  returned: when the engine ran
  type: dict
  sample:
    slots: 1
    slot: 1
    waited_seconds: 4.2
    started: 1795500192.25
    started_utc: "2026-11-24T14:03:12.250000Z"
    ended: 1795500196.5
    ended_utc: "2026-11-24T14:03:16.500000Z"
directory:
  description: The absolute path of the snapshot folder (the one it would write, in check mode).
  returned: always
  type: str
  sample: /srv/mysite/snapshots/2026-11-23T0300
rows:
  description: Rows in the snapshot.
  returned: success, when not in check mode or when the snapshot already existed
  type: int
  sample: 1200345
seconds:
  description: How long the snapshot took.
  returned: changed, not in check mode
  type: float
  sample: 41.2
models:
  description: Every model written, with its rows and number of data files, in load order.
  returned: changed, not in check mode
  type: list
  elements: dict
  sample: [{"model": "contacts.Partner", "rows": 85229, "files": 5}]
existed:
  description: True when O(dest) already held a snapshot that verifies (nothing was written).
  returned: always
  type: bool
  sample: false
site:
  description: The site recorded in the existing snapshot.
  returned: when O(dest) already held a verified snapshot
  type: str
  sample: mysite
application:
  description: The application and its version recorded in the existing snapshot.
  returned: when O(dest) already held a verified snapshot
  type: dict
  sample: {"name": "myapp", "version": "1"}
created:
  description: When the existing snapshot was taken (ISO 8601, UTC).
  returned: when O(dest) already held a verified snapshot
  type: str
  sample: "2026-11-23T03:00:12+00:00"
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.datamig_cli import (  # noqa: E402
    DatamigCLI,
    django_argument_spec,
)
from ansible_collections.datamig.site.plugins.module_utils.heavy_slot import (  # noqa: E402
    HeavySlot,
    SlotTimeout,
    heavy_argument_spec,
)


def existing_snapshot(cli, dest):
    """The verification of a snapshot already at ``dest``; None where there is room for one.

    Fails where ``dest`` holds something else: the engine would refuse it too.
    """
    if not os.path.lexists(dest) or (os.path.isdir(dest) and not os.listdir(dest)):
        return None
    verification = cli.run("verify", dest, accept=("snapshot_invalid",))
    if verification.get("ok"):
        return verification
    problems = "; ".join(
        str(p) for p in verification.get("problems") or [verification.get("error")]
    )
    cli.fail(
        f"{dest} exists and is not a snapshot that verifies ({problems}); choose a new dest",
        "snapshot_failed",
        directory=dest,
    )


def take_snapshot(cli, dest, params):
    args = [*cli.django_args(), "-o", dest]
    if params["site"]:
        args += ["--site", params["site"]]
    if params["rows_per_file"] is not None:
        args += ["--rows-per-file", str(params["rows_per_file"])]
    slot = HeavySlot(
        params["heavy_slots_dir"],
        params["heavy_slots"],
        params["heavy_wait_timeout"],
        {"work": "snapshot", "dest": dest, "pid": os.getpid()},
    )
    try:
        with slot:
            data = cli.run("snapshot", *args)
    except SlotTimeout as exc:
        cli.fail(str(exc), "heavy_slot", heavy=slot.info)
    result = cli.result(data, drop=("ok",))
    result.update(changed=True, existed=False, heavy=slot.info)
    return result


def main():
    argument_spec = django_argument_spec()
    argument_spec.update(
        dest=dict(type="path", required=True),
        site=dict(type="str"),
        rows_per_file=dict(type="int"),
    )
    argument_spec.update(heavy_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    cli = DatamigCLI(module)
    dest = cli.path(module.params["dest"])

    existing = existing_snapshot(cli, dest)
    if existing is not None:
        result = dict(changed=False, directory=dest, existed=True, rows=existing.get("rows"))
        result.update({key: existing.get(key) for key in ("site", "application", "created")})
    elif module.check_mode:
        result = dict(changed=True, directory=dest, existed=False)
    else:
        result = take_snapshot(cli, dest, module.params)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
