"""A hand-deployed Django site, adopted, upgraded and rolled back by the real playbooks.

The site is made on a test host the way people deploy Django by hand, not by datamig: a
project folder /srv/handsite with its own settings module (the database written inline)
and manage.py, the application's code in /srv/handsite/app (the demo site, version 1,
installed into the virtualenv /srv/handsite/venv as ``pip install -e`` would), gunicorn
and a background worker under the system's supervisor as the site's own user, and nginx in
front. Then:

- ``playbooks/adopt.yml`` takes it over while a poller GETs it: every answer 200, its
  tables unchanged, the virtualenv's path now a link into datamig's root, a second run
  changes nothing;
- ``playbooks/snapshot.yml`` and ``playbooks/schedule.yml`` work on it, the scheduled
  snapshot run from the site's user's crontab;
- ``playbooks/upgrade.yml`` upgrades it to version 2: served by the new code through the
  site's own nginx and supervisor program, every table as the engine's own migration of
  the same data predicts, users seeing the site or its maintenance page, never an error,
  the worker stopped while rows move and running again after; on PostgreSQL the site's
  user may not create databases (as getlino leaves it): postgres makes the new one, the
  site's user owns it;
- ``playbooks/rollback.yml`` puts version 1 and its database back exactly.
"""

from __future__ import annotations

import datetime
import json
import secrets
import shlex

import pytest

from tests.hosts.ansible import run_playbook
from tests.hosts.postgres import start_postgres
from tests.integration.demo_site import (
    ALLOW_LOSS_1_TO_2,
    DEMO,
    GUNICORN,
    Poller,
    as_cron_of,
    cron_job,
    expected_checksums,
    get,
    journal,
    live_checksums,
    private_crontabs,
    read_text,
    recap_changed,
    reports,
    site_vars,
    wheelhouse,
)

pytestmark = pytest.mark.slow

SITE = "handsite"
PROJECT = f"/srv/{SITE}"
ROOT_DIR = f"/srv/datamig/{SITE}"
USER = "dmt-handsite"
SQLITE_DB = f"{PROJECT}/db/{SITE}.sqlite3"
PG_USER = "handsite"
PG_PASSWORD = "hand-Pw-" + secrets.token_hex(6)
APP = "127.0.0.1:8011"
SETTINGS = "hand_settings"
VAR = "HANDSITE_DB_NAME"

HAND_SETTINGS = f"""# The operator's own settings of {SITE}: the application's, the database inline.
from demo_site.settings import *  # noqa: F403

DATABASES = {{{{"default": {{database}}}}}}
"""


def _database(vendor: str) -> dict[str, str]:
    """The site's database as its settings write it (Django's keys) - SQLite in the
    project folder, or PostgreSQL on the host's own server, its password inline."""
    if vendor == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_DB}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": SITE,
        "USER": PG_USER,
        "PASSWORD": PG_PASSWORD,
        "HOST": "127.0.0.1",
        "PORT": "5432",
    }


def _settings(vendor: str) -> str:
    return HAND_SETTINGS.format(database=repr(_database(vendor)))


MANAGE = f"""#!{PROJECT}/venv/bin/python
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{SETTINGS}")
from django.core.management import execute_from_command_line

execute_from_command_line(sys.argv)
"""
HEARTBEAT = f"{PROJECT}/db/worker.log"
CRON_JOB = f"{PROJECT}/nightly-backup.sh"  # as cron.daily would run it
WORKER = (
    "import time\n"
    "while True:\n"
    f"    with open({HEARTBEAT!r}, 'a') as log: print(time.time(), file=log)\n"
    "    time.sleep(0.2)\n"
)
SUPERVISOR = f"""[program:{SITE}-worker]
command={PROJECT}/venv/bin/python {PROJECT}/worker.py
directory={PROJECT}
user={USER}
autostart=true
startsecs=1
stopasgroup=true

[program:{SITE}]
command={PROJECT}/venv/bin/gunicorn --bind {APP} --workers 2 demo_site.wsgi:application
directory={PROJECT}
environment=DJANGO_SETTINGS_MODULE="{SETTINGS}"
user={USER}
autostart=true
startsecs=2
stopasgroup=true
killasgroup=true
"""
NGINX = """server {{
    listen {address}:80;
    server_name _;
    location / {{
        proxy_pass http://{app};
        proxy_set_header Host $host;
    }}
}}
"""


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _write(host, path: str, text: str, mode: str = "0644") -> None:
    host.run(f"cat > {path} && chmod {mode} {path}", input=text, check=True)


