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
    rows = parse_rows(text, create_name)
    if rows is None:
        exec(compile(text, path, "exec"), namespace)
        return False
    create = namespace[create_name]
    for values in rows:
        save(create(*values))
    return True
