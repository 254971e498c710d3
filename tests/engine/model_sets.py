"""Random model sets round-trip: the runner of tests/engine/test_model_sets.py.

Run as ``python -m tests.engine.model_sets EXAMPLES`` with the test site's environment
(TESTSITE_DB_VENDOR, TESTSITE_DB_NAME, TESTSITE_OTHER_DB_NAME: two databases of one
vendor). Hypothesis draws sets of one to three models (field kinds, a wrapper-valued
third-party-style field among them, null/db_column/db_index/unique, names random or
taken from what generated code and Python use for themselves, foreign keys to each other
and to themselves, many-to-many, multi-table inheritance, stored and virtual generated
columns), each example creates
their tables in both databases (``schema_editor.create_model``), fills the first,
snapshots it and restores the snapshot into the second (in this process, through the
snapshot's own restore.py and runtime), and every table's checksum must be identical.
The models are then dropped and forgotten again. Exit status 0: every example passed.

CI runs a fixed number of examples, derandomized (the same ones every run);
DATAMIG_PROPERTY_RANDOM=1 draws new ones (more with a bigger EXAMPLES).
"""

from __future__ import annotations

import datetime
import itertools
import keyword
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SITE = Path(__file__).resolve().parent / "site"
UTC = datetime.timezone.utc

# Names that code the engine generates, or Django, uses for itself (the row makers'
# parameters and locals, builtins), drawn often beside random ones. "gen..." is kept for
# the names this runner gives (models, generated columns, parent links).
TRAPS = (
    "extra", "v0", "v1", "v12", "p0", "p1", "row", "rows", "value", "values", "data",
    "model", "field", "fields", "connection", "cursor", "list", "dict",
    "str", "int", "type", "len", "print", "object", "runtime", "options", "manifest",
    "restore", "datamig", "decimal", "datetime", "json", "none", "true", "false",
)  # fmt: skip


def _allowed(name: str) -> bool:
    from django.db import models

    return (
        not keyword.iskeyword(name)
        and name not in {"id", "pk", "objects"}
        and not name.startswith("gen")
        and not hasattr(models.Model, name)  # save, delete, clean, check, ...
    )


NAME = (st.from_regex(r"\A[a-z][a-z0-9]{0,7}\Z") | st.sampled_from(TRAPS)).filter(_allowed)
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT.map(lambda t: t[:20]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(TEXT.map(lambda t: t[:10]), inner, max_size=3)
    ),
    max_leaves=6,
)

# kind -> (field class name, field kwargs, value strategy)
KINDS: dict[str, tuple[str, dict[str, Any], st.SearchStrategy]] = {
    "integer": ("IntegerField", {}, st.integers(-(2**31), 2**31 - 1)),
    "big": ("BigIntegerField", {}, st.integers(-(2**63), 2**63 - 1)),
    "small": ("SmallIntegerField", {}, st.integers(-32768, 32767)),
    "positive": ("PositiveIntegerField", {}, st.integers(0, 2**31 - 1)),
    "char": ("CharField", {"max_length": 30}, TEXT.map(lambda t: t[:30])),
    "text": ("TextField", {}, TEXT.map(lambda t: t[:200])),
    "slug": ("SlugField", {}, st.from_regex(r"\A[a-z0-9-]{0,20}\Z")),
    "boolean": ("BooleanField", {}, st.booleans()),
    "float": (
        "FloatField",
        {},
        st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False, allow_subnormal=False),
    ),
    "decimal": (
        "DecimalField",
        {"max_digits": 12, "decimal_places": 4},
        st.decimals(Decimal("-99999999.9999"), Decimal("99999999.9999"), places=4),
    ),
    "date": ("DateField", {}, st.dates(datetime.date(1000, 1, 1))),
    "datetime": (
        "DateTimeField",
        {},
        st.datetimes(datetime.datetime(1000, 1, 2), timezones=st.just(UTC)),
    ),
    "time": ("TimeField", {}, st.times()),
    "duration": (
        "DurationField",
        {},
        st.timedeltas(datetime.timedelta(days=-36500), datetime.timedelta(days=36500)),
    ),
    "uuid": ("UUIDField", {}, st.uuids(version=4)),  # MariaDB 10.7+ holds RFC 4122 ones
    "binary": ("BinaryField", {}, st.binary(max_size=40)),
    "json": ("JSONField", {}, JSON),
    "ip": ("GenericIPAddressField", {}, st.ip_addresses(v=4).map(str)),
    # a third-party-style field whose Python value is an object of its own (from_db_value)
    "wrapped": ("Wrapped", {"max_length": 30}, TEXT.map(lambda t: Box(t[:30]))),
}
# Kinds drawn with unique=True sometimes (values kept distinct by the filler).
UNIQUE_KINDS = {"integer", "big", "small", "positive", "uuid", "date"}
# Kinds a GeneratedField of the model may compute from (its value + 1).
GENERATED_FROM = {"integer", "small", "positive"}


