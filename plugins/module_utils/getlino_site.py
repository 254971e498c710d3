# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a getlino-made Lino site looks like on its node, read without running any of it.

``getlino configure`` writes the server's options to ``/etc/getlino/getlino.conf`` (its
``[DEFAULT]`` section: ``sites_base``, ``local_prefix``, ``env_link``, ``supervisor_dir``,
``backups_base``, ``shared_env``, ``monit`` ...). ``getlino startsite <app> <prj>`` then makes
the project folder ``<sites_base>/<local_prefix>/<prj>/`` (``settings.py`` with the database
written inline, ``manage.py``, ``wsgi.py`` or ``asgi.py``, ``media/``, ``make_snapshot.sh``),
a virtualenv at ``<prj>/<env_link>`` (or a symlink there to a shared one), supervisor
programs (``linod-<prj>`` or ``<prj>_linod``, ``<prj>-uwsgi`` or the ASGI
``fcgi-program:<prj>_asgi``), a web server configuration
(``/etc/<nginx|apache2>/sites-available/<prj>.conf``) and a daily cron job
(``/etc/cron.daily/make_snapshot_<prj>``) that stops supervisor for every site of the server.

:func:`describe` turns that into one description (the same shape as a hand-deployed site's,
see :mod:`adopted_site`) plus the reasons, if any, why datamig cannot take the site over.
Nothing here executes the site's code: ``settings.py`` is parsed (``ast``), its
``DATABASES`` must be a literal.
"""

import ast
import configparser
import glob
import os

CONFIG_FILES = ("/etc/getlino/getlino.conf", "/root/.getlino.conf")
# getlino's own defaults (getlino/configure.py) for what a config may leave out
DEFAULTS = {
    "sites_base": "/usr/local/lino",
    "local_prefix": "lino_local",
    "env_link": "env",
    "supervisor_dir": "/etc/supervisor/conf.d",
    "backups_base": "/var/backups/lino",
    "shared_env": "",
    "monit": "false",
    "usergroup": "www-data",
}
VENDORS = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql",
    "django.db.backends.postgresql_psycopg2": "postgresql",
    "django.db.backends.mysql": "mysql",
}
SUPERVISOR_SECTIONS = ("program:", "fcgi-program:")


class NotAGetlinoSite(Exception):
    """The node has no getlino configuration, or no such project."""


def _path(root, path):
    """``path`` (absolute on the node) under ``root`` (a test's fake node is a folder)."""
    return os.path.join(root, path.lstrip("/")) if root != "/" else path


def read_config(root="/", files=CONFIG_FILES):
    """getlino's options (its ``[DEFAULT]`` section, later files winning) and the files read."""
    parser = configparser.ConfigParser(interpolation=None)
    found = parser.read([_path(root, f) for f in files], encoding="utf-8")
    if not found:
        raise NotAGetlinoSite("no getlino configuration ({})".format(", ".join(files)))
    options = dict(DEFAULTS)
    options.update(parser.defaults())
    return options, [f for f in files if _path(root, f) in found]


def projects(options, root="/"):
    """The projects under ``<sites_base>/<local_prefix>``: folders with a settings.py."""
    base = _path(root, os.path.join(options["sites_base"], options["local_prefix"]))
    if not os.path.isdir(base):
        return []
    return sorted(
        name
        for name in os.listdir(base)
        if os.path.isfile(os.path.join(base, name, "settings.py"))
        and os.path.isfile(os.path.join(base, name, "manage.py"))
    )


def read_databases(settings_text, filename="settings.py"):
    """The ``DATABASES`` literal of a settings file, without running it.

    Raises ValueError when the file does not assign DATABASES a literal (then the database
    must be described explicitly)."""
    try:
        tree = ast.parse(settings_text, filename)
    except SyntaxError as exc:
        raise ValueError(
            f"{filename} line {exc.lineno}: Python cannot read it ({exc.msg}); the site cannot start"
            " either"
        ) from None
    value = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DATABASES" for t in node.targets
        ):
            value = node.value
    if value is None:
        raise ValueError(f"{filename} assigns no DATABASES")
    try:
        databases = ast.literal_eval(value)
    except ValueError:
        raise ValueError(
            f"{filename} computes DATABASES (line {value.lineno} is not a literal): describe"
            " the database explicitly"
        ) from None
    if not isinstance(databases, dict) or not isinstance(databases.get("default"), dict):
        raise ValueError(f"{filename}: DATABASES has no 'default' database")
    return databases


