"""Run the collection's modules in this process, the standard way: module arguments
patched in, exit_json/fail_json raising, against the real engine.

The modules import ``ansible_collections.datamig.site...``: this makes the collection
importable from the checkout by a symlink ``.work/collections/ansible_collections/
datamig/site`` -> the repository root (``.work/`` is git-ignored), with
``.work/collections`` on ``sys.path``. The repository root goes on ``sys.path`` too, for
``tests.engine.helpers`` (the engine tests' databases and test site).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".work" / "collections"


def _link_collection() -> None:
    link = COLLECTIONS / "ansible_collections" / "datamig" / "site"
    if link.is_symlink() and link.resolve() == ROOT:
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    # several test runs may share the checkout: make the link under a private name, then
    # rename it into place (atomic)
    tmp = link.with_name(f".site-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(ROOT, target_is_directory=True)
    os.replace(tmp, link)


_link_collection()
for _path in (str(ROOT), str(COLLECTIONS)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

from tests.engine.helpers import PYTHON, Database, Site  # noqa: E402

DEMO_V2 = Site("demo_site.settings", ROOT / "examples" / "demo" / "v2", "DEMO")
SECRET = "s3cret-value"


class AnsibleExitJson(Exception):
    """exit_json was called: the module's result."""


class AnsibleFailJson(Exception):
    """fail_json was called: the module's failure."""


class Result(dict):
    """What a module gave exit_json or fail_json (``failed`` set for a failure), before
    Ansible's own masking of no_log values, and the warnings it gave."""

    def __init__(self, data: dict[str, Any], warnings: list[str]) -> None:
        super().__init__(data)
        self.warnings = warnings

    @property
    def failed(self) -> bool:
        return bool(self.get("failed"))

    def serialized(self) -> str:
        return json.dumps({"result": self, "warnings": self.warnings}, default=str)


def run_module(module: Any, args: dict[str, Any], check_mode: bool = False) -> Result:
    """Run ``module.main()`` with ``args``; return its result or its failure."""
    warnings: list[str] = []

    def exit_json(self: basic.AnsibleModule, **kwargs: Any) -> None:
        raise AnsibleExitJson(kwargs)

    def fail_json(self: basic.AnsibleModule, msg: str, **kwargs: Any) -> None:
        raise AnsibleFailJson({**kwargs, "failed": True, "msg": msg})

    def warn(self: basic.AnsibleModule, warning: str) -> None:
        warnings.append(warning)

    with ExitStack() as stack:
        stack.enter_context(patch_module_args({**args, "_ansible_check_mode": check_mode}))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "exit_json", exit_json))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "fail_json", fail_json))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, "warn", warn))
        try:
            module.main()
        except (AnsibleExitJson, AnsibleFailJson) as outcome:
            return Result(outcome.args[0], warnings)
    raise AssertionError(f"{module.__name__}.main() returned without exit_json or fail_json")


def site_args(db: Database, **extra: Any) -> dict[str, Any]:
    """Module arguments that point the site of ``db`` (the engine's test site, the demo
    site) at ``db``."""
    prefix = db.site.env_prefix
    args: dict[str, Any] = {
        "python": PYTHON,
        "settings": db.site.settings,
        "pythonpath": [str(db.site.path)],
        "plain_environment": {f"{prefix}_DB_VENDOR": db.vendor, f"{prefix}_DB_NAME": db.name},
    }
    args.update(extra)
    return args
