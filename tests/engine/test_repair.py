"""Repair mode: chosen rows of a snapshot go back into a live database.

Dry run by default (the seed's REALLY = False); each row validated with full_clean();
a failing row is reported and does not stop the others; written rows are as stored.
"""

from __future__ import annotations

import json

import pytest

from .helpers import checksums, datamig, django_script, make_source, snapshot


@pytest.fixture
def live_and_snapshot(databases, tmp_path):
    live = databases("sqlite", "live")
    make_source(live, rows=40)
    snap = tmp_path / "snap"
    snapshot(live, snap)
    return live, snap


def repair(live, snap, *args: str, check: bool = True) -> dict:
    result = datamig("repair", str(snap), *live.site.args(), "--json", *args, db=live, check=check)
    return json.loads(result.stdout)


def names(live) -> dict[int, str]:
    out = django_script(
        live,
        "from exact.models import Tag\nprint(json.dumps(dict(Tag.objects.values_list('pk', 'name'))))",
    )
    return {int(k): v for k, v in json.loads(out.stdout).items()}


def test_dry_run_reports_and_writes_nothing(live_and_snapshot):
    live, snap = live_and_snapshot
    django_script(live, "from exact.models import Tag\nTag.objects.filter(pk__in=[2, 4]).delete()")
    before = checksums(live)
    report = repair(live, snap, "--model", "exact.Tag", "--missing-only")
    assert report["applied"] is False
    assert (report["restored"], report["ignored"], report["errors"]) == (2, 3, 0)
    assert sorted(report["pks"]) == ["2", "4"]
    assert checksums(live) == before


def test_apply_restores_missing_rows_as_stored(live_and_snapshot):
    live, snap = live_and_snapshot
    original = names(live)
    django_script(
        live,
        "from exact.models import Tag\nTag.objects.filter(pk__in=[2, 4]).delete()\nTag.objects.filter(pk=1).update(name='changed')",
    )
    report = repair(live, snap, "--model", "exact.Tag", "--missing-only", "--apply")
    assert (report["restored"], report["ignored"]) == (2, 3)
    after = names(live)
    assert after[2] == original[2] and after[4] == original[4]
    assert after[1] == "changed"  # --missing-only leaves present rows alone
    # Without --missing-only, present rows get the snapshot's values back.
    report = repair(live, snap, "--model", "exact.Tag", "--pk", "1", "--apply")
    assert (report["restored"], report["updated"]) == (0, 1)
    assert names(live) == original


def test_invalid_rows_are_reported_and_do_not_stop_the_others(live_and_snapshot):
    live, snap = live_and_snapshot
    # Memberships point at members; delete some members and the memberships: those
    # memberships of deleted members fail validation (their member is gone), the rest restore.
    django_script(
        live,
        "from exact.models import Member, Membership\n"
        "gone = list(Membership.objects.values_list('member_id', flat=True)[:2])\n"
        "Membership.objects.all().delete()\n"
        "Member.objects.filter(pk__in=gone).update(mentor=None)\n"
        "Member.objects.filter(mentor_id__in=gone).update(mentor=None)\n"
        "from exact.models import Team\nTeam.objects.filter(captain_id__in=gone).update(captain=None)\n"
        "Member.objects.filter(pk__in=gone).delete()\n",
    )
    report = repair(live, snap, "--model", "exact.Membership", "--apply")
    assert report["errors"] >= 1 and report["restored"] >= 1
    assert all("member" in e for e in report["first_errors"])
    count = django_script(
        live, "from exact.models import Membership\nprint(Membership.objects.count())"
    ).stdout
    assert int(count) == report["restored"]


def test_unknown_model_is_a_clear_error(live_and_snapshot):
    live, snap = live_and_snapshot
    result = datamig(
        "repair",
        str(snap),
        *live.site.args(),
        "--json",
        "--model",
        "exact.Nope",
        db=live,
        check=False,
    )
    assert result.returncode == 2
    assert "no model 'exact.Nope'" in json.loads(result.stdout)["error"]
