"""Execute a snapshot's data file, fast when it is as datamig wrote it.

A data file is Python: a comment header, then one line per row,
``loader.save(create_<app>_<model>(<values>))``, whose values are written so that
they are also JSON. The fast path parses each row's values with ``json.loads`` (in C)
instead of compiling the file (CPython's compiler costs ~20 µs and a lot of memory per
row). The result is the same as executing the file: the same create function is
called with the same values, and its result goes to ``loader.save``. A file that a
person edited into other Python is executed as Python, whole.
"""

from __future__ import annotations

import json
from typing import Any, Callable

_SUFFIX = "))"


def read_text(path: str) -> str:
    with open(path, encoding="utf-8", newline="") as stream:
        return stream.read()


def parse_rows(text: str, create_name: str, limit: int | None = None) -> list[list[Any]] | None:
    """The argument lists of every row line (the first ``limit`` ones), or None when the
    file is not plain rows."""
    prefix = f"loader.save({create_name}("
    start = len(prefix)
    arguments: list[str] = []
    append = arguments.append
    for line in text.split("\n"):
        if line.startswith(prefix) and line.endswith(_SUFFIX):
            append(line[start:-2])
            if limit is not None and len(arguments) >= limit:
                break
        elif line and not line.startswith("#") and line.strip():
            return None
    if not arguments:
        return []
    document = f"[[{'],['.join(arguments)}]]"
    arguments.clear()  # keep one copy of the text in memory, not two
    try:  # one C-level parse for the whole part
        return json.loads(document)
    except ValueError:
        return None


def run_file(
    path: str,
    create_name: str,
    namespace: dict[str, Any],
    save: Callable[[Any], None],
) -> bool:
    """Load one data file; returns True when the fast path was taken.

    ``namespace`` is the globals of ``restore.py`` (where ``loader`` is bound and the
    create functions live); ``save`` is ``loader.save``.
    """
    text = read_text(path)
    prefix = f"loader.save({create_name}("
    start = len(prefix)
    lines = text.split("\n")
    del text
    if not all(_is_row(line, prefix) or _is_inert(line) for line in lines):
        exec(compile("\n".join(lines), path, "exec"), namespace)
        return False
    create = namespace[create_name]
    chunk: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        if _is_row(line, prefix):
            chunk.append((number, line))
            if len(chunk) >= CHUNK_ROWS:
                _load_chunk(chunk, start, create, save, namespace, path)
                chunk = []
    _load_chunk(chunk, start, create, save, namespace, path)
    return True


# Rows parsed at once: memory stays the same whatever the size of a part.
CHUNK_ROWS = 1000


def _is_row(line: str, prefix: str) -> bool:
    return line.startswith(prefix) and line.endswith(_SUFFIX)


def _is_inert(line: str) -> bool:
    return not line.strip() or line.startswith("#")


def _load_chunk(
    chunk: list[tuple[int, str]],
    start: int,
    create: Callable[..., Any],
    save: Callable[[Any], None],
    namespace: dict[str, Any],
    path: str,
) -> None:
    if not chunk:
        return
    try:  # one C-level parse for the whole chunk
        rows = json.loads(f"[[{'],['.join(line[start:-2] for _number, line in chunk)}]]")
    except ValueError:
        rows = None
    if rows is not None:
        for values in rows:
            save(create(*values))
        return
    # A line that looks like a row but is not JSON (edited into other Python, e.g.
    # None or Decimal(...)): it is still one whole statement, executed as such.
    for number, line in chunk:
        try:
            values = json.loads(f"[{line[start:-2]}]")
        except ValueError:
            exec(compile("\n" * (number - 1) + line, path, "exec"), namespace)
        else:
            save(create(*values))
