"""The model catalogue (testsite.catalogue) round-trips on every vendor and across.

Every table of the catalogue, generated columns included, has the same checksum after
the restore; new rows insert right after (sequences, auto-increment counters); what
a restore cannot carry is named before anything is written, with model, field and
value; what the site keeps beside Django (an unmanaged model's table, a column no
field knows) is left alone and reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import (
    SITE,
    Database,
    Site,
    checksums,
    datamig,
    django_script,
    json_error,
    restore,
    snapshot,
)

CATALOGUE = Site("testsite.catalogue", SITE, "TESTSITE")
ROWS = 30

INSERT_NEW_ROWS = """
from django.db.models import Max
from catalogue.models import Book, Chapter, Club, Everything, Person, Pizzeria, TaggedPlace
book = Book.objects.order_by('pk').first()
result = {'order': list(book.get_chapter_order())}
makers = {
    Everything: lambda: Everything.objects.create(code='new one'),
    Chapter: lambda: Chapter.objects.create(book=book, title='new'),
    Person.friends.through: lambda: Person.objects.first().friends.add(Person.objects.create(name='new'))
        or Person.friends.through.objects.order_by('pk').last(),
    Pizzeria: lambda: Pizzeria.objects.create(name='new', ovens=9),
    TaggedPlace: lambda: TaggedPlace.objects.create(name='new', tag='new', both='new'),
    Club: lambda: Club.objects.create(name='new'),
}
for model, make in makers.items():
    before = model.objects.aggregate(m=Max('pk'))['m']
    result[model._meta.label] = [before, make().pk]
thing = Everything.objects.get(code='new one')
result['generated'] = [thing.code_lower, thing.twice]
print(json.dumps(result))
"""


GENERATED = """
from catalogue.models import Everything
print(json.dumps(list(Everything.objects.order_by('pk').values_list('pk', 'code_lower', 'twice'))))
"""


# The third-party fields' own Python values, as the application sees them (decrypted
# secrets, Money, PhoneNumber, Country, enum members).
THIRDPARTY = """
from thirdparty.models import Shop
print(json.dumps([[repr(getattr(shop, f.attname)) for f in Shop._meta.fields]
                  for shop in Shop.objects.order_by('pk')]))
