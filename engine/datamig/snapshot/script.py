"""Generate a snapshot's ``restore.py``: readable, editable, re-runnable Python."""

from __future__ import annotations

import keyword
from typing import Any

from .encoding import Column

HEADER = '''\
#!/usr/bin/env python3
"""Restore this datamig snapshot of {site} ({application} {version_text}), taken {created}.

    python restore.py --settings {settings_text} [--pythonpath DIR] [--database-name NAME] [--flush]

The database is created and migrated when it does not exist; one that holds data is
replaced only with --flush. All rows load in one transaction, written as they were
stored (no save(), no signals, no auto_now); any failure leaves the target as it was.

This script is meant to be read and edited. Each model has a ``create_<app>_<model>``
function that receives one row of the snapshot (its columns, in the order of the
``# columns:`` line of the data file) and returns the model built from it: rename a
field, transform or drop a value there (return None to drop the row). ``LOAD`` at the
end lists the data files in load order: comment a line out to leave a model out.

Executed with ``__name__`` other than ``"__main__"`` (a repair script doing
``exec(compile(open(path).read(), path, "exec"))``), it only defines the create
functions: data files then hand each row to the ``loader`` you define, as model
instances (one ``loader.save(obj)`` per row).
"""
import os
import sys

SNAPSHOT_FORMAT = {format}
SOURCE_VERSION = {version!r}
SNAPSHOT_DIR = globals().get("SNAPSHOT_DIR") or os.path.dirname(
    os.path.abspath(sys._getframe(0).f_code.co_filename)
)
if __name__ == "__main__":  # run as a script: this folder is no place to import from
    sys.path[:] = [
        p for p in sys.path if os.path.realpath(p or ".") != os.path.realpath(SNAPSHOT_DIR)
    ]
import importlib.util  # noqa: E402


def _check_seal():
    """Run as a script, before any other file of this snapshot runs: the datamig engine
    installed in this Python (never the runtime copy in this folder, which cannot vouch
    for itself) checks the signature and every file, and that there is no other file.
    This file itself is not checked: you are running it as it is (read it first; or
    run ``datamig restore``, which checks it too). Without the engine installed, nothing
    is checked and the report says so."""
    argv = sys.argv[1:]
    if "--trust-unsigned" in argv:
        sys.argv.remove("--trust-unsigned")
    if os.environ.get("DATAMIG_SEALED") == os.path.realpath(SNAPSHOT_DIR):
        note = os.environ.get("DATAMIG_SEAL_NOTE")  # datamig restore checked it all
        return [note] if note else []
    try:
        import datamig  # noqa: F401
    except ImportError:
        return [
            "NOT CHECKED: the datamig engine is not installed in this Python, so nothing "
            "verified this snapshot's signature and files before it ran"
        ]
    from datamig.seal import check_by_hand

    return check_by_hand(SNAPSHOT_DIR, argv)


SEAL_WARNINGS = _check_seal() if __name__ == "__main__" else []


def _load_runtime():
    """The datamig runtime that travels in this snapshot (datamig need not be installed)."""
    folder = os.path.join(SNAPSHOT_DIR, "datamig_runtime")
    init = os.path.join(folder, "__init__.py")
    if not os.path.isfile(init):
        raise SystemExit(
            f"datamig: error: {{init}} not found: set SNAPSHOT_DIR to the snapshot folder "
            "before executing restore.py"
        )
    # A snapshot stays exactly as its manifest lists it (files 0600, folders 0700):
    # Python must not write __pycache__ folders into it.
    sys.dont_write_bytecode = True
    name = "datamig_runtime_" + str(abs(hash(os.path.realpath(folder))))
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[folder])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


runtime = _load_runtime()
if __name__ == "__main__":
    OPTIONS = runtime.start(sys.argv[1:], {settings!r})

# Values as the data files write them: JSON spellings, and converters for the types
# JSON lacks (ISO dates and times, Decimal digits, base64 bytes, UUIDs, JSON text, and
# content types by natural key, since their ids differ between databases).
null, true, false, NaN, Infinity = runtime.null, runtime.true, runtime.false, runtime.NaN, runtime.Infinity
to_datetime, to_date, to_time = runtime.to_datetime, runtime.to_date, runtime.to_time
to_decimal, to_uuid, to_bytes = runtime.to_decimal, runtime.to_uuid, runtime.to_bytes
to_duration, to_json, ct = runtime.to_duration, runtime.to_json, runtime.ct
to_raw = runtime.to_raw  # values carried as the database stores them

'''

