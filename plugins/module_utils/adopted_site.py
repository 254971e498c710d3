# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A site datamig did not deploy, as datamig records it when it adopts the site.

One shape for every layout: a getlino-made Lino site (:mod:`getlino_site` reads it off the
node) and a hand-deployed Django site (the operator describes it; :func:`from_description`
checks that description against the node). Both give the project folder, the settings
module and the Python path it needs, the virtualenv, the database, the programs to stop
and start, the web server's configuration and the user the programs run as.

:func:`public` is what may be shown and stored: the database password never is.
"""

import os

VENDORS = ("sqlite", "postgresql", "mysql")
APP_SERVERS = ("gunicorn", "uwsgi", "daphne", "mod_wsgi")
WEB_SERVERS = ("nginx", "apache2")
REQUIRED = ("name", "project_dir", "settings_module", "venv", "database", "programs", "web_server")


def from_description(description, exists=os.path.exists):
    """``(site, refusals)`` for a hand-deployed Django site described by the operator.

    ``description``: ``name``, ``project_dir``, ``settings_module``, ``python_path``
    (default: the project folder), ``venv``, ``database`` (``vendor``, ``name``, and
    ``user``/``host``/``port``/``password`` for a server), ``programs`` (supervisor program
    names, or dicts with ``name`` and ``role``: ``web`` or ``background``), ``app_server``,
    ``web_server`` (``kind``, ``config``), ``run_user``, ``cron_jobs`` (scripts that must not
    run during an upgrade). Every problem is named; none is fixed by guessing."""
    refusals = []
    if not isinstance(description, dict):
        return None, [f"the site description must be a mapping, not {type(description).__name__}"]
    missing = [key for key in REQUIRED if not description.get(key)]
    if missing:
        refusals.append("the site description lacks {}".format(", ".join(missing)))
    project_dir = str(description.get("project_dir") or "")
    venv = str(description.get("venv") or "")
    for label, path in (("project_dir", project_dir), ("venv", venv)):
        if path and not os.path.isabs(path):
            refusals.append(f"{label} must be an absolute path, not {path!r}")
        elif path and not exists(path):
            refusals.append(f"{label} {path} does not exist on the node")
    if venv and exists(venv) and not exists(os.path.join(venv, "bin", "python")):
        refusals.append(f"venv {venv} has no bin/python: not a virtualenv")

    db = description.get("database") or {}
    if not isinstance(db, dict):
        refusals.append("database must be a mapping (vendor, name, ...)")
        db = {}
    vendor = db.get("vendor", "")
    if db and vendor not in VENDORS:
        refusals.append("database vendor {!r} is not one of {}".format(vendor, ", ".join(VENDORS)))
    if db and not db.get("name"):
        refusals.append("database has no name")

    programs = []
    for entry in description.get("programs") or []:
        program = {"name": entry, "role": "web"} if isinstance(entry, str) else dict(entry)
        if not program.get("name"):
            refusals.append(f"a program has no name: {entry!r}")
            continue
        if program.get("role", "web") not in ("web", "background"):
            refusals.append("program {}: role must be web or background".format(program["name"]))
        program.setdefault("role", "web")
        program.setdefault("group", False)
        programs.append(program)

    web = description.get("web_server") or {}
    if not isinstance(web, dict):
        refusals.append("web_server must be a mapping (kind, config)")
        web = {}
    if web and web.get("kind") not in WEB_SERVERS:
        refusals.append(
            "web_server kind {!r} is not one of {}".format(web.get("kind"), ", ".join(WEB_SERVERS))
        )
    if web and web.get("config") and not exists(web["config"]):
        refusals.append(
            "web server configuration {} does not exist on the node".format(web["config"])
        )
    server = description.get("app_server") or ""
    if server and server not in APP_SERVERS:
        refusals.append("app_server {!r} is not one of {}".format(server, ", ".join(APP_SERVERS)))

    site = {
        "layout": "django",
        "name": description.get("name", ""),
        "project_dir": project_dir,
        "settings_module": description.get("settings_module", ""),
        "python_path": description.get("python_path") or project_dir,
        "env_link": description.get("env_link") or venv,
        "venv": venv,
        "venv_shared_with": list(description.get("venv_shared_with") or []),
        "static_root": description.get("static_root", ""),
        "media_dir": description.get("media_dir", ""),
        "database": {
            "vendor": vendor,
            "name": str(db.get("name", "")),
            "user": str(db.get("user", "")),
            "password": str(db.get("password", "")),
            "host": str(db.get("host", "")),
            "port": str(db.get("port", "") or ""),
            "storage_engine": str(db.get("storage_engine", "")),
        },
        "programs": programs,
        "app_server": server,
        "web_server": {
            "kind": web.get("kind", ""),
            "config": web.get("config", ""),
            "server_names": [],
        },
        "run_user": description.get("run_user", ""),
        "cron_snapshot": description.get("cron_snapshot", ""),
        "cron_jobs": list(description.get("cron_jobs") or []),
        "monit": bool(description.get("monit", False)),
        "monit_confs": list(description.get("monit_confs") or []),
        "config_files": [],
    }
    return site, refusals


def public(site):
    """The description without the database password (``password_set`` says if it has one)."""
    if site is None:
        return None
    shown = dict(site)
    db = dict(shown.get("database") or {})
    if db:
        db["password_set"] = bool(db.pop("password", ""))
        shown["database"] = db
    return shown


def inventory_vars(site, root, db_name_var):
    """The variables the upgrade, rollback, snapshot and schedule playbooks need for the
    site once it is taken over, as far as the site says them (what it does not say - the
    address its web program listens on - the operator adds: ``datamig_app_bind``).

    Programs: the web ones first (``datamig_program`` is the first of them), a supervisor
    group as ``name:*``. A getlino site has no health page of datamig's: its front page
    answering 200 is its health. A getlino site on a database server has a user who may not
    create databases: the server's administrator makes the new one (``datamig_db_admin``)."""
    programs = sorted(
        site.get("programs") or [], key=lambda p: (p.get("role", "web") != "web", p["name"])
    )
    names = [p["name"] + (":*" if p.get("group") else "") for p in programs]
    db = site.get("database") or {}
    out = {
        "datamig_site_root": root,
        "datamig_settings": site["settings_module"],
        "datamig_db_name_var": db_name_var,
        "datamig_db_vendor": db.get("vendor") or "sqlite",
    }
    if names:
        out["datamig_program"] = names[0]
        if len(names) > 1:
            out["datamig_programs"] = names
    if site.get("run_user"):
        out["datamig_site_user"] = site["run_user"]
    if site.get("layout") == "getlino":
        out["datamig_health_format"] = "status"
        out["datamig_health_path"] = "/"
        if db.get("vendor") in ("postgresql", "mysql") and db.get("user"):
            out["datamig_db_admin"] = "postgres" if db["vendor"] == "postgresql" else "root"
            out["datamig_db_owner"] = db["user"]
    return out
