"""The collection as users install it: ``ansible-galaxy collection build`` makes
datamig-site-<version>.tar.gz that holds the collection (every tracked file of its
content folders) and nothing of the development tree around it."""

from __future__ import annotations

import json
import subprocess
import tarfile

from .release import ROOT, Controller, build_collection, install_collection, tar_members, version

CONTENT = ["playbooks", "roles", "plugins", "meta", "docs", "changelogs"]
TOP_LEVEL = {*CONTENT, "MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.rst"}
REQUIRED = [
    "playbooks/upgrade.yml",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "roles/engine/defaults/main.yml",
    "plugins/module_utils/journal.py",
    "CHANGELOG.rst",
    "docs/install.md",
]
MAX_BYTES = 2_000_000  # today about 0.2 MB; the dev tree (.venv, .work) is gigabytes


def _tracked() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", *CONTENT, "README.md"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name and (ROOT / name).is_file()]


def test_the_tarball_is_the_collection_and_nothing_else(tmp_path):
    controller = Controller.chosen()
    tarball = build_collection(controller, tmp_path / "dist")
    assert tarball.name == f"datamig-site-{version()}.tar.gz"
    assert tarball.stat().st_size < MAX_BYTES, tarball.stat().st_size

    members = tar_members(tarball)
    files = set(members)
    assert {name.split("/")[0] for name in members} <= TOP_LEVEL, sorted(
        {name.split("/")[0] for name in members} - TOP_LEVEL
    )
    assert not [m for m in members if "__pycache__" in m or m.endswith((".pyc", ".sqlite3"))]
    missing = [name for name in [*REQUIRED, *_tracked()] if name not in files]
    assert not missing, f"left out of the tarball: {missing}"

    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == ("datamig", "site", version())


def test_it_installs_offline_into_an_empty_collections_path(tmp_path):
    controller = Controller.chosen()
    tarball = build_collection(controller, tmp_path / "dist")
    installed = install_collection(controller, tarball, tmp_path / "collections")
    assert (installed / "playbooks" / "upgrade.yml").is_file()
    assert not (installed / "engine").exists() and not (installed / "tests").exists()
    listing = subprocess.run(
        [
            controller.bin("ansible-galaxy"),
            "collection",
            "list",
            "datamig.site",
            "--format",
            "json",
        ],
        env=controller.env(collections=tmp_path / "collections"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [(path, collections)] = json.loads(listing).items()
    assert path == str(tmp_path / "collections" / "ansible_collections")
    assert collections == {"datamig.site": {"version": version()}}
