"""The molecule scenarios of molecule/ run by molecule itself against real test hosts.

Each test makes a host (a network namespace with its own sshd, /srv, nginx and supervisor:
tests/hosts), writes an inventory of it with the demo site's variables, and runs
``.venv/bin/molecule test -s <scenario>`` from the repository root. The scenarios use
molecule's default driver with unmanaged hosts: molecule creates and destroys nothing,
the fixture does. Molecule is given the tests' Ansible settings (ANSIBLE_CONFIG,
ANSIBLE_COLLECTIONS_PATH: this checkout as datamig.site) and the inventory
(DATAMIG_MOLECULE_INVENTORY); everything it runs was installed by tools/bootstrap.

As in tests/integration, the site's virtualenvs are made with the host's /usr/bin/python3
and see .venv's packages (Django, the engine); gunicorn comes from the local wheel folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.hosts.ansible import ROOT, VENV_BIN, ansible_env, collections_path, inventory

pytestmark = pytest.mark.slow

MOLECULE = VENV_BIN / "molecule"
DEMO = ROOT / "examples" / "demo"
SITE = "demo"
WHEELS = ROOT / ".work" / "wheels"
GUNICORN = "gunicorn==23.0.0"


def _wheelhouse() -> Path:
    """gunicorn as a wheel (test hosts have no network) in .work/wheels, downloaded once
    on this machine where it is missing (as tests/integration does)."""
    if not list(WHEELS.glob("gunicorn-23.0.0-*.whl")):
        subprocess.run(
            [str(VENV_BIN / "pip"), "download", "-q", "-d", str(WHEELS), GUNICORN],
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


def _broken_v2(tmp_path: Path) -> Path:
    """A copy of v2 that installs and restores fine, but whose health check fails after
    the switch: the deepest point a rollback starts from."""
    broken = tmp_path / "v2-broken"
    shutil.copytree(DEMO / "v2", broken, ignore=shutil.ignore_patterns("*.sqlite3", "__pycache__"))
    views = broken / "demo_site" / "views.py"
    views.write_text(
        views.read_text()
        + "\n\ndef health(request):  # the broken release\n"
        + "    raise RuntimeError('broken release')\n"
    )
    return broken


def _get(host, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://{host.address}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _molecule_test(scenario: str, host, tmp_path: Path, env: dict[str, str] | None = None):
    """Run `molecule test -s scenario` against host; return its CompletedProcess."""
    assert os.access(MOLECULE, os.X_OK), f"{MOLECULE} is missing: run tools/bootstrap"
    inv = tmp_path / "inventory.json"  # Ansible's YAML inventory plugin reads .json
    inv.write_text(json.dumps(inventory([host], group_vars=_site_vars()), indent=2))
    run_env = {
        **ansible_env(),
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path()),
        "DATAMIG_MOLECULE_INVENTORY": str(inv),
        # only this scenario is loaded; its state and generated files, and ansible-compat's
        # cache, are this test's
        "MOLECULE_GLOB": f"molecule/{scenario}/molecule.yml",
        "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / f"molecule-{scenario}"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "NO_COLOR": "1",
        "PY_COLORS": "0",
        **(env or {}),
    }
    result = subprocess.run(
        [str(MOLECULE), "test", "-s", scenario],
        cwd=ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=1500,
        stdin=subprocess.DEVNULL,
    )
    # the whole output, for a look after the run (pytest --basetemp=DIR keeps it there)
    (tmp_path / f"molecule-{scenario}.log").write_text(result.stdout + result.stderr)
    return result


def _recaps(output: str, host) -> list[dict[str, int]]:
    """The PLAY RECAP lines of host in ansible-playbook's output, as counters."""
    return [
        {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
        for line in re.findall(rf"^{re.escape(host.name)}\s+:\s+(ok=.*)$", output, re.M)
    ]


def _explain(result) -> str:
    return f"exit {result.returncode}\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}"


@pytest.mark.timeout(1800)
def test_scenario_default_upgrades_v1_to_v2(test_host, tmp_path):
    result = _molecule_test("default", test_host, tmp_path)
    assert result.returncode == 0, _explain(result)

    # molecule ran the converge and the verify on this host (two recaps, nothing failed)
    recaps = _recaps(result.stdout, test_host)
    assert len(recaps) == 2, _explain(result)
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recaps), recaps
    assert recaps[0]["changed"] > 0 and recaps[1]["ok"] > 0, recaps
    assert "Check the home page names the expected version" in result.stdout

    # and, seen from here: version 2 answers, the one report says upgraded
    assert _get(test_host, "/") == (200, "datamig-demo version 2")
    reports = sorted((test_host.fs / "srv" / SITE / "reports").glob("*.json"))
    assert [json.loads(p.read_text())["outcome"] for p in reports] == ["upgraded"]


@pytest.mark.timeout(1800)
def test_scenario_rollback_broken_upgrade_rolls_back_to_v1(test_host, tmp_path):
    broken = _broken_v2(tmp_path)
    result = _molecule_test(
        "rollback", test_host, tmp_path, {"DATAMIG_MOLECULE_BROKEN_SRC": str(broken)}
    )
    assert result.returncode == 0, _explain(result)

    # the converge rescued exactly the expected failure, and the verify passed
    recaps = _recaps(result.stdout, test_host)
    assert len(recaps) == 2, _explain(result)
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recaps), recaps
    assert recaps[0]["rescued"] >= 1, recaps
    assert "failed at step health" in result.stdout, _explain(result)

    # seen from here: version 1 answers, maintenance is off, the report says rolled back
    assert _get(test_host, "/") == (200, "datamig-demo version 1")
    assert not (test_host.fs / "srv" / SITE / "maintenance" / "maintenance.json").exists()
    reports = sorted((test_host.fs / "srv" / SITE / "reports").glob("*.json"))
    assert [
        (r["outcome"], r["failed_step"]) for r in (json.loads(p.read_text()) for p in reports)
    ] == [("rolled back", "health")]