def _build_site(host, vendor: str) -> None:
    """The hand-deployed site, serving version 1 with data (nothing of datamig's)."""
    inherit = site_vars(SITE)["datamig_venv_inherit_site_packages"]
    host.run(
        f"id -u {USER} >/dev/null 2>&1 || useradd --system --no-create-home "
        f"--shell /usr/sbin/nologin {USER}",
        check=True,
    )
    host.run(
        f"mkdir -p {PROJECT}/db && cp -r {DEMO}/v1 {PROJECT}/app"
        f" && /usr/bin/python3 -m venv {PROJECT}/venv"
        f" && purelib=$({PROJECT}/venv/bin/python -c "
        "'import sysconfig; print(sysconfig.get_paths()[\"purelib\"])')"
        f" && echo {shlex.quote(f'import site; site.addsitedir({inherit!r})')} > $purelib/_base.pth"
        f" && echo {PROJECT}/app > $purelib/_app.pth"
        f" && {PROJECT}/venv/bin/pip install -q --no-index --find-links {wheelhouse()} {GUNICORN}"
        f" && chown -R {USER}: {PROJECT}/db",
        check=True,
    )
    _write(host, f"{PROJECT}/{SETTINGS}.py", _settings(vendor), "0640")
    host.run(f"chgrp {USER} {PROJECT}/{SETTINGS}.py", check=True)  # its password: the site's
    _write(host, f"{PROJECT}/manage.py", MANAGE, "0755")
    _write(host, f"{PROJECT}/worker.py", WORKER)
    _write(host, CRON_JOB, f"#!/bin/sh\nsupervisorctl stop all\ncp -r {PROJECT}/db /tmp\n", "0755")
    as_user = f"cd {PROJECT} && setpriv --reuid={USER} --regid=$(id -g {USER}) --init-groups -- "
    host.run(as_user + "venv/bin/python manage.py migrate --noinput -v0", check=True)
    host.run(as_user + "venv/bin/python manage.py demo_fill --rows 400 --seed 7", check=True)
    _write(host, f"/etc/supervisor/conf.d/{SITE}.conf", SUPERVISOR)
    _write(
        host, f"/etc/nginx/sites-enabled/{SITE}.conf", NGINX.format(address=host.address, app=APP)
    )
    conf = "/etc/supervisor/supervisord.conf"
    host.run(
        f"supervisorctl -c {conf} pid 2>/dev/null | grep -qxE '[0-9]+' || supervisord -c {conf};"
        f" for i in $(seq 50); do supervisorctl -c {conf} pid 2>/dev/null | grep -qxE '[0-9]+'"
        " && break; sleep 0.2; done;"
        f" supervisorctl -c {conf} update; nginx -t && (nginx -s reload 2>/dev/null || nginx)",
        check=True,
    )
    for _attempt in range(50):
        status, body = get(host, "/")
        if status == 200:
            break
        host.run("sleep 0.2")
    assert status == 200 and "version 1" in body, (status, body)


def _checksums_by_hand(host) -> dict[str, str]:
    """Every table's checksum read with the site's own settings (before datamig's root exists)."""
    out = host.run(
        f"cd {PROJECT} && DJANGO_SETTINGS_MODULE={SETTINGS} venv/bin/python -m datamig checksum"
        f" --settings {SETTINGS} --pythonpath {PROJECT} --json",
        check=True,
    ).stdout
    return {table: t["sha256"] for table, t in json.loads(out)["tables"].items()}


