"""new_database: the upgrade's new database is named after its release, per vendor."""

import os

import pytest

from ansible_collections.datamig.site.plugins.module_utils.new_database import (  # isort: skip
    new_db_name,
)

RELEASE = "/srv/mysite/releases/2-20261124T140312-123456Z"


def test_sqlite_is_a_file_of_the_release_in_the_databases_folder():
    name = new_db_name("sqlite", "mysite", RELEASE, "/srv/mysite/shared/db")
    assert name == "/srv/mysite/shared/db/mysite-2-20261124T140312-123456Z.sqlite3"
    assert new_db_name("sqlite", "mysite", RELEASE + "/", "/d") == os.path.join(
        "/d", "mysite-2-20261124T140312-123456Z.sqlite3"
    )


@pytest.mark.parametrize("vendor", ["postgresql", "mysql"])
def test_server_names_are_lower_case_safe_and_short(vendor):
    assert new_db_name(vendor, "mysite", RELEASE, "/d") == "mysite_2_20261124t140312_123456z"
    long = new_db_name(vendor, "A-Site.With Spaces" * 4, "v" * 10 + "-2.0-" + "x" * 40, "/d")
    assert len(long) <= 63 and set(long) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")
    assert long.startswith("a_site_with_spacesa_site_with__") and long.endswith("x" * 32)
    assert new_db_name(vendor, "Café", "2-run", "/d") == "caf__2_run"


def test_the_operators_name_wins_and_nothing_is_refused_silently():
    assert new_db_name("postgresql", "mysite", RELEASE, "/d", given="chosen") == "chosen"
    with pytest.raises(ValueError, match="needs a site and a release"):
        new_db_name("sqlite", "mysite", "", "/d")
