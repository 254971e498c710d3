"""A published Lino application round-trips through datamig (issue 3, point 7).

The demo database of Lino Così (``manage.py prep``: partners, products, vouchers and
their movements, in three languages) is snapshotted with ``datamig snapshot`` and
restored into fresh SQLite and PostgreSQL databases; ``datamig checksum`` must then
be identical for every table. Lino runs in its own venv (``.work/lino-venv``, built
by setup_lino_env.sh from requirements/lino.txt: a minute or two the first time, a
fraction of a second afterwards), so every datamig command here runs with the
engine installed into that venv, as an operator of a Lino site would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "lino"
PROJECT = HERE / "project"
SETTINGS = "lino_site.settings"
SETUP = HERE / "setup_lino_env.sh"


@dataclass
class LinoSite:
    """The Lino test site run by the Lino venv's python; its files under ``site_dir``."""

    python: str
    site_dir: Path

    def env(self, vendor: str, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(LINO_SITE_DIR=str(self.site_dir), LINO_DB_VENDOR=vendor, LINO_DB_NAME=name)
        return env

    def run(
        self, args: list[str], vendor: str, name: str, timeout: int = 300
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [self.python, *args],
            env=self.env(vendor, name),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} (LINO_DB_VENDOR={vendor} LINO_DB_NAME={name}) failed "
                f"({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
            )
        return result

    def datamig(self, *args: str, vendor: str = "sqlite", name: str) -> dict[str, Any]:
        """Run ``python -m datamig ARGS --json`` on the site; its one JSON object."""
        argv = ["-m", "datamig", *args, "--settings", SETTINGS, "--pythonpath", str(PROJECT)]
        result = self.run([*argv, "--json", "--no-progress"], vendor, name)
        try:
            data = json.loads(result.stdout)  # --json: stdout is one JSON object, nothing else
        except ValueError:
            raise AssertionError(
                f"datamig {args[0]} --json wrote more than one JSON object:\n{result.stdout[:3000]}"
            ) from None
        assert data.get("ok") is True, data
        return data


@pytest.fixture(scope="module")
def lino_python() -> str:
    """The Lino venv's python. A venv that cannot be built is a failure, not a skip."""
    try:
        result = subprocess.run(
            ["bash", str(SETUP)], capture_output=True, text=True, cwd=ROOT, timeout=1200
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{SETUP} did not finish in {exc.timeout} s")
    if result.returncode != 0:
        pytest.fail(f"{SETUP} failed ({result.returncode}):\n{result.stderr[-5000:]}")
    python = result.stdout.strip().splitlines()[-1]
    assert Path(python).is_file(), result.stdout
    return python


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("lino")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def site(lino_python: str, workdir: Path) -> LinoSite:
    return LinoSite(lino_python, workdir / "site")


@pytest.fixture(scope="module")
def source(site: LinoSite, workdir: Path) -> str:
    """Lino Così's demo database (SQLite), as ``manage.py prep`` builds it."""
    site.site_dir.mkdir()
    database = str(workdir / "source.sqlite3")
    site.run([str(PROJECT / "manage.py"), "prep", "--noinput"], "sqlite", database, timeout=600)
    return database


@pytest.fixture(scope="module")
def source_checksums(site: LinoSite, source: str) -> dict[str, dict[str, Any]]:
    return site.datamig("checksum", name=source)["tables"]


@pytest.fixture(scope="module")
def snapshot(site: LinoSite, source: str, workdir: Path) -> tuple[Path, dict[str, Any]]:
    """The snapshot directory and its manifest."""
    out = workdir / "snapshot"
    result = site.datamig("snapshot", "-o", str(out), name=source)
    manifest = json.loads((out / "manifest.json").read_text())
    assert result["rows"] == manifest["total_rows"]
    return out, manifest


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["model"]: entry for entry in manifest["models"]}


def _differences(source: dict[str, dict[str, Any]], target: dict[str, dict[str, Any]]) -> list[str]:
    """Tables whose rows or content checksum differ (or that only one side has)."""
    return [
        f"{table}: rows {(source.get(table) or {}).get('rows')} -> "
        f"{(target.get(table) or {}).get('rows')}"
        for table in sorted(set(source) | set(target))
        if source.get(table) != target.get(table)
    ]


