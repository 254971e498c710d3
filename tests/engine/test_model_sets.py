"""Random model sets (field kinds, options, names, relations) round-trip exactly.

The runner (tests/engine/model_sets.py) runs in a process of its own per vendor, as
the test site's settings are fixed per process. CI runs a fixed set of examples
(derandomized): 25 on SQLite, 6 on PostgreSQL and on MariaDB.
DATAMIG_PROPERTY_EXAMPLES multiplies them and DATAMIG_PROPERTY_RANDOM=1 draws new ones
(for a longer local run).
"""

from __future__ import annotations

import os

import pytest

from .helpers import PYTHON, Database, run

EXAMPLES = {"sqlite": 25, "postgresql": 6, "mysql": 6}


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql", "mysql"])
def test_random_model_sets_round_trip_with_identical_checksums(vendor, databases):
    source, target = databases(vendor, "setsrc"), databases(vendor, "setdst")
    for db in (source, target):
        db.create_empty()
    examples = EXAMPLES[vendor] * int(os.environ.get("DATAMIG_PROPERTY_EXAMPLES", "1"))
    db = Database(vendor, source.name, {"TESTSITE_OTHER_DB_NAME": target.name})
    result = run([PYTHON, "-m", "tests.engine.model_sets", str(examples)], db, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert f"model sets: {examples} examples round-tripped" in result.stdout
