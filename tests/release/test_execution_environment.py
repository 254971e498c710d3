"""meta/execution-environment.yml is a definition ansible-builder accepts: ``ansible-builder
create`` (the build context only; no container engine is needed) writes a Containerfile
that installs the release's collection tarball from the context and the pinned
ansible-core, and the definition names this release's version."""

from __future__ import annotations

import re
import shutil
import subprocess

import yaml

from .release import ROOT, Controller, build_collection, version

EE = "meta/execution-environment.yml"


def test_ansible_builder_makes_a_build_context_with_this_release(tmp_path):
    definition = yaml.safe_load((ROOT / EE).read_text())
    tarball_name = f"datamig-site-{version()}.tar.gz"
    [collection] = definition["dependencies"]["galaxy"]["collections"]
    assert collection == {"name": f"files/{tarball_name}", "type": "file"}
    [build_file] = definition["additional_build_files"]
    assert build_file == {"src": f"../{tarball_name}", "dest": "files"}
    core = definition["dependencies"]["ansible_core"]["package_pip"]
    pins = {  # the controllers CI tests: 2.19 (.venv) and 2.21 (.venv-ansible221)
        m.group(0)
        for name in ("dev.txt", "ansible221.txt")
        for m in re.finditer(
            r"^ansible-core==\S+$", (ROOT / "requirements" / name).read_text(), re.M
        )
    }
    assert core in pins, (core, pins)

    # the definition as a user has it: the collection's root with the built tarball
    root = tmp_path / "collection"
    (root / "meta").mkdir(parents=True)
    shutil.copy(ROOT / EE, root / EE)
    tarball = build_collection(Controller.chosen(), tmp_path / "dist")
    shutil.copy(tarball, root / tarball.name)
    context = tmp_path / "context"
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible-builder"), "create", "-f", EE, "-c", str(context)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    [containerfile] = [p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()]
    text = containerfile.read_text()
    assert f'ANSIBLE_INSTALL_REFS="{core} ' in text
    assert "ansible-galaxy collection install" in text and "-r requirements.yml" in text
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert requirements["collections"] == [collection]
    copied = context / "_build" / "files" / tarball_name
    assert copied.read_bytes() == tarball.read_bytes()
    assert "openssh-clients" in (context / "_build" / "bindep.txt").read_text()
