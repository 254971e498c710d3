#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: snapshot_info
short_description: Verify a datamig snapshot against its manifest and tell what it holds
description:
  - Runs C(datamig verify) with O(python). The size and SHA-256 of every file of the snapshot
    are compared with its C(manifest.json). Needs neither the site nor Django, only the
    C(datamig) engine.
  - Changes nothing. Fails (kind C(snapshot_invalid)) when the snapshot does not verify,
    unless O(fail_on_invalid=false).
version_added: 0.1.0
options:
  src:
    description:
      - The snapshot folder.
    type: path
    required: true
  fail_on_invalid:
    description:
      - Fail when the snapshot does not verify (a file changed, missing or truncated, no
        manifest, no such folder). With V(false), report it in RV(ok) and RV(problems).
    type: bool
    default: true
extends_documentation_fragment:
  - datamig.site.datamig
  - datamig.site.datamig.sealed
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Runs as in a normal run (it only reads).
seealso:
  - module: datamig.site.snapshot
author:
  - datamig developers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Verify the snapshot before the old database is touched
  datamig.site.snapshot_info:
    python: /srv/mysite/current/venv/bin/python
    src: "{{ snapshot.directory }}"
  register: verified

- name: Look at a snapshot that may be damaged, without failing
  datamig.site.snapshot_info:
    python: /srv/mysite/current/venv/bin/python
    src: /srv/mysite/snapshots/2026-11-23T0300
    fail_on_invalid: false
  register: old_snapshot

- name: Verify a snapshot of the site's own key folder; accept an unsigned, older one
  datamig.site.snapshot_info:
    python: /srv/mysite/current/venv/bin/python
    plain_environment:
      DATAMIG_KEY_DIR: /srv/mysite/shared/keys
    src: /srv/mysite/snapshots/2025-06-01T0300
    trust_unsigned: true

- name: Report it
  ansible.builtin.debug:
    msg: "{{ old_snapshot.problems if not old_snapshot.ok else old_snapshot.rows ~ ' rows' }}"
"""

RETURN = r"""
ok:
  description: Whether every file matches the manifest.
  returned: success
  type: bool
  sample: true
directory:
  description: The absolute path of the snapshot folder.
  returned: success
  type: str
  sample: /srv/mysite/snapshots/2026-11-23T0300
files_checked:
  description: Files compared with the manifest.
  returned: success
  type: int
  sample: 42
bytes_checked:
  description: Bytes read and hashed.
  returned: success
  type: int
  sample: 118812
problems:
  description: What does not match, one line each (empty when RV(ok)).
  returned: success
  type: list
  elements: str
  sample: ["contacts_partner.py: size 2 bytes, manifest says 808 (truncated or changed)"]
edited:
  description: Files edited since the snapshot was taken that may be (for now, none may).
  returned: when the manifest could be read
  type: list
  elements: str
  sample: []
extra_files:
  description: Files in the folder that the manifest does not list.
  returned: when the manifest could be read
  type: list
  elements: str
  sample: []
signed:
  description:
    - Whether the snapshot is signed by a key the engine's key folder trusts (always V(true)
      without O(trust_unsigned); V(false) for an unsigned snapshot accepted because of it).
  returned: when the snapshot verified
  type: bool
  sample: true
trust_unsigned:
  description: The O(trust_unsigned) the module ran with.
  returned: when the snapshot verified
  type: bool
  sample: false
site:
  description: The site recorded in the manifest.
  returned: when the manifest could be read
  type: str
  sample: mysite
application:
  description: The application and its version recorded in the manifest.
  returned: when the manifest could be read
  type: dict
  sample: {"name": "myapp", "version": "1"}
rows:
  description: Rows in the snapshot, as the manifest records them.
  returned: when the manifest could be read
  type: int
  sample: 1200345
created:
  description: When the snapshot was taken (ISO 8601, UTC).
  returned: when the manifest could be read
  type: str
  sample: "2026-11-23T03:00:12+00:00"
format:
  description: The snapshot format version.
  returned: when the manifest could be read
  type: int
  sample: 1
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.datamig_cli import (  # noqa: E402
    DatamigCLI,
    engine_argument_spec,
    seal_args,
    seal_report,
    sealed_argument_spec,
)


def verify(cli, src, fail_on_invalid):
    params = cli.module.params
    data = cli.run("verify", src, *seal_args(params), accept=("snapshot_invalid",))
    kind, error = data.pop("kind", None), data.pop("error", None)
    data.setdefault("directory", src)
    if not data.get("ok"):
        data["problems"] = data.get("problems") or [error]
        if fail_on_invalid:
            cli.fail(error or "; ".join(data["problems"]), kind or "snapshot_invalid", **data)
    else:
        data.update(seal_report(params["trust_unsigned"], (), signed=data.get("signed", True)))
        if not data["signed"]:
            cli.module.warn(f"{src}: UNSIGNED snapshot, accepted because of trust_unsigned")
    return cli.result(data)


def main():
    argument_spec = engine_argument_spec()
    argument_spec.update(
        src=dict(type="path", required=True),
        fail_on_invalid=dict(type="bool", default=True),
    )
    argument_spec.update(sealed_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    cli = DatamigCLI(module)

    result = verify(cli, cli.path(module.params["src"]), module.params["fail_on_invalid"])
    result["changed"] = False
    module.exit_json(**result)


if __name__ == "__main__":
    main()
