"""Property-based: generated values of every core field type come back identical.

Hypothesis writes rows of ``exact.Everything`` into one SQLite database, the engine
snapshots it and restores it into a second one (in this process, through the
snapshot's own restore.py and runtime), and every stored value is compared: the
Python value Django reads back and the raw stored column, so that JSON null and SQL
NULL, ``""`` and NULL, or 1.5 and 1.50 cannot pass for each other.
"""

from __future__ import annotations

import datetime
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import SITE

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
UTC = datetime.timezone.utc


def nullable(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


ROW = st.fixed_dictionaries(
    {
        "big": nullable(st.integers(-(2**63), 2**63 - 1)),
        "small": nullable(st.integers(-32768, 32767)),
        "positive": nullable(st.integers(0, 2**31 - 1)),
        "ratio": nullable(st.floats(allow_nan=False, allow_infinity=False)),
        "amount": nullable(
            st.decimals(
                min_value=Decimal("-99999999.9999"), max_value=Decimal("99999999.9999"), places=4
            )
        ),
        "label": nullable(TEXT),
        "body": nullable(st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)),
        "flag": nullable(st.booleans()),
        "day": nullable(st.dates()),
        "moment": nullable(
            st.datetimes(
                timezones=st.sampled_from(
                    [UTC, datetime.timezone(datetime.timedelta(hours=-3, minutes=-30))]
                )
            )
        ),
        "clock": nullable(st.times()),
        "span": nullable(
            st.timedeltas(
                min_value=datetime.timedelta(days=-36500), max_value=datetime.timedelta(days=36500)
            )
        ),
        "token": nullable(st.uuids()),
        "blob": nullable(st.binary(max_size=64)),
        "data": st.one_of(
            st.just("SQL NULL"), st.just("JSON null"), JSON.filter(lambda v: v is not None)
        ),
        "address": nullable(st.ip_addresses(v=4).map(str)),
    }
)


@pytest.fixture(scope="module")
def django_site(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("properties")
    os.environ.update(
        TESTSITE_DB_VENDOR="sqlite",
        TESTSITE_DB_NAME=str(folder / "source.sqlite3"),
        TESTSITE_OTHER_DB_NAME=str(folder / "target.sqlite3"),
        DJANGO_SETTINGS_MODULE="testsite.settings",
    )
    sys.path.insert(0, str(SITE))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", database="default", verbosity=0)
    call_command("migrate", database="other", verbosity=0)
    return folder


def _model_value(name: str, value):
    from django.db.models import JSONField, Value

    if name == "data":
        if value == "SQL NULL":
            return None
        if value == "JSON null":
            return Value(None, output_field=JSONField())
    return value


def _stored(alias: str) -> list[tuple]:
    from django.db import connections
    from exact.models import Everything

    fields = [f.attname for f in Everything._meta.concrete_fields]
    orm = list(Everything.objects.using(alias).order_by("pk").values_list(*fields))
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT * FROM exact_everything ORDER BY id")
        stored = cursor.fetchall()
    return [(repr(a), repr(b)) for a, b in zip(orm, stored)]


def _restore_in_process(snapshot: Path) -> dict:
    path = snapshot / "restore.py"
    namespace = {"__name__": "__datamig__", "SNAPSHOT_DIR": str(snapshot)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    runtime = namespace["runtime"]
    options = runtime.Options(database="other", flush=True)
    from importlib import import_module

    restorer = import_module(f"{runtime.__name__}.restorer")
    return restorer.restore(namespace, options).as_dict()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(ROW, min_size=1, max_size=6))
def test_generated_values_of_every_field_type_come_back_identical(django_site, rows):
    from exact.models import Everything

    from datamig.snapshot.writer import take_snapshot

    Everything.objects.using("default").all().delete()
    Everything.objects.using("default").bulk_create(
        Everything(**{name: _model_value(name, value) for name, value in row.items()})
        for row in rows
    )
    out = django_site / f"snap-{os.urandom(4).hex()}"
    take_snapshot(str(out), alias="default")
    report = _restore_in_process(out)
    assert next(m for m in report["models"] if m["model"] == "exact.Everything")["restored"] == len(
        rows
    )
    assert _stored("other") == _stored("default")