def test_lino_demo_database_is_what_the_test_needs(
    source_checksums: dict[str, dict[str, Any]],
) -> None:
    """The demo is rich enough for the round trips below to mean something."""
    rows = {table: entry["rows"] for table, entry in source_checksums.items()}
    assert sum(rows.values()) > 4000, rows
    for table in (
        "contacts_partner",  # MTI parent of contacts_person and contacts_company
        "contacts_person",
        "contacts_company",
        "accounting_voucher",  # MTI parent of the invoices, statements and orders
        "trading_vatproductinvoice",
        "vat_vataccountinvoice",
        "finan_bankstatement",
        "accounting_movement",
        "products_product",
        "uploads_upload",  # generic foreign key owner -> the vouchers
        "checkdata_message",  # generic foreign key owner -> the uploads
    ):
        assert rows.get(table, 0) > 0, f"{table} is empty in the demo: {rows}"


def test_snapshot_holds_babel_fields_mti_and_generic_foreign_keys(
    snapshot: tuple[Path, dict[str, Any]],
) -> None:
    folder, manifest = snapshot
    models = _models(manifest)
    assert manifest["application"]["name"] == "Lino Così", manifest["application"]

    # BabelFields: one column per site language (en is the field itself).
    for label in ("products.Product", "countries.Country", "contacts.CompanyType"):
        columns = models[label]["columns"]
        for column in ("name", "name_de", "name_fr"):
            assert column in columns, (label, columns)
    product = (folder / "products_product.py").read_text(encoding="utf-8")
    assert "Stuhl aus Holz" in product and "Chaise en bois" in product

    # Multi-table inheritance: the child tables hold the parent link and their own rows.
    for label, link in (
        ("contacts.Person", "partner_ptr_id"),
        ("contacts.Company", "partner_ptr_id"),
        ("trading.VatProductInvoice", "voucher_ptr_id"),
        ("vat.VatAccountInvoice", "voucher_ptr_id"),
        ("finan.BankStatement", "voucher_ptr_id"),
    ):
        assert models[label]["columns"][0] == link, (label, models[label]["columns"])
        assert models[label]["rows"] > 0, label
    children = sum(
        models[label]["rows"] for label in models if models[label]["columns"][0] == "voucher_ptr_id"
    )
    assert children == models["accounting.Voucher"]["rows"]

    # Generic foreign keys: content types are written by natural key, not by id.
    assert "owner_type_id" in models["uploads.Upload"]["columns"]
    uploads = (folder / "uploads_upload.py").read_text(encoding="utf-8")
    assert '["vat", "vataccountinvoice"]' in uploads
    messages = (folder / "checkdata_message.py").read_text(encoding="utf-8")
    assert '["uploads", "upload"]' in messages
    assert "contenttypes.ContentType" not in models  # the target's migrate makes them


def test_restore_into_sqlite_is_identical(
    site: LinoSite,
    source: str,
    snapshot: tuple[Path, dict[str, Any]],
    source_checksums: dict[str, dict[str, Any]],
    workdir: Path,
) -> None:
    folder, manifest = snapshot
    target = str(workdir / "restored.sqlite3")
    report = site.datamig("restore", str(folder), "--database-name", target, name=target)
    assert report["created_database"] is True
    assert report["rows"] == manifest["total_rows"]
    restored = site.datamig("checksum", name=target)["tables"]
    assert not _differences(source_checksums, restored), _differences(source_checksums, restored)
    # The same, without datamig: the two files compared row by row with sqlite3.
    assert not _raw_differences(source, target), _raw_differences(source, target)
    Path(target).unlink()


# Not content: when migrations ran; SQLite's AUTOINCREMENT counters (datamig sets them
# to the largest id, where the source may remember a deleted row's higher id).
_NOT_CONTENT = {"django_migrations", "sqlite_sequence"}


