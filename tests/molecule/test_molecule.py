"""The molecule scenarios of molecule/ run by molecule itself against real test hosts.

Each test makes a host (a network namespace with its own sshd, /srv, nginx and supervisor:
tests/hosts), writes an inventory of it with the demo site's variables, and runs
``.venv/bin/molecule test -s <scenario>`` from the repository root. The scenarios use
molecule's default driver with unmanaged hosts: molecule creates and destroys nothing,
the fixture does. Molecule is given the tests' Ansible settings (ANSIBLE_CONFIG,
ANSIBLE_COLLECTIONS_PATH: this checkout as datamig.site) and the inventory
(DATAMIG_MOLECULE_INVENTORY); everything it runs was installed by tools/bootstrap.

For scenario postgresql the test also starts a PostgreSQL server of the host's own
(tests/hosts/postgres.py) with a password made for the run, which the inventory carries as
a secret key of datamig_site_env; molecule runs ansible-playbook at -vvv and the password
must show nowhere in its output.

As in tests/integration, the site's virtualenvs are made with the host's /usr/bin/python3
and see .venv's packages (Django, the engine); gunicorn comes from the local wheel folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
from pathlib import Path

import pytest

from tests.hosts.ansible import ROOT, VENV_BIN, ansible_env, collections_path, inventory
from tests.hosts.postgres import start_postgres
from tests.integration.demo_site import BROKEN_HEALTH, get, variant
from tests.integration.demo_site import site_vars as demo_site_vars

pytestmark = pytest.mark.slow

MOLECULE = VENV_BIN / "molecule"
SITE = "demo"
PG_USER = "demo"  # the site's role on the host's own PostgreSQL server


def _pg_site_vars(password: str) -> dict[str, object]:
    """A PostgreSQL site on the host's own server (tests/hosts/postgres.py), as an operator
    gives it: the password one of datamig_site_env, named a secret key."""
    return {
        "datamig_db_vendor": "postgresql",
        "datamig_db_name": SITE,
        "datamig_site_env": {
            "DEMO_DB_HOST": "127.0.0.1",
            "DEMO_DB_PORT": "5432",
            "DEMO_DB_USER": PG_USER,
            "DEMO_DB_PASSWORD": password,
        },
        "datamig_site_env_secret_keys": ["DEMO_DB_PASSWORD"],
    }


def _molecule_test(
    scenario: str,
    host,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    site_vars: dict[str, object] | None = None,
):
    """Run `molecule test -s scenario` against host (site_vars added to the inventory's
    group variables); return its CompletedProcess."""
    assert os.access(MOLECULE, os.X_OK), f"{MOLECULE} is missing: run tools/bootstrap"
    inv = tmp_path / "inventory.json"  # Ansible's YAML inventory plugin reads .json
    group_vars = {**demo_site_vars(SITE), **(site_vars or {})}
    inv.write_text(json.dumps(inventory([host], group_vars=group_vars), indent=2))
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
        check=False,  # the callers judge the exit status, with the output
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
    assert get(test_host, "/") == (200, "datamig-demo version 2")
    reports = sorted((test_host.fs / "srv" / SITE / "reports").glob("*.json"))
    assert [json.loads(p.read_text())["outcome"] for p in reports] == ["upgraded"]


@pytest.mark.timeout(1800)
def test_scenario_rollback_broken_upgrade_rolls_back_to_v1(test_host, tmp_path):
    broken = variant(tmp_path, "v2", "v2-broken", append={"demo_site/views.py": BROKEN_HEALTH})
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
    assert get(test_host, "/") == (200, "datamig-demo version 1")
    assert not (test_host.fs / "srv" / SITE / "maintenance" / "maintenance.json").exists()
    reports = sorted((test_host.fs / "srv" / SITE / "reports").glob("*.json"))
    assert [
        (r["outcome"], r["failed_step"]) for r in (json.loads(p.read_text()) for p in reports)
    ] == [("rolled back", "health")]


@pytest.mark.timeout(1800)
def test_scenario_postgresql_upgrades_into_a_new_database_never_showing_the_password(
    test_host, tmp_path
):
    password = "pw-" + secrets.token_hex(12)
    server = start_postgres(test_host, PG_USER, password)
    # ansible-playbook at -vvv (module arguments and results, connection details): the
    # password must still never show
    result = _molecule_test(
        "postgresql",
        test_host,
        tmp_path,
        {"ANSIBLE_VERBOSITY": "3"},
        site_vars=_pg_site_vars(password),
    )
    output = result.stdout + result.stderr
    leaks = [
        f"line {n}: {line.replace(password, '<PASSWORD>')}"
        for n, line in enumerate(output.splitlines(), 1)
        if password in line
    ]
    assert not leaks, "the password shows in molecule's output:\n" + "\n".join(leaks[:20])
    assert "ESTABLISH SSH CONNECTION" in output, (
        "ANSIBLE_VERBOSITY=3 did not reach ansible-playbook (no -vvv line in molecule's "
        "output), so the password check above proves nothing\n" + _explain(result)
    )
    assert result.returncode == 0, _explain(result)

    recaps = _recaps(result.stdout, test_host)
    assert len(recaps) == 2, _explain(result)
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recaps), recaps
    assert "Check both databases exist on the host's PostgreSQL server" in result.stdout

    # seen from here: version 2 answers from a new database, the first one is kept
    assert get(test_host, "/") == (200, "datamig-demo version 2")
    site = test_host.fs / "srv" / SITE
    reports = [json.loads(p.read_text()) for p in sorted((site / "reports").glob("*.json"))]
    assert [r["outcome"] for r in reports] == ["upgraded"]
    new_db = reports[0]["database_to"]
    assert new_db != SITE and {SITE, new_db} <= server.databases()
    site_env = (site / "shared" / "site.env").read_text()  # it holds the password: not shown
    assert re.search(rf"^DEMO_DB_NAME='?{re.escape(new_db)}'?$", site_env, re.M), new_db
    # snapshots: folders 0700, files 0600
    entries = [site / "snapshots", *(site / "snapshots").rglob("*")]
    modes = {str(p): (p.is_dir(), stat.S_IMODE(p.lstat().st_mode)) for p in entries}
    assert any(not is_dir for is_dir, _mode in modes.values())
    assert {p: m for p, (d, m) in modes.items() if m != (0o700 if d else 0o600)} == {}
