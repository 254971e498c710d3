#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: signing_key
short_description: Set up a datamig site's snapshot signing key folder
description:
  - Makes the key folder O(key_dir) (0700) that the site's snapshots are signed with and
    checked against, usually C(<site root>/shared/keys); every engine run of the datamig
    roles names it in C(DATAMIG_KEY_DIR).
  - With O(signing_key) (an Ed25519 private key in PEM, from Ansible Vault) that key is
    installed as C(signing.key) (0600) after the engine has loaded it from a private
    temporary folder; a key it replaces stays trusted, so snapshots signed before still
    verify. Without it the folder keeps its own key, made by the engine when there is none.
  - Each public line of O(trusted_keys) (C(datamig-ed25519 <base64>), as C(datamig key show)
    prints it on another node) is trusted with C(datamig key trust), so that snapshots of
    that node, fetched from off site in a disaster, verify here.
  - A O(trusted_keys) entry that is not a public line fails the module before anything
    changes; so does a O(signing_key) that the engine cannot load (the key is never shown).
version_added: 0.1.0
options:
  key_dir:
    description: The key folder.
    type: path
    required: true
  signing_key:
    description:
      - The private key to sign with (PEM). Empty - keep the folder's own key, or make one.
      - Secret (C(no_log)).
    type: str
    default: ""
  trusted_keys:
    description: Public lines of other machines' keys to trust (each trusted once; keys trusted already stay).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - datamig.site.datamig
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Says what would change; the engine is only asked about a key that is already there.
seealso:
  - module: datamig.site.snapshot
author:
  - datamig developers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: The site's key folder, its key from the vault, the old node's key trusted
  datamig.site.signing_key:
    python: /srv/mysite/current/venv/bin/python
    key_dir: /srv/mysite/shared/keys
    signing_key: "{{ vault_mysite_signing_key }}"
    trusted_keys:
      - datamig-ed25519 0mJmKk0mJmKk0mJmKk0mJmKk0mJmKk0mJmKk0mJmKk0=

- name: Only make sure the folder has a key, and show it
  datamig.site.signing_key:
    python: /srv/mysite/current/venv/bin/python
    key_dir: /srv/mysite/shared/keys
  register: site_key

- name: Give this line to the host that restores the site in a disaster
  ansible.builtin.debug:
    msg: "{{ site_key.public_key }}"
"""

RETURN = r"""
key_dir:
  description: The key folder.
  returned: always
  type: str
  sample: /srv/mysite/shared/keys
key:
  description: The id of the signing key (empty in check mode when there is none yet).
  returned: always
  type: str
  sample: 3f2a9c0d11b4e871
public_key:
  description: The signing key's public line, for O(trusted_keys) on another node (empty in check mode when there is none yet).
  returned: always
  type: str
  sample: datamig-ed25519 0mJmKk0mJmKk0mJmKk0mJmKk0mJmKk0mJmKk0mJmKk0=
trusted_keys:
  description: The ids of every key the folder trusts (its own included).
  returned: always
  type: list
  elements: str
actions:
  description: What was (in check mode, would be) done - C(made folder), C(installed key), C(kept old key), C(made key), C(trusted <id>).
  returned: always
  type: list
  elements: str