def _raw_tables(path: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table's column names and rows as SQLite stores them; foreign keys to
    content types as (app_label, model), since ids differ between databases."""
    conn = sqlite3.connect(path)
    try:
        types = {
            pk: (app, model)
            for pk, app, model in conn.execute(
                "SELECT id, app_label, model FROM django_content_type"
            )
        }
        tables = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if table in _NOT_CONTENT:
                continue
            names = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
            if table == "django_content_type":
                rows = sorted(
                    tuple(row[1:]) for row in conn.execute("SELECT * FROM django_content_type")
                )
                tables[table] = (names[1:], rows)
                continue
            links = {
                row[3]
                for row in conn.execute(f'PRAGMA foreign_key_list("{table}")')
                if row[2] == "django_content_type"
            }
            indexes = [i for i, name in enumerate(names) if name in links]
            rows = []
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                row = list(row)
                for i in indexes:
                    row[i] = None if row[i] is None else types[row[i]]
                rows.append(tuple(row))
            tables[table] = (names, sorted(rows, key=repr))
        return tables
    finally:
        conn.close()


def _same_decimal(source: Any, restored: Any) -> bool:
    """SQLite keeps a decimal as a float and may hold more decimal places than the
    field has (Lino's demo computes 781.4415 for a 2-place amount). Django reads it
    rounded to the field's places (781.44), which is what a snapshot holds."""
    if not isinstance(source, float) or not isinstance(restored, (int, float)):
        return False
    places = Decimal(repr(restored)).as_tuple().exponent
    return Decimal(repr(source)).quantize(Decimal(1).scaleb(places)) == Decimal(repr(restored))


def _raw_differences(source: str, target: str) -> list[str]:
    left, right = _raw_tables(source), _raw_tables(target)
    found = [f"{t}: only in one database" for t in sorted(set(left) ^ set(right))]
    for table in sorted(set(left) & set(right)):
        (names, rows), (other_names, other_rows) = left[table], right[table]
        if names != other_names:
            found.append(f"{table}: columns {names} -> {other_names}")
        elif len(rows) != len(other_rows):
            found.append(f"{table}: {len(rows)} -> {len(other_rows)} rows")
        else:
            for row, other in zip(rows, other_rows):
                if row != other and not all(
                    a == b or _same_decimal(a, b) for a, b in zip(row, other)
                ):
                    found.append(f"{table}: {row} -> {other}")
                    break
    return found


def _postgresql() -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)


@pytest.fixture
def postgresql_name() -> Iterator[str]:
    """A name for a fresh PostgreSQL database; the database is dropped at the end."""
    name = f"dmtest_lino_{uuid.uuid4().hex[:10]}"
    yield name
    with _postgresql() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_restore_into_postgresql_is_identical(
    site: LinoSite,
    snapshot: tuple[Path, dict[str, Any]],
    source_checksums: dict[str, dict[str, Any]],
    postgresql_name: str,
) -> None:
    folder, manifest = snapshot
    pg = {"vendor": "postgresql", "name": postgresql_name}
    report = site.datamig("restore", str(folder), "--database-name", postgresql_name, **pg)
    assert report["created_database"] is True
    assert report["vendor"] == "postgresql"
    assert report["rows"] == manifest["total_rows"]
    restored = site.datamig("checksum", **pg)["tables"]
    assert not _differences(source_checksums, restored), _differences(source_checksums, restored)


def _identity_tables(path: str) -> dict[str, list[tuple[Any, ...]]]:
    """django_content_type and auth_permission (where the site has it) as stored, ids
    and all: not by natural key."""
    conn = sqlite3.connect(path)
    try:
        present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        found = {
            "types": conn.execute(
                "SELECT id, app_label, model FROM django_content_type ORDER BY id"
            ).fetchall()
        }
        if "auth_permission" in present:
            found["permissions"] = conn.execute(
                "SELECT id, content_type_id, codename, name FROM auth_permission ORDER BY id"
            ).fetchall()
        return found
    finally:
        conn.close()


def test_same_code_restore_keeps_every_content_type_id(
    site: LinoSite, source: str, snapshot: tuple[Path, dict[str, Any]], workdir: Path
) -> None:
    """Into a new database, and into one whose content types were numbered in another
    order before the restore (reversed, with gaps): the ids are the source's."""
    folder, _manifest = snapshot
    expected = _identity_tables(source)
    assert len(expected["types"]) > 50, expected  # Lino Così has many models
    target = str(workdir / "identity.sqlite3")
    site.datamig("restore", str(folder), "--database-name", target, name=target)
    assert _identity_tables(target) == expected

    # The same database emptied (migrated, no rows), its content types made anew in
    # reversed order with other ids, as another history of migrate would have.
    conn = sqlite3.connect(target)
    try:
        keys = conn.execute("SELECT app_label, model FROM django_content_type ORDER BY id")
        keys = keys.fetchall()
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        for (table,) in tables:
            if table not in ("django_migrations", "sqlite_sequence"):
                conn.execute(f'DELETE FROM "{table}"')
        for index, (app, model) in enumerate(reversed(keys)):
            conn.execute(
                "INSERT INTO django_content_type (id, app_label, model) VALUES (?, ?, ?)",
                (1000 + 2 * index, app, model),
            )
        conn.commit()
    finally:
        conn.close()
    assert _identity_tables(target)["types"] != expected["types"]
    site.datamig("restore", str(folder), "--database-name", target, name=target)
    assert _identity_tables(target) == expected
    Path(target).unlink()
