"""Retention policy (restic's keep-last/daily/weekly) over simulated calendars.

Every expected set below is written out by hand from the calendar, not computed.
Calendar facts used: 2026-09-01 is a Tuesday, 2026-10-26 a Monday, 2026-10-30 a
Friday; 2026 has 53 ISO weeks (week 53: Monday 2026-12-28 to Sunday 2027-01-03).
"""

from __future__ import annotations

import datetime
import random

import pytest

from datamig.retention import Policy, parse_snapshot_name, select_kept, snapshot_name

UTC = datetime.timezone.utc


def at(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def name(text: str) -> str:
    return at(text).strftime("%Y%m%dT%H%M%SZ")


def calendar(days: int = 60, start: str = "2026-09-01", skip: tuple[str, ...] = ()):
    """Four snapshots a day (00:00, 06:00, 12:00, 18:00) for ``days`` days from start."""
    first = datetime.date.fromisoformat(start)
    out = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        if day.isoformat() in skip:
            continue
        for hour in (0, 6, 12, 18):
            moment = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            out.append((snapshot_name(moment), moment))
    return out


SIXTY_DAYS = calendar()  # 2026-09-01 .. 2026-10-30, 240 snapshots


def names(*texts: str) -> set[str]:
    return {name(t) for t in texts}


def test_the_calendar_is_what_the_expectations_assume():
    assert len(SIXTY_DAYS) == 240
    assert SIXTY_DAYS[-1][0] == "20261030T180000Z"
    assert datetime.date(2026, 10, 30).isoweekday() == 5  # Friday


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ((3, 0, 0), names("2026-10-30 18:00", "2026-10-30 12:00", "2026-10-30 06:00")),
        (
            (0, 5, 0),
            names(
                "2026-10-30 18:00",
                "2026-10-29 18:00",
                "2026-10-28 18:00",
                "2026-10-27 18:00",
                "2026-10-26 18:00",
            ),
        ),
        # ISO weeks: Mon 26 Oct - Sun 1 Nov (newest: Fri 30th), Mon 19 - Sun 25 Oct,
        # Mon 12 - Sun 18 Oct: the newest of a full week is its Sunday 18:00.
        ((0, 0, 3), names("2026-10-30 18:00", "2026-10-25 18:00", "2026-10-18 18:00")),
        (
            (2, 3, 2),
            names(
                "2026-10-30 18:00",
                "2026-10-30 12:00",
                "2026-10-29 18:00",
                "2026-10-28 18:00",
                "2026-10-25 18:00",
            ),
        ),
        ((0, 0, 0), names("2026-10-30 18:00")),  # the newest is always kept
        ((1, 1, 1), names("2026-10-30 18:00")),  # the three rules agree on one
    ],
)
def test_policies_over_sixty_days(policy, expected):
    assert select_kept(SIXTY_DAYS, *policy) == expected


def test_all_weeks_and_more_days_than_there_are():
    kept = select_kept(SIXTY_DAYS, 0, 100, 0)
    # one per day: the 18:00 snapshot of each of the 60 days
    assert kept == {n for n, t in SIXTY_DAYS if t.hour == 18}
    assert len(kept) == 60
    weekly = select_kept(SIXTY_DAYS, 0, 0, 100)
    # Tue 1 Sep .. Sun 6 Sep is the first (partial) week; then Sundays; then Fri 30 Oct
    sundays = [datetime.date(2026, 9, 6) + datetime.timedelta(weeks=w) for w in range(8)]
    assert weekly == {name(f"{d.isoformat()} 18:00") for d in sundays} | names("2026-10-30 18:00")
    assert len(weekly) == 9


def test_days_and_weeks_without_snapshots_do_not_count():
    # The node was off from Tue 27 to Thu 29 Oct and the whole ISO week 12-18 Oct.
    off = ("2026-10-27", "2026-10-28", "2026-10-29", *(f"2026-10-{d}" for d in range(12, 19)))
    snapshots = calendar(skip=off)
    assert select_kept(snapshots, 0, 3, 0) == names(
        "2026-10-30 18:00", "2026-10-26 18:00", "2026-10-25 18:00"
    )
    # weeks with snapshots: 26 Oct-1 Nov, 19-25 Oct, (12-18 Oct: none), 5-11 Oct
    assert select_kept(snapshots, 0, 0, 3) == names(
        "2026-10-30 18:00", "2026-10-25 18:00", "2026-10-11 18:00"
    )
    assert select_kept(snapshots, 5, 0, 0) == names(
        "2026-10-30 18:00",
        "2026-10-30 12:00",
        "2026-10-30 06:00",
        "2026-10-30 00:00",
        "2026-10-26 18:00",
    )


def test_iso_weeks_across_the_new_year():
    snapshots = [
        (name(t), at(t))
        for t in ("2026-12-27 10:00", "2026-12-31 10:00", "2027-01-02 10:00", "2027-01-04 10:00")
    ]
    # Sun 27 Dec: week 52; Thu 31 Dec and Sat 2 Jan: both ISO week 53 of 2026;
    # Mon 4 Jan: week 1 of 2027.
    assert select_kept(snapshots, 0, 0, 3) == names(
        "2027-01-04 10:00", "2027-01-02 10:00", "2026-12-27 10:00"
    )


def test_days_are_utc_calendar_days():
    late_new_york = datetime.datetime(
        2026, 10, 30, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
    )  # 04:30 UTC on the 31st
    snapshots = [
        ("a", at("2026-10-31 01:00")),
        ("b", late_new_york),
        ("c", at("2026-10-30 22:00")),
        ("d", at("2026-10-30 08:00")),
    ]
    assert select_kept(snapshots, 0, 2, 0) == {"b", "c"}


def test_the_result_does_not_depend_on_the_input_order():
    shuffled = list(SIXTY_DAYS)
    random.Random(4).shuffle(shuffled)
    assert select_kept(shuffled, 2, 3, 2) == select_kept(SIXTY_DAYS, 2, 3, 2)
    same_time = [("x", at("2026-10-30 08:00")), ("y", at("2026-10-30 08:00"))]
    assert select_kept(same_time, 0, 0, 0) == {"y"}
    assert select_kept(list(reversed(same_time)), 0, 0, 0) == {"y"}


def test_nothing_in_nothing_out_and_bad_counts():
    assert select_kept([], 3, 3, 3) == set()
    with pytest.raises(ValueError, match="keep_daily"):
        Policy(1, -1, 0)


def test_snapshot_names():
    assert parse_snapshot_name("20261124T030000Z") == at("2026-11-24 03:00")
    for other in ("2026-11-23", "20261124T0300Z", "2026112T030000Z", ".tmp-20261124T030000Z"):
        assert parse_snapshot_name(other) is None
