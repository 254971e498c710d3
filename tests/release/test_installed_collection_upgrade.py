"""The collection as users run it: the tarball ``ansible-galaxy collection build`` makes,
installed offline into an empty collections path, the only one Ansible is given (not the
checkout), deploys the demo site at version 1 on a real test host with
``ansible-playbook datamig.site.deploy`` and upgrades it to version 2 with
``ansible-playbook datamig.site.upgrade`` (the playbooks by their FQCN): version 2 served,
every table as the engine's own migration of the same data predicts, and every task run
from the installed copy. The engine too comes as users get it: the engine role installs the
wheel built from engine/ into each release's virtualenv (offline, with Django and gunicorn
from the wheelhouse), which sees nothing of this checkout's .venv.

tools/test runs this on both controllers: .venv (ansible-core 2.19) and, with
DATAMIG_CONTROLLER=.venv-ansible221, ansible-core 2.21 (release.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from tests.hosts.ansible import ANSIBLE_CFG, COLLECTIONS, inventory
from tests.integration.demo_site import (
    ALLOW_LOSS_1_TO_2,
    DEMO,
    GUNICORN,
    expected_checksums,
    get,
    live_checksums,
    site_env_prefix,
    site_vars,
)

from .release import (
    ROOT,
    Controller,
    build_collection,
    build_engine_wheel,
    install_collection,
    version,
)

pytestmark = pytest.mark.slow

SITE = "demo"
SITE_ROOT = f"/srv/{SITE}"


def _playbook(controller: Controller, name: str, host, variables: dict, work: Path, collections):
    """``ansible-playbook <name>`` run from an empty folder, with an ansible.cfg whose only
    collections path is the installed copy; -vv to show each task's path."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "ansible.cfg"
    config.write_text(
        ANSIBLE_CFG.replace(
            f"collections_path = {COLLECTIONS}", f"collections_path = {collections}"
        )
    )
    (work / "inventory.json").write_text(json.dumps(inventory([host])))
    (work / "vars.json").write_text(json.dumps(variables))
    result = subprocess.run(
        [
            controller.bin("ansible-playbook"),
            "-vv",
            "-i",
            "inventory.json",
            "-e",
            "@vars.json",
            name,
        ],
        cwd=work,
        env=controller.env(collections=collections, config=config),
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result.stdout


def _task_paths(output: str) -> list[str]:
    return re.findall(r"^task path: (\S+?):\d+$", output, re.MULTILINE)


def _engine_of_live_release(host) -> tuple[str, str, str]:
    """What the live release's engine says it is, where Python imports it from, and the
    release virtualenv's own site-packages."""
    venv = f"{SITE_ROOT}/current/venv/bin"
    version = host.run([f"{venv}/datamig", "--version"], check=True).stdout.strip()
    code = "import datamig, sysconfig; print(datamig.__file__); print(sysconfig.get_paths()['purelib'])"
    where, purelib = host.run([f"{venv}/python", "-c", code], check=True).stdout.split()
    return version, where, purelib


def test_installed_collection_deploys_and_upgrades_the_demo_site(test_host, tmp_path):
    controller = Controller.chosen()
    core = controller.core_version()
    assert core == controller.pinned_core, (core, controller.pinned_core)
    runtime = (ROOT / "meta" / "runtime.yml").read_text()
    [requires] = re.findall(r'^requires_ansible: "([^"]+)"$', runtime, re.MULTILINE)
    assert core in SpecifierSet(requires), (core, requires)

    collections = tmp_path / "collections"
    tarball = build_collection(controller, tmp_path / "dist")
    installed = install_collection(controller, tarball, collections)
    assert (installed / "MANIFEST.json").exists() and not installed.is_symlink()

    # the node sees /work but not this test's /tmp: the wheel goes under .work/
    wheels = ROOT / ".work" / "release-tests" / uuid.uuid4().hex[:12]
    try:
        wheel = build_engine_wheel(wheels)
        as_users_install = {
            "datamig_venv_inherit_site_packages": "",  # nothing of .venv
            "datamig_release_requirements": [GUNICORN, "Django==5.2.19"],  # the wheelhouse's
            "datamig_engine_spec": str(wheel),
        }
        _deploy_fill_upgrade(
            controller, test_host, tmp_path, collections, installed, as_users_install
        )
    finally:
        shutil.rmtree(wheels, ignore_errors=True)


def _deploy_fill_upgrade(controller, host, tmp_path, collections, installed, as_users_install):
    deploy = _playbook(
        controller,
        "datamig.site.deploy",
        host,
        site_vars(
            SITE, datamig_version="1", datamig_release_src=str(DEMO / "v1"), **as_users_install
        ),
        tmp_path / "deploy",
        collections,
    )
    engine_version, engine_file, purelib = _engine_of_live_release(host)
    assert engine_version == f"datamig {version()}"
    # the wheel's copy in the release's own virtualenv, not the checkout's engine/
    assert purelib.startswith(f"{SITE_ROOT}/current/venv/"), purelib
    assert engine_file == f"{purelib}/datamig/__init__.py", engine_file
    host.run(
        site_env_prefix(SITE_ROOT) + "venv/bin/python manage.py demo_fill --rows 500 --seed 3",
        check=True,
    )
    assert get(host, "/") == (200, "datamig-demo version 1")
    expected = expected_checksums(host, SITE_ROOT, DEMO / "v2", ALLOW_LOSS_1_TO_2, tmp_path)

    upgrade = _playbook(
        controller,
        "datamig.site.upgrade",
        host,
        site_vars(
            SITE,
            datamig_version="2",
            datamig_release_src=str(DEMO / "v2"),
            datamig_allow_loss=ALLOW_LOSS_1_TO_2,
            **as_users_install,
        ),
        tmp_path / "upgrade",
        collections,
    )
    assert get(host, "/") == (200, "datamig-demo version 2")
    assert live_checksums(host, SITE_ROOT) == expected
    assert _engine_of_live_release(host)[0] == f"datamig {version()}"

    # every task came from the installed copy, none from the checkout
    for output in (deploy, upgrade):
        paths = _task_paths(output)
        assert paths, output[-3000:]
        outside = [p for p in paths if not p.startswith(f"{installed}/")]
        assert not outside, outside[:5]
