"""Sealed snapshots: the manifest signed, and every file checked before any code of a
snapshot runs.

A snapshot is code (``restore.py``, its runtime, data files that are Python), so every
command that runs or reads one first calls :func:`check_snapshot`, which is engine code
(never the copy of the runtime inside the snapshot: that cannot vouch for itself):

- ``manifest.sig`` is an Ed25519 signature of the exact bytes of ``manifest.json`` by a
  key the key folder trusts (keys.py); a snapshot without one (written before datamig
  signed) is refused unless the caller passes ``trust_unsigned``;
- the folder holds regular files and folders only (a symlink, a FIFO ... is refused),
  and exactly the files the manifest lists, plus ``manifest.json`` and
  ``manifest.sig``: an unlisted file (a module planted beside ``restore.py``, a
  ``__pycache__`` folder) is refused;
- every name the manifest gives (its files, each model's data files) is a safe relative
  name inside the folder, and each listed file has its size and SHA-256 (files are
  opened with ``O_NOFOLLOW`` and read no further than their size).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

from .keys import KeyError_, KeyStore, key_id
from .runtime.errors import SnapshotInvalid
from .runtime.manifest import FORMAT_VERSION, MANIFEST_NAME

SIGNATURE_NAME = "manifest.sig"
SIGNATURE_FORMAT = 1
SEALED_ENV = "DATAMIG_SEALED"  # set by ``datamig restore`` for the restore.py it checked
SEAL_NOTE_ENV = "DATAMIG_SEAL_NOTE"
MAX_MANIFEST_BYTES = 64 << 20
MAX_SIGNATURE_BYTES = 64 << 10
MAX_FILES = 1_000_000
MAX_DEPTH = 8
_CHUNK = 1 << 20
_SEGMENT = re.compile(r"\w[\w.-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def safe_name(name: object) -> bool:
    """A relative name inside the folder: '/'-separated segments of letters, digits,
    '_', '.' and '-', none starting with '.' (no '..', no hidden file, no backslash)."""
    if not isinstance(name, str) or not name or len(name) > 4096:
        return False
    parts = name.split("/")
    return len(parts) <= MAX_DEPTH and all(_SEGMENT.fullmatch(part) for part in parts)


@dataclass
class Sealed:
    """What :func:`check_snapshot` found (it raises on any problem)."""

    directory: str
    manifest: dict[str, Any]
    signed: bool
    key: str | None = None
    files_checked: int = 0
    bytes_checked: int = 0
    edited: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        if self.signed:
            return f"signature verified (key {self.key})"
        return (
            "UNSIGNED snapshot: its origin was not checked (accepted because of --trust-unsigned)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "signed": self.signed,
            "key": self.key,
            "trusted_unsigned": not self.signed,
            "files_checked": self.files_checked,
            "bytes_checked": self.bytes_checked,
            "edited": self.edited,
        }


def _refuse(directory: str, message: str) -> SnapshotInvalid:
    return SnapshotInvalid(f"snapshot {directory} refused: {message}")


def _tree(directory: str) -> set[str]:
    """Every regular file under the folder ('/'-separated); anything that is neither a
    regular file nor a folder is refused, and nothing is followed."""
    found: set[str] = set()

    def walk(folder: str, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _refuse(directory, f"{prefix or '.'}: folders nested too deep")
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_symlink():
                    raise _refuse(directory, f"{rel} is a symlink (a snapshot holds only files)")
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, rel + "/", depth + 1)
                elif entry.is_file(follow_symlinks=False):
                    found.add(rel)
                    if len(found) > MAX_FILES:
                        raise _refuse(directory, "too many files")
                else:
                    raise _refuse(directory, f"{rel} is not a regular file")

    walk(directory, "", 1)
    return found


def read_bounded(path: str, limit: int, what: str) -> bytes:
    """A regular file's bytes (not through a symlink), refused beyond ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise SnapshotInvalid(f"{what} {path}: cannot open ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise SnapshotInvalid(f"{what} {path} is not a regular file")
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise SnapshotInvalid(f"{what} {path} is larger than {limit:,} bytes: refused")
    return data


