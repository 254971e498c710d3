"""The engine as users install it: its wheel, built from engine/, installed with Django
into a clean virtualenv (offline, from the wheelhouse tools/bootstrap fills), answers
``datamig --version`` with the release's version and round-trips the demo site: a
snapshot of a filled SQLite database, restored into a new PostgreSQL database, gives the
same ``datamig checksum`` of every table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile

from tests.engine.helpers import DEMO_SITE, Database

from .release import ROOT, build_engine_wheel, version

WHEELS = ROOT / ".work" / "wheels"
# what a site's virtualenv brings besides the engine (requirements/wheelhouse.txt has them)
CLEAN_VENV_REQUIREMENTS = ["Django==5.2.19", "psycopg[binary]==3.3.9"]


def _run(argv: list[str], env: dict[str, str] | None = None) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DEMO_", "DJANGO_"))}
    clean.pop("PYTHONPATH", None)
    result = subprocess.run(
        argv, env={**clean, **(env or {})}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{argv}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_the_wheel_holds_the_engine_and_its_runtime(tmp_path):
    wheel = build_engine_wheel(tmp_path)
    assert wheel.name == f"datamig-{version()}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"datamig-{version()}.dist-info/METADATA").decode()
        entry_points = archive.read(f"datamig-{version()}.dist-info/entry_points.txt").decode()
    assert f"\nVersion: {version()}\n" in metadata
    assert "datamig = datamig.cli:main" in entry_points
    # the runtime travels inside every snapshot: the wheel must carry all of it
    runtime = sorted(p.name for p in (ROOT / "engine/datamig/runtime").glob("*.py"))
    assert runtime and all(f"datamig/runtime/{name}" in names for name in runtime)
    assert all(n.startswith(("datamig/", f"datamig-{version()}.dist-info/")) for n in names), names


def test_the_wheel_installs_into_a_clean_venv_and_round_trips_the_demo_site(tmp_path):
    wheel = build_engine_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    # the interpreter .venv was made from: the new virtualenv sees none of .venv's packages
    _run([sys._base_executable, "-m", "venv", str(venv)])
    py, datamig = str(venv / "bin" / "python"), str(venv / "bin" / "datamig")
    _run(
        [
            py,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
            str(WHEELS),
            str(wheel),
            *CLEAN_VENV_REQUIREMENTS,
        ]
    )
    _run([py, "-m", "pip", "check", "--disable-pip-version-check"])
    assert _run([datamig, "--version"]).strip() == f"datamig {version()}"
    where = _run([py, "-c", "import datamig; print(datamig.__file__)"]).strip()
    assert where.startswith(str(venv)), f"the engine came from {where}, not the wheel"

    site = ["--settings", DEMO_SITE.settings, "--pythonpath", str(DEMO_SITE.path)]
    source = {"DEMO_DB_VENDOR": "sqlite", "DEMO_DB_NAME": str(tmp_path / "source.sqlite3")}
    manage = [py, str(DEMO_SITE.path / "manage.py")]
    _run([*manage, "migrate", "--verbosity", "0"], source)
    _run([*manage, "demo_fill", "--rows", "300", "--seed", "5", "--verbosity", "0"], source)
    expected = json.loads(_run([datamig, "checksum", *site, "--json"], source))["tables"]
    assert sum(t["rows"] for t in expected.values()) > 300

    snap = tmp_path / "snapshot"
    _run([datamig, "snapshot", *site, "-o", str(snap), "--json"], source)
    target = Database("postgresql", f"dmtest_wheel_{uuid.uuid4().hex[:10]}", site=DEMO_SITE)
    env = {"DEMO_DB_VENDOR": "postgresql", "DEMO_DB_NAME": target.name}
    try:
        _run([datamig, "restore", str(snap), *site, "--json"], env)
        restored = json.loads(_run([datamig, "checksum", *site, "--json"], env))["tables"]
    finally:
        target.drop()
    assert restored == expected
