"""A version-1 snapshot of the demo site restores into versions 2 and 3.

Version 2 differs from version 1 in every way real upgrades do (examples/demo/README.md,
"Versions"); its migrators handle what needs code, and the operator allows the two
losses. Every row is accounted for: restored, transformed by a migrator, or reported.
The tests compute the expected version-2 content from the version-1 database with
the rules of the README and compare it with what the restore wrote.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from .helpers import DEMO_SITE, ROOT, Database, Site, checksums, datamig, json_error, snapshot

V1 = DEMO_SITE
V2 = Site("demo_site.settings", ROOT / "examples" / "demo" / "v2", "DEMO")
V3 = Site("demo_site.settings", ROOT / "examples" / "demo" / "v3", "DEMO")
ALLOW = ["--allow-loss", "contacts.Partner.phone", "--allow-loss", "notes.Mention"]
UNCHANGED = [
    "auth_user",
    "auth_group",
    "django_session",
    "django_admin_log",
    "contacts_organisation",
    "contacts_role",
    "library_place",
    "library_library",
    "library_book",
    "library_book_authors",
    "notes_comment",
]


def rows(db: Database, sql: str) -> list[tuple]:
    with sqlite3.connect(db.name) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("v1")
    db = Database("sqlite", str(folder / "v1.sqlite3"), site=V1)
    datamig_env_fill(db, 3000)
    snap = folder / "snapshot"
    snapshot(db, snap)
    yield db, snap
    db.drop()


def datamig_env_fill(db: Database, count: int) -> None:
    from .helpers import django_script

    django_script(
        db,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        f"call_command('demo_fill', rows={count}, seed=1, verbosity=0)\n",
    )


def restore_into(snap: Path, db: Database, tmp_path: Path, *extra: str, check: bool = True):
    lost = tmp_path / f"lost-{Path(db.name).stem}.jsonl"
    return datamig(
        "restore",
        str(snap),
        *db.site.args(),
        "--json",
        "--lost-values",
        str(lost),
        *extra,
        db=db,
        check=check,
    ), lost


@pytest.fixture(scope="module")
def v2(v1, tmp_path_factory: pytest.TempPathFactory):
    _source, snap = v1
    folder = tmp_path_factory.mktemp("v2")
    db = Database("sqlite", str(folder / "v2.sqlite3"), site=V2)
    result, lost = restore_into(snap, db, folder, *ALLOW)
    yield db, json.loads(result.stdout), lost
    db.drop()


def test_diff_names_what_would_be_lost_and_what_migrators_cover(v1):
    _source, snap = v1
    result = datamig("diff", str(snap), *V2.args(), "--json", check=False)
    assert result.returncode == 1
    diff = json.loads(result.stdout)
    assert diff["ok"] is False
    blocking = " | ".join(diff["blocking"])
    assert "contacts.Partner: field phone removed" in blocking
    assert "notes.Mention: model removed" in blocking
    assert len(diff["blocking"]) == 2
    models = {m["model"]: m for m in diff["models"]}
    assert models["notes.Tag"]["target"] == "notes.Label" and models["notes.Tag"]["migrator"]
    assert "height_m: FloatField -> DecimalField" in models["contacts.Person"]["retyped"]
    assert models["contacts.Person"]["migrator"] and not models["contacts.Person"]["loss"]
    assert (
        "is_eu" in models["contacts.Country"]["added"]
        and not models["contacts.Country"]["migrator"]
    )
    assert "contacts.City" in diff["added_models"]
    allowed = datamig("diff", str(snap), *V2.args(), "--json", *ALLOW)
    assert json.loads(allowed.stdout)["ok"] is True


def test_restore_refuses_unallowed_loss_and_creates_nothing(v1, tmp_path):
    _source, snap = v1
    target = Database("sqlite", str(tmp_path / "refused.sqlite3"), site=V2)
    result, lost = restore_into(snap, target, tmp_path, check=False)
    error = json_error(result)
    assert error["kind"] == "restore_failed"
    assert "field phone removed" in error["error"] and "notes.Mention" in error["error"]
    assert "--allow-loss" in error["error"]
    assert not target.exists() and not lost.exists()


def test_unchanged_tables_keep_identical_content(v1, v2):
    before, after = checksums(v1[0]), checksums(v2[0])
    for table in UNCHANGED:
        assert after[table] == before[table], table


def test_country_gets_the_new_field_default_and_category_the_new_language(v1, v2):
    source, target = v1[0], v2[0]
    old = rows(
        source,
        "SELECT iso_code, name, native_name, population, area_km2, calling_code FROM contacts_country ORDER BY 1",
    )
    new = rows(
        target,
        "SELECT iso_code, name, native_name, population, area_km2, calling_code, is_eu FROM contacts_country ORDER BY 1",
    )
    assert new == [(*r, 0) for r in old]
    old = rows(
        source,
        "SELECT id, name, parent_id, position, description FROM library_category ORDER BY id",
    )
    new = rows(
        target,
        "SELECT id, name, parent_id, position, description, name_de FROM library_category ORDER BY id",
    )
    assert new == [(*r, "") for r in old]


def test_city_text_becomes_a_foreign_key_to_new_city_rows(v1, v2):
    source, target = v1[0], v2[0]
    cities: dict[str, int] = {}
    expected = []
    for pk, name, email, street, city, country, remarks, active, uid, balance in rows(
        source,
        "SELECT id, name, email, street, city, country_id, remarks, is_active, uid, balance FROM contacts_partner ORDER BY id",
    ):
        city_id = cities.setdefault(city, len(cities) + 1) if city else None
        expected.append((pk, name, email, street, city_id, country, remarks, active, uid, balance))
    assert len(cities) > 20
    assert rows(target, "SELECT id, name FROM contacts_city ORDER BY id") == [
        (i, n) for n, i in cities.items()
    ]
    assert (
        rows(
            target,
            "SELECT id, name, email, street, city_id, country_id, remarks, is_active, uid, balance FROM contacts_partner ORDER BY id",
        )
        == expected
    )


def expected_height(value: float | None) -> float | None:
    if value is None:
        return None
    height = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    if abs(height) >= 100:
        return None
    return float(abs(height) if height.is_zero() else height)


def expected_persons(source: Database) -> list[tuple]:
    out = []
    for pk, first, last, title, gender, birth, height, company, mentor in rows(
        source,
        "SELECT partner_ptr_id, first_name, last_name, title, gender, birth_date, height_m, company_id, mentor_id "
        "FROM contacts_person ORDER BY 1",
    ):
        nickname = (first or "?")[:20]
        out.append(
            (
                pk,
                first,
                last,
                title,
                nickname,
                gender,
                birth,
                expected_height(height),
                company,
                mentor,
            )
        )
    return out


def test_person_field_renamed_added_and_retyped(v1, v2):
    got = rows(
        v2[0],
        "SELECT partner_ptr_id, first_name, last_name, honorific, nickname, gender, birth_date, "
        "CAST(height_m AS REAL), company_id, mentor_id FROM contacts_person ORDER BY 1",
    )
    expected = expected_persons(v1[0])
    assert got == expected
    assert any(r[3] for r in expected) and any(r[7] is not None for r in expected)


def test_renamed_model_and_its_many_to_many_column(v1, v2):
    source, target = v1[0], v2[0]
    assert rows(target, "SELECT id, name, color, description FROM notes_label ORDER BY id") == rows(
        source, "SELECT id, name, color, description FROM notes_tag ORDER BY id"
    )
    old = rows(source, "SELECT id, comment_id, tag_id FROM notes_comment_tags ORDER BY id")
    assert (
        old
        and rows(target, "SELECT id, comment_id, label_id FROM notes_comment_tags ORDER BY id")
        == old
    )


def test_duplicates_of_the_new_unique_barcode_are_dropped_and_named(v1, v2):
    source, target = v1[0], v2[0]
    _db, report, _lost = v2
    kept: dict[int, int] = {}
    dropped, moved = [], {}
    for pk, barcode in rows(source, "SELECT id, barcode FROM library_copy ORDER BY id"):
        first = kept.setdefault(barcode, pk)
        if first != pk:
            dropped.append(pk)
            moved[pk] = first
    assert dropped, "version 1 data should hold duplicate barcodes"
    assert [r[0] for r in rows(target, "SELECT id FROM library_copy ORDER BY id")] == sorted(
        kept.values()
    )
    loans = rows(source, "SELECT id, copy_id FROM library_loan ORDER BY id")
    assert rows(target, "SELECT id, copy_id FROM library_loan ORDER BY id") == [
        (i, moved.get(c, c)) for i, c in loans
    ]
    copies = report["losses"]["models"]["library.Copy"]["*row"]
    assert copies["count"] == len(dropped)
    assert "barcode" in copies["reason"]
    assert [s["pk"] for s in copies["first"]] == dropped[:3]


def test_allowed_losses_are_counted_and_kept_in_the_lost_values_file(v1, v2):
    source = v1[0]
    _db, report, lost = v2
    mentions = rows(source, "SELECT COUNT(*) FROM notes_mention")[0][0]
    partners = rows(source, "SELECT COUNT(*) FROM contacts_partner")[0][0]
    phones = dict(rows(source, "SELECT id, phone FROM contacts_partner"))
    losses = report["losses"]["models"]
    assert losses["notes.Mention"]["*row"]["count"] == mentions > 0
    assert losses["contacts.Partner"]["phone"]["count"] == partners
    assert report["losses"]["file"] == str(lost)
    records = [json.loads(line) for line in lost.read_text().splitlines()]
    assert sum(1 for r in records if r["model"] == "notes.Mention") == mentions
    lost_phones = {r["pk"]: r["value"] for r in records if r["field"] == "phone"}
    assert lost_phones == phones
    assert (lost.stat().st_mode & 0o777) == 0o600


def test_report_accounts_for_every_row(v1, v2):
    _db, report, _lost = v2
    manifest = json.loads((v1[1] / "manifest.json").read_text())
    expected = {m["model"]: m["rows"] for m in manifest["models"]}
    for entry in report["models"]:
        assert entry["read"] == expected[entry["model"]]
        assert entry["restored"] + entry["transformed"] + entry["ignored"] == entry["read"], entry
    by_model = {m["model"]: m for m in report["models"]}
    assert by_model["contacts.Person"]["transformed"] == expected["contacts.Person"]
    assert by_model["library.Book"]["restored"] == expected["library.Book"]  # no hook: fast path
    assert by_model["library.Book"]["transformed"] == 0


def test_version_1_into_version_3_runs_both_steps_in_order(v1, v2, tmp_path):
    _source, snap = v1
    target = Database("sqlite", str(tmp_path / "v3.sqlite3"), site=V3)
    result, _lost = restore_into(snap, target, tmp_path, *ALLOW)
    report = json.loads(result.stdout)
    assert [(s["from"], s["to"]) for s in report["migrators"]][:2] == [("1", "2"), ("2", "3")]
    expected = [(r[0], r[4].upper()[:20]) for r in expected_persons(v1[0])]
    assert (
        rows(target, "SELECT partner_ptr_id, short_name FROM contacts_person ORDER BY 1")
        == expected
    )
    v2_sums, v3_sums = checksums(v2[0]), checksums(target)
    for table in set(v2_sums) - {"contacts_person", "auth_permission"}:
        assert v3_sums[table] == v2_sums[table], table


def test_edited_restore_py_drops_a_model_and_rewrites_a_create_function(v1, tmp_path):
    import shutil

    from .helpers import PYTHON, run

    source, snap = v1
    copy = tmp_path / "snap"
    shutil.copytree(snap, copy)
    script = copy / "restore.py"
    text = script.read_text()
    target = Database("sqlite", str(tmp_path / "edited.sqlite3"), site=V2)

    def run_script():
        return run(
            [PYTHON, str(script), *V2.args(), "--json", "--lost-values", str(tmp_path / "l.jsonl")],
            target,
            check=False,
        )

    # First the phone: keep it, in the remarks, instead of losing it.
    old = "        phone=phone,\n"
    assert old in text
    text = text.replace(old, "").replace(
        "        remarks=remarks,\n",
        "        remarks=f'{remarks or \"\"} phone: {phone}' if phone else remarks,\n",
    )
    script.write_text(text)
    failed = run_script()  # notes.Mention is still in LOAD: refused, nothing created
    assert "notes.Mention: model removed" in json_error(failed)["error"]
    assert not target.exists()
    # Then leave notes.Mention out of LOAD: the rerun starts from a clean target.
    line = next(
        ln for ln in text.splitlines(keepends=True) if ln.startswith("    ('notes.Mention',")
    )
    script.write_text(text.replace(line, "# " + line))
    report = json.loads(run_script().stdout)
    assert report["ok"] and report["created_database"]
    assert any("notes.Mention: left out of LOAD" in w for w in report["warnings"])
    assert any("edited" in w and "restore.py" in w for w in report["warnings"])
    phones = dict(
        rows(
            source, "SELECT id, phone FROM contacts_partner WHERE phone IS NOT NULL AND phone != ''"
        )
    )
    remarks = dict(rows(target, "SELECT id, remarks FROM contacts_partner"))
    assert phones and all(remarks[pk].endswith(f"phone: {phone}") for pk, phone in phones.items())
    assert "contacts.Partner" not in (report["losses"]["models"] or {})


def test_a_failed_restore_leaves_no_lost_values_file(v1, tmp_path):
    import shutil

    _source, snap = v1
    copy = tmp_path / "snap"
    shutil.copytree(snap, copy)
    script = copy / "restore.py"
    old = "def create_library_loan("
    text = script.read_text()
    assert old in text
    head, tail = text.split(old, 1)
    signature, rest = tail.split("\n", 1)
    script.write_text(head + old + signature + "\n    raise RuntimeError('late failure')\n" + rest)
    target = Database("sqlite", str(tmp_path / "late.sqlite3"), site=V2)
    from .helpers import PYTHON, run

    lost = tmp_path / "lost.jsonl"
    result = run(
        [PYTHON, str(script), *V2.args(), "--json", "--lost-values", str(lost), *ALLOW],
        target,
        check=False,
    )
    assert "late failure" in json_error(result)["error"]
    assert not lost.exists()
    assert not target.exists()