def _hash_file(path: str, size: int) -> tuple[int, str]:
    """Size and SHA-256, reading at most one byte more than ``size``."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    digest = hashlib.sha256()
    read = 0
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return -1, ""
        while read <= size:
            block = stream.read(min(_CHUNK, size + 1 - read))
            if not block:
                break
            digest.update(block)
            read += len(block)
    return read, digest.hexdigest()


def parse_manifest(raw: bytes, where: str) -> dict[str, Any]:
    """The manifest's JSON, its files table and model file lists checked for shape and
    safe names (a clear SnapshotInvalid for anything else)."""
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SnapshotInvalid(f"{where} is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise SnapshotInvalid(f"{where} has no 'files' table")
    version = manifest.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotInvalid(f"{where} has no format version")
    if version > FORMAT_VERSION:
        raise SnapshotInvalid(
            f"snapshot format {version} is newer than this datamig reads (format {FORMAT_VERSION})"
        )
    for name, entry in manifest["files"].items():
        if not safe_name(name) or name in (MANIFEST_NAME, SIGNATURE_NAME):
            raise SnapshotInvalid(f"{where}: unsafe file name {name!r}")
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("size"), int)
            or isinstance(entry.get("size"), bool)
            or entry["size"] < 0
            or not isinstance(entry.get("sha256"), str)
            or not _SHA256.fullmatch(entry["sha256"])
        ):
            raise SnapshotInvalid(f"{where}: bad entry for {name!r} (size and sha256 expected)")
    models = manifest.get("models", [])
    if not isinstance(models, list):
        raise SnapshotInvalid(f"{where}: 'models' is not a list")
    for model in models:
        files = model.get("files") if isinstance(model, dict) else None
        if not isinstance(files, list):
            raise SnapshotInvalid(f"{where}: a model entry without a 'files' list")
        for name in files:
            if not safe_name(name) or name not in manifest["files"]:
                raise SnapshotInvalid(
                    f"{where}: model {model.get('model')!r} names data file {name!r}, which "
                    "is not a file of the snapshot's files table"
                )
    return manifest


def _check_signature(directory: str, raw: bytes, store: KeyStore) -> str:
    path = os.path.join(directory, SIGNATURE_NAME)
    data = read_bounded(path, MAX_SIGNATURE_BYTES, "signature")
    return verify_signature(directory, raw, data, store)


def verify_signature(directory: str, raw: bytes, data: bytes, store: KeyStore) -> str:
    """The id of the trusted key whose signature ``data`` is of the manifest ``raw``;
    SnapshotInvalid otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        seal = json.loads(data.decode("utf-8"))
        ident = seal["key"]
        signature = base64.b64decode(seal["signature"], validate=True)
        if seal.get("algorithm") != "ed25519" or not isinstance(ident, str):
            raise ValueError("not ed25519")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise _refuse(directory, f"{SIGNATURE_NAME} is not a datamig signature") from None
    try:
        trusted = store.trusted()
    except KeyError_ as exc:
        raise _refuse(directory, f"its signature cannot be checked: {exc}") from None
    public = trusted.get(ident)
    if public is None:
        raise _refuse(
            directory,
            f"signed by key {ident}, which {store.directory} does not trust (on the machine "
            "that wrote it: datamig key show; here: datamig key trust)",
        )
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, raw)
    except InvalidSignature:
        raise _refuse(
            directory,
            f"{MANIFEST_NAME} does not match its signature (changed after it was signed)",
        ) from None
    return key_id(public)


