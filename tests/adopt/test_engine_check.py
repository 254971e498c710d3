"""roles/engine tasks/check.yml: the engine goes into an adopted site's own virtualenv only
when pip's own dry run says it replaces none of the site's packages.

A real virtualenv on this machine, given a distribution ``cffi 1.0.0`` (its metadata only:
what pip lists), and the engine's wheel with the wheelhouse: pip would
install ``cffi 2.1.1`` for ``cryptography``, so the check refuses, naming it, and nothing is
installed; with ``datamig_engine_allow_replace`` it lets the install go on.
"""

from __future__ import annotations

import json
import subprocess
import sysconfig
from pathlib import Path

from tests.hosts.ansible import run_playbook
from tests.integration.demo_site import wheelhouse
from tests.release.release import build_engine_wheel


def _venv(tmp_path: Path) -> Path:
    venv = tmp_path / "site-venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", str(venv)], check=True)
    purelib = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    info = Path(purelib) / "cffi-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cffi\nVersion: 1.0.0\n")
    (info / "RECORD").write_text("")
    return venv


def _listed(venv: Path) -> list[dict[str, str]]:
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def _check(venv: Path, wheel: Path, **extra: object):
    play = [
        {
            "name": "Check the engine can go into a site's own virtualenv",
            "hosts": "node",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Check",
                    "ansible.builtin.include_role": {
                        "name": "datamig.site.engine",
                        "tasks_from": "check",
                    },
                    "vars": {"engine_python": str(venv / "bin" / "python")},
                }
            ],
        }
    ]
    inventory = {"all": {"hosts": {"node": {"ansible_connection": "local",
                                            "ansible_python_interpreter": sysconfig.get_paths()["scripts"] + "/python"}}}}  # fmt: skip
    args = {
        "datamig_engine_spec": str(wheel),
        "datamig_engine_pip_extra_args": f"--no-index --find-links {wheelhouse()}",
        **extra,
    }
    return run_playbook(play, inventory, args)


def test_an_install_that_would_replace_a_site_package_is_refused(tmp_path):
    venv = _venv(tmp_path)
    wheel = build_engine_wheel(tmp_path)
    before = _listed(venv)
    refused = _check(venv, wheel)
    assert refused.returncode != 0
    assert "would replace cffi 1.0.0 -> 2.1.1" in refused.stdout, refused.stdout[-3000:]
    assert "nothing was installed" in refused.stdout
    assert _listed(venv) == before
    accepted = _check(venv, wheel, datamig_engine_allow_replace=True)
    assert accepted.returncode == 0, accepted.stdout[-3000:]
    assert _listed(venv) == before  # the check installs nothing itself
