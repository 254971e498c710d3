"""A snapshot written under Django 5.2 (.venv) restores under Django 6.1 (.venv-django61)
with identical table checksums: the most common upgrade of all is Django's own.

Both environments are made by tools/bootstrap; a missing one is a failure, not a skip.
Each command runs with the interpreter of its environment, as an operator whose new
release brings the new Django would run it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .helpers import DEMO_SITE, ROOT, TEST_SITE, Database, run
from .test_catalogue import CATALOGUE

DJANGO52 = ROOT / ".venv" / "bin" / "python"
DJANGO61 = ROOT / ".venv-django61" / "bin" / "python"


def django_version(python: Path) -> str:
    if not python.is_file():
        pytest.fail(f"{python} is missing: run tools/bootstrap")
    result = subprocess.run(
        [str(python), "-c", "import django; print(django.get_version())"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def datamig(python: Path, db: Database, *args: str) -> dict:
    result = run([str(python), "-m", "datamig", *args, *db.site.args(), "--json"], db)
    return json.loads(result.stdout)


def script(python: Path, db: Database, code: str) -> None:
    prelude = (
        "import sys, os\n"
        f"sys.path.insert(0, {str(db.site.path)!r})\n"
        f"os.environ['DJANGO_SETTINGS_MODULE'] = {db.site.settings!r}\n"
        "import django\ndjango.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
    )
    run([str(python), "-c", prelude + code], db)


FILL = {
    "demo": "call_command('demo_fill', rows=1500, seed=3, verbosity=0)\n",
    "test site": "from exact.fill import fill\nfill(300, 5)\n",
    "catalogue": "from catalogue.fill import fill\nfill(30)\n",
}
# rows the source must hold at least (the catalogue has many models of few rows)
MIN_ROWS = {"demo": 500, "test site": 500, "catalogue": 200}


@pytest.mark.parametrize(
    ("name", "site", "vendor"),
    [
        ("demo", DEMO_SITE, "sqlite"),
        ("demo", DEMO_SITE, "postgresql"),
        # On SQLite a decimal of more than 15 digits that SQLite keeps as an INTEGER
        # (exact.Everything.wide_amount) is read alike by the engine under 5.2 and 6.1.
        # (exact.fill does not run on MariaDB: its sources are made elsewhere.)
        ("test site", TEST_SITE, "sqlite"),
        ("test site", TEST_SITE, "postgresql"),
        ("catalogue", CATALOGUE, "sqlite"),
        ("catalogue", CATALOGUE, "postgresql"),
    ],
)
def test_a_django_52_snapshot_restores_identically_under_django_61(
    name, site, vendor, databases, tmp_path
):
    assert django_version(DJANGO52).startswith("5.2")
    assert django_version(DJANGO61).startswith("6.1")
    source = databases(vendor, "dj52", site)
    source.create_empty()
    script(DJANGO52, source, FILL[name])
    expected = datamig(DJANGO52, source, "checksum")["tables"]
    assert sum(t["rows"] for t in expected.values()) > MIN_ROWS[name]
    snap = tmp_path / "snap"
    datamig(DJANGO52, source, "snapshot", "-o", str(snap))
    manifest = json.loads((snap / "manifest.json").read_text())
    assert manifest["django"].startswith("5.2")

    target = databases(vendor, "dj61", site)
    report = datamig(DJANGO61, target, "restore", str(snap))
    assert report["created_database"] is True
    assert datamig(DJANGO61, target, "checksum")["tables"] == expected
    # the same content read by 5.2 too: nothing hides behind one version's reading
    assert datamig(DJANGO52, target, "checksum")["tables"] == expected
    # and content types kept their ids (raw, as 5.2 numbered them)
    source_types = _content_types(DJANGO52, source)
    assert _content_types(DJANGO61, target) == source_types


def _content_types(python: Path, db: Database) -> list:
    code = (
        "import json, sys, os\n"
        f"sys.path.insert(0, {str(db.site.path)!r})\n"
        f"os.environ['DJANGO_SETTINGS_MODULE'] = {db.site.settings!r}\n"
        "import django\ndjango.setup()\n"
        "from django.contrib.contenttypes.models import ContentType\n"
        "print(json.dumps(list(ContentType.objects.order_by('pk')"
        ".values_list('pk', 'app_label', 'model'))))\n"
    )
    return json.loads(run([str(python), "-c", code], db).stdout)