def check_snapshot(
    directory: str,
    store: KeyStore,
    *,
    trust_unsigned: bool = False,
    allow_edited: tuple[str, ...] = (),
) -> Sealed:
    """Check a snapshot folder before anything of it runs; raise SnapshotInvalid.

    ``allow_edited`` names files that may differ from the manifest (``restore.py`` run
    by hand: the person runs the file they have); they are reported as edited.
    """
    directory = os.path.realpath(directory)
    if not os.path.isdir(directory):
        raise SnapshotInvalid(f"snapshot folder {directory} does not exist")
    on_disk = _tree(directory)
    if MANIFEST_NAME not in on_disk:
        raise SnapshotInvalid(
            f"{os.path.join(directory, MANIFEST_NAME)} is missing: not a datamig snapshot"
        )
    raw = read_bounded(os.path.join(directory, MANIFEST_NAME), MAX_MANIFEST_BYTES, "manifest")
    if SIGNATURE_NAME in on_disk:
        ident: str | None = _check_signature(directory, raw, store)
    elif trust_unsigned:
        ident = None
    else:
        raise _refuse(
            directory,
            f"it is not signed (no {SIGNATURE_NAME}: written by a datamig before 0.2, or its "
            "signature removed); pass --trust-unsigned only if you know where it comes from",
        )
    manifest = parse_manifest(raw, os.path.join(directory, MANIFEST_NAME))
    listed = set(manifest["files"])
    extra = sorted(on_disk - listed - {MANIFEST_NAME, SIGNATURE_NAME})
    if extra:
        shown = ", ".join(extra[:5]) + (f" (and {len(extra) - 5} more)" if len(extra) > 5 else "")
        raise _refuse(directory, f"files the manifest does not list: {shown}")
    result = Sealed(directory, manifest, signed=ident is not None, key=ident)
    problems = []
    for name in sorted(listed):
        expected = manifest["files"][name]
        if name not in on_disk:
            problems.append(f"{name}: missing")
            continue
        size, digest = _hash_file(os.path.join(directory, *name.split("/")), expected["size"])
        result.files_checked += 1
        result.bytes_checked += max(size, 0)
        if size == expected["size"] and digest == expected["sha256"]:
            continue
        if name in allow_edited:
            result.edited.append(name)
        elif size != expected["size"]:
            problems.append(f"{name}: size differs from the manifest (truncated or changed)")
        else:
            problems.append(f"{name}: SHA-256 differs from the manifest (changed)")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        error = _refuse(directory, "does not match its manifest: " + "; ".join(problems[:5]) + more)
        error.problems = problems  # type: ignore[attr-defined]
        error.manifest = manifest  # type: ignore[attr-defined]  (signed, or trusted unsigned)
        raise error
    return result


def sign_snapshot(folder: str, store: KeyStore) -> str:
    """Write ``manifest.sig`` for the manifest in ``folder`` with the store's key
    (created on first use); returns the key id."""
    signer, _created = store.signer_or_create()
    raw = read_bounded(os.path.join(folder, MANIFEST_NAME), MAX_MANIFEST_BYTES, "manifest")
    seal = {
        "format": SIGNATURE_FORMAT,
        "algorithm": "ed25519",
        "key": signer.key_id,
        "signature": base64.b64encode(signer.sign(raw)).decode("ascii"),
    }
    path = os.path.join(folder, SIGNATURE_NAME)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(seal, stream, indent=1)
        stream.write("\n")
    return signer.key_id


def check_by_hand(directory: str, argv: list[str]) -> list[str]:
    """``python restore.py`` run by hand, with the engine installed: check everything
    but restore.py itself (the file being run) before the runtime loads. Exits with a
    clear error when the check fails; returns the report's warnings."""
    from .runtime.cli import fail

    try:
        sealed = check_snapshot(
            directory,
            KeyStore.from_option(None),
            trust_unsigned="--trust-unsigned" in argv,
            allow_edited=("restore.py",),
        )
    except (SnapshotInvalid, KeyError_) as exc:
        raise SystemExit(fail(exc, "--json" in argv)) from None
    return [] if sealed.signed else [sealed.note]