def database(settings_text, project_dir, filename="settings.py"):
    """The site's default database: vendor, name, user, host, port, password, storage engine."""
    default = read_databases(settings_text, filename)["default"]
    engine = default.get("ENGINE", "")
    if engine not in VENDORS:
        raise ValueError(f"{filename}: database ENGINE {engine!r} is not one datamig knows")
    vendor = VENDORS[engine]
    name = str(default.get("NAME", ""))
    if vendor == "sqlite" and name and not os.path.isabs(name):
        name = os.path.join(project_dir, name)  # Lino runs manage.py from the project folder
    init = str((default.get("OPTIONS") or {}).get("init_command", ""))
    storage = ""
    if vendor == "mysql" and "default_storage_engine" in init:
        storage = init.split("default_storage_engine", 1)[1].lstrip(" =").split()[0].strip("'\";")
    return {
        "vendor": vendor,
        "engine": engine,
        "name": name,
        "user": str(default.get("USER", "")),
        "password": str(default.get("PASSWORD", "")),
        "host": str(default.get("HOST", "")),
        "port": str(default.get("PORT", "") or ""),
        "storage_engine": storage,
    }


def supervisor_programs(supervisor_dir, project_dir, root="/"):
    """The supervisor programs that run this project: their ``directory`` or ``command``
    points into the project folder (not merely into its virtualenv, which other sites may
    share). An ``fcgi-program``, or one with ``numprocs``, is a group to supervisorctl."""
    found = []
    for conf in sorted(glob.glob(os.path.join(_path(root, supervisor_dir), "*.conf"))):
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read(conf, encoding="utf-8")
        except configparser.Error:
            continue
        for section in parser.sections():
            kind = next((k for k in SUPERVISOR_SECTIONS if section.startswith(k)), None)
            if kind is None:
                continue
            opts = dict(parser.items(section))
            where = " ".join([opts.get("directory", ""), opts.get("command", "")])
            if not _mentions(where, project_dir):
                continue
            name = section[len(kind) :]
            command = opts.get("command", "")
            found.append(
                {
                    "name": name,
                    "section": section,
                    "conf": conf[len(root.rstrip("/")) :] if root != "/" else conf,
                    "user": opts.get("user") or opts.get("username") or "",
                    "command": command,
                    "role": _program_role(name, command),
                    "group": kind == "fcgi-program:"
                    or "%(process_num)" in opts.get("process_name", ""),
                }
            )
    return found


def _mentions(text, path):
    return bool(path) and any(
        word.rstrip("/;\"'") == path.rstrip("/") or word.startswith(path.rstrip("/") + "/")
        for word in text.replace('"', " ").replace("'", " ").split()
    )


def _program_role(name, command):
    """What a program is to the site: the web application, or a background process."""
    if "daphne" in command or "uwsgi" in command or "gunicorn" in command or "asgi" in name:
        return "web"
    return "background"


def app_server(programs, web_conf_text, kind):
    """How the site answers HTTP: daphne (ASGI), uwsgi, gunicorn or Apache mod_wsgi."""
    if kind == "apache2":
        return "mod_wsgi" if "WSGIDaemonProcess" in web_conf_text else ""
    for program in programs:
        if program["role"] == "web":
            for server in ("daphne", "uwsgi", "gunicorn"):
                if server in program["name"] or server in program.get("command", ""):
                    return server
            if program["group"]:
                return "daphne"
    return ""


def web_server(prjname, root="/"):
    """The web server configuration getlino wrote for the project, if any."""
    for kind in ("nginx", "apache2"):
        conf = os.path.join("/etc", kind, "sites-available", prjname + ".conf")
        if os.path.isfile(_path(root, conf)):
            enabled = os.path.join("/etc", kind, "sites-enabled", prjname + ".conf")
            with open(_path(root, conf), encoding="utf-8") as handle:
                text = handle.read()
            return {
                "kind": kind,
                "config": conf,
                "enabled": os.path.lexists(_path(root, enabled)),
                "server_names": _server_names(text, kind),
            }, text
    return None, ""


def _server_names(text, kind):
    names = []
    key = "server_name" if kind == "nginx" else "servername"
    for line in text.splitlines():
        words = line.split("#", 1)[0].replace(";", " ").split()
        if words and words[0].lower() == key:
            names.extend(w for w in words[1:] if w not in names)
    return names


