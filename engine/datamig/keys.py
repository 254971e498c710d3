"""The signing keys of snapshots: one Ed25519 key per key folder, and the public keys
it trusts.

A key folder (``--key-dir``, else ``DATAMIG_KEY_DIR``, else ``~/.config/datamig/keys``)::

    <keys>/signing.key           the private key that signs new snapshots (PEM, 0600)
    <keys>/trusted/<id>.pub      public keys whose snapshots verify: this folder's own,
                                 current and rotated-out, and other machines' (``trust``)

The folder is 0700 and belongs to the user (or root); a private key that group or others
can read, or a folder or trusted key they can write, is refused: whoever can write
there could make any snapshot verify. ``datamig snapshot`` creates the folder and the
key on first use, so signing costs nothing on one machine. The key never goes into a
snapshot; this module is not part of the runtime that travels in one.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass

from .runtime.errors import DatamigError

KEY_DIR_ENV = "DATAMIG_KEY_DIR"
PRIVATE_NAME = "signing.key"
TRUSTED_FOLDER = "trusted"
PUBLIC_PREFIX = "datamig-ed25519"  # the one-line form of a public key: "<prefix> <base64>"
_MAX_KEY_FILE = 16 << 10


class KeyError_(DatamigError):
    """A key folder or key file that cannot be used (modes, format, missing)."""

    kind = "key"


def default_key_dir() -> str:
    return os.path.join(os.path.expanduser("~"), ".config", "datamig", "keys")


def key_dir_from(option: str | None) -> str:
    """The key folder: the option, else the environment, else the default."""
    return os.path.abspath(option or os.environ.get(KEY_DIR_ENV) or default_key_dir())


def key_id(public_raw: bytes) -> str:
    """A public key's short name: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def public_line(public_raw: bytes) -> str:
    return f"{PUBLIC_PREFIX} {base64.b64encode(public_raw).decode('ascii')}"