@dataclass(frozen=True)
class Box:
    """The value of a ``Wrapped`` field: a text in a box, as wrapper fields of PyPI return."""

    text: str


def _wrapped_field_class() -> Any:
    from django.db import models

    class Wrapped(models.CharField):
        def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
            return None if value is None else Box(value)

        def to_python(self, value: Any) -> Any:
            return value if value is None or isinstance(value, Box) else Box(value)

        def get_prep_value(self, value: Any) -> Any:
            return value.text if isinstance(value, Box) else value

    return Wrapped


@dataclass
class FieldSpec:
    name: str
    kind: str  # a key of KINDS, or "fk" / "self" (a foreign key) / "m2m"
    null: bool
    db_column: bool
    db_index: bool
    target: int = 0  # fk / m2m: index of the model pointed at (an earlier one)
    unique: bool = False


@dataclass
class ModelSpec:
    fields: list[FieldSpec]
    rows: int
    parent: int | None = None  # multi-table inheritance: index of the concrete parent
    generated: str | None = None  # "stored" / "virtual": a GeneratedField on an int field


def lineage(specs: list[ModelSpec], index: int) -> list[int]:
    """The model's index and its ancestors' (multi-table inheritance), itself first."""
    chain = [index]
    while specs[chain[-1]].parent is not None:
        chain.append(specs[chain[-1]].parent)
    return chain


@st.composite
def model_sets(draw: Any) -> list[ModelSpec]:
    specs: list[ModelSpec] = []
    for index in range(draw(st.integers(1, 3))):
        parent = draw(st.none() | st.integers(0, index - 1)) if index else None
        taken = {
            f.name
            for i in (lineage(specs, parent) if parent is not None else [])
            for f in specs[i].fields
        }
        names = [
            n for n in draw(st.lists(NAME, min_size=1, max_size=6, unique=True)) if n not in taken
        ]
        kinds = list(KINDS) + (["fk", "m2m"] if index else []) + ["self"]
        fields = []
        for name in names:
            kind = draw(st.sampled_from(kinds))
            fields.append(
                FieldSpec(
                    name,
                    kind,
                    null=True if kind == "self" else draw(st.booleans()),
                    db_column=draw(st.booleans()),
                    db_index=draw(st.booleans()) and kind not in ("text", "binary", "json", "m2m"),
                    target=draw(st.integers(0, index - 1)) if kind in ("fk", "m2m") else 0,
                    unique=kind in UNIQUE_KINDS and draw(st.integers(0, 3)) == 0,
                )
            )
        generated = draw(st.sampled_from([None, None, "stored", "virtual"]))
        if generated:  # its source: an integer column of its own
            fields.append(
                FieldSpec(f"gensource{index}", "integer", draw(st.booleans()), False, False)
            )
        specs.append(ModelSpec(fields, draw(st.integers(1, 6)), parent, generated))
    return specs


_counter = itertools.count(1)


def build(specs: list[ModelSpec]) -> list[Any]:
    """Model classes of app ``exact`` (the test site's), with tables of their own."""
    from django.db import connections, models

    number = next(_counter)
    made: list[Any] = []
    wrapped = _wrapped_field_class()
    for index, spec in enumerate(specs):
        name = f"Gen{number}x{index}"
        attrs: dict[str, Any] = {
            "__module__": "exact.models",
            "Meta": type("Meta", (), {"app_label": "exact", "db_table": f"gen{number}_{index}"}),
        }
        for field in spec.fields:
            options: dict[str, Any] = {"null": field.null, "db_index": field.db_index}
            if field.db_column:
                options["db_column"] = f"c_{field.name}"
            if field.unique:
                options["unique"] = True
            if field.kind in ("fk", "self"):
                to = made[field.target] if field.kind == "fk" else "self"
                attrs[field.name] = models.ForeignKey(
                    to, models.CASCADE, related_name="+", **options
                )
            elif field.kind == "m2m":
                attrs[field.name] = models.ManyToManyField(made[field.target], related_name="+")
            else:
                class_name, extra, _values = KINDS[field.kind]
                kind_class = wrapped if class_name == "Wrapped" else getattr(models, class_name)
                attrs[field.name] = kind_class(**extra, **options)
        if spec.generated:
            # PostgreSQL (before 18) has stored generated columns only
            stored = spec.generated == "stored" or connections["default"].vendor == "postgresql"
            attrs[f"gencolumn{index}"] = models.GeneratedField(
                expression=models.F(f"gensource{index}") + 1,
                output_field=models.BigIntegerField(null=True),
                db_persist=stored,
            )
        base = models.Model if spec.parent is None else made[spec.parent]
        made.append(type(name, (base,), attrs))
    return made


