# SPDX-License-Identifier: GPL-3.0-or-later
"""A bound on heavy work (snapshots, restores) running at once on one server.

Sites that share a server share its disk and CPU; a fleet run upgrading them in one
batch would otherwise snapshot and restore all of them together. The snapshot and
restore modules hold one of ``slots`` slot files of a server-wide folder for as long as
the engine runs::

    /run/datamig/heavy/slot-1.lock ... slot-<slots>.lock

A slot is held by an exclusive ``flock`` on its file, not by the file's existence: the
kernel releases it when the module's process ends, however it ends, so a run that was
killed never leaves a slot taken. ``/run`` is per boot and per server, which is what
the bound is about. The slot file records who holds it, for the operator's eyes only.

The wait happens inside the module, so Ansible's linear strategy (every site of a batch
runs the same task together) cannot deadlock on it.
"""

import datetime
import errno
import fcntl
import json
import os
import time

DEFAULT_DIR = "/run/datamig/heavy"
POLL_SECONDS = 0.2


def heavy_argument_spec():
    """The options of the modules that do heavy work."""
    return dict(
        heavy_slots=dict(type="int", default=0),
        heavy_slots_dir=dict(type="path", default=DEFAULT_DIR),
        heavy_wait_timeout=dict(type="int", default=3600),
    )


class SlotTimeout(Exception):
    """No slot came free in time."""


def _utc(stamp):
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


def _holder(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        return None


class HeavySlot:
    """Hold one of ``slots`` slots of ``directory`` for a with block (0 slots: no bound).

    ``info`` tells what happened: the slot taken, the seconds waited, and when the heavy
    work started and ended (epoch seconds and UTC), for the journal.
    """

    def __init__(self, directory, slots, timeout, holder):
        self.directory = directory
        self.slots = slots
        self.timeout = timeout
        self.holder = holder
        self.fd = None
        self.info = {"slots": slots, "slot": None, "waited_seconds": 0.0}

    def _try_slots(self):
        for number in range(1, self.slots + 1):
            path = os.path.join(self.directory, f"slot-{number}.lock")
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                continue
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(self.holder, sort_keys=True).encode("utf-8") + b"\n")
            return number, fd
        return None, None

    def __enter__(self):
        waited_from = time.time()
        if self.slots > 0:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            deadline = time.monotonic() + self.timeout
            while True:
                number, fd = self._try_slots()
                if fd is not None:
                    self.fd = fd
                    self.info["slot"] = number
                    break
                if time.monotonic() > deadline:
                    holders = [
                        _holder(os.path.join(self.directory, f"slot-{n}.lock"))
                        for n in range(1, self.slots + 1)
                    ]
                    raise SlotTimeout(
                        f"no heavy-work slot of {self.directory} came free in {self.timeout} s "
                        f"({self.slots} slot(s), held by: {'; '.join(h or '?' for h in holders)})"
                    )
                time.sleep(POLL_SECONDS)
        started = time.time()
        self.info.update(
            waited_seconds=round(started - waited_from, 3),
            started=round(started, 6),
            started_utc=_utc(started),
        )
        return self

    def __exit__(self, *exc_info):
        ended = time.time()
        self.info.update(ended=round(ended, 6), ended_utc=_utc(ended))
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None
