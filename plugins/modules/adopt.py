#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: adopt
short_description: Read a site datamig did not deploy (getlino-made or hand-deployed) and record it
version_added: "0.1.0"
description:
  - Finds what a site that datamig did not deploy is made of, without running any of its code
    and without changing anything the site needs - the project folder, the settings module and
    the Python path, the virtualenv (and the other sites that share it), the database, the
    supervisor programs, the web server's configuration, the user the programs run as, and
    the getlino snapshot cron job and monit that would interfere with an upgrade window.
  - With O(layout=getlino), reads getlino's configuration (C(/etc/getlino/getlino.conf)) and
    the project O(name) under C(<sites_base>/<local_prefix>/); C(settings.py) is parsed, not
    imported, and must assign C(DATABASES) a literal (as getlino writes it).
  - With O(layout=django), checks the operator's O(description) of a hand-deployed site
    against the node.
  - Refuses, naming every reason, what it cannot take over - for example a virtualenv shared
    with other sites, unless O(allow_shared_env) (then they are upgraded together).
  - With O(state=present), records the description (without the database password) in
    C(<state_dir>/adopted.json), mode 0600; the site's own files are never written.
author:
  - datamig developers (!UNKNOWN)
options:
  name:
    description: The site's name; for O(layout=getlino) the getlino project name (C(prjname)).
    type: str
    required: true
  layout:
    description: How the site was made.
    type: str
    choices: [getlino, django]
    default: getlino
  description:
    description:
      - For O(layout=django), the site - C(project_dir), C(settings_module), C(python_path)
        (default the project folder), C(venv), C(database) (C(vendor) sqlite, postgresql or
        mysql, C(name), C(user), C(host), C(port), C(password)), C(programs) (supervisor
        program names, or dicts with C(name) and C(role) web or background), C(app_server)
        (gunicorn, uwsgi, daphne or mod_wsgi), C(web_server) (C(kind) nginx or apache2,
        C(config)), C(run_user).
    type: dict
    default: {}
  database_password:
    description: The database password of a hand-deployed site (kept out of O(description) so that it is never logged).
    type: str
    default: ""
  allow_shared_env:
    description: Adopt a site whose virtualenv other sites share (an upgrade then upgrades them together).
    type: bool
    default: false
  state:
    description: V(query) only reports; V(present) also records the description in O(state_dir).
    type: str
    choices: [query, present]
    default: query
  state_dir:
    description: Where datamig keeps the adopted site's own state (journal, snapshots, reports, C(adopted.json)).
    type: path
  root:
    description: The node's filesystem root the paths are read under (V(/); another folder only for tests).
    type: path
    default: /
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
"""

EXAMPLES = r"""
- name: Take over the getlino-made site "prod1" as it is
  datamig.site.adopt:
    name: prod1
    state: present
    state_dir: /var/lib/datamig/prod1

- name: Describe a hand-deployed Django site
  datamig.site.adopt:
    name: shop
    layout: django
    description:
      project_dir: /srv/shop
      settings_module: shop.settings
      venv: /srv/shop/venv
      database: {vendor: postgresql, name: shop, user: shop, host: localhost}
      programs: [shop-gunicorn, {name: shop-worker, role: background}]
      app_server: gunicorn
      web_server: {kind: nginx, config: /etc/nginx/sites-available/shop.conf}
      run_user: shop
    database_password: "{{ vault_shop_db_password }}"
    state: present
    state_dir: /var/lib/datamig/shop
"""

RETURN = r"""
site:
  description: What the site is made of (the database password left out; C(database.password_set) says whether it has one).
  returned: when the site was found
  type: dict
  sample:
    layout: getlino
    name: prod1
    project_dir: /usr/local/lino/lino_local/prod1
    settings_module: lino_local.prod1.settings
    python_path: /usr/local/lino
    venv: /usr/local/lino/lino_local/prod1/env
    venv_shared_with: []
    database: {vendor: mysql, name: prod1, user: lino, host: localhost, port: "3306", storage_engine: MyISAM, password_set: true}
    programs: [{name: prod1_linod, role: background, group: false, user: www-data}]
    app_server: daphne
    web_server: {kind: nginx, config: /etc/nginx/sites-available/prod1.conf, enabled: true, server_names: [prod1.example.org]}
    run_user: www-data
    cron_snapshot: /etc/cron.daily/make_snapshot_prod1
    monit: false
refusals:
  description: Why datamig cannot take the site over (empty when it can; the module fails when it is not).
  returned: always
  type: list
  elements: str
record:
  description: The file the description was recorded in (O(state=present)).
  returned: when O(state=present)
  type: str
"""

import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import (  # noqa: E402
    adopted_site,
    getlino_site,
)

RECORD = "adopted.json"


def find(params):
    """(site, refusals) for the module's parameters."""
    if params["layout"] == "getlino":
        return getlino_site.describe(params["name"], params["root"], params["allow_shared_env"])
    description = dict(params["description"], name=params["name"])
    if params["database_password"]:
        description["database"] = dict(
            description.get("database") or {}, password=params["database_password"]
        )

    def exists(path):
        return os.path.lexists(os.path.join(params["root"], path.lstrip("/")))

    site, refusals = adopted_site.from_description(description, exists)
    shared = (site or {}).get("venv_shared_with")
    if shared and not params["allow_shared_env"]:
        refusals.append(
            "its virtualenv is shared with {}: adopt with -e datamig_adopt_shared_env=true".format(
                ", ".join(shared)
            )
        )
    return site, refusals


def record(path, shown, check_mode):
    """Write the description to path (0600, atomically); whether it changed."""
    text = json.dumps(shown, indent=2, sort_keys=True) + "\n"
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except FileNotFoundError:
        pass
    if check_mode:
        return True
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".adopted-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            layout=dict(type="str", choices=["getlino", "django"], default="getlino"),
            description=dict(type="dict", default={}),
            database_password=dict(type="str", default="", no_log=True),
            allow_shared_env=dict(type="bool", default=False),
            state=dict(type="str", choices=["query", "present"], default="query"),
            state_dir=dict(type="path"),
            root=dict(type="path", default="/"),
        ),
        required_if=[("state", "present", ["state_dir"])],
        supports_check_mode=True,
    )
    params = module.params
    if params["layout"] == "getlino" and params["description"]:
        module.fail_json(
            msg="description is for layout=django; a getlino site is read off the node"
        )
    try:
        site, refusals = find(params)
    except getlino_site.NotAGetlinoSite as exc:
        module.fail_json(
            msg="site {}: {}".format(params["name"], to_native(exc)), refusals=[to_native(exc)]
        )
    except (OSError, UnicodeDecodeError) as exc:
        module.fail_json(
            msg="site {}: {}".format(params["name"], to_native(exc)), refusals=[to_native(exc)]
        )
    shown = adopted_site.public(site)
    if refusals:
        module.fail_json(
            msg="cannot adopt {}: {}".format(params["name"], "; ".join(refusals)),
            site=shown,
            refusals=refusals,
        )
    result = dict(changed=False, site=shown, refusals=[])
    if params["state"] == "present":
        path = os.path.join(params["state_dir"], RECORD)
        try:
            result["changed"] = record(path, shown, module.check_mode)
        except OSError as exc:
            module.fail_json(msg=f"cannot record {path}: {to_native(exc)}", site=shown, refusals=[])
        result["record"] = path
    module.exit_json(**result)


if __name__ == "__main__":
    main()
