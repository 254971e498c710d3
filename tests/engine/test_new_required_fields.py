"""A new required field without a default gets what the model's own code gives it.

Version 2 of tests/engine/newfield adds ``Item.reference`` and ``Item.rank`` (filled by
``Item.full_clean()``), ``Item.created`` (``auto_now_add``: the field's ``pre_save``)
and ``Box.weight`` (filled by nothing). A version-1 snapshot restored into version 2
is blocked, naming ``stock.Box.weight``, with the target left as it was; ``--set
stock.Box.weight=VALUE`` (engine CLI and the snapshot's own restore.py) lets it pass.
"""

from __future__ import annotations

import datetime
import json
import sqlite3

import pytest

from .helpers import PYTHON, ROOT, Site, datamig, django_script, json_error, restore, run, snapshot

V1 = Site("newfield_site.settings", ROOT / "tests" / "engine" / "newfield" / "v1", "NEWFIELD")
V2 = Site("newfield_site.settings", V1.path.parent / "v2", "NEWFIELD")

FILL = """
from django.core.management import call_command
call_command('migrate', run_syncdb=True, verbosity=0)
from stock.models import Box, Item
for i in range(5):
    Item.objects.create(name=f'item{i}', amount=i + 1)
for i in range(3):
    Box.objects.create(label=f'box{i}')
"""


@pytest.fixture
def v1_snapshot(databases, tmp_path):
    source = databases("sqlite", "nfsrc", V1)
    django_script(source, FILL)
    snap = tmp_path / "snap"
    snapshot(source, snap)
    return snap


def rows(path: str, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_model_code_fills_what_it_can_and_the_rest_is_blocked_until_set(
    v1_snapshot, databases, tmp_path
):
    target = databases("sqlite", "nfnew", V2)
    error = json_error(restore(v1_snapshot, target, check=False))
    assert error["kind"] == "restore_failed"
    assert "stock.Box.weight" in error["error"] and "--set stock.Box.weight=" in error["error"]
    assert "stock.Item" not in error["error"].replace("stock.Box", "")
    assert not target.exists()  # nothing written: the database it made is gone

    report = json.loads(restore(v1_snapshot, target, "--set", "stock.Box.weight=7").stdout)
    assert report["filled"] == {
        "stock.Item.reference": {"rows": 5, "by_set": 0, "by_model": 5, "empty_text": 0},
        "stock.Item.rank": {"rows": 5, "by_set": 0, "by_model": 5, "empty_text": 0},
        "stock.Item.created": {"rows": 5, "by_set": 0, "by_model": 5, "empty_text": 0},
        "stock.Box.weight": {"rows": 3, "by_set": 3, "by_model": 0, "empty_text": 0},
    }
    items = rows(target.name, "SELECT id, name, amount, reference, rank, created FROM stock_item")
    assert [row[:5] for row in items] == [
        (i + 1, f"item{i}", i + 1, f"ITEM{i}-{i + 1}", (i + 1) * 10) for i in range(5)
    ]
    now = datetime.datetime.now(datetime.timezone.utc)
    for row in items:
        created = datetime.datetime.fromisoformat(row[5]).replace(tzinfo=datetime.timezone.utc)
        assert abs((now - created).total_seconds()) < 300
    assert rows(target.name, "SELECT id, label, weight FROM stock_box") == [
        (i + 1, f"box{i}", 7) for i in range(3)
    ]


def test_set_works_with_the_snapshots_own_restore_script(v1_snapshot, databases):
    target = databases("sqlite", "nfscript", V2)
    result = run(
        [
            PYTHON,
            str(v1_snapshot / "restore.py"),
            *V2.args(),
            "--json",
            "--set",
            "stock.Box.weight=12",
        ],
        target,
    )
    assert json.loads(result.stdout)["filled"]["stock.Box.weight"]["by_set"] == 3
    assert rows(target.name, "SELECT weight FROM stock_box") == [(12,)] * 3


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("stock.Box.height=3", "has no field height"),
        ("stock.Crate.weight=3", "no model stock.Crate"),
        ("stock.Box.weight=heavy", "is not a value of stock.Box.weight"),
        ("stock.Box.weight", "expected app.Model.field=VALUE"),
    ],
)
def test_a_wrong_set_is_refused_before_anything_is_written(v1_snapshot, databases, item, words):
    target = databases("sqlite", "nfbad", V2)
    error = json_error(restore(v1_snapshot, target, "--set", item, check=False))
    assert error["kind"] == "usage" and words in error["error"], error
    assert not target.exists()


def test_diff_names_the_fields_the_model_fills(v1_snapshot):
    result = datamig("diff", str(v1_snapshot), *V2.args(), "--json", check=False)
    text = result.stdout
    assert "weight: new required field without a default" in text, text
