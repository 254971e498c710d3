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
  - With O(state=managed), also puts the site under datamig's layout in O(state_dir), which
    becomes the site's datamig root (C(datamig_site_root)) - C(releases/adopted-<stamp>/)
    whose C(venv) is the site's own virtualenv, C(current), C(shared/site.env) naming the
    live database in O(db_name_var), the journal - and makes the path where the site expects
    its virtualenv a symlink to C(<state_dir>/current/venv) (a real folder is renamed to
    C(<path>.datamig-adopted) first, never copied). It adds one managed block at the end of
    the settings file (the live database's name read from site.env by the engine's
    C(datamig.live_database), which must be installed in the site's virtualenv) and, for an
    nginx site, one C(include) line per C(server {) that serves the maintenance page while
    the maintenance flag exists; O(web_server_check) checks that configuration, which is put
    back when the check fails. The site's cron jobs that would interfere with an upgrade
    (getlino's daily snapshot, which stops supervisor for every site; a description's
    C(cron_jobs)) get two lines after their C(#!) that exit while the maintenance flag
    exists. A site already taken over is left as it is.
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
        C(config)), C(run_user), C(cron_jobs) (scripts that must not run during an upgrade,
        guarded by O(state=managed)).
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
    description:
      - V(query) only reports; V(present) also records the description in O(state_dir);
        V(managed) also puts the site under datamig's layout there.
    type: str
    choices: [query, present, managed]
    default: query
  db_name_var:
    description: The variable of C(shared/site.env) that names the live database (O(state=managed)).
    type: str
    default: ""
  version:
    description: The version the site runs now, as the upgrade report and the live history name it (O(state=managed)).
    type: str
    default: ""
  web_server_check:
    description: The command that checks the web server's configuration after the maintenance include is added (O(state=managed)).
    type: list
    elements: str
    default: [nginx, -t]
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
  returned: when O(state=present) or O(state=managed)
  type: str
takeover:
  description: What putting the site under datamig's layout did (in check mode, would do), in order; empty once it is.
  returned: when O(state=managed)
  type: list
  elements: dict
  sample:
    - {action: release, path: /var/lib/datamig/prod1/releases/adopted-20261204T101500Z}
    - {action: settings, path: /usr/local/lino/lino_local/prod1/settings.py}
live_release:
  description: The release C(current) points at once the site is taken over.
  returned: when O(state=managed)
  type: str
inventory:
  description:
    - The variables the upgrade, rollback, snapshot and schedule playbooks need for the site, as
      far as the site says them - its datamig root, settings module, database variable and vendor,
      programs (web first, a supervisor group as C(name:*)), user; for a getlino site its front
      page as health and, on a database server, the administrator who makes new databases. The
      address its web program listens on (C(datamig_app_bind)) is the operator's to add.
  returned: when O(state=managed)
  type: dict
  sample: {datamig_site_root: /var/lib/datamig/prod1, datamig_settings: lino_local.prod1.settings, datamig_program: "prod1_asgi:*"}
"""

import json  # noqa: E402
import os  # noqa: E402
import pwd  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.datamig.site.plugins.module_utils import (  # noqa: E402
    adopted_site,
    getlino_site,
    takeover,
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
    if not os.path.isdir(folder):
        # the site's datamig root once taken over: its user must reach shared/site.env
        os.makedirs(folder, mode=0o755)
        os.chmod(folder, 0o755)
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


def manage(module, site):
    """Put the site under datamig's layout (module_utils/takeover.py): the result's parts."""
    params = module.params
    root, var, version = params["state_dir"], params["db_name_var"], params["version"]
    if not site.get("run_user"):
        raise takeover.TakeoverError(
            "name the user the site's programs run as (run_user): they read the live "
            "database's name from shared/site.env, which only that user's group may read"
        )
    try:
        gid = pwd.getpwnam(site["run_user"]).pw_gid
    except KeyError:
        raise takeover.TakeoverError(
            "the site's programs run as {}, who is no user of this node".format(site["run_user"])
        ) from None
    if module.check_mode:
        steps, _facts = takeover.plan(site, root, var, version)
        return {
            "changed": bool(steps),
            "takeover": takeover.public_plan(steps),
            "live_release": "",
            "inventory": adopted_site.inventory_vars(site, root, var),
        }

    def check_web():
        rc, out, err = module.run_command(params["web_server_check"])
        if rc != 0:
            raise takeover.TakeoverError(
                "{} refuses the configuration with the maintenance page (put back as it was): {}".format(
                    " ".join(params["web_server_check"]), (err or out).strip()
                )
            )

    steps = takeover.apply(site, root, var, version, check_web=check_web, gid=gid)
    return {
        "changed": bool(steps),
        "takeover": takeover.public_plan(steps),
        "live_release": os.path.realpath(os.path.join(root, "current")),
        "inventory": adopted_site.inventory_vars(site, root, var),
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            layout=dict(type="str", choices=["getlino", "django"], default="getlino"),
            description=dict(type="dict", default={}),
            database_password=dict(type="str", default="", no_log=True),
            allow_shared_env=dict(type="bool", default=False),
            state=dict(type="str", choices=["query", "present", "managed"], default="query"),
            state_dir=dict(type="path"),
            root=dict(type="path", default="/"),
            db_name_var=dict(type="str", default=""),
            version=dict(type="str", default=""),
            web_server_check=dict(type="list", elements="str", default=["nginx", "-t"]),
        ),
        required_if=[
            ("state", "present", ["state_dir"]),
            ("state", "managed", ["state_dir", "db_name_var"]),
        ],
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
    if params["state"] == "managed":
        if params["root"] != "/":
            module.fail_json(msg="state=managed works on the node itself (root /)", site=shown)
        try:
            result.update(manage(module, site))
        except (takeover.TakeoverError, OSError) as exc:
            module.fail_json(
                msg="cannot take {} over: {}".format(params["name"], to_native(exc)),
                site=shown,
                refusals=[to_native(exc)],
            )
    if params["state"] in ("present", "managed"):
        path = os.path.join(params["state_dir"], RECORD)
        try:
            result["changed"] = record(path, shown, module.check_mode) or result["changed"]
        except OSError as exc:
            module.fail_json(msg=f"cannot record {path}: {to_native(exc)}", site=shown, refusals=[])
        result["record"] = path
    module.exit_json(**result)


if __name__ == "__main__":
    main()
