"""Disaster recovery with playbooks/restore.yml in recover mode, on real test hosts: a
scheduled snapshot (the command cron runs) copied to a second host over SFTP; recover
mode while the live database still holds data is refused and changes nothing; then the
site's database AND its local snapshot are removed, and the site is recovered from the
off-site copy: it answers 200 and every table's checksum is what it was. The on-demand
off-site copy (playbooks/offsite.yml) pushes the newest local snapshot. The snapshots
are signed with the site's own key in shared/keys; on ANOTHER host, deployed anew (its
own key), the recovery of that off-site copy is refused until datamig_trusted_keys names
the old node's key, then recovers. The same recovery on a PostgreSQL site whose database
was dropped.
"""

from __future__ import annotations

import secrets

import pytest

from tests.hosts import fixtures
from tests.hosts.ansible import run_playbook
from tests.hosts.postgres import start_postgres

from .demo_site import (
    CRON_ENV,
    DEMO,
    as_cron_of,
    cron_job,
    exists,
    get,
    json_lines,
    listing,
    live_checksums,
    offsite_vars,
    private_crontabs,
    read_text,
    site_env_prefix,
    site_key,
    site_vars,
    snapshot_signer,
)

pytestmark = pytest.mark.slow

test_hosts = fixtures.test_hosts

SITE = "demo"
ROOT_DIR = f"/srv/{SITE}"
WRAPPER = f"{ROOT_DIR}/bin/datamig-scheduled-snapshot"
RUN_LOG = f"/var/log/supervisor/{SITE}-scheduled-snapshot.jsonl"
FAR = "/srv/offsite"
LIVE_DB = f"{ROOT_DIR}/shared/db/{SITE}.sqlite3"


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _settled(host) -> None:
    """Maintenance off, lock free."""
    assert not exists(host, f"{ROOT_DIR}/maintenance/maintenance.json")
    assert not exists(host, f"{ROOT_DIR}/datamig.lock")


def _live_db(host) -> str:
    env = read_text(host, f"{ROOT_DIR}/shared/site.env") or ""
    [line] = [line for line in env.splitlines() if line.startswith("DEMO_DB_NAME=")]
    return line.split("=", 1)[1].strip("'")


