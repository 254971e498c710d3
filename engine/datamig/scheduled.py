"""One scheduled snapshot run: what a node's cron entry or systemd timer calls.

In order: take the site lock (held by anyone else: the run is ``skipped``, exit 0, so
that runs never pile up behind an upgrade); remove leftover ``.tmp-*`` folders of
crashed runs; write the snapshot into ``<snapshots-dir>/scheduled/.tmp-<name>`` (the
code path of ``datamig snapshot``), verify it against its manifest and only then rename
it to ``<name>`` (``%Y%m%dT%H%M%SZ`` of the run's time); apply the local retention
policy to ``scheduled/`` (nothing else in the snapshots folder is touched); with an
off-site target, push every locally kept scheduled snapshot newer than the newest
far-end copy (oldest first, so a backlog left by an unreachable far end is caught up;
the new snapshot is always among them) and prune the far end with the config's policy.
The lock is released whatever happens.

Outcomes: ``ok``, ``skipped`` (exit 0), ``failed`` (no new snapshot; exit 1),
``offsite_failed`` (the local snapshot is kept; exit 1).
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .keys import KeyStore
from .retention import Policy, parse_snapshot_name, select_kept, snapshot_name, timed_names
from .runtime.cli import Options
from .runtime.errors import DatamigError, UsageError
from .runtime.report import Progress
from .seal import check_snapshot
from .sitelock import SiteLock, SiteLocked

SCHEDULED_FOLDER = "scheduled"
TEMPORARY = ".tmp-"
OWNER_PREFIX = "scheduled-"


@dataclass
class ScheduledRun:
    """What one run is asked to do."""

    options: Options  # the site's settings and database (as ``datamig snapshot``)
    snapshots_dir: str
    lock_path: str
    now: datetime.datetime
    policy: Policy | None = None  # None: no local retention
    offsite_config: str | None = None
    site: str | None = None
    rows_per_file: int = 20_000
    say: Callable[[str], None] = field(default=lambda _message: None)
    key_dir: str | None = None  # the key folder that signs (keys.py's default: None)

    @property
    def name(self) -> str:
        return snapshot_name(self.now)

    @property
    def folder(self) -> str:
        return os.path.join(os.path.abspath(self.snapshots_dir), SCHEDULED_FOLDER)


def parse_now(text: str | None) -> datetime.datetime:
    """The run's time: ``--now`` (ISO 8601, ``Z`` or an offset; naive counts as UTC), or
    the clock."""
    if not text:
        return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--now {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0)


def _private_folder(path: str) -> None:
    """Create path 0700 (and a missing parent 0700: the snapshots folder)."""
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent, mode=0o700)
        os.chmod(parent, 0o700)
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def _remove_leftovers(folder: str) -> list[str]:
    removed = []
    for entry in sorted(os.listdir(folder)):
        if entry.startswith(TEMPORARY):
            shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)
            removed.append(entry)
    return removed


def _scheduled_names(folder: str) -> list[str]:
    return sorted(
        entry
        for entry in os.listdir(folder)
        if not entry.startswith(".")
        and parse_snapshot_name(entry) is not None
        and os.path.isdir(os.path.join(folder, entry))
    )


def _write_snapshot(run: ScheduledRun, record: dict[str, Any]) -> str:
    """Snapshot into the temporary folder, verify, rename; the final folder's path."""
    from .runtime.cli import setup_django

    final = os.path.join(run.folder, run.name)
    temporary = os.path.join(run.folder, TEMPORARY + run.name)
    if os.path.exists(final):
        raise DatamigError(f"snapshot {final} exists already (two runs with the same time?)")
    try:
        setup_django(run.options)
        from .snapshot.writer import take_snapshot

        result = take_snapshot(
            temporary,
            alias=run.options.database,
            site=run.site,
            rows_per_file=run.rows_per_file,
            progress=Progress(run.options.progress),
            keys=KeyStore.from_option(run.key_dir),
        )
        check_snapshot(temporary, KeyStore.from_option(run.key_dir))
        os.rename(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    record["rows"] = result.rows
    return final


def _apply_retention(run: ScheduledRun, record: dict[str, Any]) -> list[str]:
    names = _scheduled_names(run.folder)
    if run.policy is None:
        record.update(kept=names, deleted=[])
        return names
    policy = run.policy
    kept = select_kept(timed_names(names), policy.keep_last, policy.keep_daily, policy.keep_weekly)
    deleted = [n for n in names if n not in kept]
    for name in deleted:
        shutil.rmtree(os.path.join(run.folder, name))
        run.say(f"retention: removed {name}")
    record.update(kept=sorted(kept), deleted=deleted)
    return sorted(kept)


def _offsite(run: ScheduledRun, kept: list[str], record: dict[str, Any]) -> None:
    from .offsite import Offsite
    from .offsite_config import load_config

    config = load_config(run.offsite_config or "")
    summary: dict[str, Any] = {"target": config.describe(), "pushed": [], "verified": []}
    record["offsite"] = summary
    with Offsite(config, run.say, KeyStore.from_option(run.key_dir)) as offsite:
        site = config.site or run.site or _site_of(os.path.join(run.folder, run.name))
        far = offsite.list(site)["snapshots"]
        newest_far = max((n for n, _t in timed_names(far)), default="")
        pending = [n for n in kept if n > newest_far or n == run.name]
        for name in pending:
            pushed = offsite.push(os.path.join(run.folder, name), site)
            summary["pushed"].append(
                {
                    k: pushed[k]
                    for k in (
                        "name",
                        "bytes_total",
                        "bytes_sent",
                        "bytes_resumed",
                        "changed_far_end",
                    )
                }
            )
            summary["verified"].append(name)
        pruned = offsite.prune(config.policy, site)
        summary.update(kept=pruned["kept"], deleted=pruned["deleted"])


def _site_of(snapshot_dir: str) -> str | None:
    with open(os.path.join(snapshot_dir, "manifest.json"), encoding="utf-8") as stream:
        return json.load(stream).get("site")


def _append_log(path: str, record: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(record, sort_keys=True, default=str) + "\n")


class _Terminated(BaseException):
    """SIGTERM (a timer's timeout): unwinds so that the lock is released."""


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise _Terminated("terminated (SIGTERM)")


def run_scheduled(run: ScheduledRun, log_file: str | None = None) -> tuple[dict[str, Any], int]:
    """Do one run; (the record that is logged and printed, exit status)."""
    started = time.monotonic()
    record: dict[str, Any] = {
        "ok": False,
        "time": run.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "outcome": "failed",
        "name": run.name,
        "snapshot": None,
        "kept": [],
        "deleted": [],
        "offsite": None,
        "reason": None,
    }
    status = 1
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    lock = SiteLock(run.lock_path, OWNER_PREFIX + run.name)
    try:
        _private_folder(run.folder)
        lock.acquire()
        if lock.taken_over:
            record["lock_taken_over"] = lock.taken_over
        try:
            record["removed_temporary"] = _remove_leftovers(run.folder)
            record["snapshot"] = _write_snapshot(run, record)
            kept = _apply_retention(run, record)
            record.update(outcome="offsite_failed" if run.offsite_config else "ok")
            if run.offsite_config:
                _offsite(run, kept, record)
            record.update(ok=True, outcome="ok")
            status = 0
        finally:
            lock.release()
    except SiteLocked as exc:
        record.update(ok=True, outcome="skipped", reason=str(exc), lock=exc.holder)
        status = 0
    except (Exception, _Terminated) as exc:
        message = str(exc) if isinstance(exc, DatamigError) else f"{type(exc).__name__}: {exc}"
        record.update(reason=message, kind=getattr(exc, "kind", "error"), error=message)
        if record["outcome"] == "offsite_failed":
            record["kind"] = "offsite_failed"
    finally:
        signal.signal(signal.SIGTERM, previous)
        record["duration"] = round(time.monotonic() - started, 3)
        if log_file:
            try:
                _append_log(log_file, record)
            except OSError as exc:
                record["log_error"] = f"cannot append to {log_file}: {exc.strerror}"
                status = status or 1
    return record, status