def fill(specs: list[ModelSpec], classes: list[Any], data: Any) -> None:
    from hypothesis import reject

    seen: dict[tuple[int, str], set[Any]] = {}  # unique columns: the values taken
    for index, (spec, model) in enumerate(zip(specs, classes)):
        saved: list[Any] = []
        for _row in range(spec.rows):
            values: dict[str, Any] = {}
            # a child's row is its parents' row too: their columns are filled with it
            for owner in lineage(specs, index):
                for field in specs[owner].fields:
                    if field.kind == "m2m":
                        continue
                    if field.kind == "self":
                        if saved and owner == index:
                            picked = data.draw(st.none() | st.sampled_from(saved))
                            values[f"{field.name}_id"] = None if picked is None else picked.pk
                        continue
                    if field.kind == "fk":
                        targets = list(classes[field.target].objects.all())
                        choice = st.sampled_from(targets)
                        value = data.draw(st.none() | choice if field.null else choice)
                        values[f"{field.name}_id"] = None if value is None else value.pk
                        continue
                    values[field.name] = _value(field, data)
                    if field.unique and values[field.name] is not None:
                        taken = seen.setdefault((owner, field.name), set())
                        if values[field.name] in taken:
                            reject()  # hypothesis draws another example
                        taken.add(values[field.name])
            saved.append(model.objects.create(**values))
        for field in spec.fields:
            if field.kind == "m2m":
                targets = list(classes[field.target].objects.all())
                for instance in saved:
                    chosen = data.draw(st.lists(st.sampled_from(targets), unique_by=lambda t: t.pk))
                    getattr(instance, field.name).set(chosen)


def _value(field: FieldSpec, data: Any) -> Any:
    strategy = KINDS[field.kind][2]
    if field.null:
        strategy = st.none() | strategy
    value = data.draw(strategy)
    if field.kind == "json" and value is None:
        # Python None is SQL NULL; JSON null needs Value(None, JSONField())
        from django.db.models import JSONField, Value

        json_null = Value(None, JSONField())
        value = data.draw(st.sampled_from([None, json_null])) if field.null else json_null
    return value


def _tables(action: str, classes: list[Any]) -> None:
    from django.db import connections

    for alias in ("default", "other"):
        with connections[alias].schema_editor() as editor:
            for model in classes if action == "create" else reversed(classes):
                getattr(editor, f"{action}_model")(model)


def _permissions() -> None:
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    create_permissions(apps.get_app_config("exact"), verbosity=0, using="default")


def _forget(classes: list[Any]) -> None:
    from django.apps import apps

    registered = apps.all_models["exact"]
    for model in classes:
        for field in model._meta.local_many_to_many:
            registered.pop(field.remote_field.through._meta.model_name, None)
        registered.pop(model._meta.model_name, None)
    apps.clear_cache()


def restore_in_process(snapshot: Path) -> dict:
    path = snapshot / "restore.py"
    namespace = {"__name__": "__datamig__", "SNAPSHOT_DIR": str(snapshot)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    runtime = namespace["runtime"]
    options = runtime.Options(database="other", flush=True)
    from importlib import import_module

    restorer = import_module(f"{runtime.__name__}.restorer")
    return restorer.restore(namespace, options).as_dict()


def round_trip(specs: list[ModelSpec], data: Any, folder: Path) -> None:
    from datamig.checksum import table_checksums
    from datamig.snapshot.writer import take_snapshot

    classes = build(specs)
    try:
        _tables("create", classes)
        try:
            _permissions()  # as migrate would have made them for new models
            fill(specs, classes, data)
            out = folder / f"snap-{os.urandom(4).hex()}"
            take_snapshot(str(out), alias="default")
            restore_in_process(out)
            shutil.rmtree(out)
            source, target = table_checksums("default"), table_checksums("other")
            differing = sorted(
                t for t in set(source) | set(target) if source.get(t) != target.get(t)
            )
            assert not differing, f"tables differ after the round trip: {differing}"
        finally:
            _tables("delete", classes)
    finally:
        _forget(classes)


def main(examples: int) -> None:
    sys.path.insert(0, str(SITE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testsite.settings")
    import django
    from django.core.management import call_command

    django.setup()
    for alias in ("default", "other"):
        call_command("migrate", database=alias, verbosity=0)
    folder = Path(tempfile.mkdtemp(prefix="datamig-model-sets-"))
    randomize = os.environ.get("DATAMIG_PROPERTY_RANDOM") == "1"

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=not randomize,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(specs=model_sets(), data=st.data())
    def property_holds(specs: list[ModelSpec], data: Any) -> None:
        round_trip(specs, data, folder)

    try:
        property_holds()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"model sets: {examples} examples round-tripped")


if __name__ == "__main__":
    main(int(sys.argv[1]))