def _real(path, root):
    """``path`` with its symlinks resolved as the node sees them (absolute link targets
    are the node's paths, also when ``root`` is a test's folder)."""
    if root == "/":
        return os.path.realpath(path)
    parts = [p for p in path.split("/") if p]
    resolved = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            resolved = resolved[:-1]
            continue
        if part == ".":
            continue
        candidate = "/" + "/".join([*resolved, part])
        if os.path.islink(_path(root, candidate)) and hops < 40:
            hops += 1
            target = os.readlink(_path(root, candidate))
            if os.path.isabs(target):
                resolved = []
            parts = [p for p in target.split("/") if p] + parts
            continue
        resolved.append(part)
    return "/" + "/".join(resolved)


def describe(prjname, root="/", allow_shared_env=False, files=CONFIG_FILES):
    """The getlino project ``prjname`` as datamig takes it over, and what stops it.

    Returns ``(site, refusals)``: ``site`` a description (:mod:`adopted_site`'s shape),
    ``refusals`` the reasons datamig cannot adopt it (empty: it can). Raises
    NotAGetlinoSite when there is no getlino configuration or no such project."""
    options, config_files = read_config(root, files)
    known = projects(options, root)
    if prjname not in known:
        raise NotAGetlinoSite(
            "no getlino project {!r} under {}/{} (found: {})".format(
                prjname, options["sites_base"], options["local_prefix"], ", ".join(known) or "none"
            )
        )
    python_path = options["sites_base"]
    project_dir = os.path.join(python_path, options["local_prefix"], prjname)
    refusals = []

    settings_file = os.path.join(project_dir, "settings.py")
    with open(_path(root, settings_file), encoding="utf-8") as handle:
        settings_text = handle.read()
    try:
        db = database(settings_text, project_dir, settings_file)
    except ValueError as exc:
        db = None
        refusals.append(str(exc))

    env_link = os.path.join(project_dir, options["env_link"])
    if not os.path.lexists(_path(root, env_link)):
        refusals.append(f"the project has no virtualenv at {env_link}")
    env_real = _real(env_link, root)
    sharing = sorted(
        other
        for other in known
        if other != prjname
        and _real(
            os.path.join(python_path, options["local_prefix"], other, options["env_link"]), root
        )
        == env_real
    )
    if sharing and not allow_shared_env:
        refusals.append(
            "its virtualenv {} is shared with {}: upgrading it upgrades them too; to do so, "
            "adopt with -e datamig_adopt_shared_env=true".format(env_real, ", ".join(sharing))
        )

    programs = supervisor_programs(options["supervisor_dir"], project_dir, root)
    web, web_text = web_server(prjname, root)
    server = app_server(programs, web_text, web["kind"] if web else "")
    if web is None:
        refusals.append(
            f"no web server configuration for {prjname} (nginx or apache2 sites-available)"
        )
    elif not server:
        refusals.append(
            f"found no program that serves {prjname} over HTTP (daphne, uwsgi, gunicorn or mod_wsgi)"
        )

    users = sorted({p["user"] for p in programs if p["user"]})
    cron = "/etc/cron.daily/make_snapshot_" + prjname
    monit_confs = sorted(
        c[len(root.rstrip("/")) :] if root != "/" else c
        for c in glob.glob(_path(root, "/etc/monit/conf.d/*"))
    )
    site = {
        "layout": "getlino",
        "name": prjname,
        "project_dir": project_dir,
        "settings_module": "{}.{}.settings".format(options["local_prefix"], prjname),
        "python_path": python_path,
        "env_link": env_link,
        "venv": env_real,
        "venv_shared_with": sharing,
        "static_root": os.path.join(env_real, "static_root"),
        "media_dir": os.path.join(project_dir, "media"),
        "database": db,
        "programs": programs,
        "app_server": server,
        "web_server": web,
        "run_user": users[0] if len(users) == 1 else (users[0] if users else options["usergroup"]),
        "cron_snapshot": cron if os.path.exists(_path(root, cron)) else "",
        "monit": options["monit"].strip().lower() in ("1", "true", "yes", "on"),
        "monit_confs": monit_confs,
        "config_files": config_files,
    }
    if len(users) > 1:
        refusals.append("its programs run as different users ({})".format(", ".join(users)))
    if db and db["vendor"] == "mysql" and db["storage_engine"].lower() == "myisam":
        site["notes"] = [
            "MyISAM tables have no transactions: the snapshot is consistent only because "
            "the window stops every program of the site first"
        ]
    return site, refusals