def test_recover_sqlite_site_from_the_offsite_copy(test_hosts):
    node, far = test_hosts(2)
    private_crontabs(node)
    far.run(f"mkdir -p {FAR} && chmod 0700 {FAR}", check=True)
    variables = site_vars(
        SITE,
        datamig_version="1",
        datamig_release_src=str(DEMO / "v1"),
        datamig_snapshot_keep_last=3,
        **offsite_vars(far, FAR, keep_last=3),
    )
    _assert_ok(run_playbook("playbooks/deploy.yml", [node], variables))
    assert _live_db(node) == LIVE_DB
    node.run(
        site_env_prefix(ROOT_DIR) + "venv/bin/python manage.py demo_fill --rows 400 --seed 7",
        check=True,
    )
    _assert_ok(run_playbook("playbooks/schedule.yml", [node], variables))
    _when, job = cron_job(node, WRAPPER, f"datamig-{SITE}")  # the site user's crontab
    ran = node.run(as_cron_of(f"datamig-{SITE}", job), env=CRON_ENV, timeout=300)  # as cron does
    assert ran.returncode == 0, ran.stdout + ran.stderr
    [record] = json_lines(node, RUN_LOG)
    assert record["outcome"] == "ok", record
    name = record["name"]
    assert listing(far, f"{FAR}/{SITE}") == {name}
    # signed by the site's key in shared/keys (0700, key 0600), not root's default folder
    key = site_key(node, ROOT_DIR)
    assert key["modes"] == ["700", "600"], key
    scheduled = f"{ROOT_DIR}/snapshots/scheduled/{name}"
    assert snapshot_signer(node, ROOT_DIR, scheduled, f"{ROOT_DIR}/shared/keys") == key["key"]
    assert not exists(node, "/root/.config/datamig")
    before = live_checksums(node, ROOT_DIR)
    health = get(node, "/health")
    assert health[0] == 200, health
    assert len(before) > 5

    recover = {
        **variables,
        "datamig_restore_mode": "recover",
        "datamig_snapshot_name": name,
        "datamig_snapshot_source": "offsite",
    }

    # Refused while the live database holds data: a clear message, nothing changed.
    site_env = read_text(node, f"{ROOT_DIR}/shared/site.env")
    refused = run_playbook("playbooks/restore.yml", [node], recover)
    assert refused.returncode != 0, refused.stdout[-3000:]
    assert "holds" in refused.stdout and "nothing was changed" in refused.stdout, refused.stdout[
        -3000:
    ]
    assert live_checksums(node, ROOT_DIR) == before
    assert read_text(node, f"{ROOT_DIR}/shared/site.env") == site_env
    assert not exists(node, f"{ROOT_DIR}/snapshots/recovered")
    assert get(node, "/") == (200, "datamig-demo version 1")
    _settled(node)

    # The disaster: the database and the local snapshot are gone.
    node.run(f"rm -f {LIVE_DB} && rm -rf {ROOT_DIR}/snapshots/scheduled/{name}", check=True)
    # A user's request meanwhile fails, and (SQLite) leaves an empty database file behind.
    assert get(node, "/health")[0] == 500

    # A name the far end does not have, and check mode: refused / only checked, nothing changed.
    missing = run_playbook(
        "playbooks/restore.yml", [node], {**recover, "datamig_snapshot_name": "20991231T000000Z"}
    )
    assert missing.returncode != 0
    assert f"no verified off-site copy 20991231T000000Z (the far end has: {name})" in missing.stdout
    checked = run_playbook("playbooks/restore.yml", [node], recover, args=["--check"])
    _assert_ok(checked)
    assert "would restore" in checked.stdout
    assert get(node, "/health")[0] == 500
    assert not exists(node, f"{ROOT_DIR}/snapshots/recovered/{name}")
    _settled(node)

    recovered = run_playbook("playbooks/restore.yml", [node], recover)
    _assert_ok(recovered)
    assert get(node, "/") == (200, "datamig-demo version 1")
    assert get(node, "/health") == health  # the same number of persons
    assert live_checksums(node, ROOT_DIR) == before
    assert _live_db(node) == LIVE_DB
    _settled(node)
    modes = node.run(f"find {ROOT_DIR}/snapshots/recovered -printf '%y %m\\n'", check=True)
    assert set(modes.stdout.splitlines()) <= {"d 700", "f 600"}, modes.stdout

    # The default mode is unchanged: into a new database beside the live one, verified.
    into_new = run_playbook(
        "playbooks/restore.yml",
        [node],
        {**variables, "datamig_snapshot_dir": f"{ROOT_DIR}/snapshots/recovered/{name}"},
    )
    _assert_ok(into_new)
    release = node.run(f"basename $(readlink {ROOT_DIR}/current)", check=True).stdout.strip()
    assert exists(node, f"{ROOT_DIR}/shared/db/{SITE}-{release}.sqlite3")
    assert _live_db(node) == LIVE_DB and live_checksums(node, ROOT_DIR) == before

    # datamig_force: the rows of a live database that holds data are replaced (local copy).
    node.run(
        site_env_prefix(ROOT_DIR) + "venv/bin/python manage.py shell -c "
        "'from contacts.models import Partner; Partner.objects.update(remarks=\"changed\")'",
        check=True,
    )
    assert live_checksums(node, ROOT_DIR) != before
    forced = run_playbook(
        "playbooks/restore.yml",
        [node],
        {**recover, "datamig_snapshot_source": "local", "datamig_force": True},
    )
    _assert_ok(forced)
    assert live_checksums(node, ROOT_DIR) == before
    assert get(node, "/health") == health
    _settled(node)

    # The on-demand off-site copy: the newest local snapshot (one taken now) is pushed.
    _assert_ok(run_playbook("playbooks/snapshot.yml", [node], variables))
    [newest] = [n for n in listing(node, f"{ROOT_DIR}/snapshots") if n[:1].isdigit()]
    pushed = run_playbook("playbooks/offsite.yml", [node], variables)
    _assert_ok(pushed)
    assert listing(far, f"{FAR}/{SITE}") == {name, newest}
    again = run_playbook(
        "playbooks/offsite.yml", [node], {**variables, "datamig_snapshot_name": newest}
    )
    _assert_ok(again)
    assert '"already_offsite": true' in again.stdout  # verified at the far end, not sent again
    _settled(node)

    # Disaster recovery on ANOTHER host: the site deployed there anew, with its own key.
    [new] = test_hosts(1)
    private_crontabs(new)
    _assert_ok(run_playbook("playbooks/deploy.yml", [new], variables))
    _assert_ok(run_playbook("playbooks/schedule.yml", [new], variables))
    new_key = site_key(new, ROOT_DIR)
    assert new_key["key"] != key["key"] and new_key["modes"] == ["700", "600"]
    new.run(f"rm -f {LIVE_DB}", check=True)
    # The old node's copy is signed by a key this host does not trust: refused.
    untrusted = run_playbook("playbooks/restore.yml", [new], recover)
    assert untrusted.returncode != 0
    assert f"signed by key {key['key']}" in untrusted.stdout, untrusted.stdout[-3000:]
    assert "does not trust" in untrusted.stdout
    assert not exists(new, f"{ROOT_DIR}/snapshots/recovered/{name}")
    _settled(new)
    # With the old node's public key trusted (datamig_trusted_keys), it recovers.
    trusting = {**recover, "datamig_trusted_keys": [key["public_key"]]}
    recovered_elsewhere = run_playbook("playbooks/restore.yml", [new], trusting)
    _assert_ok(recovered_elsewhere)
    assert get(new, "/") == (200, "datamig-demo version 1")
    assert get(new, "/health") == health
    assert live_checksums(new, ROOT_DIR) == before
    assert key["key"] in site_key(new, ROOT_DIR)["trusted_keys"]
    _settled(new)


