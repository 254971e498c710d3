"""Build and install datamig as users get it: the collection tarball
(``ansible-galaxy collection build``, installed offline into an empty collections path),
the engine wheel (``pip wheel``), with the controller a test chooses.

The controller is a virtualenv of this checkout: ``.venv`` (ansible-core 2.19,
requirements/dev.txt) unless ``DATAMIG_CONTROLLER`` names another one, such as
``.venv-ansible221`` (requirements/ansible221.txt), which tools/test runs the end-to-end
test on too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.hosts.ansible import ROOT, ansible_env

# Each controller virtualenv and the requirement file that pins its ansible-core.
CONTROLLERS = {".venv": "requirements/dev.txt", ".venv-ansible221": "requirements/ansible221.txt"}


def galaxy() -> dict:
    return yaml.safe_load((ROOT / "galaxy.yml").read_text())


def version() -> str:
    """The release's one version number (galaxy.yml; the engine must carry the same)."""
    return str(galaxy()["version"])


def _check(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{argv}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@dataclass(frozen=True)
class Controller:
    """An Ansible controller: a virtualenv with ansible-core, and the core version its
    requirement file pins."""

    venv: Path
    pinned_core: str

    @classmethod
    def chosen(cls) -> Controller:
        name = os.environ.get("DATAMIG_CONTROLLER", ".venv")
        assert name in CONTROLLERS, f"DATAMIG_CONTROLLER={name}: one of {sorted(CONTROLLERS)}"
        venv = ROOT / name
        assert (venv / "bin" / "ansible-playbook").exists(), (
            f"{venv} has no ansible-playbook: run tools/bootstrap"
        )
        pins = (ROOT / CONTROLLERS[name]).read_text()
        found = re.search(r"^ansible-core==(\S+)$", pins, re.MULTILINE)
        assert found, f"{CONTROLLERS[name]} pins no ansible-core"
        return cls(venv, found.group(1))

    def bin(self, tool: str) -> str:
        return str(self.venv / "bin" / tool)

    def core_version(self) -> str:
        """What the controller's ansible-playbook says it is (``core 2.21.5``)."""
        first = _check([self.bin("ansible-playbook"), "--version"], env=self.env()).stdout
        found = re.search(r"\[core ([0-9][^\]]*)\]", first.splitlines()[0])
        assert found, first
        return found.group(1)

    def env(self, collections: Path | None = None, config: Path | None = None) -> dict[str, str]:
        """The tests' hermetic Ansible environment with this controller first on PATH;
        with ``collections``, that folder is the only collections path."""
        env = ansible_env()
        env["PATH"] = f"{self.venv / 'bin'}:{env['PATH']}"
        if config is not None:
            env["ANSIBLE_CONFIG"] = str(config)
        if collections is not None:
            env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
            env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "False"
        return env


def build_collection(controller: Controller, out: Path) -> Path:
    """``ansible-galaxy collection build`` of the checkout into ``out``: the tarball."""
    out.mkdir(parents=True, exist_ok=True)
    _check(
        [controller.bin("ansible-galaxy"), "collection", "build", "--output-path", str(out), "."],
        cwd=ROOT,
        env=controller.env(),
    )
    [tarball] = out.glob("*.tar.gz")
    return tarball


def install_collection(controller: Controller, tarball: Path, dest: Path) -> Path:
    """Install the tarball offline into ``dest`` (a collections path); the installed
    collection's folder."""
    assert not dest.exists() or not any(dest.iterdir()), f"{dest} is not empty"
    _check(
        [
            controller.bin("ansible-galaxy"),
            *("collection", "install", "--offline"),
            str(tarball),
            "-p",
            str(dest),
        ],
        cwd=dest.parent,
        env=controller.env(collections=dest),
    )
    return dest / "ansible_collections" / "datamig" / "site"


def tar_members(tarball: Path) -> list[str]:
    with tarfile.open(tarball) as tar:
        return [m.name.removeprefix("./") for m in tar.getmembers()]


PIP_WHEEL = [
    "-m",
    "pip",
    "wheel",
    "--no-deps",
    "--no-build-isolation",
    "--disable-pip-version-check",
]


def build_engine_wheel(out: Path) -> Path:
    """The engine's wheel, built offline (``--no-build-isolation``: .venv's pinned
    setuptools) from a copy of engine/, so that no build/ or egg-info lands in the tree."""
    source = out / "engine-src"
    shutil.copytree(
        ROOT / "engine",
        source,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info"),
    )
    _check([str(ROOT / ".venv" / "bin" / "python"), *PIP_WHEEL, "-w", str(out), str(source)])
    [wheel] = out.glob("datamig-*.whl")
    return wheel
