"""One version number for the release: the collection (galaxy.yml), the engine
(datamig.__version__, which engine/pyproject.toml reads), the engine the engine role
installs by default, and the newest entry of the changelog, which antsibull-changelog
generates from changelogs/ (CHANGELOG.rst is its output, not edited by hand)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import tomllib
import yaml

import datamig

from .release import ROOT, version

VENV_BIN = ROOT / ".venv" / "bin"


def test_collection_engine_and_engine_role_carry_one_version():
    v = version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", v), v
    assert datamig.__version__ == v
    project = tomllib.loads((ROOT / "engine" / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "datamig.__version__"}
    cli = subprocess.run(
        [sys.executable, "-m", "datamig", "--version"], capture_output=True, text=True, check=True
    )
    assert cli.stdout.strip() == f"datamig {v}"

    defaults = yaml.safe_load((ROOT / "roles/engine/defaults/main.yml").read_text())
    assert f"'datamig[offsite]=={v}'" in defaults["engine_spec"]
    specs = yaml.safe_load((ROOT / "roles/engine/meta/argument_specs.yml").read_text())
    option = specs["argument_specs"]["main"]["options"]["datamig_engine_spec"]
    assert option["default"] == f"datamig[offsite]=={v}"


def test_the_changelog_is_generated_from_the_fragments_and_names_this_version(tmp_path):
    changes = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text())
    assert max(changes["releases"], key=lambda r: tuple(map(int, r.split(".")))) == version()
    lint = subprocess.run(
        [str(VENV_BIN / "antsibull-changelog"), "lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0 and not lint.stdout.strip(), lint.stdout + lint.stderr

    # regenerate in a copy: the committed CHANGELOG.rst is exactly what the tool writes
    copy = tmp_path / "collection"
    copy.mkdir()
    shutil.copytree(ROOT / "changelogs", copy / "changelogs")
    shutil.copy(ROOT / "galaxy.yml", copy / "galaxy.yml")
    subprocess.run(
        [str(VENV_BIN / "antsibull-changelog"), "generate"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    generated = (copy / "CHANGELOG.rst").read_text()
    assert (ROOT / "CHANGELOG.rst").read_text() == generated
    assert f"v{version()}" in generated
