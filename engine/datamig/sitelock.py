"""The per-site lock, the same file as the Ansible module ``datamig.site.lock`` writes.

Format (byte for byte what ``plugins/modules/lock.py`` writes): one line of JSON with
sorted keys ``{"host", "owner", "pid", "since"}``, ``since`` in UTC as
``%Y-%m-%dT%H:%M:%S.%fZ``; the file is created with ``O_CREAT|O_EXCL``, mode 0644, and
every check and change happens under an exclusive ``flock`` on the lock's directory, so
an upgrade (through the module) and a scheduled snapshot (through this module) can never
both hold the site.

A lock is released only by its owner. The one takeover: a lock whose owner starts with
``scheduled-``, taken on this host by a process that no longer runs, is the leftover of
a crashed scheduled run and is replaced. An upgrade's lock is never taken over here
(the upgrade's own ``stale_after`` decides about those).
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from .runtime.errors import DatamigError

FLOCK_TIMEOUT = 60.0
SCHEDULED_PREFIX = "scheduled-"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class SiteLocked(DatamigError):
    """Another run holds the site's lock."""

    kind = "site_locked"

    def __init__(self, path: str, holder: dict[str, Any]) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"the site is locked by {describe(holder)}; lock file {path}")


class LockError(DatamigError):
    """The lock file cannot be read, created or removed."""

    kind = "lock"


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIME_FORMAT)


def describe(content: dict[str, Any]) -> str:
    """The holder as one phrase (the module's wording: run 'x' (host h, pid p) since t)."""
    owner = content.get("owner")
    holder = f"run {owner!r}" if owner is not None else "an unreadable lock (not datamig's JSON)"
    where = []
    if content.get("host"):
        where.append(f"host {content['host']}")
    if content.get("pid"):
        where.append(f"pid {content['pid']}")
    if where:
        holder += f" ({', '.join(where)})"
    return f"{holder} since {content.get('since') or 'an unknown time'}"


def read_lock(path: str) -> dict[str, Any] | None:
    """The lock's content, None when there is no lock. A file that is not our JSON still
    holds the site (its owner reads as None)."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError:
        return None
    try:
        content = json.loads(raw.decode("utf-8"))
    except ValueError:
        content = None
    if not isinstance(content, dict):
        return {"owner": None, "host": None, "pid": None, "since": None}
    return content


def pid_runs(pid: Any) -> bool:
    """Whether a process with this id runs on this host (unknown: assume it does)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_crashed_scheduled_run(content: dict[str, Any]) -> bool:
    """A scheduled run's lock, taken on this host, whose process is gone."""
    owner = content.get("owner")
    return (
        isinstance(owner, str)
        and owner.startswith(SCHEDULED_PREFIX)
        and content.get("host") == socket.gethostname()
        and isinstance(content.get("pid"), int)
        and not pid_runs(content["pid"])
    )


class _DirectoryFlock:
    """An exclusive flock on a directory for a with block (as the module takes it)."""

    def __init__(self, directory: str, timeout: float = FLOCK_TIMEOUT) -> None:
        self.directory = directory
        self.timeout = timeout
        self.fd = -1

    def __enter__(self) -> _DirectoryFlock:
        self.fd = os.open(self.directory, os.O_RDONLY)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    os.close(self.fd)
                    raise
            time.sleep(0.1)

    def __exit__(self, *exc_info: object) -> None:
        os.close(self.fd)


def _fsync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create(path: str, content: dict[str, Any]) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, json.dumps(content, sort_keys=True).encode("utf-8") + b"\n")
        os.fsync(fd)
    except OSError:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
    return True


@dataclass
class SiteLock:
    """The lock at ``path`` for ``owner``; ``with SiteLock(path, owner):`` holds it."""

    path: str
    owner: str
    pid: int | None = field(default_factory=os.getpid)
    content: dict[str, Any] | None = None
    taken_over: dict[str, Any] | None = None

    @property
    def directory(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))

    def acquire(self) -> dict[str, Any]:
        """Take the lock (SiteLocked when another run holds it); returns its content."""
        if not os.path.isdir(self.directory):
            raise LockError(f"the directory of the lock file does not exist: {self.directory}")
        try:
            with _DirectoryFlock(self.directory):
                existing = read_lock(self.path)
                if existing is not None:
                    if not is_crashed_scheduled_run(existing):
                        raise SiteLocked(self.path, existing)
                    os.unlink(self.path)
                    self.taken_over = existing
                content = {
                    "owner": self.owner,
                    "host": socket.gethostname(),
                    "pid": self.pid,
                    "since": utc_now(),
                }
                if not _create(self.path, content):  # only if someone ignores the flock
                    raise SiteLocked(self.path, read_lock(self.path) or {})
                _fsync_directory(self.directory)
        except OSError as exc:
            raise LockError(f"lock file {self.path}: {exc}") from None
        self.content = content
        return content

    def release(self) -> bool:
        """Remove the lock if this owner holds it; True if it was removed."""
        try:
            with _DirectoryFlock(self.directory):
                existing = read_lock(self.path)
                if existing is None or existing.get("owner") != self.owner:
                    return False
                os.unlink(self.path)
                _fsync_directory(self.directory)
        except OSError as exc:
            raise LockError(f"lock file {self.path}: {exc}") from None
        self.content = None
        return True

    def __enter__(self) -> SiteLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
