"""The datamig modules' documentation (with the shared doc fragments, as ansible-doc reads
it) matches their argument specs; their examples parse and call them by FQCN."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from ...helpers import COLLECTIONS

from ansible_collections.datamig.site.plugins.modules import (  # isort: skip
    checksum,
    diff,
    restore,
    snapshot,
    snapshot_info,
)

MODULES = {
    m.__name__.rsplit(".", 1)[1]: m for m in (snapshot, restore, snapshot_info, checksum, diff)
}


class _Spec(Exception):
    pass


def argument_spec(module: Any) -> dict[str, Any]:
    def record(**kwargs: Any) -> None:
        raise _Spec(kwargs)

    with mock.patch.object(module, "AnsibleModule", side_effect=record):
        try:
            module.main()
        except _Spec as spec:
            assert spec.args[0]["supports_check_mode"] is True
            return spec.args[0]["argument_spec"]
    raise AssertionError(f"{module.__name__}.main() built no AnsibleModule")


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_HOME": str(tmp_path_factory.mktemp("ansible-home")),
    }
    names = [f"datamig.site.{name}" for name in MODULES]
    ansible_doc = Path(sys.executable).parent / "ansible-doc"
    run = subprocess.run(
        [str(ansible_doc), "--json", "-t", "module", *names],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_documented_options_are_the_argument_spec(name: str, docs: dict[str, Any]):
    doc = docs[f"datamig.site.{name}"]
    options = doc["doc"]["options"]
    spec = argument_spec(MODULES[name])
    assert sorted(options) == sorted(spec)
    for option, entry in spec.items():
        documented = options[option]
        assert documented["type"] == entry["type"], option
        assert documented.get("required", False) == entry.get("required", False), option
        assert documented.get("default") == entry.get("default"), option
        assert documented.get("elements") == entry.get("elements"), option
        assert documented["description"], option
    assert doc["doc"]["attributes"]["check_mode"]["support"] == "full"
    assert doc["return"], name


@pytest.mark.parametrize("name", sorted(MODULES))
def test_examples_parse_and_use_the_fqcn(name: str, docs: dict[str, Any]):
    tasks = yaml.safe_load(docs[f"datamig.site.{name}"]["examples"])
    ours = [task for task in tasks if f"datamig.site.{name}" in task]
    assert ours, name
    assert not any(name in task for task in tasks)
    for task in ours:
        assert set(task[f"datamig.site.{name}"]) <= set(argument_spec(MODULES[name]))


def test_secrets_are_no_log():
    for name, module in MODULES.items():
        assert argument_spec(module)["environment"]["no_log"] is True, name
