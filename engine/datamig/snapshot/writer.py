"""Take a snapshot: every model's rows into data files, restore.py, manifest.json.

The snapshot is written into a temporary folder beside the target and renamed into
place only when complete, so a failed snapshot leaves nothing that looks like one.
Folders are created 0700 and files 0600: a snapshot holds every user's data.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..keys import KeyError_, KeyStore
from ..runtime.content_types import source_content_types
from ..runtime.counters import read_counter
from ..runtime.databases import SiteDatabase
from ..runtime.errors import DatabaseUnreachable, SnapshotFailed
from ..runtime.identity import requirements, site_identity
from ..runtime.manifest import FORMAT_VERSION, MANIFEST_NAME, file_entry
from ..runtime.report import Progress
from ..seal import sign_snapshot
from . import script
from .encoding import Column, columns_of, row_encoder
from .models import cycles_note, left_alone, snapshot_models
from .reader import consistent_read, content_type_keys, iter_rows

ROWS_PER_FILE = 20_000
BYTES_PER_FILE = 8 << 20
RUNTIME_FOLDER = "datamig_runtime"


@dataclass
class SnapshotResult:
    directory: str
    rows: int = 0
    seconds: float = 0.0
    models: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "directory": self.directory,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "models": self.models,
        }


def _open_private(path: str) -> TextIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return open(fd, "w", encoding="utf-8", newline="\n")


class ModelFileWriter:
    """Writes one model's rows into ``<app>_<model>.py``, split into numbered parts."""

    def __init__(self, folder: str, stem: str, header: str, rows_per_file: int) -> None:
        self.folder = folder
        self.stem = stem
        self.header = header
        self.rows_per_file = rows_per_file
        self.files: list[str] = []
        self.stream: TextIO | None = None
        self.rows_in_part = 0
        self.bytes_in_part = 0
        self.total = 0

    def _next_part(self) -> None:
        self._close()
        number = len(self.files) + 1
        if number == 2:  # more than one part: number the first one too
            os.rename(
                os.path.join(self.folder, self.files[0]),
                os.path.join(self.folder, f"{self.stem}_1.py"),
            )
            self.files[0] = f"{self.stem}_1.py"
        name = f"{self.stem}.py" if number == 1 else f"{self.stem}_{number}.py"
        self.files.append(name)
        self.stream = _open_private(os.path.join(self.folder, name))
        self.stream.write(self.header.format(part=number, first=self.total + 1))
        self.rows_in_part = 0
        self.bytes_in_part = 0

    def write(self, line: str) -> None:
        if (
            self.stream is None
            or self.rows_in_part >= self.rows_per_file
            or self.bytes_in_part >= BYTES_PER_FILE
        ):
            self._next_part()
        assert self.stream is not None
        self.stream.write(line)
        self.rows_in_part += 1
        self.bytes_in_part += len(line)
        self.total += 1

    def _close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def finish(self) -> list[str]:
        if not self.files:
            self._next_part()
        self._close()
        return self.files


def _prepare_folder(output: str) -> str:
    output = os.path.abspath(output)
    if os.path.exists(output) and (not os.path.isdir(output) or os.listdir(output)):
        raise SnapshotFailed(f"{output} exists and is not an empty folder; choose a new one")
    parent = os.path.dirname(output)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    temporary = f"{output}.partial-{os.getpid()}"
    if os.path.exists(temporary):
        shutil.rmtree(temporary)
    os.mkdir(temporary, 0o700)
    os.chmod(temporary, 0o700)
    return temporary


def _copy_runtime(folder: str) -> None:
    source = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime")
    target = os.path.join(folder, RUNTIME_FOLDER)
    os.mkdir(target, 0o700)
    for name in sorted(os.listdir(source)):
        if name.endswith(".py"):
            with (
                open(os.path.join(source, name), encoding="utf-8") as src,
                _open_private(os.path.join(target, name)) as dst,
            ):
                dst.write(src.read())


