"""The demo site (examples/demo/v1) round-trips exactly on every vendor.

The demo models are what a real site looks like: MTI, a nullable FK cycle, self
references, M2M with and without a through model, two generic foreign keys, Lino-like
comments whose save() and signals would rewrite data, auth, admin log and sessions.
"""

from __future__ import annotations

import pytest

from .helpers import DEMO_SITE, checksums, django_script, json_error, restore, snapshot


def fill_demo(db, rows: int) -> None:
    db.create_empty()
    django_script(
        db,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        f"call_command('demo_fill', rows={rows}, seed=7, verbosity=0)\n",
    )


@pytest.mark.parametrize("source_vendor", ["sqlite", "postgresql", "mysql"])
def test_demo_site_round_trips_into_every_vendor(source_vendor, databases, tmp_path):
    source = databases(source_vendor, "demosrc", DEMO_SITE)
    fill_demo(source, 4000)
    expected = checksums(source)
    assert sum(t["rows"] for t in expected.values()) > 4000
    snap = tmp_path / "snap"
    snapshot(source, snap)
    for vendor in ("sqlite", "postgresql", "mysql"):
        target = databases(vendor, f"demo{vendor}", DEMO_SITE)
        if vendor == "sqlite" and source_vendor != "sqlite":
            # The demo's Decimal(20, 6) values have up to 20 digits; SQLite keeps 15.
            result = restore(snap, target, check=False)
            error = json_error(result)
            assert error["kind"] == "restore_failed"
            assert (
                "significant digits" in error["error"] and "SQLite cannot store" in error["error"]
            )
            assert not target.exists()
            continue
        restore(snap, target)
        assert checksums(target) == expected, f"{source_vendor} -> {vendor}"
