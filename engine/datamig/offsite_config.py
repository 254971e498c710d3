"""The off-site target's configuration file (JSON), read and checked.

The file names the key that reaches every off-site copy of the site's data, so it must
be private to its owner (mode 0600 or stricter): a file that group or others can read
is refused.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from typing import Any

from .retention import Policy
from .runtime.errors import DatamigError

PASSPHRASE_VARIABLE = "DATAMIG_OFFSITE_KEY_PASSPHRASE"

_REQUIRED = ("host", "user", "key_file", "known_hosts", "path")
_KNOWN = (
    *_REQUIRED,
    "port",
    "site",
    "keep_last",
    "keep_daily",
    "keep_weekly",
    "bandwidth_limit",
    "recipients",
    "identity_file",
)


class OffsiteConfigError(DatamigError):
    """The off-site configuration file is missing, unsafe or wrong."""

    kind = "offsite_config"


@dataclass(frozen=True)
class OffsiteConfig:
    """Where off-site copies go: ``<path>/<site>/<snapshot name>/`` on ``user@host``."""

    host: str
    user: str
    key_file: str
    known_hosts: str
    path: str
    port: int = 22
    site: str | None = None
    keep_last: int = 0
    keep_daily: int = 0
    keep_weekly: int = 0
    bandwidth_limit: int = 0  # bytes per second, 0: unlimited
    source: str = ""
    # age public keys ("age1..."): copies are encrypted for them before they leave
    recipients: tuple[str, ...] = ()
    # the age private key that decrypts them (fetch only; never on the far end)
    identity_file: str | None = None

    @property
    def policy(self) -> Policy:
        return Policy(self.keep_last, self.keep_daily, self.keep_weekly)

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port}:{self.path}"

    def as_dict(self) -> dict[str, Any]:
        """What is safe to show: no key material (the key file's path only)."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "path": self.path,
            "site": self.site,
            "key_file": self.key_file,
            "known_hosts": self.known_hosts,
            **self.policy.as_dict(),
            "bandwidth_limit": self.bandwidth_limit,
        }


def _check_private(path: str) -> None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise OffsiteConfigError(f"off-site config {path} does not exist") from None
    except OSError as exc:
        raise OffsiteConfigError(f"off-site config {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise OffsiteConfigError(f"off-site config {path} is not a regular file")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise OffsiteConfigError(
            f"off-site config {path} is readable or writable by group or others "
            f"(mode {mode:04o}); it names the key to the off-site copies: chmod 600 it"
        )


def _check_mode(config: str, what: str, path: str, refused: int, wanted: str) -> None:
    info = os.stat(path)
    mode = stat.S_IMODE(info.st_mode)
    if mode & refused or info.st_uid not in (os.getuid(), 0):
        raise OffsiteConfigError(
            f"off-site config {config}: {what} {path} is refused (mode {mode:04o}, owner uid "
            f"{info.st_uid}): it must belong to you, mode {wanted} or stricter (chmod {wanted} it)"
        )


def _whole_number(data: dict[str, Any], key: str, default: int, path: str) -> int:
    value = data.get(key, default)
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().isdigit():  # a templated "22" is 22
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise OffsiteConfigError(f"off-site config {path}: {key} must be a whole number >= 0")
    return value


def load_config(path: str) -> OffsiteConfig:
    """Read and check the configuration file (see the module's docstring)."""
    path = os.path.abspath(path)
    _check_private(path)
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OffsiteConfigError(f"off-site config {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise OffsiteConfigError(f"off-site config {path} must hold one JSON object")
    unknown = sorted(set(data) - set(_KNOWN))
    if unknown:
        raise OffsiteConfigError(
            f"off-site config {path}: unknown setting(s) {', '.join(unknown)} "
            f"(known: {', '.join(_KNOWN)})"
        )
    missing = [key for key in _REQUIRED if not data.get(key)]
    if missing:
        raise OffsiteConfigError(f"off-site config {path}: missing {', '.join(missing)}")
    for key in (*_REQUIRED, "site"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise OffsiteConfigError(f"off-site config {path}: {key} must be a string")
    site = data.get("site") or None
    if site is not None and ("/" in site or site.startswith(".")):
        raise OffsiteConfigError(f"off-site config {path}: site {site!r} is not a folder name")
    port = _whole_number(data, "port", 22, path)
    if not 0 < port < 65536:
        raise OffsiteConfigError(f"off-site config {path}: port {port} is out of range")
    base = os.path.dirname(path)
    known_hosts = os.path.join(base, os.path.expanduser(data["known_hosts"]))
    if not os.path.isfile(known_hosts):
        raise OffsiteConfigError(
            f"off-site config {path}: known_hosts file {known_hosts} does not exist "
            "(the far end's host key must be known in advance)"
        )
    key_file = os.path.join(base, os.path.expanduser(data["key_file"]))
    if not os.path.isfile(key_file):
        raise OffsiteConfigError(f"off-site config {path}: key_file {key_file} does not exist")
    # whoever can read the key reaches every copy; whoever can write known_hosts (or
    # the key) chooses the far end
    _check_mode(path, "key_file", key_file, 0o077, "600")
    _check_mode(path, "known_hosts", known_hosts, 0o022, "644")
    recipients = data.get("recipients") or []
    if not isinstance(recipients, list) or not all(
        isinstance(r, str) and r.startswith("age1") for r in recipients
    ):
        raise OffsiteConfigError(
            f"off-site config {path}: recipients must be a list of age public keys (age1...)"
        )
    identity_file = data.get("identity_file") or None
    if identity_file is not None:
        if not isinstance(identity_file, str):
            raise OffsiteConfigError(f"off-site config {path}: identity_file must be a string")
        identity_file = os.path.join(base, os.path.expanduser(identity_file))
        if not os.path.isfile(identity_file):
            raise OffsiteConfigError(
                f"off-site config {path}: identity_file {identity_file} does not exist"
            )
        _check_mode(path, "identity_file", identity_file, 0o077, "600")
    return OffsiteConfig(
        host=data["host"],
        user=data["user"],
        key_file=key_file,
        known_hosts=known_hosts,
        path=data["path"].rstrip("/") or "/",
        port=port,
        site=site,
        keep_last=_whole_number(data, "keep_last", 0, path),
        keep_daily=_whole_number(data, "keep_daily", 0, path),
        keep_weekly=_whole_number(data, "keep_weekly", 0, path),
        bandwidth_limit=_whole_number(data, "bandwidth_limit", 0, path),
        source=path,
        recipients=tuple(recipients),
        identity_file=identity_file,
    )


def key_passphrase() -> str | None:
    """The key's passphrase from the environment (never from the config file or logs)."""
    return os.environ.get(PASSPHRASE_VARIABLE) or None
