"""A node as ``getlino configure`` and ``getlino startsite`` leave it, made in a folder.

The files come from getlino's own templates and strings (the pinned ``getlino`` package,
requirements/dev.txt), rendered with the context ``startsite`` gives them; getlino itself is
not run (it would install Debian packages and Lino). Read its code with
``pip download --no-deps getlino==26.7.0``.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
from pathlib import Path

import jinja2

GETLINO = Path(importlib.util.find_spec("getlino").submodule_search_locations[0])
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(str(GETLINO / "templates")))


def startsite_strings() -> dict[str, str]:
    """The module-level string constants of getlino/startsite.py (supervisor and cron
    files it writes with str.format), read without importing getlino."""
    tree = ast.parse((GETLINO / "startsite.py").read_text())
    return {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _write(root: Path, path: str, text: str) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def configure(root: Path, **options: str) -> dict[str, str]:
    """/etc/getlino/getlino.conf as ``getlino configure`` writes it (a [DEFAULT] section)."""
    values = {
        "sites_base": "/usr/local/lino",
        "local_prefix": "lino_local",
        "env_link": "env",
        "repos_link": "repositories",
        "supervisor_dir": "/etc/supervisor/conf.d",
        "backups_base": "/var/backups/lino",
        "usergroup": "www-data",
        "web_server": "nginx",
        "db_engine": "mysql",
        "monit": "false",
        **options,
    }
    config = configparser.ConfigParser()
    config["DEFAULT"] = values
    target = root / "etc" / "getlino" / "getlino.conf"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w") as handle:
        config.write(handle)
    return values


def startsite(
    root: Path,
    config: dict[str, str],
    prjname: str,
    *,
    db_engine: str = "mysql",
    db_password: str = "pw-" + "x" * 8,
    asgi: bool = True,
    shared_env: str = "",
    cron: bool = True,
) -> Path:
    """The files ``getlino startsite cosi <prjname>`` writes; returns the project folder."""
    project_dir = f"{config['sites_base']}/{config['local_prefix']}/{prjname}"
    env_link = config["env_link"]
    envdir = shared_env or f"{project_dir}/{env_link}"
    context = {
        "prjname": prjname,
        "project_dir": project_dir,
        "app_settings_module": "lino_cosi.lib.cosi.settings",
        "local_prefix": config["local_prefix"],
        "server_url": f"https://{prjname}.example.org",
        "site_domain": f"{prjname}.example.org",
        "server_domain": "example.org",
        "front_end": "lino_react.react",
        "languages": "en",
        "webdav": False,
        "asgi_server": asgi,
        "secret_key": "k" * 20,
        "db_engine": db_engine,
        "db_name": prjname if db_engine != "sqlite3" else "default.db",
        "db_user": "lino",
        "db_password": db_password,
        "db_host": "localhost",
        "db_port": 3306 if db_engine == "mysql" else 5432,
        "django_settings_module": f"{config['local_prefix']}.{prjname}.settings",
        "envdir": envdir,
        "env_link": env_link,
        "upstream_port": 8001,
        "num_procs": 2,
        "backups_base": config["backups_base"],
        "usergroup": config["usergroup"],
        "python_path": config["sites_base"],
    }
    strings = startsite_strings()
    _write(
        root, f"{project_dir}/settings.py", TEMPLATES.get_template("settings.py").render(**context)
    )
    _write(root, f"{project_dir}/manage.py", TEMPLATES.get_template("manage.py").render(**context))
    _write(
        root,
        f"{project_dir}/make_snapshot.sh",
        TEMPLATES.get_template("make_snapshot.sh").render(**context),
    )
    (root / project_dir.lstrip("/") / "media").mkdir(exist_ok=True)
    # the virtualenv: a real folder, or a symlink to the shared one
    if shared_env:
        (root / shared_env.lstrip("/") / "bin").mkdir(parents=True, exist_ok=True)
        _write(root, f"{shared_env}/bin/python", "#!/bin/sh\n")
        os.symlink(shared_env, root / project_dir.lstrip("/") / env_link)
    else:
        _write(root, f"{envdir}/bin/python", "#!/bin/sh\n")
    supervisor = config["supervisor_dir"]
    web = config["web_server"]
    if asgi:
        _write(root, f"{project_dir}/asgi.py", TEMPLATES.get_template("asgi.py").render(**context))
        conf = TEMPLATES.get_template("daphne_supervisor.conf").render(**context)
        _write(root, f"{supervisor}/{prjname}-asgi.conf", conf)
        site_conf = TEMPLATES.get_template("nginx_asgi.conf").render(**context)
    else:
        _write(root, f"{project_dir}/wsgi.py", TEMPLATES.get_template("wsgi.py").render(**context))
        if web == "nginx":
            _write(
                root,
                f"{project_dir}/nginx/uwsgi.ini",
                TEMPLATES.get_template("uwsgi.ini").render(**context),
            )
            _write(
                root,
                f"{supervisor}/{prjname}-uwsgi.conf",
                strings["UWSGI_SUPERVISOR_CONF"].format(**context),
            )
        _write(root, f"{project_dir}/linod.sh", strings["LINOD_SH"].format(**context))
        _write(
            root,
            f"{supervisor}/linod_{prjname}.conf",
            strings["LINOD_SUPERVISOR_CONF"].format(**context),
        )
        site_conf = TEMPLATES.get_template(f"{web}.conf").render(**context)
    service = "apache2" if web == "apache" else "nginx"
    available = _write(root, f"/etc/{service}/sites-available/{prjname}.conf", site_conf)
    enabled = root / "etc" / service / "sites-enabled" / f"{prjname}.conf"
    enabled.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(available, enabled)
    if cron:
        _write(
            root,
            f"/etc/cron.daily/make_snapshot_{prjname}",
            strings["MAKE_SNAPSHOT_CRON_SH"].format(**context),
        )
    return root / project_dir.lstrip("/")
