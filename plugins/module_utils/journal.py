# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-site journal's file format: one JSON record a line, appended atomically.

One implementation for everything that writes or reads the journal on the node (the
journal module, the upgrade window): a record is ``{time, run_id, step, status, data}``
with a UTC time in microseconds; it is written with a single ``write`` on a file opened
with ``O_APPEND`` under an exclusive ``flock`` and ``fsync``ed, so a record is wholly
there or not at all. A run ends with a ``finish`` record.
"""

import datetime
import fcntl
import json
import os

FINISH_STEP = "finish"


def utc_now():
    """Now, as the journal writes times."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append_record(path, record):
    """Append one JSON line to path: one write, under flock, fsync'ed."""
    line = json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    created = not os.path.exists(path)
    fd = os.open(path, flags, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a torn last line stays a line of its own
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"short write: {written} of {len(line)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def read_records(path, warn):
    """All parseable records of the journal, in file order."""
    try:
        with open(path, "rb") as handle:
            lines = handle.read().split(b"\n")
    except FileNotFoundError:
        return []
    records = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except ValueError:
            record = None
        if not isinstance(record, dict) or "run_id" not in record or "step" not in record:
            warn(f"journal {path}: line {number} is not a record (a torn write?); skipped")
            continue
        records.append(record)
    return records


def summarise(records, run_id):
    """The read result for run_id (default: the run of the last record)."""
    if run_id is None and records:
        run_id = records[-1]["run_id"]
    run = [r for r in records if r["run_id"] == run_id]
    steps = {}
    for record in run:
        steps[record["step"]] = record.get("status")
    return dict(
        records=run,
        run_id=run_id if run else None,
        last_step=run[-1]["step"] if run else None,
        last_status=run[-1].get("status") if run else None,
        steps=steps,
        finished=any(
            r["step"] == FINISH_STEP and r.get("status") in ("done", "failed") for r in run
        ),
    )
