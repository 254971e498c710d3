"""No field name can break the code a snapshot generates.

Every identifier that appears in generated code (a catalogue snapshot's ``restore.py``
and data files, the row makers a restore compiles) becomes a field name of one model
(a Python keyword becomes a column name through ``db_column``, as it cannot be an
attribute); that model, filled with values of many types, round-trips exactly.
"""

from __future__ import annotations

import io
import json
import keyword
import tokenize
from pathlib import Path

import pytest

from .helpers import SITE, Database, Site, checksums, django_script, restore, snapshot
from .test_catalogue import CATALOGUE, fill_catalogue

APP = "allnames"
MODEL = "Names"
# The field classes the names cycle through: each has another converter or preparer.
KINDS = [
    ("models.CharField(max_length=30, null=True)", "'text {n}'"),
    ("models.IntegerField(null=True)", "{n}"),
    ("models.DateTimeField(null=True)", "datetime.datetime(2026, 1, 2, 3, 4, 5, {n}, tzinfo=UTC)"),
    ("models.DecimalField(max_digits=12, decimal_places=4, null=True)", "Decimal('{n}.0101')"),
    ("models.JSONField(null=True)", "{{'n': {n}, 'list': [None, True]}}"),
    ("models.UUIDField(null=True)", "uuid.UUID(int={n})"),
    ("models.DateField(null=True)", "datetime.date(2026, 1, 1 + {n})"),
    ("PointField(null=True)", "Point({n}, -{n})"),
    ("models.BinaryField(null=True)", "bytes([0, {n}])"),
]


# Names that earlier generated code used for itself (row makers had ``**extra``,
# ``v0``, ``p0``, ``_M`` ...): they stay in the test.
EARLIER_TRAPS = {"extra", "v0", "p0", "v1", "p1", "_M", "_unknown", "_missing", "r", "e0", "_ct"}


def identifiers(text: str) -> set[str]:
    found = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME:
            found.add(token.string)
    return found


def generated_identifiers(snap: Path, source) -> set[str]:
    names = set()
    for path in snap.glob("*.py"):
        names |= identifiers(path.read_text(encoding="utf-8"))
    makers = django_script(
        source,
        "from django.apps import apps\nfrom django.db import connection\n"
        "from datamig.runtime.rows import RowMaker\n"
        "print(json.dumps([getattr(RowMaker(m, connection), 'source', '') for m in apps.get_models("
        "include_auto_created=True) if not m._meta.proxy]))\n",
    )
    for code in json.loads(makers.stdout):
        names |= identifiers(code)
    # the names model's own create function and model variable
    return names | {f"create_{APP}_{MODEL.lower()}", f"{APP}_{MODEL}"}


def usable(name: str) -> bool:
    """Names Django itself refuses as field names, or that hide a Model attribute."""
    from django.db import models

    return (
        "__" not in name
        and not name.endswith("_")
        and name not in ("pk", "id")
        and not hasattr(models.Model, name)
    )


def write_app(folder: Path, names: list[str], models: int = 1) -> Site:
    """An app of ``models`` models, each with a field of every name: model ``m`` gives
    the name at ``index`` the field class ``KINDS[(index + m) % len(KINDS)]``, so that
    with ``len(KINDS)`` models every name comes with every class."""
    app = folder / APP
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    lines = [
        "import datetime, uuid",
        "from decimal import Decimal",
        "from django.db import models",
        "from catalogue.fields import Point, PointField",
        "UTC = datetime.timezone.utc",
    ]
    fill = ["def fill():"]
    for number in range(models):
        model = MODEL if number == 0 else f"{MODEL}{number}"
        lines.append(f"class {model}(models.Model):")
        values = []
        columns: set[str] = set()
        for index, name in enumerate(names):
            field, value = KINDS[(index + number) % len(KINDS)]
            attribute = f"kw{index}" if keyword.iskeyword(name) else name
            column = name
            while column.lower() in columns:  # column names are case-insensitive on MySQL
                column += "x"
            columns.add(column.lower())
            lines.append(f"    {attribute} = {field[:-1]}, db_column={column!r})")
            values.append(f"{attribute}={value.format(n=index % 20 + 1)}")
        lines.append(f"    class Meta:\n        app_label = {APP!r}")
        for _row in range(3):
            fill.append(f"    {model}.objects.create({', '.join(values)})")
            fill.append(f"    {model}.objects.create()  # every column NULL")
    (app / "models.py").write_text("\n".join(lines + fill) + "\n")
    settings = folder / "namessite"
    settings.mkdir()
    (settings / "__init__.py").write_text("")
    (settings / "settings.py").write_text(
        f"import sys\nsys.path.insert(0, {str(SITE)!r})\n"
        "from testsite.catalogue import *  # noqa\n"
        f"INSTALLED_APPS = [*INSTALLED_APPS, {APP!r}]\n"
    )
    return Site("namessite.settings", folder, "TESTSITE")


@pytest.fixture(scope="module")
def generated_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every identifier of the code generated for the catalogue, as field names."""
    folder = tmp_path_factory.mktemp("catalogue")
    catalogue = Database("sqlite", str(folder / "catalogue.sqlite3"), site=CATALOGUE)
    fill_catalogue(catalogue)
    snap = folder / "snap"
    snapshot(catalogue, snap)
    found = generated_identifiers(snap, catalogue)
    catalogue.drop()
    # the generated code's own names are among them
    for name in ("loader", "null", "true", "to_json", "to_raw", "runtime", "ct", "make", "LOAD"):
        assert name in found
    names = sorted(n for n in found | EARLIER_TRAPS if usable(n))
    assert {"def", "return", "None", "if", "is", "else"} <= set(names)  # keywords
    return names


def round_trip(databases, vendor: str, site: Site, folder: Path) -> dict:
    """Migrate, fill, snapshot and restore the app; the source's checksums."""
    source = databases(vendor, "source", site=site)
    source.create_empty()
    django_script(
        source,
        "from django.core.management import call_command\n"
        "call_command('migrate', run_syncdb=True, verbosity=0)\n"
        f"from {APP}.models import fill\nfill()\n",
    )
    expected = checksums(source)
    out = folder / "names-snap"
    snapshot(source, out)
    target = databases(vendor, "target", site=site)
    restore(out, target)
    assert checksums(target) == expected
    return expected


# Builtins that code generated at restore time could call (a row maker once called
# ``type()`` on PostgreSQL and MySQL, and a field named ``type`` broke it).
BUILTINS = ["type", "isinstance", "len", "str", "int", "bytes", "list", "dict", "getattr", "object"]


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql", "mysql"])
def test_builtin_names_work_as_field_names_of_every_class(databases, tmp_path, vendor):
    site = write_app(tmp_path / "names", BUILTINS, models=len(KINDS))
    expected = round_trip(databases, vendor, site, tmp_path)
    tables = [t for t in expected if t.startswith(f"{APP}_")]
    assert len(tables) == len(KINDS) and all(expected[t]["rows"] == 6 for t in tables)


@pytest.mark.parametrize("vendor", ["sqlite", "mysql"])
def test_every_identifier_of_generated_code_works_as_a_field_name(
    databases, tmp_path, vendor, generated_names
):
    site = write_app(tmp_path / "names", generated_names)
    expected = round_trip(databases, vendor, site, tmp_path)
    assert expected[f"{APP}_{MODEL.lower()}"]["rows"] == 6
