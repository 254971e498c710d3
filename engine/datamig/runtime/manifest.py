"""Read, write and verify a snapshot's ``manifest.json``. Imports no Django.

The manifest lists every file of the snapshot with its size and SHA-256. Nothing is
restored from a snapshot whose files do not match it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from .errors import SnapshotInvalid

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
# Files a person may edit and still run by hand (``python restore.py``): the seed's
# "you can change the restore.py script and try again". The tools never accept edits.
EDITABLE_FILES = ("restore.py",)
_CHUNK = 1 << 20


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: str) -> dict[str, Any]:
    return {"size": os.path.getsize(path), "sha256": sha256_of(path)}


def load_manifest(directory: str) -> dict[str, Any]:
    path = os.path.join(directory, MANIFEST_NAME)
    if not os.path.isdir(directory):
        raise SnapshotInvalid(f"snapshot folder {directory} does not exist")
    try:
        with open(path, encoding="utf-8") as stream:
            manifest = json.load(stream)
    except FileNotFoundError:
        raise SnapshotInvalid(f"{path} is missing: not a datamig snapshot") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotInvalid(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise SnapshotInvalid(f"{path} has no 'files' table")
    version = manifest.get("format")
    if not isinstance(version, int):
        raise SnapshotInvalid(f"{path} has no format version")
    if version > FORMAT_VERSION:
        raise SnapshotInvalid(
            f"snapshot format {version} is newer than this datamig reads (format "
            f"{FORMAT_VERSION}); restore it with the datamig that wrote it or a newer one"
        )
    return manifest


@dataclass
class Verification:
    """What a check of the files against the manifest found."""

    directory: str
    files_checked: int = 0
    bytes_checked: int = 0
    problems: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "directory": self.directory,
            "files_checked": self.files_checked,
            "bytes_checked": self.bytes_checked,
            "problems": self.problems,
            "edited": self.edited,
            "extra_files": self.extra,
        }


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return not os.path.isabs(name) and ".." not in parts and "" not in parts


def verify_files(
    directory: str, manifest: dict[str, Any], *, allow_edited: tuple[str, ...] = ()
) -> Verification:
    """Compare every file listed in the manifest with what is on disk.

    Files named in ``allow_edited`` may differ (they are then listed as edited, not as
    problems); a missing one is still a problem.
    """
    result = Verification(directory)
    for name, expected in sorted(manifest["files"].items()):
        if not _safe_name(name):
            result.problems.append(f"{name}: unsafe file name in manifest")
            continue
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            result.problems.append(f"{name}: missing")
            continue
        size = os.path.getsize(path)
        result.files_checked += 1
        result.bytes_checked += size
        actual = sha256_of(path)
        if size == expected.get("size") and actual == expected.get("sha256"):
            continue
        if name in allow_edited:
            result.edited.append(name)
        elif size != expected.get("size"):
            result.problems.append(
                f"{name}: size {size} bytes, manifest says {expected.get('size')} "
                "(truncated or changed)"
            )
        else:
            result.problems.append(f"{name}: SHA-256 differs from the manifest (changed)")
    listed = set(manifest["files"]) | {MANIFEST_NAME, "manifest.sig"}  # the signature
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), directory).replace(os.sep, "/")
            if rel not in listed:
                result.extra.append(rel)
    result.extra.sort()
    return result


def require_valid(
    directory: str, *, allow_edited: tuple[str, ...] = ()
) -> tuple[dict[str, Any], Verification]:
    """Load the manifest and verify every file; raise SnapshotInvalid on any problem."""
    manifest = load_manifest(directory)
    result = verify_files(directory, manifest, allow_edited=allow_edited)
    if not result.ok:
        shown = "; ".join(result.problems[:5])
        more = f" (and {len(result.problems) - 5} more)" if len(result.problems) > 5 else ""
        raise SnapshotInvalid(f"snapshot {directory} does not match its manifest: {shown}{more}")
    return manifest, result
