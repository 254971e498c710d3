#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: restore
short_description: Restore a datamig snapshot into a database with the site's current code
description:
  - Runs C(datamig restore) with the site's own Python. The snapshot is verified against its
    manifest first (only then is its C(restore.py) run); the target database is created and
    migrated when it does not exist; all rows load in one transaction, so a failure leaves
    the target as it was (a database the restore created is dropped again).
  - The schema comes from the current code, the rows from the snapshot. A change that would
    lose data needs a migrator of the application or O(allow_loss); whatever is dropped is
    counted in RV(losses) and written whole to O(lost_values).
  - Not idempotent by nature. A target that holds data is refused (kind C(target_not_empty))
    unless O(flush) is set. Restore into a new database (O(database_name)) and switch to it.
version_added: 0.1.0
options:
  src:
    description:
      - The snapshot folder.
    type: path
    required: true
  flush:
    description:
      - Replace the rows of a target database that holds data.
    type: bool
    default: false
  prepared:
    description:
      - The target O(database_name) was prepared before (M(datamig.site.database) with
        O(datamig.site.database#module:state=prepared)); the restore checks that it is
        migrated exactly to the code's migrations and holds no rows but those C(migrate)
        writes (else it fails, kind C(not_prepared), and writes nothing), then only loads
        rows - no C(migrate). Excludes O(flush).
    type: bool
    default: false
  allow_loss:
    description:
      - Losses to accept, as C(app.Model.field) (a removed field's values) or C(app.Model)
        (a removed model's rows). They are reported in RV(losses) and kept in O(lost_values).
    type: list
    elements: str
    default: []
  set_values:
    description:
      - Values of new required fields, as C(app.Model.field) to value (C(datamig restore
        --set)). Each restored row gets it; without one, a new required field without a
        default gets what the model's own code gives (C(full_clean()), C(pre_save())), and
        the restore fails, naming the field, where that code gives none.
    type: dict
    default: {}
  lost_values:
    description:
      - The file (JSON lines, mode 0600) that receives every value not restored. Written only
        when something is dropped.
      - Defaults to C(<src>-lost-values-<time>.jsonl) beside the snapshot folder.
    type: path
extends_documentation_fragment:
  - datamig.site.datamig
  - datamig.site.datamig.django
  - datamig.site.datamig.sealed
  - datamig.site.datamig.heavy
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Verifies the snapshot (C(datamig verify)) and compares it with the current code
      (C(datamig diff)) instead of restoring. Reports C(changed=true) with RV(schema_diff);
      fails (kind C(data_loss)) where the restore would be refused because data would be
      lost. Whether the target already holds data is not checked.
seealso:
  - module: datamig.site.diff
  - module: datamig.site.checksum
  - module: datamig.site.snapshot
author:
  - datamig developers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Restore the snapshot into a new database beside the live one, with the new release
  datamig.site.restore:
    python: /srv/mysite/releases/{{ new_release }}/venv/bin/python
    settings: mysite.settings
    pythonpath:
      - /srv/mysite/releases/{{ new_release }}
    plain_environment:
      DEMO_DB_VENDOR: postgresql
    environment:
      DEMO_DB_PASSWORD: "{{ mysite_db_password }}"
    database_name: mysite_{{ upgrade_stamp }}
    src: "{{ snapshot.directory }}"
    allow_loss:
      - contacts.Partner.fax
    set_values:
      contacts.Partner.country: BE
    lost_values: /srv/mysite/snapshots/{{ upgrade_stamp }}-lost-values.jsonl
  register: restored

- name: Every row of the snapshot was restored
  ansible.builtin.assert:
    that: restored.rows == snapshot.rows

- name: Restore a snapshot written before datamig signed snapshots (its origin known)
  datamig.site.restore:
    python: /srv/mysite/current/venv/bin/python
    settings: mysite.settings
    pythonpath:
      - /srv/mysite/current
    plain_environment:
      DATAMIG_KEY_DIR: /srv/mysite/shared/keys
    database_name: mysite_from_2025
    src: /srv/mysite/snapshots/2025-06-01T0300
    trust_unsigned: true
  register: old_restored

- name: Say it was not signed
  ansible.builtin.debug:
    msg: "{{ 'UNSIGNED snapshot restored' if not old_restored.signed else 'signed' }}"
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
signed:
  description:
    - Whether the snapshot is signed by a key the engine's key folder trusts (always V(true)
      without O(trust_unsigned); V(false) for an unsigned snapshot accepted because of it).
  returned: success
  type: bool
  sample: true
trust_unsigned:
  description: The O(trust_unsigned) the module ran with.
  returned: success
  type: bool
  sample: false
snapshot:
  description: The absolute path of the snapshot folder.
  returned: success
  type: str
  sample: /srv/mysite/snapshots/2026-11-23T0300
rows:
  description: Rows restored (in check mode, rows in the snapshot).
  returned: success
  type: int
  sample: 1200345
database:
  description: The database restored into (a file path for SQLite).
  returned: success, not in check mode
  type: str
  sample: mysite_20261123
vendor:
  description: The target's vendor (sqlite, postgresql, mysql).
  returned: success, not in check mode
  type: str
  sample: postgresql
created_database:
  description: Whether the restore created the target database.
  returned: success, not in check mode
  type: bool
  sample: true
flushed:
  description: Whether rows of the target were replaced (O(flush)).
  returned: success, not in check mode
  type: bool
  sample: false
seconds:
  description: How long the restore took.
  returned: success, not in check mode
  type: float
  sample: 63.5
models:
  description: Per model, rows expected, read, restored, transformed, ignored, in errors, and seconds.
  returned: success, not in check mode
  type: list
  elements: dict
  sample: [{"model": "contacts.Partner", "table": "contacts_partner", "expected": 85229,
            "read": 85229, "restored": 85229, "transformed": 0, "ignored": 0, "errors": 0,
            "seconds": 3.1, "fast_path": true, "defaults_used": [], "first_errors": []}]
tables:
  description: Rows written per table.
  returned: success, not in check mode
  type: dict
  sample: {"contacts_partner": 85229}
losses:
  description: What was not restored, per model and field, with the first values, and the
    file that holds all of them (C(file) is null when nothing was lost).
  returned: success, not in check mode
  type: dict
  sample: {"file": null, "values": 0, "models": {}}
migrators:
  description: The application's migrators that ran, in order.
  returned: success, not in check mode
  type: list
  elements: dict
  sample: []
filled:
  description: New required fields without a default that the restore filled, as
    C(app.Model.field) to counts - rows, by O(set_values), by the model's own code, and
    text fields left empty.
  returned: success, not in check mode
  type: dict
  sample: {"stock.Box.weight": {"rows": 3, "by_set": 3, "by_model": 0, "empty_text": 0}}
content_types:
  description: Content types kept with the snapshot's ids, those of new models (ids after
    them) and those of models the code no longer has (kept, as Django keeps them); null
    for a snapshot that did not record them.
  returned: success, not in check mode
  type: dict
  sample: {"kept": 42, "added": [], "stale": []}
schema_diff:
  description: What differs between the snapshot and the current code (the JSON of
    C(datamig diff), see M(datamig.site.diff)).
  returned: check mode
  type: dict
  sample: {"ok": true, "models": [], "added_models": [], "blocking": [], "plan": []}
"""

import os  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.datamig_cli import (  # noqa: E402
    KIND_DATA_LOSS,
    DatamigCLI,
    django_argument_spec,
    seal_args,
    seal_report,
    sealed_argument_spec,
)
from ansible_collections.datamig.site.plugins.module_utils.heavy_slot import (  # noqa: E402
    HeavySlot,
    SlotTimeout,
    heavy_argument_spec,
)


def default_lost_values(src):
    """Beside the snapshot folder, not in the module's working directory (which may be a
    temporary folder that Ansible removes)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return f"{src.rstrip(os.sep)}-lost-values-{stamp}.jsonl"


def preview(cli, src, params):
    """Check mode: what the restore would do, from the manifest and the schema diff."""
    verification = cli.run("verify", src, *seal_args(params))
    diff = cli.run(
        "diff", src, *cli.django_args(), *cli.loss_args(params["allow_loss"]), *seal_args(params)
    )
    if not diff.get("ok"):
        cli.fail(
            f"restoring {src} would lose data: {'; '.join(diff.get('blocking') or [])} "
            "(write a migrator, or accept the loss with allow_loss)",
            KIND_DATA_LOSS,
            schema_diff=diff,
        )
    for warning in diff.get("warnings") or []:
        cli.module.warn(warning)
    return dict(
        changed=True,
        snapshot=src,
        rows=verification.get("rows"),
        schema_diff=diff,
        **seal_report(params["trust_unsigned"], (), signed=verification.get("signed", True)),
    )


def restore(cli, src, params):
    args = [src, *cli.django_args(), *cli.loss_args(params["allow_loss"])]
    args += cli.set_args(params["set_values"]) + seal_args(params)
    if params["flush"]:
        args.append("--flush")
    if params["prepared"]:
        args.append("--prepared")
    args += ["--lost-values", cli.path(params["lost_values"]) or default_lost_values(src)]
    slot = HeavySlot(
        params["heavy_slots_dir"],
        params["heavy_slots"],
        params["heavy_wait_timeout"],
        {"work": "restore", "src": src, "pid": os.getpid()},
    )
    try:
        with slot:
            data = cli.run("restore", *args)
    except SlotTimeout as exc:
        cli.fail(str(exc), "heavy_slot", heavy=slot.info)
    messages = [cli.stderr, *(data.get("warnings") or [])]
    result = cli.result(data, drop=("ok",))
    result.update(changed=True, heavy=slot.info, **seal_report(params["trust_unsigned"], messages))
    return result


def main():
    argument_spec = django_argument_spec()
    argument_spec.update(
        src=dict(type="path", required=True),
        flush=dict(type="bool", default=False),
        prepared=dict(type="bool", default=False),
        allow_loss=dict(type="list", elements="str", default=[]),
        set_values=dict(type="dict", default={}),
        lost_values=dict(type="path"),
    )
    argument_spec.update(heavy_argument_spec())
    argument_spec.update(sealed_argument_spec())
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("flush", "prepared")],
        supports_check_mode=True,
    )
    cli = DatamigCLI(module)
    src = cli.path(module.params["src"])

    if module.check_mode:
        result = preview(cli, src, module.params)
    else:
        result = restore(cli, src, module.params)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