"""

import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import (  # noqa: E402
    run_as,
    signing_keys,
)
from ansible_collections.datamig.site.plugins.module_utils.datamig_cli import (  # noqa: E402
    DatamigCLI,
    engine_argument_spec,
)


def _read_key(path):
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _write_private(path, text, owner=None):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        os.fchmod(handle.fileno(), 0o600)
        if owner:
            os.fchown(handle.fileno(), *owner)
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _scratch(folder, prefix, owner):
    """A private temporary folder in the key folder, the site's user's when it has one (the
    engine runs as that user and reads it)."""
    scratch = tempfile.mkdtemp(prefix=prefix, dir=folder)
    if owner:
        os.chown(scratch, *owner)
    return scratch


def _trust(cli, folder, line, owner):
    """datamig key trust FILE: the line through a private temporary file."""
    scratch = _scratch(folder, ".trust-", owner)
    try:
        path = os.path.join(scratch, "key.pub")
        _write_private(path, line + "\n", owner)
        cli.run("key", "trust", path, "--key-dir", folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _install(cli, module, folder, wanted, keep_old, owner):
    """signing.key := wanted, loaded by the engine first; the replaced key stays trusted."""
    scratch = _scratch(folder, ".new-", owner)
    try:
        _write_private(os.path.join(scratch, signing_keys.PRIVATE_NAME), wanted, owner)
        data = cli.run("key", "show", "--key-dir", scratch, accept=("key",))
        if data.get("ok") is False:
            module.fail_json(
                msg="signing_key (datamig_signing_key) is not a key the engine can sign with: "
                "give an Ed25519 private key in PEM (the signing.key of a datamig key folder); "
                "nothing was changed",
                kind="key",
            )
        if keep_old:
            old = cli.run("key", "show", "--key-dir", folder)
            _trust(cli, folder, old["public_key"], owner)
        os.replace(
            os.path.join(scratch, signing_keys.PRIVATE_NAME),
            os.path.join(folder, signing_keys.PRIVATE_NAME),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def actions_of(plan):
    names = [
        label
        for key, label in (
            ("make_folder", "made folder"),
            ("keep_old", "kept old key"),
            ("install_key", "installed key"),
            ("make_key", "made key"),
        )
        if plan[key]
    ]
    return names + [f"trusted {ident}" for ident, _line in plan["trust"]]


def main():
    argument_spec = engine_argument_spec()
    argument_spec.update(
        key_dir=dict(type="path", required=True),
        signing_key=dict(type="str", default="", no_log=True),
        trusted_keys=dict(type="list", elements="str", default=[], no_log=False),  # public keys
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    cli = DatamigCLI(module)
    params = module.params
    folder = cli.path(params["key_dir"])
    private = os.path.join(folder, signing_keys.PRIVATE_NAME)
    current = _read_key(private)
    try:
        plan = signing_keys.plan(
            os.path.isdir(folder),
            current,
            params["signing_key"],
            signing_keys.trusted_ids_on_disk(folder),
            params["trusted_keys"],
        )
    except signing_keys.KeyLineError as exc:
        module.fail_json(msg=f"{exc}; nothing was changed", kind="key")
    actions = actions_of(plan)
    result = dict(key_dir=folder, key="", public_key="", trusted_keys=[], actions=actions)
    if module.check_mode:
        if current is not None:
            shown = cli.run("key", "show", "--key-dir", folder)
            result.update(key=shown["key"], public_key=shown["public_key"])
            result["trusted_keys"] = sorted(shown["trusted_keys"])
        module.exit_json(changed=bool(actions), **result)
    try:  # the folder and what the module writes in it: the site's user's (run_as)
        owner = run_as.owner_ids(params.get("run_as"))
    except run_as.RunAsError as exc:
        module.fail_json(msg=f"{exc}; nothing was changed", kind="key")
    if plan["make_folder"]:
        os.makedirs(folder, mode=0o700)
        os.chmod(folder, 0o700)
        if owner:
            os.chown(folder, *owner)
    if plan["install_key"]:
        _install(
            cli,
            module,
            folder,
            signing_keys.normal_pem(params["signing_key"]),
            plan["keep_old"],
            owner,
        )
    for _ident, line in plan["trust"]:
        _trust(cli, folder, line, owner)
    shown = cli.run("key", "show", "--key-dir", folder)  # makes the key when there is none
    result.update(key=shown["key"], public_key=shown["public_key"])
    result["trusted_keys"] = sorted(shown["trusted_keys"])
    module.exit_json(changed=bool(actions), **result)


if __name__ == "__main__":
    main()
