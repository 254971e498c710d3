"""Every content type and permission keeps its id through a restore into the same code.

The source's content types are numbered in an order of their own (as a database that
grew model by model over years has them), which is not the order a fresh ``migrate``
numbers them in; the target is new, or already migrated in yet another order. The
tables are compared raw (id, app_label, model / id, content_type_id, codename, name),
not by natural key.
"""

from __future__ import annotations

import json

import pytest

from .helpers import DEMO_SITE, Database, checksums, django_script, restore, snapshot

# Renumber content types in a shuffled order with gaps, then make the permissions again.
RENUMBER = """
import random
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
keys = list(ContentType.objects.order_by('pk').values_list('app_label', 'model'))
Permission.objects.all().delete()
ContentType.objects.all().delete()
random.Random({seed}).shuffle(keys)
for index, (app, model) in enumerate(keys):
    ContentType.objects.create(id={first} + 3 * index, app_label=app, model=model)
ContentType.objects.clear_cache()
for config in apps.get_app_configs():
    create_permissions(config, verbosity=0)
"""

RAW_TABLES = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute('SELECT id, app_label, model FROM django_content_type ORDER BY id')
    types = [list(r) for r in cursor.fetchall()]
    cursor.execute(
        'SELECT id, content_type_id, codename, name FROM auth_permission ORDER BY id'
    )
    permissions = [list(r) for r in cursor.fetchall()]
print(json.dumps({'types': types, 'permissions': permissions}))
"""


def raw_tables(db: Database) -> dict[str, list[list]]:
    return json.loads(django_script(db, RAW_TABLES).stdout)


def migrate(db: Database) -> None:
    db.create_empty()
    django_script(
        db, "from django.core.management import call_command\ncall_command('migrate', verbosity=0)"
    )


@pytest.fixture
def demo_source(databases, tmp_path):
    """A demo site whose content types were numbered in an order of their own."""

    def make(vendor: str):
        source = databases(vendor, "ctsrc", DEMO_SITE)
        migrate(source)
        django_script(source, RENUMBER.format(seed=11, first=40))
        fill_demo_rows(source)
        snap = tmp_path / f"snap-{vendor}"
        snapshot(source, snap)
        return source, snap

    return make


def fill_demo_rows(db: Database) -> None:
    django_script(
        db,
        "from django.core.management import call_command\n"
        "call_command('demo_fill', rows=600, seed=7, verbosity=0)\n",
    )


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql", "mysql"])
def test_same_code_restore_keeps_every_content_type_and_permission_id(
    vendor, databases, demo_source
):
    source, snap = demo_source(vendor)
    expected = raw_tables(source)
    fresh = databases(vendor, "ctfresh", DEMO_SITE)
    migrate(fresh)
    # The test means something: a fresh migrate numbers them otherwise.
    assert raw_tables(fresh)["types"] != expected["types"]
    assert sorted(t[1:] for t in raw_tables(fresh)["types"]) == sorted(
        t[1:] for t in expected["types"]
    )

    # Into a new database (its migrate numbers them in migrate's order) ...
    target = databases(vendor, "ctnew", DEMO_SITE)
    report = json.loads(restore(snap, target).stdout)
    assert raw_tables(target) == expected
    assert report["content_types"]["kept"] == len(expected["types"])
    assert report["content_types"]["added"] == [] and report["content_types"]["stale"] == []
    assert checksums(target) == checksums(source)
    # ... and the sequences go on after the kept ids.
    created = django_script(
        target,
        "from django.contrib.contenttypes.models import ContentType\n"
        "from django.contrib.auth.models import Permission\n"
        "t = ContentType.objects.create(app_label='zz', model='new')\n"
        "p = Permission.objects.create(content_type=t, codename='zz', name='zz')\n"
        "print(json.dumps([t.pk, p.pk]))\n",
    )
    new_type, new_permission = json.loads(created.stdout)
    assert new_type == max(t[0] for t in expected["types"]) + 1
    assert new_permission == max(p[0] for p in expected["permissions"]) + 1

    # ... and into a database already migrated, whose content types have other ids.
    existing = databases(vendor, "ctold", DEMO_SITE)
    migrate(existing)
    django_script(existing, RENUMBER.format(seed=5, first=7))
    assert raw_tables(existing)["types"] != expected["types"]
    restore(snap, existing)
    assert raw_tables(existing) == expected
    assert checksums(existing) == checksums(source)


def test_restore_into_new_code_keeps_the_snapshot_ids_and_numbers_new_models_after(
    databases, demo_source, tmp_path
):
    from .test_versions import ALLOW, V2

    source, snap = demo_source("sqlite")
    expected = raw_tables(source)
    target = databases("sqlite", "ctv2", V2)
    report = json.loads(
        restore(snap, target, *ALLOW, "--lost-values", str(tmp_path / "lost.jsonl")).stdout
    )
    found = raw_tables(target)
    by_id = {row[0]: row for row in found["types"]}
    last = max(row[0] for row in expected["types"])
    for row in expected["types"]:  # every snapshot content type keeps its id
        if row[1:] == ["notes", "tag"]:  # renamed by the migrators: its id goes along
            assert by_id[row[0]] == [row[0], "notes", "label"]
        else:
            assert by_id[row[0]] == row
    added = [row for row in found["types"] if row[0] > last]
    assert added, "version 2 has models version 1 lacks"
    assert [row[0] for row in added] == list(range(last + 1, last + 1 + len(added)))
    assert report["content_types"]["added"] == [
        {"id": pk, "model": f"{app}.{model}"} for pk, app, model in added
    ]
    # a removed model's content type stays (as Django leaves it) and is reported
    mention = [row for row in expected["types"] if row[1:] == ["notes", "mention"]]
    assert report["content_types"]["stale"] == [{"id": mention[0][0], "model": "notes.mention"}]
    assert any("notes.mention" in w for w in report["warnings"])
    # permissions of the snapshot keep their ids; those of new models come after
    permissions = {row[0]: row for row in found["permissions"]}
    for row in expected["permissions"]:
        assert permissions[row[0]] == row
    # (a renamed model's permissions get new codenames, as after Django's RenameModel)
    tag = [row[0] for row in expected["types"] if row[1:] == ["notes", "tag"]]
    new_types = {row[0] for row in added} | set(tag)
    for pk, type_id, _codename, _name in found["permissions"]:
        if pk > max(p[0] for p in expected["permissions"]):
            assert type_id in new_types
