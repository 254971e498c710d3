# SPDX-License-Identifier: GPL-3.0-or-later
"""Options that the datamig modules share, documented once.

``datamig.site.datamig``: how to run the engine (every module);
``datamig.site.datamig.django``: which site and which database (the modules that set up
the site's Django); ``datamig.site.datamig.sealed``: ``trust_unsigned`` (the modules that
read snapshots); ``datamig.site.datamig.heavy``: the heavy-work slots.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  python:
    description:
      - The Python interpreter of the site's virtualenv, where the site, Django and the
        C(datamig) engine are installed, for example C(/srv/mysite/current/venv/bin/python).
      - The module runs C(<python> -m datamig <command> ... --json) with it; the module itself
        runs with the node's system Python and never imports Django.
    type: path
    required: true
  environment:
    description:
      - Environment variables for the engine, added to the module's own, for example the
        site's C(DJANGO_SECRET_KEY) or database password.
      - Treated as secret (C(no_log)). Each value is replaced by C(********) wherever it would
        appear in a result or an error message, so a value that also appears in results
        (a vendor name, a database file path, a port) would be hidden there too; give
        such variables in O(plain_environment).
      - Values are converted to strings.
    type: dict
    default: {}
  plain_environment:
    description:
      - Environment variables for the engine that are not secret, for example the site's
        C(DEMO_DB_VENDOR) and C(DEMO_DB_NAME). Shown like any other option.
      - O(environment) wins where both set the same variable.
      - Values are converted to strings.
    type: dict
    default: {}
  chdir:
    description:
      - The folder the engine runs in. Relative paths in the other options are taken from it.
      - Defaults to the module's working directory.
    type: path
  run_as:
    description:
      - The site's Unix user. The engine runs as this user (through C(setpriv), with the
        user's groups and C(HOME)), not as the module's user, because it executes the
        site's and the snapshot's code.
      - Nothing changes when the module runs as that user already, or when it is C(root)
        and the module runs as root. Any other user needs the module to run as root.
      - Not set, the engine runs as the module's user.
    type: str
notes:
  - The engine's warnings become Ansible warnings.
  - A failure has C(kind) besides C(msg). The engine's kinds are C(snapshot_invalid),
    C(settings), C(database_unreachable), C(target_not_empty), C(restore_failed),
    C(snapshot_failed) and C(usage); C(engine) means that the engine did not run or printed
    no result (with C(rc) and C(stderr)), C(data_loss) that restoring the snapshot into
    the current code would lose data that no migrator covers and no C(allow_loss) accepts.
requirements:
  - The C(datamig) engine and the site's Django installed for O(python).
"""

    DJANGO = r"""
options:
  settings:
    description:
      - The site's Django settings module, for example C(mysite.settings).
      - Defaults to C(DJANGO_SETTINGS_MODULE) in the environment (and for a restore, to the
        settings module recorded in the snapshot).
    type: str
  pythonpath:
    description:
      - Folders to put on the engine's C(sys.path) before the settings are imported, for
        example the folder of the site's C(manage.py).
    type: list
    elements: path
    default: []
  database:
    description:
      - The alias of the database in the settings' C(DATABASES).
    type: str
    default: default
  database_name:
    description:
      - Overrides the C(NAME) of that database (a file path for SQLite), for example to
        restore into a new database beside the live one.
    type: str
"""

    SEALED = r"""
options:
  trust_unsigned:
    description:
      - Accept a snapshot that has no signature (C(manifest.sig)), one written before datamig
        signed snapshots (C(datamig ... --trust-unsigned)). It is still checked against its
        manifest (every file, nothing extra, safe names), and RV(signed) says V(false).
      - Without it an unsigned snapshot is refused (kind C(snapshot_invalid)). A signed
        snapshot must always be signed by a key the engine's key folder trusts (the site's
        C(shared/keys) in the datamig roles, C(DATAMIG_KEY_DIR) in O(plain_environment)).
      - Give it only for a snapshot whose origin you know.
    type: bool
    default: false
"""

    HEAVY = r"""
options:
  heavy_slots:
    description:
      - How many snapshots and restores may run at once on this server (over all its
        sites). The module waits for one of that many slots of O(heavy_slots_dir) before
        the engine starts and holds it until the engine ends. V(0) means no bound.
      - A slot is an exclusive C(flock) on a slot file, released by the kernel when the
        module's process ends, so a killed run never leaves a slot taken.
    type: int
    default: 0
  heavy_slots_dir:
    description:
      - The server-wide folder of the slot files; every site of the server must name the
        same one. Under C(/run), it is per boot.
    type: path
    default: /run/datamig/heavy
  heavy_wait_timeout:
    description:
      - Seconds to wait for a slot before failing (kind C(heavy_slot)).
    type: int
    default: 3600
"""