def _vars(vendor: str, **extra):
    database = _database(vendor)
    if vendor == "postgresql":  # its new database made by postgres, owned by the site's user
        extra = {"datamig_db_admin": "postgres", "datamig_db_owner": PG_USER, **extra}
    return site_vars(
        SITE,
        datamig_site_root=ROOT_DIR,
        datamig_settings=SETTINGS,
        datamig_db_name_var=VAR,
        datamig_db_vendor_var="",
        datamig_db_vendor=vendor,
        datamig_program=SITE,
        datamig_programs=[SITE, f"{SITE}-worker"],
        datamig_app_bind=APP,
        datamig_site_user=USER,
        # as for a site without datamig's JSON health page (a Lino site): its front page
        # answering 200 is healthy, and the live version is the one the journal records
        datamig_health_format="status",
        datamig_health_path="/",
        datamig_adopt_layout="django",
        datamig_adopt_version="1",
        datamig_adopt_description={
            "project_dir": PROJECT,
            "settings_module": SETTINGS,
            "venv": f"{PROJECT}/venv",
            "database": {"vendor": vendor, "name": database["NAME"]},
            "programs": [SITE, {"name": f"{SITE}-worker", "role": "background"}],
            "app_server": "gunicorn",
            "web_server": {"kind": "nginx", "config": f"/etc/nginx/sites-enabled/{SITE}.conf"},
            "run_user": USER,
            "cron_jobs": [CRON_JOB],
        },
        **extra,
    )


def _live_db(host) -> str:
    env = read_text(host, f"{ROOT_DIR}/shared/site.env") or ""
    [line] = [line for line in env.splitlines() if line.startswith(f"{VAR}=")]
    return shlex.split(line.split("=", 1)[1])[0]


def _when(stamp: str) -> float:
    """A journal time (UTC, ISO) as seconds since the epoch."""
    return (
        datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
        .replace(tzinfo=datetime.timezone.utc)
        .timestamp()
    )


