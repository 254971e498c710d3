"""The read-only flag and the drain lock: how the window and the site's requests agree.

- The **flag** is a file (``DATAMIG_READONLY_FLAG``); while it exists the site is
  read-only. It holds a small JSON object (why, since when, until when writes may be
  retried) that the middleware shows.
- The **drain lock** is another file (``DATAMIG_READONLY_LOCK``). A request that may write
  takes a shared ``flock`` on it *before* it looks at the flag, and holds it to its end;
  a request that finds the flag lets go at once (it cannot write).
- :func:`switch_on` writes the flag, then takes the lock exclusively: it gets it only once
  every request that began without the flag has ended. From then on no request writes,
  and the snapshot's transaction may begin. Requests that start meanwhile see the flag
  and never hold the lock, so the wait is bounded by the slowest request in flight (and by
  the drain timeout), whatever the traffic.

Each request opens the lock file anew: ``flock`` locks belong to an open file, and a file
shared by a process's threads would let one thread's unlock end another's lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from typing import Any

from ..runtime.errors import DatamigError

FLAG_ENV = "DATAMIG_READONLY_FLAG"
LOCK_ENV = "DATAMIG_READONLY_LOCK"
DEFAULT_RETRY_AFTER = 60


class DrainTimeout(DatamigError):
    """Requests that began before read-only did not end within the drain timeout."""

    kind = "drain_timeout"


def read_flag(flag_path: str) -> dict[str, Any] | None:
    """The flag's content when the site is read-only, else None. A flag that cannot be
    parsed still means read-only (the flag's existence is what counts)."""
    try:
        with open(flag_path, "rb") as stream:
            raw = stream.read(65536)
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        data = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _open_lock(lock_path: str) -> int:
    return os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o660)


@contextlib.contextmanager
def request_gate(flag_path: str, lock_path: str) -> Iterator[dict[str, Any] | None]:
    """Around one request: yields the flag (None - the request may write; it holds the
    drain lock shared until the block ends)."""
    fd = _open_lock(lock_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        flag = read_flag(flag_path)
        if flag is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)  # read-only: nothing to wait for
        yield flag
    finally:
        os.close(fd)  # closing the file releases its lock


def switch_on(
    flag_path: str,
    lock_path: str,
    drain_timeout: float,
    reason: str = "",
    retry_after: int = DEFAULT_RETRY_AFTER,
    poll: float = 0.01,
) -> dict[str, Any]:
    """Make the site read-only and wait until no request can write any more.

    Returns what it did: ``drained_seconds`` (the wait for requests in flight). Past
    ``drain_timeout`` the flag is removed again and :class:`DrainTimeout` raised - writes
    were never refused for longer than that, and nothing was left half done."""
    started = time.monotonic()
    was_on = read_flag(flag_path) is not None
    content = {
        "reason": reason or "The site is read-only for an upgrade.",
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "retry_after": int(retry_after),
    }
    _write_atomically(flag_path, json.dumps(content).encode("utf-8"))
    fd = _open_lock(lock_path)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            if time.monotonic() - started > drain_timeout:
                if not was_on:
                    switch_off(flag_path)
                raise DrainTimeout(
                    f"requests that began before read-only were still running after "
                    f"{drain_timeout:g} s (the drain timeout); writes are allowed again"
                )
            time.sleep(poll)
    finally:
        os.close(fd)
    return {"read_only": True, "drained_seconds": round(time.monotonic() - started, 3), **content}


def switch_off(flag_path: str) -> dict[str, Any]:
    """Writes allowed again (removing a flag that is not there is fine)."""
    try:
        os.unlink(flag_path)
        removed = True
    except FileNotFoundError:
        removed = False
    return {"read_only": False, "removed": removed}


def _write_atomically(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
