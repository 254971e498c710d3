"""Fuzzing the readers of a snapshot (hypothesis, bounded): whatever the bytes of a
manifest, a signature or a data file, the engine's check and the data-file reader end
in a clean refusal (SnapshotInvalid, a message) or a result; never another exception,
never a name outside the folder accepted, never code run."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datamig.keys import KeyStore
from datamig.runtime.datafiles import first_rows
from datamig.runtime.errors import SnapshotInvalid
from datamig.seal import check_snapshot, parse_manifest, safe_name

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MARKER = "/tmp/datamig-fuzz-PAYLOAD-RAN"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
names = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["../x.py", "/etc/passwd", "a/../../b", ".hidden", "a\\b", "ok.py", "a//b"]),
)


def mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        if out:
            out[position % len(out)] = value
    return bytes(out)


@pytest.fixture(scope="module")
def base_manifest(sqlite_source) -> bytes:
    return (sqlite_source[1] / "manifest.json").read_bytes()


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes_as_manifest_are_refused_cleanly(raw):
    try:
        parse_manifest(raw, "fuzz")
    except SnapshotInvalid as exc:
        assert str(exc)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 255)), max_size=8))
def test_mutated_manifests_are_refused_or_name_only_safe_files(base_manifest, edits):
    try:
        manifest = parse_manifest(mutate(base_manifest, edits), "fuzz")
    except SnapshotInvalid:
        return
    assert all(safe_name(name) for name in manifest["files"])
    for model in manifest.get("models", []):
        assert all(name in manifest["files"] for name in model["files"])


@FUZZ
@given(
    files=st.dictionaries(names, json_values, max_size=4),
    models=json_values,
    version=json_values,
)
def test_manifest_fields_of_any_shape_are_refused_or_safe(files, models, version):
    raw = json.dumps({"format": version, "files": files, "models": models}).encode()
    try:
        manifest = parse_manifest(raw, "fuzz")
    except SnapshotInvalid:
        return
    for name in manifest["files"]:
        assert safe_name(name) and not name.startswith("/") and ".." not in name.split("/")


@settings(FUZZ, max_examples=30)  # each example copies a whole snapshot
@given(
    which=st.sampled_from(["manifest.json", "manifest.sig", "exact_team.py", "restore.py"]),
    edits=st.lists(st.tuples(st.integers(0, 1 << 30), st.integers(0, 255)), min_size=1, max_size=4),
    trust_unsigned=st.booleans(),
)
def test_a_mutated_snapshot_is_refused_before_anything_runs(
    sqlite_source, tmp_path_factory, which, edits, trust_unsigned
):
    folder = tmp_path_factory.mktemp("fuzz") / "snap"
    shutil.copytree(sqlite_source[1], folder)
    path = folder / which
    original = path.read_bytes()
    changed = mutate(original, edits)
    path.write_bytes(changed)
    store = KeyStore.from_option(None)
    try:
        check_snapshot(str(folder), store, trust_unsigned=trust_unsigned)
    except SnapshotInvalid as exc:
        assert str(exc)
    else:
        assert changed == original  # only an edit that changed nothing passes
    assert not os.path.exists(MARKER)
    shutil.rmtree(folder.parent)


@FUZZ
@given(lines=st.lists(st.one_of(st.text(max_size=60), st.binary(max_size=60)), max_size=12))
def test_data_file_reader_never_runs_code(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("data") / "exact_team.py"
    prefix = "loader.save(create_exact_team("
    body = b"".join(
        (line if isinstance(line, bytes) else f"{prefix}{line}))".encode("utf-8", "surrogatepass"))
        + b"\n"
        for line in [*lines, f"open({MARKER!r}, 'w').close()"]
    )
    path.write_bytes(body)
    try:
        rows = first_rows(str(path), "create_exact_team", 50)
    except SnapshotInvalid as exc:
        assert "not UTF-8" in str(exc)
    else:
        assert rows is None or all(isinstance(row, list) for row in rows)
    assert not os.path.exists(MARKER)
