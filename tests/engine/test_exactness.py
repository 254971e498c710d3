"""Snapshot + restore gives back every table's content exactly (docs/design.md, the snapshot).

The whole-database test compares per-table content checksums. Each case of section 4
also has a test of its own that reads the stored column values (raw, as SQLite holds
them) in the source and in the restored database: it first asserts the source really
has such values, so that it cannot pass on data that lacks the case.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import Database, checksums, restore, snapshot


@pytest.fixture(scope="module")
def restored(
    sqlite_source: tuple[Database, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    _source, snap = sqlite_source
    target = Database("sqlite", str(tmp_path_factory.mktemp("target") / "restored.sqlite3"))
    restore(snap, target)
    yield target
    target.drop()


def raw(db: Database, sql: str) -> list[tuple]:
    with sqlite3.connect(db.name) as conn:
        return conn.execute(sql).fetchall()


def same_column(
    source: Database, target: Database, table: str, column: str, where: str = "1"
) -> list[tuple]:
    sql = f"SELECT id, {column}, typeof({column}) FROM {table} WHERE {where} ORDER BY id"
    before, after = raw(source, sql), raw(target, sql)
    assert before, f"the source has no rows for {table}.{column} where {where}"
    assert after == before
    return before


def test_every_table_has_identical_content(sqlite_source, restored):
    source, _snap = sqlite_source
    before, after = checksums(source), checksums(restored)
    assert before == after
    assert sum(t["rows"] for t in before.values()) > 500


def test_restored_database_is_a_new_file_holding_every_row(sqlite_source, restored):
    source, _ = sqlite_source
    tables = [
        r[0]
        for r in raw(
            source, "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'exact_%'"
        )
    ]
    for table in tables:
        assert raw(restored, f"SELECT COUNT(*) FROM {table}") == raw(
            source, f"SELECT COUNT(*) FROM {table}"
        )


def test_microseconds_are_kept(sqlite_source, restored):
    rows = same_column(
        sqlite_source[0], restored, "exact_everything", "moment", "moment LIKE '%.%'"
    )
    assert all(len(r[1].split(".")[1]) >= 6 for r in rows)
    same_column(sqlite_source[0], restored, "exact_everything", "clock", "clock LIKE '%.%'")


def test_time_zones_are_kept_as_utc_instants(sqlite_source, restored):
    # Django stores aware datetimes in UTC; the restored values are the same instants.
    rows = same_column(
        sqlite_source[0], restored, "exact_everything", "moment", "moment IS NOT NULL"
    )
    assert len(rows) > 10


def test_crlf_and_control_characters_are_kept(sqlite_source, restored):
    rows = same_column(
        sqlite_source[0],
        restored,
        "exact_everything",
        "body",
        "body LIKE '%' || char(13) || char(10) || '%'",
    )
    assert rows
    rows = same_column(
        sqlite_source[0], restored, "exact_everything", "body", "instr(body, char(1)) > 0"
    )
    assert all("\x01" in r[1] and "\x1f" in r[1] for r in rows)


def test_any_unicode_is_kept(sqlite_source, restored):
    rows = same_column(sqlite_source[0], restored, "exact_everything", "body", "body LIKE '%🎉%'")
    assert all("漢字" in r[1] and "e\u0301" in r[1] for r in rows)
    rows = same_column(
        sqlite_source[0], restored, "exact_everything", "body", "instr(body, char(8232)) > 0"
    )
    assert all("\u2028" in r[1] and "\x85" in r[1] for r in rows)


def test_empty_and_nul_bytes_are_kept(sqlite_source, restored):
    rows = same_column(sqlite_source[0], restored, "exact_everything", "blob", "blob IS NOT NULL")
    values = [r[1] for r in rows]
    assert b"" in values
    assert any(b"\x00" in v for v in values)
    assert all(r[2] == "blob" for r in rows)


def test_decimal_precision_is_kept(sqlite_source, restored):
    rows = same_column(
        sqlite_source[0], restored, "exact_everything", "amount", "amount IS NOT NULL"
    )
    assert len({r[1] for r in rows}) > 10


# SQLite keeps a decimal whose value is a whole number of up to 19 digits as an INTEGER,
# exactly; Django 5.2 reads it through float, rounded to 15 significant digits.
WIDE = "typeof(wide_amount) = 'integer' AND abs(wide_amount) >= 1000000000000000"


def _significant_digits(number: int) -> int:
    return len(str(abs(number)).rstrip("0"))


def test_decimals_of_more_than_15_digits_are_kept_as_sqlite_stores_them(sqlite_source, restored):
    rows = same_column(sqlite_source[0], restored, "exact_everything", "wide_amount", WIDE)
    assert sum(_significant_digits(r[1]) > 15 for r in rows) > 5


def test_checksum_and_snapshot_see_every_digit_of_a_sqlite_decimal(sqlite_source, tmp_path):
    source = Database("sqlite", str(tmp_path / "wide.sqlite3"))
    shutil.copyfile(sqlite_source[0].name, source.name)
    row = raw(source, f"SELECT id FROM exact_everything WHERE {WIDE} ORDER BY id LIMIT 1")[0][0]

    def store(number: int) -> None:
        with sqlite3.connect(source.name) as conn:
            conn.execute("UPDATE exact_everything SET wide_amount = ? WHERE id = ?", [number, row])

    store(1234567890123456789)  # 19 digits, no float holds it
    before = checksums(source)
    store(1234567890123456788)
    after = checksums(source)
    assert after["exact_everything"] != before["exact_everything"]
    assert raw(source, f"SELECT typeof(wide_amount) FROM exact_everything WHERE id = {row}") == [
        ("integer",)
    ]

    snap = tmp_path / "snap"
    snapshot(source, snap)
    data = "".join(p.read_text() for p in snap.glob("exact_everything*.py"))
    assert '"1234567890123456788.0000000000"' in data
    target = Database("sqlite", str(tmp_path / "wide-restored.sqlite3"))
    restore(snap, target)
    assert same_column(source, target, "exact_everything", "wide_amount", f"id = {row}") == [
        (row, 1234567890123456788, "integer")
    ]
    assert checksums(target) == after


def test_json_null_and_sql_null_stay_apart(sqlite_source, restored):
    json_nulls = same_column(
        sqlite_source[0], restored, "exact_everything", "data", "data = 'null'"
    )
    sql_nulls = same_column(sqlite_source[0], restored, "exact_everything", "data", "data IS NULL")
    assert json_nulls and sql_nulls
    nested = same_column(sqlite_source[0], restored, "exact_everything", "data", "data LIKE '{%'")
    assert all('"ü"' in r[1] or "\\u00fc" in r[1] for r in nested)


def test_uuids_are_kept(sqlite_source, restored):
    rows = same_column(sqlite_source[0], restored, "exact_everything", "token", "token IS NOT NULL")
    assert all(len(r[1]) == 32 for r in rows)
    same_column(sqlite_source[0], restored, "exact_keyedchild", "parent_id")


def test_null_and_empty_string_stay_apart(sqlite_source, restored):
    empties = same_column(sqlite_source[0], restored, "exact_everything", "label", "label = ''")
    nulls = same_column(sqlite_source[0], restored, "exact_everything", "label", "label IS NULL")
    assert empties and nulls


def test_automatic_many_to_many_rows_keep_their_primary_keys(sqlite_source, restored):
    rows = same_column(
        sqlite_source[0], restored, "exact_member_tags", "member_id || '-' || tag_id"
    )
    ids = [r[0] for r in rows]
    assert ids[0] > 1 or ids != list(range(1, len(ids) + 1)), "the source should have gaps in ids"


def test_multi_table_inheritance_rows_are_kept_in_both_tables(sqlite_source, restored):
    before = raw(sqlite_source[0], "SELECT place_ptr_id, stars FROM exact_restaurant ORDER BY 1")
    assert (
        before
        and raw(restored, "SELECT place_ptr_id, stars FROM exact_restaurant ORDER BY 1") == before
    )
    rows = raw(
        restored,
        "SELECT p.name, r.stars FROM exact_place p JOIN exact_restaurant r ON r.place_ptr_id = p.id",
    )
    assert len(rows) == 3 and all(name.startswith("restaurant") for name, _ in rows)
    assert raw(restored, "SELECT COUNT(*) FROM exact_place")[0][0] == 4


def test_foreign_key_cycles_and_self_references_are_kept(sqlite_source, restored):
    same_column(sqlite_source[0], restored, "exact_team", "captain_id", "captain_id IS NOT NULL")
    same_column(sqlite_source[0], restored, "exact_member", "team_id")
    mentors = same_column(
        sqlite_source[0], restored, "exact_member", "mentor_id", "mentor_id IS NOT NULL"
    )
    assert mentors


def test_generic_foreign_keys_point_at_the_same_objects(sqlite_source, restored):
    sql = (
        "SELECT n.id, ct.app_label, ct.model, n.object_id FROM exact_note n "
        "JOIN django_content_type ct ON ct.id = n.content_type_id ORDER BY n.id"
    )
    before, after = raw(sqlite_source[0], sql), raw(restored, sql)
    assert {(r[1], r[2]) for r in before} == {("exact", "member"), ("exact", "place")}
    assert after == before


def test_rows_are_written_as_stored_without_save_signals_or_auto_now(sqlite_source, restored):
    # Gadget.save() would rewrite preview; auto_now/auto_now_add would stamp the restore
    # time; its post_save handler would delete every GadgetLog row.
    rows = same_column(
        sqlite_source[0], restored, "exact_gadget", "preview || '|' || created || '|' || modified"
    )
    assert all(
        r[1] == "stored preview|2001-02-03 04:05:06.789012|2002-02-03 04:05:06.000007" for r in rows
    )
    assert raw(restored, "SELECT COUNT(*) FROM exact_gadgetlog")[0][0] == 4


def test_permissions_keep_their_ids_and_point_at_the_right_models(sqlite_source, restored):
    sql = (
        "SELECT p.id, p.codename, ct.app_label, ct.model FROM auth_permission p "
        "JOIN django_content_type ct ON ct.id = p.content_type_id ORDER BY p.id"
    )
    assert raw(restored, sql) == raw(sqlite_source[0], sql)
