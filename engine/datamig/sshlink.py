"""One SSH connection to the off-site host (paramiko): files over SFTP, checksums over exec.

Key authentication only, the host key checked against the configured known_hosts file
(``RejectPolicy``: an unknown or changed host key ends the connection before anything is
sent). Transfers can be limited to a number of bytes per second.
"""

from __future__ import annotations

import posixpath
import shlex
import stat
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from .offsite_config import PASSPHRASE_VARIABLE, OffsiteConfig, key_passphrase
from .runtime.errors import DatamigError

CHUNK = 32 * 1024
COMMAND_TIMEOUT = 3600.0


class OffsiteError(DatamigError):
    """The off-site copy could not be made, checked or read."""

    kind = "offsite_failed"


class Throttle:
    """Sleeps so that the bytes moved since the start stay at or under ``limit`` a second."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.started: float | None = None  # the clock starts with the first bytes
        self.moved = 0

    def spent(self, count: int) -> None:
        if self.started is None:
            self.started = time.monotonic()
        self.moved += count
        if self.limit > 0:
            ahead = self.moved / self.limit - (time.monotonic() - self.started)
            if ahead > 0:
                time.sleep(ahead)


def _import_paramiko() -> Any:
    try:
        import paramiko
    except ImportError:
        raise OffsiteError(
            "off-site copies need paramiko: pip install 'datamig[offsite]'"
        ) from None
    return paramiko


class SSHLink:
    """``with SSHLink(config) as link:`` an open, host-key-checked connection."""

    def __init__(self, config: OffsiteConfig) -> None:
        self.config = config
        self.throttle = Throttle(config.bandwidth_limit)
        self._client: Any = None
        self._sftp: Any = None
        self._made: set[str] = set()  # far-end folders known to exist (fewer round trips)

    # connection ---------------------------------------------------------------------

    def open(self) -> SSHLink:
        paramiko = _import_paramiko()
        config = self.config
        where = f"{config.user}@{config.host}:{config.port}"
        passphrase = key_passphrase()
        try:
            # bytes: cryptography's loaders, which from_path calls first, take no str
            key = paramiko.PKey.from_path(
                config.key_file, passphrase.encode("utf-8") if passphrase else None
            )
        except Exception as exc:
            # the message names the file and the kind of problem, never key material;
            # an encrypted key without a passphrase raises PasswordRequiredException
            # (PEM) or TypeError (cryptography, OpenSSH format)
            if passphrase is None and isinstance(
                exc, (paramiko.PasswordRequiredException, TypeError)
            ):
                raise OffsiteError(
                    f"key_file {config.key_file} is encrypted: set {PASSPHRASE_VARIABLE}"
                ) from None
            raise OffsiteError(
                f"key_file {config.key_file} cannot be loaded ({type(exc).__name__}; "
                "a wrong passphrase or not a private key)"
            ) from None
        client = paramiko.SSHClient()
        try:
            client.get_host_keys().load(config.known_hosts)
        except (OSError, paramiko.SSHException) as exc:
            raise OffsiteError(f"known_hosts {config.known_hosts} cannot be read: {exc}") from None
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(
                config.host,
                port=config.port,
                username=config.user,
                pkey=key,
                allow_agent=False,
                look_for_keys=False,
                timeout=30,
                banner_timeout=30,
                auth_timeout=30,
            )
            self._sftp = client.open_sftp()
        except paramiko.BadHostKeyException:
            client.close()
            raise OffsiteError(
                f"the host key of {config.host}:{config.port} differs from the one in "
                f"{config.known_hosts} (changed host key, or someone in between): refused"
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            raise OffsiteError(
                f"{where} refused the key {config.key_file} (key authentication failed)"
            ) from None
        except paramiko.SSHException as exc:
            client.close()
            if "known_hosts" in str(exc):
                raise OffsiteError(
                    f"the host key of {config.host}:{config.port} is unknown: it is not in "
                    f"{config.known_hosts}; add it (after checking its fingerprint)"
                ) from None
            raise OffsiteError(f"SSH to {where} failed: {exc}") from None
        except OSError as exc:
            client.close()
            raise OffsiteError(f"cannot reach {where}: {exc}") from None
        self._client = client
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = self._sftp = None

    def __enter__(self) -> SSHLink:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def sftp(self) -> Any:
        if self._sftp is None:
            raise OffsiteError("the off-site connection is closed")
        return self._sftp

    # remote commands ----------------------------------------------------------------

    def run(self, command: str, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
        """Run a shell command at the far end; (exit status, stdout, stderr)."""
        channel_in, channel_out, channel_err = self._client.exec_command(
            command, timeout=COMMAND_TIMEOUT
        )
        if stdin:
            channel_in.write(stdin)
        channel_in.channel.shutdown_write()
        out = channel_out.read()
        err = channel_err.read()
        return channel_out.channel.recv_exit_status(), out, err

    def sha256(self, directory: str, names: Iterable[str]) -> dict[str, str]:
        """SHA-256 of files of a far-end folder, computed at the far end (``sha256sum``).
        Missing or unreadable files are absent from the result."""
        names = list(names)
        if not names:
            return {}
        command = f"cd -- {shlex.quote(directory)} && xargs -0 -r sha256sum --"
        status, out, err = self.run(command, b"\0".join(n.encode("utf-8") for n in names))
        if status not in (0, 123):  # 123: xargs' "some file failed" (missing ones)
            raise OffsiteError(
                f"sha256sum at the far end failed in {directory} (exit {status}): "
                f"{err.decode('utf-8', 'replace').strip()[:300]}"
            )
        sums: dict[str, str] = {}
        for line in out.decode("utf-8", "surrogateescape").splitlines():
            escaped = line.startswith("\\")
            if escaped:
                line = line[1:]
            digest, _sep, name = line.partition("  ")
            if escaped:
                name = name.replace("\\n", "\n").replace("\\\\", "\\")
            sums[name] = digest.lower()
        return sums

    def remove_tree(self, path: str) -> None:
        self._made = {p for p in self._made if p != path and not p.startswith(path + "/")}
        status, _out, err = self.run(f"rm -rf -- {shlex.quote(path)}")
        if status != 0:
            raise OffsiteError(
                f"cannot remove {path} at the far end: {err.decode('utf-8', 'replace').strip()}"
            )

    def copy_tree(self, source: str, target: str) -> None:
        status, _out, err = self.run(f"cp -a -- {shlex.quote(source)} {shlex.quote(target)}")
        if status != 0:
            raise OffsiteError(
                f"cannot copy {source} to {target} at the far end: "
                f"{err.decode('utf-8', 'replace').strip()}"
            )

    # files ----------------------------------------------------------------------------

    def size(self, path: str) -> int | None:
        """Size of a far-end file, None if there is none."""
        try:
            attrs = self.sftp.stat(path)
        except FileNotFoundError:
            return None
        return attrs.st_size if stat.S_ISREG(attrs.st_mode or 0) else None

    def is_dir(self, path: str) -> bool:
        try:
            return stat.S_ISDIR(self.sftp.stat(path).st_mode or 0)
        except FileNotFoundError:
            return False

    def listdir(self, path: str) -> list[tuple[str, bool, float]]:
        """(name, is a folder, modification time) of a far-end folder's entries."""
        try:
            entries = self.sftp.listdir_attr(path)
        except FileNotFoundError:
            return []
        return [(e.filename, stat.S_ISDIR(e.st_mode or 0), float(e.st_mtime or 0)) for e in entries]

    def makedirs(self, path: str) -> None:
        """Create path and its missing parents at the far end (new ones 0700)."""
        if path in self._made:
            return
        parts = [p for p in path.split("/") if p]
        current = "/" if path.startswith("/") else ""
        for part in parts:
            current = posixpath.join(current, part) if current else part
            if current not in self._made and not self.is_dir(current):
                self.sftp.mkdir(current, 0o700)
                self.sftp.chmod(current, 0o700)
            self._made.add(current)

    def rename(self, source: str, target: str) -> None:
        self._made = {p for p in self._made if p != source and not p.startswith(source + "/")}
        self.sftp.posix_rename(source, target)

    def read_bytes(self, path: str, limit: int = 64 << 20) -> bytes:
        with self.sftp.open(path, "rb") as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise OffsiteError(f"{path} at the far end is larger than {limit} bytes")
        return data

    def upload(
        self, local: str, remote: str, offset: int, total: int, sent: Callable[[int], None]
    ) -> None:
        """Send ``local`` from ``offset`` to ``remote`` (appended there from ``offset``;
        0: the remote file is created or emptied). Files end up 0600."""
        with open(local, "rb") as source:
            if offset:
                handle = self.sftp.open(remote, "r+b")
                handle.seek(offset)
                source.seek(offset)
            else:
                handle = self.sftp.open(remote, "wb")
                self.sftp.chmod(remote, 0o600)
            with handle:
                handle.set_pipelined(True)
                while True:
                    block = source.read(CHUNK)
                    if not block:
                        break
                    handle.write(block)
                    sent(len(block))
                    self.throttle.spent(len(block))
        if offset:
            self.sftp.chmod(remote, 0o600)

    def download(
        self, remote: str, local: str, offset: int, size: int, received: Callable[[int], None]
    ) -> None:
        """Fetch ``remote`` into ``local`` from ``offset`` (appended; 0: local is rewritten).
        No more than ``size`` bytes (what the manifest says) are read: a far-end file that
        is larger is refused, and nothing is asked for beyond its real size."""
        import os

        flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (0 if offset else os.O_TRUNC)
        fd = os.open(local, flags, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as target, self.sftp.open(remote, "rb") as handle:
            actual = handle.stat().st_size or 0
            if actual > size:
                raise OffsiteError(
                    f"{remote} at the far end has {actual:,} bytes, its manifest says {size:,}"
                )
            target.seek(offset)
            target.truncate(offset)
            handle.seek(offset)
            if not self.config.bandwidth_limit and actual > offset:
                handle.prefetch(actual)
            left = size - offset
            while left > 0:
                block = handle.read(min(CHUNK, left))
                if not block:
                    break
                left -= len(block)
                target.write(block)
                received(len(block))
                self.throttle.spent(len(block))
