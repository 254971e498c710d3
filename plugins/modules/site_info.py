#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: site_info
short_description: Read a datamig site's state on the node once - paths, live release, site.env, history
version_added: "0.1.0"
description:
  - Returns the site's paths under O(root), the live release (where C(current) points),
    the variables of C(shared/site.env) and the live database it names, and the site's
    live history from the journal - so that the rollback target is the release and
    database live before the current one, whatever runs came in between.
  - C(shared/site.env) is read as C(/bin/sh) sources it - values single-quoted as
    C(shlex.quote) (Ansible's C(quote) filter) writes them, bare words, double quotes and
    backslashes - so a value with quotes, spaces, C($), C(=), backslashes or any unicode
    reads back exactly. A line the shell would expand (C($) or a backquote outside single
    quotes) or that is not an assignment fails the module, naming the line.
  - The values are also returned as C(ansible_facts) under the names the datamig roles use
    (C(common_live_release), C(common_live_db_name), C(common_engine_env_plain),
    C(common_engine_env_secret), C(common_journal_path), ...). Run it with C(no_log) - the
    secrets of site.env are among them.
author:
  - datamig developers (!UNKNOWN)
options:
  root:
    description: The site root on the node (releases/, current, shared/site.env, the journal).
    type: path
    required: true
  db_name_var:
    description: The variable of C(shared/site.env) that names the live database.
    type: str
    required: true
  secret_keys:
    description: Variables of C(shared/site.env) that are secret (returned apart, in RV(secret_env)).
    type: list
    elements: str
    default: []
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
  - module: datamig.site.journal
"""

EXAMPLES = r"""
- name: Read the site's state
  datamig.site.site_info:
    root: /srv/mysite
    db_name_var: MYSITE_DB_NAME
    secret_keys: [MYSITE_DB_PASSWORD]
  register: site
  no_log: true

- name: Say where a rollback goes
  ansible.builtin.debug:
    msg: "{{ site.rollback_target.release | default('no earlier release known') }}"
"""

RETURN = r"""
paths:
  description: The site's paths.
  returned: always
  type: dict
  sample: {root: /srv/mysite, current_link: /srv/mysite/current, key_dir: /srv/mysite/shared/keys}
live_release:
  description: The live release (C(current) resolved), empty when there is none.
  returned: always
  type: str
  sample: /srv/mysite/releases/2-20261124T140312Z
live_db_name:
  description: The live database, as O(db_name_var) in C(shared/site.env) names it (a file path for SQLite).
  returned: always
  type: str
  sample: mysite_2_20261124T140312Z
env_exists:
  description: Whether C(shared/site.env) exists.
  returned: always
  type: bool
plain_env:
  description: The variables of C(shared/site.env) that are not secret.
  returned: always
  type: dict
engine_env:
  description:
    - The engine's plain environment - RV(plain_env) and C(DATAMIG_KEY_DIR), the site's key
      folder C(shared/keys) (unless C(shared/site.env) sets it), so that every engine run
      signs and checks snapshots with the site's own key. The fact C(common_engine_env_plain).
  returned: always
  type: dict
  sample: {MYSITE_DB_NAME: mysite, DATAMIG_KEY_DIR: /srv/mysite/shared/keys}
secret_env:
  description: The secret variables of C(shared/site.env) (O(secret_keys)).
  returned: always
  type: dict
history:
  description: The live states the journal records, oldest first, each C({release, db_name, version}).
  returned: always
  type: list
  elements: dict
live_state:
  description: The live state C({release, db_name, version}) (the version from the history; empty when not known), V(null) without a live release.
  returned: always
  type: dict
rollback_target:
  description: The live state before the live one (V(null) when no earlier one is known).
  returned: always
  type: dict
  sample: {release: /srv/mysite/releases/1-20261101T090000Z, db_name: mysite, version: "1"}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import site_state  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils.journal import (  # noqa: E402
    read_records,
)
from ansible_collections.datamig.site.plugins.module_utils.site_env import (  # noqa: E402
    SiteEnvError,
)


def facts(info):
    """The state under the fact names the datamig roles read."""
    out = {"common_" + name: path for name, path in info["paths"].items()}
    out.update(
        common_live_release=info["live_release"],
        common_live_db_name=info["live_db_name"],
        common_live_env=info["env"],
        common_engine_env_plain=info["engine_env"],
        common_engine_env_secret=info["secret_env"],
        common_rollback_target=info["rollback_target"],
        common_live_state=info["live_state"],
    )
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            db_name_var=dict(type="str", required=True),
            secret_keys=dict(type="list", elements="str", default=[], no_log=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = params["root"]
    try:
        records = read_records(site_state.layout(root)["journal_path"], module.warn)
        info = site_state.read(root, params["db_name_var"], params["secret_keys"], records)
    except (OSError, SiteEnvError, UnicodeDecodeError) as exc:
        module.fail_json(msg=f"site {root}: {to_native(exc)}")
    module.exit_json(changed=False, ansible_facts=facts(info), **info)


if __name__ == "__main__":
    main()
