"""Run Ansible against test hosts, as a user would, with this repository as the
collection ``datamig.site``.

Everything Ansible reads comes from here, not from the caller's environment: a
generated ansible.cfg (``ANSIBLE_CONFIG``), ``ANSIBLE_HOME`` under ``.work/`` and a
minimal ``PATH``/``HOME``/``LANG``. The collection is found through
``.work/collections/ansible_collections/datamig/site``, a symlink to the repository
root (``collections_path``). By hand::

    ANSIBLE_CONFIG=.work/ansible-home/ansible.cfg .venv/bin/ansible-playbook -i inv.json x.yml
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union

from tests.hosts.netns import PYTHON, TestHost

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
WORK = ROOT / ".work"
COLLECTIONS = WORK / "collections"
ANSIBLE_HOME = WORK / "ansible-home"
CONFIG = ANSIBLE_HOME / "ansible.cfg"

ANSIBLE_CFG = f"""\
# Written by tests/hosts/ansible.py: the Ansible settings of the tests.
[defaults]
host_key_checking = False
retry_files_enabled = False
interpreter_python = {PYTHON}
collections_path = {COLLECTIONS}
collections_scan_sys_path = False
nocows = True
forks = 10
timeout = 30
deprecation_warnings = True

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=30s -o ServerAliveInterval=10
"""

Inventory = Union[Mapping[str, Any], Iterable[TestHost]]


def collections_path() -> Path:
    """The folder to give Ansible as collections path; the repository appears in it as
    ansible_collections/datamig/site (made here if missing)."""
    link = COLLECTIONS / "ansible_collections" / "datamig" / "site"
    if not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # a concurrent run made it
            link.symlink_to(os.path.relpath(ROOT, link.parent), target_is_directory=True)
    if link.resolve() != ROOT:
        raise RuntimeError(f"{link} points to {link.resolve()}, not to {ROOT}")
    return COLLECTIONS


def ansible_env() -> dict[str, str]:
    """A clean environment for Ansible's commands (writes the ansible.cfg)."""
    collections_path()
    ANSIBLE_HOME.mkdir(parents=True, exist_ok=True)
    tmp = CONFIG.with_name(f".ansible.cfg.{os.getpid()}")
    tmp.write_text(ANSIBLE_CFG)
    tmp.replace(CONFIG)  # atomic: concurrent runs read a whole file
    return {
        "PATH": f"{VENV_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "ANSIBLE_CONFIG": str(CONFIG),
        "ANSIBLE_HOME": str(ANSIBLE_HOME),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def inventory(
    hosts: Iterable[TestHost],
    host_vars: Mapping[str, Mapping[str, Any]] | None = None,
    group_vars: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An Ansible inventory (YAML plugin structure) of test hosts: every host in group
    all under its name, with its connection variables, host_vars[name] and group_vars."""
    host_vars = host_vars or {}
    return {
        "all": {
            "hosts": {h.name: {**h.inventory_vars(), **host_vars.get(h.name, {})} for h in hosts},
            "vars": dict(group_vars or {}),
        }
    }


def run_playbook(
    playbook: str | os.PathLike[str] | list[dict[str, Any]],
    inventory_data: Inventory,
    extra_vars: Mapping[str, Any] | None = None,
    *,
    args: Iterable[str] = (),
    workdir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run .venv/bin/ansible-playbook; return its CompletedProcess (text, captured).

    playbook: a path (relative to the repository root or absolute) or the plays
    themselves (a list of dicts). inventory_data: an inventory dict (YAML inventory
    structure, e.g. from inventory()) or test hosts. extra_vars are passed as a JSON
    file (-e @file). args: further ansible-playbook arguments (-v, -l web, --check).
    The inventory, plays and variables are written to workdir (default: a temporary
    folder, removed afterwards)."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="dmt-ansible-"))
        cmd, work = _playbook_command(playbook, inventory_data, extra_vars, args, Path(workdir))
        return subprocess.run(
            cmd,
            cwd=work,
            env={**ansible_env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


def _playbook_command(
    playbook: str | os.PathLike[str] | list[dict[str, Any]],
    inventory_data: Inventory,
    extra_vars: Mapping[str, Any] | None,
    args: Iterable[str],
    work: Path,
) -> tuple[list[str], Path]:
    """The ansible-playbook command line, its inventory and variables written to work."""
    work.mkdir(parents=True, exist_ok=True)
    if not isinstance(inventory_data, Mapping):
        inventory_data = inventory(inventory_data)
    inv = work / "inventory.json"  # the YAML inventory plugin reads .json too
    inv.write_text(json.dumps(inventory_data, indent=2))
    if isinstance(playbook, list):
        book = work / "playbook.yml"
        book.write_text(json.dumps(playbook, indent=2))  # JSON is YAML
    else:
        book = ROOT / playbook
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(inv)]
    if extra_vars:
        ev = work / "extra-vars.json"
        ev.write_text(json.dumps(dict(extra_vars), indent=2))
        cmd += ["-e", f"@{ev}"]
    return [*cmd, *args, str(book)], work


def start_playbook(
    playbook: str | os.PathLike[str] | list[dict[str, Any]],
    inventory_data: Inventory,
    extra_vars: Mapping[str, Any] | None = None,
    *,
    workdir: str | os.PathLike[str],
    args: Iterable[str] = (),
) -> subprocess.Popen[bytes]:
    """Start ansible-playbook as run_playbook() runs it, without waiting: in its own
    process group (kill it with os.killpg), output in workdir/output.txt."""
    cmd, work = _playbook_command(playbook, inventory_data, extra_vars, args, Path(workdir))
    output = (work / "output.txt").open("wb")
    try:
        return subprocess.Popen(
            cmd,
            cwd=work,
            env=ansible_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        output.close()