def parse_public_line(text: str, where: str) -> bytes:
    """The raw 32 bytes of a public key written as ``datamig-ed25519 <base64>``."""
    parts = text.strip().split()
    if len(parts) < 2 or parts[0] != PUBLIC_PREFIX:
        raise KeyError_(f"{where}: not a datamig public key (expected '{PUBLIC_PREFIX} <base64>')")
    try:
        raw = base64.b64decode(parts[1], validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise KeyError_(f"{where}: not a datamig public key (bad base64 or length)")
    return raw


def _owned_by_us(info: os.stat_result) -> bool:
    return info.st_uid in (os.getuid(), 0)


def _as_root_hint(info: os.stat_result) -> str:
    """For root meeting a site user's keys: how to run as that user instead. Root does not
    take keys another user could have swapped: that user's snapshots would run as root."""
    if os.getuid() != 0 or info.st_uid == 0:
        return ""
    return (
        f"; it is uid {info.st_uid}'s: run the engine as that user (the site's bin/site-env "
        "does, or setpriv), not as root"
    )


def _read_small(path: str, what: str, *, private: bool) -> bytes:
    """Read a key file: a regular file (no symlink), ours, not writable (a private key:
    not readable either) by group or others."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise KeyError_(
            f"{what} {path}: cannot open ({exc.strerror}; a symlink is refused)"
        ) from None
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise KeyError_(f"{what} {path} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        loose = mode & (0o077 if private else 0o022)
        if loose or not _owned_by_us(info):
            wanted = "600" if private else "644 or stricter"
            raise KeyError_(
                f"{what} {path} is refused: mode {mode:04o}, owner uid {info.st_uid}; "
                f"it must belong to you and be {wanted} (chmod {wanted.split()[0]} it)"
                + _as_root_hint(info)
            )
        data = stream.read(_MAX_KEY_FILE + 1)
    if len(data) > _MAX_KEY_FILE:
        raise KeyError_(f"{what} {path} is too large to be a key")
    return data


def _check_folder(path: str) -> None:
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise KeyError_(f"key folder {path} is not a folder (a symlink is refused)")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077 or not _owned_by_us(info):
        raise KeyError_(
            f"key folder {path} is refused: mode {mode:04o}, owner uid {info.st_uid}; it must "
            "belong to you and be 0700 (chmod 700 it)" + _as_root_hint(info)
        )


def _write_exclusive(path: str, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Signer:
    """The private key of a key folder."""

    private: object  # cryptography's Ed25519PrivateKey
    public_raw: bytes

    @property
    def key_id(self) -> str:
        return key_id(self.public_raw)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)  # type: ignore[attr-defined]


class KeyStore:
    """One key folder: the signing key and the trusted public keys."""

    def __init__(self, directory: str) -> None:
        self.directory = os.path.abspath(directory)

    @classmethod
    def from_option(cls, option: str | None) -> KeyStore:
        return cls(key_dir_from(option))

    @property
    def private_path(self) -> str:
        return os.path.join(self.directory, PRIVATE_NAME)

    @property
    def trusted_dir(self) -> str:
        return os.path.join(self.directory, TRUSTED_FOLDER)

    # reading ------------------------------------------------------------------------

    def exists(self) -> bool:
        return os.path.lexists(self.directory)

    def signer(self) -> Signer | None:
        """The signing key, or None when the folder has none yet."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if not self.exists():
            return None
        _check_folder(self.directory)
        try:
            data = _read_small(self.private_path, "signing key", private=True)
        except FileNotFoundError:
            return None
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyError_(f"signing key {self.private_path} does not load: {exc}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyError_(f"signing key {self.private_path} is not an Ed25519 key")
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return Signer(private, raw)

    def trusted(self) -> dict[str, bytes]:
        """Key id -> raw public key of every key this folder trusts (its own included)."""
        found: dict[str, bytes] = {}
        if not self.exists():
            return found
        _check_folder(self.directory)
        signer = self.signer()
        if signer is not None:
            found[signer.key_id] = signer.public_raw
        if not os.path.lexists(self.trusted_dir):
            return found
        _check_folder(self.trusted_dir)
        for name in sorted(os.listdir(self.trusted_dir)):
            if not name.endswith(".pub"):
                continue
            path = os.path.join(self.trusted_dir, name)
            data = _read_small(path, "trusted key", private=False)
            try:
                text = data.decode("ascii")
            except UnicodeDecodeError:
                raise KeyError_(f"trusted key {path} is not a datamig public key") from None
            raw = parse_public_line(text, path)
            found[key_id(raw)] = raw
        return found

    # writing ------------------------------------------------------------------------

    def _make_folders(self) -> None:
        if not self.exists():
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            os.chmod(self.directory, 0o700)
        _check_folder(self.directory)
        if not os.path.lexists(self.trusted_dir):
            os.mkdir(self.trusted_dir, 0o700)
        _check_folder(self.trusted_dir)

    def _add_trusted(self, raw: bytes) -> str:
        ident = key_id(raw)
        path = os.path.join(self.trusted_dir, f"{ident}.pub")
        if not os.path.lexists(path):
            try:
                _write_exclusive(path, (public_line(raw) + "\n").encode("ascii"), 0o644)
            except FileExistsError:
                pass
        return ident

    def _new_private(self) -> tuple[Signer, str]:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        temporary = f"{self.private_path}.new-{os.getpid()}"
        if os.path.lexists(temporary):
            os.unlink(temporary)
        _write_exclusive(temporary, pem, 0o600)
        self._add_trusted(raw)  # before it signs anything: its snapshots always verify
        return Signer(private, raw), temporary

    def signer_or_create(self) -> tuple[Signer, bool]:
        """The signing key, created (with its folders) on first use; and whether it was."""
        existing = self.signer()
        if existing is not None:
            return existing, False
        self._make_folders()
        signer, temporary = self._new_private()
        try:
            os.link(temporary, self.private_path)  # never replaces a key made meanwhile
        except FileExistsError:
            os.unlink(temporary)
            current = self.signer()
            assert current is not None
            return current, False
        os.unlink(temporary)
        return signer, True

    def rotate(self) -> tuple[Signer, str | None]:
        """A new signing key; the old one's public key stays trusted (old snapshots
        still verify), its private key is removed. Returns the new key and the old id."""
        old = self.signer()
        self._make_folders()
        if old is not None:
            self._add_trusted(old.public_raw)
        signer, temporary = self._new_private()
        os.replace(temporary, self.private_path)
        return signer, old.key_id if old is not None else None

    def trust(self, text: str, where: str) -> str:
        """Trust another machine's public key (its ``datamig key show`` line)."""
        raw = parse_public_line(text, where)
        self._make_folders()
        return self._add_trusted(raw)