def _gunicorn_users(host) -> set[str]:
    listing = host.run("ps -eo user:32,args", check=True).stdout.splitlines()
    return {line.split()[0] for line in listing if "gunicorn" in line and APP in line}


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_a_hand_deployed_site_is_adopted_upgraded_and_rolled_back(test_host, tmp_path, vendor):
    host = test_host
    db = _database(vendor)["NAME"]
    server = None
    if vendor == "postgresql":
        server = start_postgres(host, PG_USER, PG_PASSWORD)
        # as getlino leaves it: the database made by postgres, the site's user may make none
        server.psql(f"ALTER ROLE {PG_USER} NOCREATEDB")
        server.psql(f"CREATE DATABASE {SITE} OWNER {PG_USER}")
    _build_site(host, vendor)
    before = _checksums_by_hand(host)
    hosts = [host]

    with Poller(host) as adopting:
        adopted = run_playbook("playbooks/adopt.yml", hosts, _vars(vendor))
    _assert_ok(adopted)
    assert adopting.seen and adopting.statuses() == [200], adopting.statuses()
    assert host.run(f"readlink {PROJECT}/venv", check=True).stdout.strip() == (
        f"{ROOT_DIR}/current/venv"
    )
    assert host.run(f"test -d {PROJECT}/venv.datamig-adopted").returncode == 0
    assert _live_db(host) == db
    settings = read_text(host, f"{PROJECT}/{SETTINGS}.py") or ""
    assert settings.startswith(_settings(vendor)) and "datamig.live_database" in settings
    assert live_checksums(host, ROOT_DIR, SETTINGS) == before
    guard = (read_text(host, CRON_JOB) or "").splitlines()[1:3]
    assert guard[1] == f"[ -e {ROOT_DIR}/maintenance/maintenance.json ] && exit 0", guard
    again = run_playbook("playbooks/adopt.yml", hosts, _vars(vendor))
    _assert_ok(again)
    assert recap_changed(again, host.name) == 0, again.stdout[-3000:]

    # snapshots and schedules work on it before any upgrade, as the site's own user
    _assert_ok(run_playbook("playbooks/snapshot.yml", hosts, _vars(vendor)))
    assert len(host.run(f"ls {ROOT_DIR}/snapshots", check=True).stdout.split()) == 1
    private_crontabs(host)
    _assert_ok(run_playbook("playbooks/schedule.yml", hosts, _vars(vendor)))
    _times, command = cron_job(host, "datamig-scheduled-snapshot", USER)
    ran = host.run(as_cron_of(USER, command))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    [scheduled] = host.run(f"ls {ROOT_DIR}/snapshots/scheduled", check=True).stdout.split()
    owner = host.run(f"stat -c %U {ROOT_DIR}/snapshots/scheduled/{scheduled}", check=True)
    assert owner.stdout.strip() == USER

    expected = expected_checksums(
        host, ROOT_DIR, DEMO / "v2", ALLOW_LOSS_1_TO_2, tmp_path, vendor, settings=SETTINGS
    )
    upgrade_vars = _vars(
        vendor,
        datamig_version="2",
        datamig_release_src=str(DEMO / "v2"),
        datamig_allow_loss=ALLOW_LOSS_1_TO_2,
    )
    # a mistyped health format is refused in the preflight, before anything changes
    current = host.run(f"readlink {ROOT_DIR}/current", check=True).stdout
    typo = run_playbook(
        "playbooks/upgrade.yml", hosts, {**upgrade_vars, "datamig_health_format": "jsno"}
    )
    assert typo.returncode != 0 and "datamig_health_format jsno: json" in typo.stdout
    assert "failed at step preflight" in typo.stdout, typo.stdout[-3000:]
    assert host.run(f"readlink {ROOT_DIR}/current", check=True).stdout == current

    with Poller(host) as upgrading:
        upgraded = run_playbook("playbooks/upgrade.yml", hosts, upgrade_vars)
    _assert_ok(upgraded)
    status, body = get(host, "/")
    assert status == 200 and "version 2" in body, (status, body)
    assert set(upgrading.statuses()) <= {200, 503}, upgrading.statuses()
    assert all("being upgraded" in page for page in upgrading.bodies(503))
    assert any("version 2" in page for page in upgrading.bodies(200))
    [report] = [r for r in reports(host, ROOT_DIR) if r.get("outcome") == "upgraded"]
    assert report["version_to"] == "2" and report["version_from"] == "1"
    new_db = _live_db(host)
    assert new_db != db and new_db == report["database_to"]
    if server is None:
        assert new_db.startswith(f"{ROOT_DIR}/shared/db/")
    else:  # beside the old one on the same server, made by postgres, the site's user its owner
        assert {db, new_db} <= server.databases()
        owner = server.psql(
            f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{new_db}'"
        )
        assert owner == PG_USER
    assert PG_PASSWORD not in upgraded.stdout + upgraded.stderr + adopted.stdout
    assert live_checksums(host, ROOT_DIR, SETTINGS) == expected
    assert _gunicorn_users(host) == {USER}
    # the site's own processes find the new code through the path they always used
    real = host.run(f"readlink -f {PROJECT}/venv/bin/python", check=True).stdout.strip()
    assert real.startswith("/usr/bin/python3")
    venv = host.run(f"readlink -f {PROJECT}/venv", check=True).stdout.strip()
    assert venv == report["release_to"] + "/venv"

    # the worker was stopped while rows moved, and runs again (with the new code)
    beats = [float(t) for t in (read_text(host, HEARTBEAT) or "").split()]
    steps = {
        (r["step"], r["status"]): _when(r["time"])
        for r in journal(host, ROOT_DIR)
        if r["run_id"] == report["run_id"]
    }
    moving = (steps[("snapshot", "started")], steps[("switch", "started")])
    assert not [t for t in beats if moving[0] <= t <= moving[1]], moving
    assert any(t > steps[("switch", "done")] for t in beats)

    rolled_back = run_playbook("playbooks/rollback.yml", hosts, _vars(vendor))
    _assert_ok(rolled_back)
    status, body = get(host, "/")
    assert status == 200 and "version 1" in body, (status, body)
    assert _live_db(host) == db
    assert live_checksums(host, ROOT_DIR, SETTINGS) == before
    assert _checksums_by_hand(host) == before
