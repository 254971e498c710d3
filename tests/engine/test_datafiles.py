"""The fast path reads a data file exactly as Python would execute it.

A data file is Python; the engine parses its row lines as JSON instead of compiling
it. These tests execute the same files as Python (the ground truth) and compare.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from datamig.runtime import datafiles, values

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(st.characters(blacklist_categories=("Cs",)))
)
ROW = st.lists(
    SCALARS | st.lists(st.text(max_size=5), min_size=2, max_size=2), min_size=1, max_size=8
)
ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=True).encode


def write(tmp_path: Path, rows: list[list], extra: str = "") -> Path:
    lines = ["# header", "# columns: a, b"]
    lines += [f"loader.save(create_x({ENCODE(row)[1:-1]}))" for row in rows]
    path = tmp_path / f"x{abs(hash(str(rows)))}.py"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def namespace() -> dict:
    ns = {name: getattr(values, name) for name in ("null", "true", "false", "NaN", "Infinity")}
    ns["create_x"] = lambda *args: list(args)
    return ns


def by_python(path: Path) -> list:
    saved: list = []
    ns = namespace()
    ns["loader"] = type("L", (), {"save": staticmethod(saved.append)})
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), ns)
    return saved


def by_engine(path: Path) -> tuple[list, bool]:
    saved: list = []
    ns = namespace()
    ns["loader"] = type("L", (), {"save": staticmethod(saved.append)})
    fast = datafiles.run_file(str(path), "create_x", ns, saved.append)
    return saved, fast


def same(a: list, b: list) -> bool:
    return json.dumps(a, allow_nan=True) == json.dumps(b, allow_nan=True) and a == b


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(ROW, max_size=30))
def test_fast_path_equals_executing_the_file(tmp_path_factory, rows):
    path = write(tmp_path_factory.mktemp("f"), rows)
    engine, fast = by_engine(path)
    assert fast
    assert same(engine, by_python(path))


def test_chunks_cover_every_row_in_order(tmp_path):
    rows = [[i, f"row {i}", None] for i in range(datafiles.CHUNK_ROWS * 2 + 17)]
    engine, fast = by_engine(write(tmp_path, rows))
    assert fast and engine == rows


def test_a_row_edited_into_python_is_executed_as_python(tmp_path):
    path = write(tmp_path, [[1, "a"], [2, "b"], [3, "c"]])
    path.write_text(path.read_text().replace('create_x(2, "b")', "create_x(2, str(2 * 21))"))
    engine, fast = by_engine(path)
    assert fast and engine == [[1, "a"], [2, "42"], [3, "c"]] == by_python(path)


def test_a_file_with_other_statements_is_executed_whole(tmp_path):
    path = write(
        tmp_path, [[1, "a"]], extra="for i in range(2):\n    loader.save(create_x(i, 'loop'))\n"
    )
    engine, fast = by_engine(path)
    assert not fast
    assert engine == [[1, "a"], [0, "loop"], [1, "loop"]] == by_python(path)
