"""Snapshots of every format version the engine has written keep restoring.

``fixtures/format-<N>/<site>/`` is a snapshot as the engine of format N wrote it (made once
by ``fixtures/make_fixture.py``, never rewritten) and ``<site>.checksums.json`` the table
checksums of the database it was taken from. Each is restored with today's code into every
vendor; every table the snapshot holds must come back with its source checksum.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import VENDORS
from .helpers import DEMO_SITE, TEST_SITE, checksums, restore

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SITES = {"demo": DEMO_SITE, "exact": TEST_SITE}
CASES = sorted(
    (folder.parent.name, folder.name)
    for folder in FIXTURES.glob("format-*/*")
    if folder.is_dir() and folder.name in SITES
)
# Tables whose rows a newer test site may add to (content types and permissions of apps
# that did not exist when the fixture was made): compared as "at least the source's rows".
GROWING = {"django_content_type", "auth_permission"}
# How the checksums of each format's fixtures were computed on SQLite: datamig 0.1.0
# (format 1) read SQLite decimals as Django 5.2 does, rounded to 15 significant digits.
# Its bundled runtime, which restores the fixture, writes such decimals as it always did,
# so the fixture is compared by the rule its checksums were recorded with.
CHECKSUM_ARGS = {"format-1": ("--sqlite-decimals", "django52")}


def test_there_is_a_fixture_of_the_current_format():
    from datamig.runtime.manifest import FORMAT_VERSION

    assert (FIXTURES / f"format-{FORMAT_VERSION}" / "demo" / "manifest.json").is_file(), (
        f"format {FORMAT_VERSION} has no fixture: run "
        "`.venv/bin/python -m tests.engine.fixtures.make_fixture demo` (and exact) once"
    )


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize(("fmt", "site"), CASES, ids=[f"{f}-{s}" for f, s in CASES])
def test_format_fixture_restores_identically(fmt, site, vendor, databases, tmp_path):
    source = FIXTURES / fmt / site
    expected = json.loads((FIXTURES / fmt / f"{site}.checksums.json").read_text())
    copy = tmp_path / "snapshot"
    shutil.copytree(source, copy)  # a restore must not write into the committed fixture
    for path in [copy, *copy.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)

    target = databases(vendor, f"fixture_{site}", site=SITES[site])
    # the fixtures were written before snapshots were signed: accepted on request only
    refused = restore(copy, target, check=False)
    assert refused.returncode != 0 and "is not signed" in refused.stderr
    assert not target.exists()
    accepted = restore(copy, target, "--trust-unsigned")
    assert "UNSIGNED snapshot" in accepted.stderr
    got = checksums(target, *CHECKSUM_ARGS.get(fmt, ()))

    for table, entry in sorted(expected.items()):
        assert table in got, f"{fmt}/{site}: table {table} is gone after the restore"
        if table in GROWING and SITES[site] is TEST_SITE:
            assert got[table]["rows"] >= entry["rows"], (table, got[table], entry)
            continue
        assert got[table] == {**got[table], **entry}, f"{fmt}/{site}: {table} differs"
