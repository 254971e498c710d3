"""Every test run gets a key folder of its own (``DATAMIG_KEY_DIR``, keys.py): snapshots
taken by the tests are signed with a throw-away key, never one from the machine's
``~/.config/datamig/keys``, and restored with it (the same folder for the whole run, so
that a module's snapshot fixture and its tests agree). Tests of the keys themselves pass
``--key-dir`` or their own ``DATAMIG_KEY_DIR``. Test hosts (tests/hosts) have their own
home folder: the engine runs there with its default key folder, as on a real node."""

from __future__ import annotations

import os
import shutil
import tempfile

_made: list[str] = []


def pytest_configure(config: object) -> None:
    folder = tempfile.mkdtemp(prefix="datamig-test-keys-")
    _made.append(folder)
    os.environ["DATAMIG_KEY_DIR"] = os.path.join(folder, "keys")


def pytest_unconfigure(config: object) -> None:
    for folder in _made:
        shutil.rmtree(folder, ignore_errors=True)