"""


def fill_catalogue(db: Database) -> None:
    db.create_empty()
    django_script(
        db,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        f"from catalogue.fill import fill\nfill({ROWS})\n",
    )


def catalogue_db(databases, vendor: str, label: str) -> Database:
    return databases(vendor, label, site=CATALOGUE)


def catalogue_tables(sums: dict) -> dict:
    return {
        t: v for t, v in sums.items() if v["model"].split(".")[0] in ("catalogue", "pgcatalogue")
    }


def restore_report(snap: Path, db: Database, *extra: str) -> dict:
    return json.loads(restore(snap, db, *extra).stdout)


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql", "mysql"])
def test_catalogue_round_trips_with_identical_checksums(databases, tmp_path, vendor):
    source = catalogue_db(databases, vendor, "source")
    fill_catalogue(source)
    expected = checksums(source)
    mine = catalogue_tables(expected)
    # every model of the catalogue has rows, so that each case is really carried
    empty = [v["model"] for v in mine.values() if not v["rows"]]
    assert not empty, f"models without rows: {empty}"
    if vendor == "postgresql":
        assert {"pgcatalogue_arrays", "pgcatalogue_tagging"} <= set(mine)
    if vendor != "postgresql":
        assert "catalogue_virtual" in mine
    snap = tmp_path / "snap"
    snapshot(source, snap)
    target = catalogue_db(databases, vendor, "target")
    report = restore_report(snap, target)
    assert checksums(target) == expected
    generated = json.loads(django_script(target, GENERATED).stdout)
    assert generated == json.loads(django_script(source, GENERATED).stdout)
    assert [1, "code-0", 84] in generated and [2, "code-1", -10] in generated
    shops = json.loads(django_script(target, THIRDPARTY).stdout)
    assert shops == json.loads(django_script(source, THIRDPARTY).stdout)
    assert "'secret 1 ünï'" in shops[1] and "Money('1.99', 'USD')" in shops[1]
    assert "<Size.LARGE: 2>" in shops[1] and "Country(code='EE')" in shops[1]
    warnings = "\n".join(report["warnings"])
    assert "catalogue.Legacy (table catalogue_legacy): unmanaged model" in warnings
    assert "catalogue.Wider (table catalogue_wider): column(s) unknown_flag" in warnings
    new = json.loads(django_script(target, INSERT_NEW_ROWS).stdout)
    assert new.pop("generated") == ["new one", 84]  # db_default 42, twice = 2 * 42
    order = new.pop("order")
    assert order == sorted(order, reverse=True)  # _order kept, not the insertion order
    assert len(order) == 3
    for label, (before, pk) in new.items():
        assert before is not None and pk > before, f"{label}: new pk {pk} after max {before}"


def test_what_the_site_keeps_beside_django_is_left_alone(databases, tmp_path):
    source = catalogue_db(databases, "sqlite", "source")
    fill_catalogue(source)
    snap = tmp_path / "snap"
    snapshot(source, snap)
    target = catalogue_db(databases, "sqlite", "target")
    restore(snap, target)
    read = (
        "from django.db import connection\nc = connection.cursor()\n"
        "c.execute('SELECT COUNT(*) FROM catalogue_legacy'); n = c.fetchone()[0]\n"
        "c.execute('SELECT DISTINCT unknown_flag FROM catalogue_wider'); f = c.fetchall()\n"
        "print(json.dumps([n, sorted(x[0] for x in f)]))\n"
    )
    assert json.loads(django_script(source, read).stdout)[0] == 1
    # not carried: the unmanaged table stays as migrate made it, the unknown column
    # has its database default
    assert json.loads(django_script(target, read).stdout) == [0, [7]]


@pytest.mark.parametrize(
    ("source_vendor", "target_vendor"), [("sqlite", "mysql"), ("mysql", "sqlite")]
)
def test_catalogue_crosses_vendors_that_hold_its_values(
    databases, tmp_path, source_vendor, target_vendor
):
    source = catalogue_db(databases, source_vendor, "source")
    fill_catalogue(source)
    expected = checksums(source)
    snap = tmp_path / "snap"
    snapshot(source, snap)
    target = catalogue_db(databases, target_vendor, "target")
    restore(snap, target)
    assert checksums(target) == expected


def test_postgresql_values_are_refused_across_vendors_before_anything_is_written(
    databases, tmp_path
):
    source = catalogue_db(databases, "postgresql", "source")
    fill_catalogue(source)
    snap = tmp_path / "snap"
    snapshot(source, snap)
    target = catalogue_db(databases, "sqlite", "target")
    diff = datamig("diff", str(snap), *CATALOGUE.args(), "--json", db=target, check=False)
    assert diff.returncode == 1
    blocking = "\n".join(json.loads(diff.stdout)["blocking"])
    assert "pgcatalogue.Arrays.numbers: holds list values (e.g. [" in blocking
    assert "pgcatalogue.Arrays.attributes: holds dict values" in blocking
    assert "pgcatalogue.Arrays.ages: holds range values" in blocking
    assert "only postgresql stores; sqlite cannot hold them" in blocking
    # the portable raw columns of the catalogue are not refused
    assert "catalogue.Everything" not in blocking
    error = json_error(restore(snap, target, check=False))
    assert "pgcatalogue.Arrays.numbers: holds list values" in error["error"]
    assert not target.exists()


def test_a_model_the_target_vendor_cannot_have_is_named_by_diff(databases, tmp_path):
    source = catalogue_db(databases, "sqlite", "source")
    fill_catalogue(source)
    snap = tmp_path / "snap"
    snapshot(source, snap)
    target = catalogue_db(databases, "postgresql", "target")
    diff = datamig("diff", str(snap), *CATALOGUE.args(), "--json", db=target, check=False)
    assert diff.returncode == 1
    blocking = json.loads(diff.stdout)["blocking"]
    assert blocking == [
        f"catalogue.Virtual: the current code keeps this model out of a postgresql database "
        f"(required_db_vendor, required_db_features or a router): its {ROWS} rows cannot be "
        "restored there"
    ]
    warnings = "\n".join(json.loads(diff.stdout)["warnings"])
    assert "catalogue.Legacy (table catalogue_legacy): unmanaged model" in warnings
    assert not target.exists()
