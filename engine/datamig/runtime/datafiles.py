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
from collections.abc import Iterator
from typing import Any, Callable

from .errors import SnapshotInvalid

_SUFFIX = "))"
# Rows parsed at once: memory stays the same whatever the size of a file.
CHUNK_ROWS = 1000


def lines_of(path: str) -> Iterator[tuple[int, str]]:
    """Numbered lines, split at "\\n" only (as Python's tokenizer does; a value's U+2028
    or \\x85 is not a line break), read one at a time."""
    with open(path, encoding="utf-8", newline="\n") as stream:
        number = 0
        try:
            for number, line in enumerate(stream, 1):
                yield number, line[:-1] if line.endswith("\n") else line
        except UnicodeDecodeError:
            raise SnapshotInvalid(f"{path}: not UTF-8 after line {number}") from None


def _is_row(line: str, prefix: str) -> bool:
    return line.startswith(prefix) and line.endswith(_SUFFIX)


def _is_inert(line: str) -> bool:
    return not line.strip() or line.startswith("#")


def first_rows(path: str, create_name: str, limit: int) -> list[list[Any]] | None:
    """The argument lists of the first ``limit`` row lines, or None when the file is
    not plain rows (then only executing it tells)."""
    prefix = f"loader.save({create_name}("
    found: list[list[Any]] = []
    for _number, line in lines_of(path):
        if _is_row(line, prefix):
            try:
                found.append(json.loads(f"[{line[len(prefix) : -2]}]"))
            except ValueError:
                return None
            if len(found) >= limit:
                break
        elif not _is_inert(line):
            return None
    return found


def run_file(
    path: str,
    create_name: str,
    namespace: dict[str, Any],
    save: Callable[[Any], None],
) -> bool:
    """Load one data file; returns True when the fast path was taken.

    ``namespace`` is the globals of ``restore.py`` (where ``loader`` is bound and the
    create functions live); ``save`` is ``loader.save``. A first pass checks that every
    line is a row, a comment or blank; the second parses and loads the rows in chunks.
    """
    prefix = f"loader.save({create_name}("
    if not all(_is_row(line, prefix) or _is_inert(line) for _number, line in lines_of(path)):
        with open(path, encoding="utf-8", newline="") as stream:
            exec(compile(stream.read(), path, "exec"), namespace)
        return False
    create = namespace[create_name]
    start = len(prefix)
    chunk: list[tuple[int, str]] = []
    for number, line in lines_of(path):
        if _is_row(line, prefix):
            chunk.append((number, line))
            if len(chunk) >= CHUNK_ROWS:
                _load_chunk(chunk, start, create, save, namespace, path)
                chunk = []
    _load_chunk(chunk, start, create, save, namespace, path)
    return True


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