PG_SITE = "pgdemo"
PG_ROOT = f"/srv/{PG_SITE}"
PG_USER = "pgdemo"


def test_recover_postgresql_site_from_the_offsite_copy(test_hosts):
    """The same on a PostgreSQL site (the test host's own server, password authentication):
    the database dropped, recovered from the off-site copy with -vvv; the password never
    shows."""
    node, far = test_hosts(2)
    private_crontabs(node)
    far.run(f"mkdir -p {FAR} && chmod 0700 {FAR}", check=True)
    password = "pw-" + secrets.token_hex(12)
    server = start_postgres(node, PG_USER, password)
    variables = site_vars(
        PG_SITE,
        datamig_version="1",
        datamig_release_src=str(DEMO / "v1"),
        datamig_db_vendor="postgresql",
        datamig_db_name=PG_SITE,
        datamig_site_env={
            "DEMO_DB_HOST": "127.0.0.1",
            "DEMO_DB_PORT": "5432",
            "DEMO_DB_USER": PG_USER,
            "DEMO_DB_PASSWORD": password,
        },
        datamig_site_env_secret_keys=["DEMO_DB_PASSWORD"],
        **offsite_vars(far, FAR),
    )
    _assert_ok(run_playbook("playbooks/deploy.yml", [node], variables))
    node.run(
        site_env_prefix(PG_ROOT) + "venv/bin/python manage.py demo_fill --rows 400 --seed 8",
        check=True,
    )
    _assert_ok(run_playbook("playbooks/schedule.yml", [node], variables))
    pg_user = f"datamig-{PG_SITE}"
    _when, job = cron_job(node, f"{PG_ROOT}/bin/datamig-scheduled-snapshot", pg_user)
    ran = node.run(as_cron_of(pg_user, job), env=CRON_ENV, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    [record] = json_lines(node, f"/var/log/supervisor/{PG_SITE}-scheduled-snapshot.jsonl")
    assert record["outcome"] == "ok", record
    name = record["name"]
    assert listing(far, f"{FAR}/{PG_SITE}") == {name}
    before = live_checksums(node, PG_ROOT)
    health = get(node, "/health")

    # The disaster: the server's database and the local snapshot are gone.
    server.psql(f"DROP DATABASE {PG_SITE} WITH (FORCE)")
    node.run(f"rm -rf {PG_ROOT}/snapshots/scheduled/{name}", check=True)
    assert PG_SITE not in server.databases()
    assert get(node, "/health")[0] == 500

    recovered = run_playbook(
        "playbooks/restore.yml",
        [node],
        {
            **variables,
            "datamig_restore_mode": "recover",
            "datamig_snapshot_name": name,
            "datamig_snapshot_source": "offsite",
        },
        args=["-vvv"],
    )
    _assert_ok(recovered)
    assert password not in recovered.stdout + recovered.stderr
    assert PG_SITE in server.databases()
    assert get(node, "/health") == health
    assert live_checksums(node, PG_ROOT) == before
    assert not exists(node, f"{PG_ROOT}/maintenance/maintenance.json")
    assert not exists(node, f"{PG_ROOT}/datamig.lock")
