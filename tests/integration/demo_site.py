"""What the integration tests share: the demo site's variables on a test host, its
answers over HTTP, its table checksums, the expected content of an upgrade, a poller
that records what users see during a run, and the broken versions the failure tests use.

The host shares this machine's filesystem except its private folders (/srv, /etc/nginx,
/etc/supervisor, /var/log, /run, /tmp, /root), so the site's virtualenvs are made with the
host's /usr/bin/python3 (3.11, as .venv) and see .venv's packages (Django, the engine,
the database drivers) through ``datamig_venv_inherit_site_packages``; only gunicorn is
installed into each release, from a local wheelhouse (test hosts have no network).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
import tarfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.engine.helpers import DEMO_SITE, Database
from tests.hosts.ansible import ROOT
from tests.hosts.netns import TestHost

DEMO = ROOT / "examples" / "demo"
ALLOW_LOSS_1_TO_2 = ["contacts.Partner.phone", "notes.Mention"]
WHEELS = ROOT / ".work" / "wheels"
GUNICORN = "gunicorn==23.0.0"
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def wheelhouse() -> Path:
    """The releases' requirements as wheels (test hosts have no network): tools/bootstrap
    fills .work/wheels from requirements/wheelhouse.txt; nothing is downloaded here."""
    found = list(WHEELS.glob("gunicorn-23.0.0-*.whl"))
    assert found, f"no gunicorn 23.0.0 wheel in {WHEELS}: run tools/bootstrap"
    return WHEELS


def site_vars(site: str, **extra: Any) -> dict[str, Any]:
    return {
        "datamig_release_requirements": [GUNICORN],
        "datamig_pip_extra_args": f"--no-index --find-links {wheelhouse()}",
        "datamig_site": site,
        # the demo site's settings and the variables of shared/site.env they read
        "datamig_settings": "demo_site.settings",
        "datamig_db_vendor_var": "DEMO_DB_VENDOR",
        "datamig_db_name_var": "DEMO_DB_NAME",
        "datamig_base_python": "/usr/bin/python3",  # /root (pyenv) is private to the host
        "datamig_venv_inherit_site_packages": sysconfig.get_paths()["purelib"],
        "datamig_health_retries": 30,
        "datamig_fleet_report_dir": str(ROOT / ".work" / "fleet-reports"),
        **extra,
    }


def get(host: TestHost, path: str = "/", timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://{host.address}{path}", timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def site_env_prefix(site_root: str) -> str:
    return f"set -a; . {site_root}/shared/site.env; set +a; cd {site_root}/current && "


def as_owner_of(path: str) -> str:
    """A shell prefix that runs the rest as the owner of ``path`` (the engine accepts only a
    key folder of its own user: the site's keys are the site's user's)."""
    return f"setpriv --reuid=$(stat -c %u {path}) --regid=$(stat -c %g {path}) --clear-groups -- "


def site_key(host: TestHost, site_root: str) -> dict[str, Any]:
    """The site's signing key folder, shared/keys, as ``datamig key show`` sees it (the
    folder must exist: nothing is made), with the folder's and the key's modes and owners."""
    folder = f"{site_root}/shared/keys"
    stat = host.run(f"stat -c '%a %U' {folder} {folder}/signing.key", check=True).stdout.split()
    shown = host.run(
        as_owner_of(folder)
        + f"{site_root}/current/venv/bin/python -m datamig key show --key-dir {folder} --json",
        check=True,
    )
    return {**json.loads(shown.stdout), "modes": stat[0::2], "owners": stat[1::2]}


def snapshot_signer(host: TestHost, site_root: str, snapshot: str, key_dir: str) -> str:
    """The key id that signed ``snapshot``, checked with ``key_dir`` by its owner (an
    AssertionError with the engine's message when that folder does not accept it)."""
    result = host.run(
        as_owner_of(key_dir) + f"{site_root}/current/venv/bin/python -m datamig verify {snapshot} "
        f"--key-dir {key_dir} --json"
    )
    data = json.loads(result.stdout)
    assert result.returncode == 0 and data.get("signed"), result.stdout + result.stderr
    return data["key"]


def live_checksums(
    host: TestHost, site_root: str, settings: str = "demo_site.settings"
) -> dict[str, str]:
    """Per table checksum of the database shared/site.env names, with the live code."""
    result = host.run(
        site_env_prefix(site_root)
        + f"venv/bin/python -m datamig checksum --settings {settings} --pythonpath . --json",
        check=True,
    )
    return {table: t["sha256"] for table, t in json.loads(result.stdout)["tables"].items()}


def expected_checksums(
    host: TestHost,
    site_root: str,
    target: Path,
    allow_loss: list[str],
    work: Path,
    vendor: str = "sqlite",
    settings: str = "demo_site.settings",
) -> dict[str, str]:
    """The table checksums the live database must have after an upgrade to ``target``:
    a snapshot taken on the host with the live code, restored here with the target's
    code into a scratch SQLite database (the path tests/engine/test_versions.py proves
    row by row; checksums are vendor-neutral)."""
    snap = f"{site_root}/expected-snapshot"
    host.run(
        f"rm -rf {snap}; "
        + site_env_prefix(site_root)
        + f"venv/bin/python -m datamig snapshot --settings {settings} --pythonpath . -o {snap} --json",
        check=True,
    )
    local = work / "expected-snapshot"
    local.mkdir()
    archive = work / "expected-snapshot.tar"
    with archive.open("wb") as out:  # from inside the host: the site root may be its own mount
        host.run(["tar", "-C", snap, "-cf", "-", "."], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(local, filter="data")
    host.run(f"rm -rf {snap}", check=True)
    # signed by the host's key (its own ~/.config/datamig/keys): trusted here, as an
    # operator would trust a node's key before restoring its snapshots elsewhere
    public = host.run(
        f"cd {site_root}/current && venv/bin/python -m datamig key show --json", check=True
    ).stdout
    subprocess.run(
        [PYTHON, "-m", "datamig", "key", "trust", "-"],
        input=json.loads(public.strip().splitlines()[-1])["public_key"],
        text=True,
        check=True,
        capture_output=True,
    )
    if vendor == "sqlite":
        env = {"DEMO_DB_VENDOR": "sqlite", "DEMO_DB_NAME": str(work / "expected.sqlite3")}
    else:  # this machine's server (SQLite cannot hold every PostgreSQL decimal exactly)
        env = {"DEMO_DB_VENDOR": vendor, "DEMO_DB_NAME": f"dmtest_expected_{uuid.uuid4().hex[:10]}"}
    common = ["--settings", "demo_site.settings", "--pythonpath", str(target)]
    loss = [arg for item in allow_loss for arg in ("--allow-loss", item)]
    try:
        lost = ["--lost-values", str(work / "expected-lost-values.jsonl")]
        _local(
            [PYTHON, "-m", "datamig", "restore", str(local), *common, *loss, *lost, "--json"], env
        )
        out = _local([PYTHON, "-m", "datamig", "checksum", *common, "--json"], env)
    finally:
        if vendor != "sqlite":
            Database(vendor, env["DEMO_DB_NAME"], site=DEMO_SITE).drop()
    return {table: t["sha256"] for table, t in json.loads(out)["tables"].items()}


def _local(argv: list[str], env: dict[str, str]) -> str:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith(("DEMO_", "DJANGO_"))}
    result = subprocess.run(
        argv, env={**full, **env}, capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def read_text(host: TestHost, path: str) -> str | None:
    """A file's text as the host sees it (None if missing): the site root may be a mount
    of the host's own, which host.fs does not show."""
    result = host.run(["cat", path])
    return result.stdout if result.returncode == 0 else None


def exists(host: TestHost, path: str) -> bool:
    return host.run(["test", "-e", path]).returncode == 0


def reports(host: TestHost, site_root: str) -> list[dict[str, Any]]:
    names = host.run(f"ls {site_root}/reports/*.json 2>/dev/null | sort").stdout.split()
    return [json.loads(read_text(host, name) or "null") for name in names]


def journal(host: TestHost, site_root: str) -> list[dict[str, Any]]:
    text = read_text(host, f"{site_root}/datamig-journal.jsonl") or ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass
class Poller:
    """GET / every ``every`` seconds in a thread while a run goes on: what users saw."""

    host: TestHost
    every: float = 0.1
    seen: list[tuple[float, int, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Poller:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    status, body = get(self.host, "/", timeout=5)
                except OSError as error:  # refused, reset: recorded, never hidden
                    status, body = 0, repr(error)
                self.seen.append((time.monotonic(), status, body))
                self._stop.wait(self.every)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(10)

    def statuses(self) -> list[int]:
        """The answers in order, runs of the same status collapsed: [200, 503, 200]."""
        out: list[int] = []
        for _when, status, _body in self.seen:
            if not out or out[-1] != status:
                out.append(status)
        return out

    def bodies(self, status: int) -> set[str]:
        return {body for _when, seen, body in self.seen if seen == status}


def variant(tmp_path: Path, base: str, name: str, *, append: dict[str, str] | None = None) -> Path:
    """A copy of examples/demo/<base> with text appended to some of its files: a
    version that installs fine but fails at one chosen step."""
    folder = tmp_path / name
    shutil.copytree(DEMO / base, folder, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__"))
    for relative, text in (append or {}).items():
        path = folder / relative
        path.write_text(path.read_text() + "\n\n" + text + "\n")
    return folder


BROKEN_HEALTH = (
    "def health(request):  # the broken release: fails its health check\n"
    "    raise RuntimeError('broken release')\n"
)
BROKEN_MIGRATOR = (
    "def migrate_from_2(m):  # the broken release: its migrator fails the restore\n"
    "    raise RuntimeError('broken migrator')\n"
)


# Scheduled snapshots and off-site copies (tests/integration/test_schedule.py and
# test_disaster_recovery.py).


def private_crontabs(host: TestHost) -> None:
    """Give the host crontabs of its own: /var/spool/cron is the machine's (not one of the
    host's private folders), so a tmpfs of the host's mount namespace goes over it."""
    assert shutil.which("crontab"), "no crontab on this machine: apt-get install cron"
    host.run(
        "mount -t tmpfs -o mode=1730 tmpfs /var/spool/cron/crontabs"
        " && chgrp crontab /var/spool/cron/crontabs",
        check=True,
    )


def crontab(host: TestHost, user: str = "root") -> list[str]:
    """The user's crontab lines in the host (none if it has no crontab)."""
    result = host.run(["crontab", "-l", "-u", user])
    if result.returncode != 0:
        assert "no crontab" in result.stderr, result.stderr
        return []
    return result.stdout.splitlines()


def cron_job(host: TestHost, marker: str, user: str = "root") -> tuple[list[str], str]:
    """The one crontab entry whose command contains ``marker``: its five time fields and
    its command, as cron would run it (``/bin/sh -c command``)."""
    entries = [line for line in crontab(host, user) if marker in line and not line.startswith("#")]
    assert len(entries) == 1, crontab(host, user)
    fields = entries[0].split(None, 5)
    return fields[:5], fields[5]


# cron's environment: no PATH beyond /usr/bin:/bin, HOME of the user, /bin/sh
CRON_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/root", "SHELL": "/bin/sh", "LOGNAME": "root"}


def as_cron_of(user: str, command: str) -> list[str]:
    """``command`` as cron runs a line of ``user``'s crontab: ``/bin/sh -c`` as that user,
    its groups, HOME and LOGNAME (with CRON_ENV's PATH)."""
    return [
        "sh",
        "-c",
        'HOME=$(getent passwd "$1" | cut -d: -f6) LOGNAME=$1 exec setpriv --reuid="$1" '
        '--regid="$(id -g "$1")" --init-groups -- /bin/sh -c "$2"',
        "sh",
        user,
        command,
    ]


def offsite_vars(target: TestHost, path: str, **keep: int) -> dict[str, Any]:
    """Operator variables naming ``target`` as the off-site SFTP target: root with the
    run's client key (given as content, as a vault would), its host key as known_hosts."""
    host_key = (target.fs / "etc/ssh/ssh_host_ed25519_key.pub").read_text().split()
    return {
        "datamig_offsite": {"host": target.address, "user": "root", "path": path, **keep},
        "datamig_offsite_key": target.network.client_key.read_text(),
        "datamig_offsite_known_hosts": f"{target.address} {host_key[0]} {host_key[1]}",
    }


def recap_changed(result: subprocess.CompletedProcess[str], host: str) -> int:
    """changed=N of ``host`` in the PLAY RECAP."""
    for line in result.stdout.splitlines():
        if line.startswith(f"{host} ") and "changed=" in line:
            return int(line.split("changed=")[1].split()[0])
    raise AssertionError(f"no recap line for {host}: {result.stdout[-2000:]}")


def json_lines(host: TestHost, path: str) -> list[dict[str, Any]]:
    text = read_text(host, path) or ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def listing(host: TestHost, folder: str) -> set[str]:
    """Every entry of a folder in the host (hidden ones too); empty if it is missing."""
    result = host.run(["ls", "-A", folder])
    return set(result.stdout.split()) if result.returncode == 0 else set()
