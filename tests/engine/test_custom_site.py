"""A custom user model (AUTH_USER_MODEL) and a second database alias with a router.

testsite.custom: accounts.User replaces auth.User (groups and permissions point at
it); the archive app lives in the alias "other", which a router gives it. Each alias
is snapshotted and restored on its own (``--database``), with identical checksums.
"""

from __future__ import annotations

import pytest

from .helpers import SITE, Database, Site, checksums, datamig, django_script, restore, snapshot

CUSTOM = Site("testsite.custom", SITE, "TESTSITE")


def with_other(db: Database, other: Database) -> Database:
    db.extra_env["TESTSITE_OTHER_DB_NAME"] = other.name
    return db


def alias_checksums(db: Database, alias: str) -> dict:
    import json

    result = datamig("checksum", *CUSTOM.args(), "--database", alias, "--json", db=db)
    return json.loads(result.stdout)["tables"]


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_custom_user_model_and_routed_alias_round_trip(databases, tmp_path, vendor):
    other = databases(vendor, "source_other", site=CUSTOM)
    source = with_other(databases(vendor, "source", site=CUSTOM), other)
    source.create_empty()
    other.create_empty()
    django_script(
        source,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('migrate', database='other', verbosity=0)\n"
        "from accounts.fill import fill\nfill()\n",
    )
    default_sums = checksums(source)
    other_sums = alias_checksums(source, "other")
    # each alias holds its own models only
    assert default_sums["accounts_user"]["rows"] == 20
    assert "accounts_user_groups" in default_sums and "auth_user" not in default_sums
    assert "archive_record" not in default_sums
    assert set(other_sums) == {"archive_record"} and other_sums["archive_record"]["rows"] == 20

    snap, snap_other = tmp_path / "snap", tmp_path / "snap_other"
    snapshot(source, snap)
    snapshot(source, snap_other, "--database", "other")
    target_other = databases(vendor, "target_other", site=CUSTOM)
    target = with_other(databases(vendor, "target", site=CUSTOM), target_other)
    restore(snap, target)
    restore(snap_other, target, "--database", "other")
    assert checksums(target) == default_sums
    assert alias_checksums(target, "other") == other_sums
