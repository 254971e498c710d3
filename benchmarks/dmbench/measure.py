"""Run one command as a child process and measure its wall time and peak memory.

Two memory figures are taken for every command:

- ``peak_mb``: ``ru_maxrss`` from ``os.wait4`` on the child. Linux folds the peak of
  every descendant the child waited for into it, so this is the largest resident set
  that any single process of the tree reached. It is exact (kept by the kernel), so
  this is the figure the tables show.
- ``tree_mb``: the largest *sum* of the resident sets of the whole tree, sampled with
  psutil every ``SAMPLE_SECONDS``. It catches a parent and a child that are both big
  at once (``datamig restore`` runs the snapshot's ``restore.py`` as a child) but can
  miss short peaks.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

SAMPLE_SECONDS = 0.05
STDERR_TAIL = 4000


class StepFailed(RuntimeError):
    """A measured command exited non-zero."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(
            f"{' '.join(map(str, argv[:4]))} ... exited {returncode}: {stderr.strip()[-1500:]}"
        )


@dataclass
class Measurement:
    """Wall seconds and peak memory of one command (or of several run one after another)."""

    seconds: float
    peak_mb: float
    tree_mb: float
    steps: list[dict[str, Any]] = field(default_factory=list)
    stdout: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("stdout")
        data["seconds"] = round(self.seconds, 3)
        data["peak_mb"] = round(self.peak_mb, 1)
        data["tree_mb"] = round(self.tree_mb, 1)
        return data


class _TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and all its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop_event.is_set():
            self.peak_bytes = max(self.peak_bytes, _tree_rss(root))
            self._stop_event.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass  # ended between listing and reading: its memory is gone
    return total


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin_path: Path | None = None,
    stdout_path: Path | None = None,
    label: str = "",
) -> Measurement:
    """Run ``argv`` to completion; raise StepFailed when it exits non-zero.

    stdout goes to ``stdout_path`` when given (a dump written to stdout), else it is
    captured (through a temporary file, so that a chatty child cannot block on a
    full pipe) and returned. stderr is kept for the error message.
    """
    with ExitStack() as files:
        stdin = files.enter_context(_open_or_temp(stdin_path, "rb"))
        stdout = files.enter_context(_open_or_temp(stdout_path, "w+b"))
        stderr = files.enter_context(_open_or_temp(None, "w+b"))
        measurement, returncode = _wait_measured(argv, env, stdin, stdout, stderr)
        if stdout_path is None:
            stdout.seek(0)
            measurement.stdout = stdout.read().decode("utf-8", "replace")
        stderr.seek(0)
        error_text = stderr.read()[-STDERR_TAIL:].decode("utf-8", "replace")
    if returncode != 0:
        raise StepFailed(argv, returncode, error_text)
    measurement.steps = [
        {"step": label or Path(str(argv[0])).name, **_rounded(measurement)},
    ]
    return measurement


def _rounded(m: Measurement) -> dict[str, float]:
    return {
        "seconds": round(m.seconds, 3),
        "peak_mb": round(m.peak_mb, 1),
        "tree_mb": round(m.tree_mb, 1),
    }


def _open_or_temp(path: Path | None, mode: str) -> Any:
    if path is None:
        if "r" in mode and "+" not in mode:
            return open(os.devnull, mode)
        return tempfile.TemporaryFile(mode)
    return open(path, mode)


def _wait_measured(
    argv: Sequence[str], env: Mapping[str, str] | None, stdin: Any, stdout: Any, stderr: Any
) -> tuple[Measurement, int]:
    """Start the child, wait for it with wait4 (for its rusage), sample its tree meanwhile."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(a) for a in argv],
        env=dict(env) if env is not None else None,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
    )
    sampler = _TreeSampler(process.pid)
    sampler.start()
    try:
        _pid, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        process.kill()  # interrupted: do not leave the child running
        process.wait()
        raise
    finally:
        sampler.stop()
    seconds = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    process.returncode = returncode  # reaped by wait4: tell Popen so it does not wait again
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    tree_mb = max(sampler.peak_bytes / 2**20, peak_mb)
    return Measurement(seconds=seconds, peak_mb=peak_mb, tree_mb=tree_mb), returncode


def combine(measurements: Iterable[Measurement]) -> Measurement:
    """Several commands run one after the other: seconds add up, peaks are the largest."""
    items = list(measurements)
    return Measurement(
        seconds=sum(m.seconds for m in items),
        peak_mb=max(m.peak_mb for m in items),
        tree_mb=max(m.tree_mb for m in items),
        steps=[step for m in items for step in m.steps],
        stdout=items[-1].stdout if items else "",
    )
