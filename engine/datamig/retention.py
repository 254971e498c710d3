"""Which snapshots a retention policy keeps (pure: no files, no clock).

The policy has restic's semantics (``restic forget --keep-last/--keep-daily/--keep-weekly``):

- ``keep_last`` N: the N newest snapshots are kept;
- ``keep_daily`` D: for the last D UTC calendar days *that have snapshots*, the newest
  snapshot of each such day is kept (days without snapshots do not count, so a node that
  was off for a week still keeps D daily snapshots);
- ``keep_weekly`` W: the same for the last W ISO weeks (Monday to Sunday, UTC) that
  have snapshots;
- a snapshot is kept when any rule keeps it (the rules are a union, each counted over all
  snapshots, independently of the others);
- the newest snapshot is always kept, even when every count is 0.

Ties (two snapshots with the same time) are broken by name, the greater name counting as
the newer, so that the result never depends on the order of the input.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

SNAPSHOT_NAME_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Policy:
    """How many snapshots of each kind to keep (0: none of that kind)."""

    keep_last: int = 0
    keep_daily: int = 0
    keep_weekly: int = 0

    def __post_init__(self) -> None:
        for label, value in (
            ("keep_last", self.keep_last),
            ("keep_daily", self.keep_daily),
            ("keep_weekly", self.keep_weekly),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{label} must be a whole number >= 0, not {value!r}")

    def as_dict(self) -> dict[str, int]:
        return {
            "keep_last": self.keep_last,
            "keep_daily": self.keep_daily,
            "keep_weekly": self.keep_weekly,
        }


def _utc(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def _day(moment: datetime.datetime) -> Hashable:
    return moment.date()


def _iso_week(moment: datetime.datetime) -> Hashable:
    year, week, _weekday = moment.isocalendar()
    return (year, week)


def select_kept(
    snapshots: Sequence[tuple[str, datetime.datetime]],
    keep_last: int = 0,
    keep_daily: int = 0,
    keep_weekly: int = 0,
) -> set[str]:
    """The names of the snapshots the policy keeps (see the module's docstring).

    ``snapshots`` are (name, time) pairs; a naive time counts as UTC.
    """
    policy = Policy(keep_last, keep_daily, keep_weekly)
    if not snapshots:
        return set()
    newest_first = sorted(((_utc(t), n) for n, t in snapshots), reverse=True)
    kept = {newest_first[0][1]}
    kept.update(name for _t, name in newest_first[: policy.keep_last])
    buckets: list[tuple[int, Callable[[datetime.datetime], Hashable]]] = [
        (policy.keep_daily, _day),
        (policy.keep_weekly, _iso_week),
    ]
    for count, bucket_of in buckets:
        last_bucket: Hashable = None
        for moment, name in newest_first:
            if count <= 0:
                break
            bucket = bucket_of(moment)
            if bucket != last_bucket:  # the newest snapshot of a new day or week
                kept.add(name)
                last_bucket = bucket
                count -= 1
    return kept


def parse_snapshot_name(name: str) -> datetime.datetime | None:
    """The UTC time a scheduled snapshot's name (``%Y%m%dT%H%M%SZ``) stands for, or None
    for any other name (such snapshots are left alone by retention)."""
    try:
        moment = datetime.datetime.strptime(name, SNAPSHOT_NAME_FORMAT)
    except ValueError:
        return None
    if moment.strftime(SNAPSHOT_NAME_FORMAT) != name:  # strptime accepts e.g. 1-digit days
        return None
    return moment.replace(tzinfo=datetime.timezone.utc)


def snapshot_name(moment: datetime.datetime) -> str:
    return _utc(moment).strftime(SNAPSHOT_NAME_FORMAT)


def timed_names(names: Sequence[str]) -> list[tuple[str, datetime.datetime]]:
    """The (name, time) pairs of the names that are snapshot times; others are dropped."""
    out = []
    for name in names:
        moment = parse_snapshot_name(name)
        if moment is not None:
            out.append((name, moment))
    return out