def take_snapshot(
    output: str,
    *,
    alias: str = "default",
    site: str | None = None,
    rows_per_file: int = ROWS_PER_FILE,
    progress: Progress | None = None,
    keys: KeyStore | None = None,
) -> SnapshotResult:
    """Write the snapshot and sign its manifest with the key folder's key (``keys``,
    default: the one ``--key-dir``/``DATAMIG_KEY_DIR`` name; created on first use)."""
    from django.conf import settings
    from django.db import connections, transaction

    progress = progress or Progress(False)
    started = time.monotonic()
    final = os.path.abspath(output)
    store = keys or KeyStore.from_option(None)
    store.signer_or_create()  # a key folder that cannot sign fails before any work
    _require_source(alias)
    folder = _prepare_folder(final)
    connection = connections[alias]
    try:
        identity = site_identity(site)
        meta: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "datamig": _datamig_version(),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "site": identity["site"],
            "application": identity["application"],
            "django": _django_version(),
            "python": platform.python_version(),
            "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE", ""),
            "vendor": connection.vendor,
            "time_zone": settings.TIME_ZONE,
            "use_tz": settings.USE_TZ,
        }
        entries: list[tuple[Any, list[Column], list[str]]] = []
        manifest_models = []
        with transaction.atomic(using=alias):
            consistent_read(connection)
            models = snapshot_models(alias)
            cycles = cycles_note(models)
            content_types = content_type_keys(alias)
            meta["not_carried"] = left_alone(alias)
            # the table itself, so that a restore gives every content type its id back
            meta["content_types"] = source_content_types(alias)
            for model in models:
                columns, files, count = _write_model(
                    folder, model, alias, content_types, rows_per_file, progress
                )
                entries.append((model, columns, files))
                manifest_models.append(
                    {
                        "model": model._meta.label,
                        "table": model._meta.db_table,
                        "rows": count,
                        "columns": [c.attname for c in columns],
                        "types": [c.field.get_internal_type() for c in columns],
                        "counter": read_counter(connection, model),
                        "files": files,
                    }
                )
                raw = {c.attname: c.kinds for c in columns if c.raw}
                if raw:  # what kinds of values each raw column holds (runtime/raw.py)
                    manifest_models[-1]["raw"] = raw
        _copy_runtime(folder)
        code = script.render(meta, entries, cycles)
        compile(code, "restore.py", "exec")  # one that cannot run is never written
        with _open_private(os.path.join(folder, "restore.py")) as stream:
            stream.write(code)
        with _open_private(os.path.join(folder, "requirements.txt")) as stream:
            stream.write(requirements())
        total = sum(m["rows"] for m in manifest_models)
        meta.update(
            models=manifest_models, total_rows=total, seconds=round(time.monotonic() - started, 3)
        )
        meta["files"] = _file_table(folder)
        with _open_private(os.path.join(folder, MANIFEST_NAME)) as stream:
            json.dump(meta, stream, indent=1, sort_keys=False)
            stream.write("\n")
        sign_snapshot(folder, store)
        if os.path.isdir(final):
            os.rmdir(final)
        os.rename(folder, final)
    except BaseException as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, (SnapshotFailed, DatabaseUnreachable, KeyError_)):
            raise
        if isinstance(exc, Exception):
            raise SnapshotFailed(
                f"snapshot failed, nothing written: {type(exc).__name__}: {exc}"
            ) from exc
        raise
    result = SnapshotResult(final, total, time.monotonic() - started)
    result.models = [
        {"model": m["model"], "rows": m["rows"], "files": len(m["files"])} for m in manifest_models
    ]
    return result


def _require_source(alias: str) -> None:
    """The source database must exist and answer (a snapshot never creates one)."""
    source = SiteDatabase(alias)
    source.check_server()
    if not source.exists():
        raise DatabaseUnreachable(f"{source.describe()} does not exist")


def _write_model(
    folder: str,
    model: Any,
    alias: str,
    content_types: dict[int, list[str]],
    rows_per_file: int,
    progress: Progress,
) -> tuple[list[Column], list[str], int]:
    import json as json_module

    columns = columns_of(model)
    encode = row_encoder(columns, content_types)
    dump = json_module.JSONEncoder(ensure_ascii=False, allow_nan=True).encode
    label = model._meta.label
    expected = model._base_manager.using(alias).count()
    header = (
        f"# datamig snapshot: {_comment(label)} (table {_comment(model._meta.db_table)}), "
        f"part {{part}}, from row {{first}}\n"
        f"# columns: {_comment(', '.join(c.attname for c in columns))}\n"
    )
    stem = f"{model._meta.app_label}_{model._meta.model_name}"
    writer = ModelFileWriter(folder, stem, header, rows_per_file)
    prefix = f"loader.save({script.create_name(model)}("
    started = time.monotonic()
    write = writer.write
    try:
        for row in iter_rows(model, columns, alias):
            write(f"{prefix}{dump(encode(row))[1:-1]}))\n")
            if writer.total % 5000 == 0:
                progress.update(label, writer.total, expected, started)
    except TypeError as exc:
        raise SnapshotFailed(f"{label}: {exc}") from None
    files = writer.finish()
    progress.update(label, writer.total, expected, started, final=True)
    return columns, files, writer.total


def _comment(text: str) -> str:
    """Text for a data file's comment line: no line break can end the comment (a table
    name is the site's code, not to be trusted with generated Python), braces kept
    from ``str.format``."""
    shown = text if text.isprintable() else repr(text)
    return shown.replace("{", "{{").replace("}", "}}")


def _file_table(folder: str) -> dict[str, dict[str, Any]]:
    table = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder).replace(os.sep, "/")
            table[rel] = file_entry(path)
    return dict(sorted(table.items()))


def _datamig_version() -> str:
    from .. import __version__

    return __version__


def _django_version() -> str:
    import django

    return django.get_version()


__all__ = ["SnapshotResult", "sys", "take_snapshot"]