FOOTER = """

def main(options=None):
    return runtime.main(globals(), options or OPTIONS)


if __name__ == "__main__":
    sys.exit(main())
"""


def docstring_text(value: Any) -> str:
    """A site's value as text inside restore.py's docstring: escaped so that no quote,
    backslash or line break ends the docstring or changes what it says."""
    return repr(str(value))[1:-1].replace('"', '\\"')


def variable_name(model: Any) -> str:
    return f"{model._meta.app_label}_{model._meta.object_name}"


def create_name(model: Any) -> str:
    return f"create_{model._meta.app_label}_{model._meta.model_name}"


def parameter_name(attname: str, taken: set[str]) -> str:
    """The create function's parameter for a column: its attname, unless that is a
    name restore.py itself defines (the parameter would hide it inside the function)
    or a Python keyword; then the attname and "_", which no field name can be
    (fields.E001: no field name ends with an underscore)."""
    if attname in taken or keyword.iskeyword(attname):
        return f"{attname}_"
    return attname


def create_function(model: Any, columns: list[Column], taken: set[str] = frozenset()) -> str:
    names = [parameter_name(c.attname, taken) for c in columns]
    args = []
    for column, name in zip(columns, names):
        value = f"{column.converter}({name})" if column.converter else name
        if keyword.iskeyword(column.attname):
            args.append(f"        **{{{column.attname!r}: {value}}},")
        else:
            args.append(f"        {column.attname}={value},")
    body = "\n".join(args)
    return (
        f"def {create_name(model)}({', '.join(names)}):\n"
        f"    return {variable_name(model)}(\n{body}\n    )\n"
    )


def module_names(header: str, entries: list[tuple[Any, list[Column], list[str]]]) -> set[str]:
    """Every name restore.py binds at module level: a create function's parameter of
    the same name would hide it (a converter, a model variable, ``loader`` ...)."""
    import ast

    names = {"LOAD", "main", "loader", "SNAPSHOT_DIR"}
    for statement in ast.parse(header).body:
        if isinstance(statement, ast.FunctionDef):  # its locals are its own
            names.add(statement.name)
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
    for model, _columns, _files in entries:
        names.update((variable_name(model), create_name(model)))
    return names


def render(
    meta: dict[str, Any], entries: list[tuple[Any, list[Column], list[str]]], cycles: list[str]
) -> str:
    """The whole ``restore.py``: header, model variables, create functions, LOAD, main."""
    parts = [
        HEADER.format(
            site=docstring_text(repr(meta["site"])),
            application=docstring_text(meta["application"]["name"]),
            version_text=docstring_text(meta["application"]["version"]),
            version=meta["application"]["version"],
            created=docstring_text(meta["created"]),
            settings_text=docstring_text(meta["settings_module"]),
            settings=meta["settings_module"],
            format=int(meta["format"]),
        )
    ]
    taken = module_names(parts[0], entries)
    parts.append("# The models, as the current code defines them.\n")
    for model, _columns, _files in entries:
        parts.append(f"{variable_name(model)} = runtime.model({model._meta.label!r})\n")
    parts.append("\n")
    for model, columns, _files in entries:
        parts.append("\n" + create_function(model, columns, taken) + "\n")
    if cycles:
        parts.append(
            "\n# Loaded before a model they point to (foreign-key cycles; constraints are\n"
            "# checked at the end of the transaction):\n"
        )
        parts.extend(f"#   {note}\n" for note in cycles)
    parts.append("\nLOAD = [\n")
    for model, _columns, files in entries:
        parts.append(f"    ({model._meta.label!r}, {create_name(model)}, {files!r}),\n")
    parts.append("]\n")
    parts.append(FOOTER)
    return "".join(parts)
