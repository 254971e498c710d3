"""Encrypted off-site copies: the age format (``pyrage``), for the config's recipients.

With ``recipients`` in the off-site config, a copy is encrypted on the node before it
leaves: every file of the snapshot becomes ``<name>.age`` in a private staging folder
(``mkdtemp``), and ``offsite.json`` lists each ciphertext's size and SHA-256 and the
SHA-256 of the snapshot's plain ``manifest.json``; ``offsite.sig`` is its signature by
the site's key (keys.py). The far end holds ciphertext and hashes only, no key that
decrypts: it can check the ciphertext (``sha256sum``), never read a row. Fetch checks
``offsite.sig`` and every ciphertext, decrypts with the config's ``identity_file`` into a
fresh folder, then checks the snapshot itself (seal.py) before it is used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from typing import Any

from .keys import KeyStore
from .runtime.errors import SnapshotInvalid
from .runtime.manifest import MANIFEST_NAME
from .seal import (
    MAX_SIGNATURE_BYTES,
    read_bounded,
    safe_name,
    verify_signature,
)
from .sshlink import OffsiteError

INDEX_NAME = "offsite.json"
INDEX_SIGNATURE = "offsite.sig"
SUFFIX = ".age"
MAX_INDEX_BYTES = 64 << 20
_CHUNK = 1 << 20


def _sha256(path: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _open_new(path: str) -> Any:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    return os.fdopen(fd, "wb")


def _recipients(config_recipients: tuple[str, ...]) -> list[Any]:
    from pyrage import RecipientError, x25519

    try:
        return [x25519.Recipient.from_str(r) for r in config_recipients]
    except RecipientError as exc:
        raise OffsiteError(f"off-site recipients: not an age public key ({exc})") from None


def stage(snapshot_dir: str, files: list[str], recipients: tuple[str, ...], keys: KeyStore) -> str:
    """Encrypt ``files`` of a checked snapshot into a new private folder beside it;
    returns the folder (the caller removes it)."""
    from pyrage import encrypt_io

    targets = _recipients(recipients)
    folder = tempfile.mkdtemp(prefix=".offsite-stage-", dir=os.path.dirname(snapshot_dir))
    index: dict[str, Any] = {"format": 1, "encryption": "age", "files": {}}
    try:
        for name in files:
            source = os.path.join(snapshot_dir, *name.split("/"))
            target = os.path.join(folder, *name.split("/")) + SUFFIX
            os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as reader, _open_new(target) as writer:
                encrypt_io(reader, writer, targets)
            size, digest = _sha256(target)
            index["files"][name + SUFFIX] = {"size": size, "sha256": digest}
        index["manifest_sha256"] = _sha256(os.path.join(snapshot_dir, MANIFEST_NAME))[1]
        raw = (json.dumps(index, indent=1, sort_keys=True) + "\n").encode("utf-8")
        with _open_new(os.path.join(folder, INDEX_NAME)) as stream:
            stream.write(raw)
        signer, _created = keys.signer_or_create()
        seal = {
            "format": 1,
            "algorithm": "ed25519",
            "key": signer.key_id,
            "signature": base64.b64encode(signer.sign(raw)).decode("ascii"),
        }
        with _open_new(os.path.join(folder, INDEX_SIGNATURE)) as stream:
            stream.write(json.dumps(seal).encode("ascii") + b"\n")
    except BaseException:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def parse_index(raw: bytes, signature: bytes | None, keys: KeyStore, where: str) -> dict[str, Any]:
    """An encrypted copy's ``offsite.json``, its signature checked first."""
    if signature is None:
        raise OffsiteError(f"{where}: {INDEX_NAME} has no {INDEX_SIGNATURE}: refused")
    try:
        verify_signature(where, raw, signature, keys)
        index = json.loads(raw.decode("utf-8"))
    except SnapshotInvalid as exc:
        raise OffsiteError(str(exc).replace(MANIFEST_NAME, INDEX_NAME)) from None
    except (ValueError, UnicodeDecodeError):
        raise OffsiteError(f"{where}: {INDEX_NAME} is not valid JSON") from None
    files = index.get("files") if isinstance(index, dict) else None
    if not isinstance(files, dict) or not isinstance(index.get("manifest_sha256"), str):
        raise OffsiteError(f"{where}: {INDEX_NAME} has no files table")
    for name, entry in files.items():
        plain = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else ""
        if not safe_name(name) or not safe_name(plain):
            raise OffsiteError(f"{where}: unsafe file name in {INDEX_NAME}: {name!r}")
        if not isinstance(entry, dict) or not isinstance(entry.get("size"), int):
            raise OffsiteError(f"{where}: bad entry in {INDEX_NAME} for {name!r}")
    if MANIFEST_NAME + SUFFIX not in files:
        raise OffsiteError(f"{where}: {INDEX_NAME} lists no {MANIFEST_NAME}{SUFFIX}")
    return index


def decrypt_into(cipher_dir: str, index: dict[str, Any], target: str, identity_file: str) -> None:
    """Decrypt every listed ciphertext of ``cipher_dir`` into the new folder ``target``."""
    from pyrage import DecryptError, IdentityError, decrypt_io, x25519

    text = read_bounded(identity_file, MAX_SIGNATURE_BYTES, "age identity").decode(
        "ascii", "replace"
    )
    try:
        identities = [
            x25519.Identity.from_str(line.strip())
            for line in text.splitlines()
            if line.strip() and not line.startswith("#")
        ]
    except IdentityError as exc:
        raise OffsiteError(f"identity_file {identity_file}: not an age identity ({exc})") from None
    for name in sorted(index["files"]):
        plain = name[: -len(SUFFIX)]
        source = os.path.join(cipher_dir, *name.split("/"))
        out = os.path.join(target, *plain.split("/"))
        os.makedirs(os.path.dirname(out), mode=0o700, exist_ok=True)
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            with os.fdopen(fd, "rb") as reader, _open_new(out) as writer:
                decrypt_io(reader, writer, identities)
        except DecryptError as exc:
            raise OffsiteError(
                f"{name}: cannot be decrypted with {identity_file} ({exc})"
            ) from None
