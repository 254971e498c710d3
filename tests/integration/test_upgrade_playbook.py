"""playbooks/upgrade.yml against a real test host: the demo site upgraded from v1 to v2
through nginx and gunicorn under supervisor, then a broken upgrade rolled back.

The host shares this machine's filesystem except /srv, /etc/nginx, /etc/supervisor,
/var/log and /run, so the site's virtualenvs are made with the host's /usr/bin/python3 (3.11, as .venv)
and see its packages (Django, the engine) through ``datamig_venv_inherit_site_packages``;
only gunicorn is installed into each release (from the local package index).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.hosts.ansible import ROOT, run_playbook

pytestmark = pytest.mark.slow

DEMO = ROOT / "examples" / "demo"
SITE = "demo"
SITE_ROOT = f"/srv/{SITE}"
ALLOW_LOSS = ["contacts.Partner.phone", "notes.Mention"]


WHEELS = ROOT / ".work" / "wheels"
GUNICORN = "gunicorn==23.0.0"


def _wheelhouse() -> Path:
    """The releases' requirements as wheels (test hosts have no network): downloaded once
    on this machine, installed from there on the host (a path both see)."""
    if not list(WHEELS.glob("gunicorn-23.0.0-*.whl")):
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "pip"), "download", "-q", "-d", str(WHEELS), GUNICORN],
            check=True,
        )
    return WHEELS


def _site_vars() -> dict[str, object]:
    return {
        "datamig_release_requirements": [GUNICORN],
        "datamig_pip_extra_args": f"--no-index --find-links {_wheelhouse()}",
        "datamig_site": SITE,
        "datamig_base_python": "/usr/bin/python3",  # /root (pyenv) is private to the host
        "datamig_venv_inherit_site_packages": sysconfig.get_paths()["purelib"],
        "datamig_health_retries": 30,
    }


def _get(host, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://{host.address}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _live_checksums(host) -> dict[str, str]:
    """Per table checksum of the database shared/site.env names, with the live code."""
    result = host.run(
        f"set -a; . {SITE_ROOT}/shared/site.env; set +a; cd {SITE_ROOT}/current && "
        "venv/bin/python -m datamig checksum --settings demo_site.settings --pythonpath . --json",
        check=True,
    )
    return {table: t["sha256"] for table, t in json.loads(result.stdout)["tables"].items()}


def _assert_ok(result) -> None:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def _broken_v2(tmp_path: Path) -> Path:
    """A copy of v2 that installs fine and restores fine, but whose health check fails
    after the switch: the deepest point a rollback starts from."""
    broken = tmp_path / "v2-broken"
    shutil.copytree(DEMO / "v2", broken, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__"))
    views = broken / "demo_site" / "views.py"
    views.write_text(
        views.read_text()
        + "\n\ndef health(request):  # the broken release\n"
        + "    raise RuntimeError('broken release')\n"
    )
    return broken


def test_upgrade_v1_to_v2_then_broken_upgrade_rolls_back(test_host, tmp_path):
    host = test_host
    base = _site_vars()

    # The site at version 1, filled with demo data.
    _assert_ok(
        run_playbook(
            "playbooks/deploy.yml",
            [host],
            {**base, "datamig_version": "1", "datamig_release_src": str(DEMO / "v1")},
        )
    )
    host.run(
        f"set -a; . {SITE_ROOT}/shared/site.env; set +a; cd {SITE_ROOT}/current && "
        "venv/bin/python manage.py demo_fill --rows 2000 --seed 1",
        check=True,
    )
    assert host.run(f"stat -c %a {SITE_ROOT}/shared/site.env").stdout.strip() == "600"
    assert _get(host, "/") == (200, "datamig-demo version 1")

    # Upgrade to version 2.
    result = run_playbook(
        "playbooks/upgrade.yml",
        [host],
        {
            **base,
            "datamig_version": "2",
            "datamig_release_src": str(DEMO / "v2"),
            "datamig_allow_loss": ALLOW_LOSS,
        },
    )
    _assert_ok(result)
    assert _get(host, "/") == (200, "datamig-demo version 2")
    reports = sorted((host.fs / "srv" / SITE / "reports").glob("*.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    assert report["outcome"] == "upgraded"
    assert (report["version_from"], report["version_to"]) == ("1", "2")
    assert report["downtime_seconds"] > 0, report
    person = report["models"]["contacts.Person"]
    assert person["expected"] > 0 and person["read"] == person["expected"], report["models"]
    for step in ("preflight", "release", "snapshot", "restore", "verify", "switch", "health"):
        assert report["steps"][step]["status"] == "done", step
    assert not (host.fs / "srv" / SITE / "maintenance" / "maintenance.json").exists()
    assert not (host.fs / "srv" / SITE / "datamig.lock").exists()

    # A broken version fails and rolls back: version 2 answers on the same data.
    before = _live_checksums(host)
    live_release = host.run(f"readlink {SITE_ROOT}/current").stdout
    result = run_playbook(
        "playbooks/upgrade.yml",
        [host],
        {**base, "datamig_version": "3", "datamig_release_src": str(_broken_v2(tmp_path))},
    )
    assert result.returncode != 0, result.stdout[-4000:]
    assert "failed at step health" in result.stdout, result.stdout[-6000:]
    assert _get(host, "/") == (200, "datamig-demo version 2")
    assert host.run(f"readlink {SITE_ROOT}/current").stdout == live_release
    assert _live_checksums(host) == before
    assert not (host.fs / "srv" / SITE / "maintenance" / "maintenance.json").exists()
    assert not (host.fs / "srv" / SITE / "datamig.lock").exists()
    reports = sorted((host.fs / "srv" / SITE / "reports").glob("*.json"))
    failed = [json.loads(p.read_text()) for p in reports]
    failed = [r for r in failed if r["outcome"] != "upgraded"]
    assert [(r["outcome"], r["failed_step"]) for r in failed] == [("rolled back", "health")]
