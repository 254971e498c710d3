#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: diff
short_description: Tell what differs between a datamig snapshot and a site's current code
description:
  - Runs C(datamig diff) with the site's own Python (the new release's, before an upgrade).
    It lists the models and fields added, removed, renamed and retyped, which changes the
    application's migrators cover, and which would lose data.
  - Fails (kind C(data_loss)) where restoring the snapshot would lose data that no migrator
    covers and no O(allow_loss) accepts (the restore refuses exactly these cases), unless
    O(fail_on_loss=false). Changes nothing; the database is not read.
version_added: 0.1.0
options:
  src:
    description:
      - The snapshot folder. It must verify against its manifest.
    type: path
    required: true
  allow_loss:
    description:
      - Losses to accept, as C(app.Model.field) or C(app.Model), as for M(datamig.site.restore).
    type: list
    elements: str
    default: []
  fail_on_loss:
    description:
      - Fail when data would be lost. With V(false), report it in RV(ok) and RV(blocking).
    type: bool
    default: true
extends_documentation_fragment:
  - datamig.site.datamig
  - datamig.site.datamig.django
  - datamig.site.datamig.sealed
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
- name: Would the new release take the snapshot without losing data?
  datamig.site.diff:
    python: /srv/mysite/releases/{{ new_release }}/venv/bin/python
    settings: mysite.settings
    pythonpath:
      - /srv/mysite/releases/{{ new_release }}
    src: "{{ snapshot.directory }}"
    allow_loss: "{{ mysite_allowed_losses }}"

- name: Only report it
  datamig.site.diff:
    python: /srv/mysite/releases/{{ new_release }}/venv/bin/python
    settings: mysite.settings
    pythonpath:
      - /srv/mysite/releases/{{ new_release }}
    src: "{{ snapshot.directory }}"
    fail_on_loss: false
  register: schema

- name: Show what would be lost
  ansible.builtin.debug:
    var: schema.blocking
  when: not schema.ok
"""

RETURN = r"""
ok:
  description: Whether the snapshot restores into the current code without an unaccepted loss.
  returned: success
  type: bool
  sample: false
blocking:
  description: The losses that no migrator covers and no O(allow_loss) accepts.
  returned: success
  type: list
  elements: str
  sample: ["contacts.Partner: field phone removed: its values in 85229 rows would be lost"]
source:
  description: The application and version recorded in the snapshot.
  returned: success
  type: dict
  sample: {"application": "myapp", "version": "1"}
current:
  description: The application and version of the current code.
  returned: success
  type: dict
  sample: {"application": "myapp", "version": "2"}
models:
  description: The models that differ or that a migrator touches, each with its fields
    added, removed and retyped, what migrators cover, the losses allowed and the losses
    that block.
  returned: success
  type: list
  elements: dict
  sample: [{"model": "notes.Tag", "target": "notes.Label", "rows": 120, "status": "changed",
            "migrator": true, "added": [], "removed": [], "retyped": [], "covered": [],
            "allowed_loss": [], "loss": [], "notes": []}]
added_models:
  description: Models of the current code that the snapshot does not have.
  returned: success
  type: list
  elements: str
  sample: ["contacts.City"]
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
plan:
  description: The migrators that a restore would run, in order, with their operations.
  returned: success
  type: list
  elements: dict
  sample: [{"from": "1", "to": "2", "operations": []}]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.datamig_cli import (  # noqa: E402
    KIND_DATA_LOSS,
    DatamigCLI,
    django_argument_spec,
    seal_args,
    seal_report,
    sealed_argument_spec,
)


def schema_diff(cli, src, params):
    data = cli.run(
        "diff", src, *cli.django_args(), *cli.loss_args(params["allow_loss"]), *seal_args(params)
    )
    if not data.get("ok") and params["fail_on_loss"]:
        cli.fail(
            f"restoring {src} would lose data: {'; '.join(data.get('blocking') or [])} "
            "(write a migrator, or accept the loss with allow_loss)",
            KIND_DATA_LOSS,
            **data,
        )
    unsigned = seal_report(params["trust_unsigned"], [cli.stderr, *(data.get("warnings") or [])])
    if not unsigned["signed"]:
        cli.module.warn(f"{src}: UNSIGNED snapshot, accepted because of trust_unsigned")
    data.update(unsigned)
    return cli.result(data)


def main():
    argument_spec = django_argument_spec()
    argument_spec.update(
        src=dict(type="path", required=True),
        allow_loss=dict(type="list", elements="str", default=[]),
        fail_on_loss=dict(type="bool", default=True),
    )
    argument_spec.update(sealed_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    cli = DatamigCLI(module)

    result = schema_diff(cli, cli.path(module.params["src"]), module.params)
    result["changed"] = False
    module.exit_json(**result)


if __name__ == "__main__":
    main()
