"""Across vendors, on the real servers: SQLite -> PostgreSQL -> MariaDB -> SQLite.

Each hop snapshots the previous target and restores into the next vendor; every
table's content stays identical, and after each restore new rows insert without a
key clash (sequences and auto-increment counters were set).
"""

from __future__ import annotations

import json

from .helpers import checksums, django_script, make_source, restore, snapshot

INSERT_NEW_ROWS = """
from django.contrib.auth.models import Permission, User
from exact.models import Everything, Member, Membership, Club, Tag
from django.db.models import Max
result = {}
for model in (Everything, Member, Club, Membership, Permission, Member.tags.through):
    before = model.objects.aggregate(m=Max('pk'))['m']
    if model is Member.tags.through:
        member = Member.objects.create(name='new member')
        member.tags.add(Tag.objects.exclude(member=member).first())
        new = model.objects.filter(member=member).get()
    elif model is Membership:
        new = Membership.objects.create(member=Member.objects.first(), club=Club.objects.first(), since='2026-01-01', fee='1.00')
    elif model is Permission:
        new = Permission.objects.create(codename='new_perm', name='new', content_type_id=Permission.objects.first().content_type_id)
    else:
        new = model.objects.create() if model is Everything else model.objects.create(name='x')
    result[model._meta.label] = [before, new.pk]
print(json.dumps(result))
"""


def assert_new_rows_insert(db) -> None:
    result = json.loads(django_script(db, INSERT_NEW_ROWS).stdout)
    for label, (before, new) in result.items():
        assert before is not None and new > before, f"{label}: new pk {new} after max {before}"


def test_sqlite_to_postgresql_to_mariadb_to_sqlite_keeps_content_identical(databases, tmp_path):
    source = databases("sqlite", "source")
    make_source(source, rows=250)
    expected = checksums(source)
    current, hops = source, ["postgresql", "mysql", "sqlite"]
    for number, vendor in enumerate(hops):
        snap = tmp_path / f"snap{number}"
        snapshot(current, snap)
        manifest = json.loads((snap / "manifest.json").read_text())
        assert manifest["vendor"] == current.vendor
        target = databases(vendor, f"hop{number}")
        restore(snap, target)
        assert checksums(target) == expected, f"content differs after restoring into {vendor}"
        current = target


def test_sequences_are_right_after_restoring_into_each_vendor(databases, tmp_path):
    source = databases("sqlite", "source")
    make_source(source, rows=60)
    snap = tmp_path / "snap"
    snapshot(source, snap)
    for vendor in ("sqlite", "postgresql", "mysql"):
        target = databases(vendor, "seq")
        restore(snap, target)
        assert_new_rows_insert(target)


def test_ids_of_deleted_rows_are_not_handed_out_again_after_a_restore(databases, tmp_path):
    source = databases("sqlite", "source")
    make_source(source, rows=30)
    deleted = json.loads(
        django_script(
            source,
            "from exact.models import Tag, Everything\n"
            "top = list(Tag.objects.order_by('-pk').values_list('pk', flat=True)[:2])\n"
            "Tag.objects.filter(pk__in=top).delete()\n"
            "last = Everything.objects.order_by('-pk').first().pk\n"
            "Everything.objects.filter(pk=last).delete()\n"
            "print(json.dumps({'tag': max(top), 'everything': last}))\n",
        ).stdout
    )
    snap = tmp_path / "snap"
    manifest = snapshot(source, snap)
    assert manifest["ok"]
    counters = {
        m["model"]: m["counter"] for m in json.loads((snap / "manifest.json").read_text())["models"]
    }
    assert counters["exact.Tag"] == deleted["tag"]
    for vendor in ("sqlite", "postgresql", "mysql"):
        target = databases(vendor, "counters")
        restore(snap, target)
        new = json.loads(
            django_script(
                target,
                "from exact.models import Tag, Everything\n"
                "print(json.dumps({'tag': Tag.objects.create(name='new').pk, 'everything': Everything.objects.create().pk}))\n",
            ).stdout
        )
        assert new["tag"] == deleted["tag"] + 1, vendor
        assert new["everything"] == deleted["everything"] + 1, vendor
