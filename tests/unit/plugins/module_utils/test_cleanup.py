"""cleanup.plan: which releases, databases and snapshots go (datamig_keep_releases)."""

from ansible_collections.datamig.site.plugins.module_utils import cleanup  # isort: skip

R = "/s/releases/"


def run(n, outcome="upgraded", frm=None):
    """Run n: from release n-1 (or frm) to release n, each with its database and snapshot."""
    old = frm if frm is not None else n - 1
    return {
        "run_id": f"r{n}",
        "outcome": outcome,
        "release_from": f"{R}{old}",
        "database_from": f"db{old}",
        "release_to": f"{R}{n}",
        "database_to": f"db{n}",
        "snapshot": f"/s/snapshots/r{n}",
        "_mtime": float(n),
    }


def live(n):
    return {"release": f"{R}{n}", "db_name": f"db{n}"}


def releases(*numbers):
    return [(f"{R}{n}", float(n)) for n in numbers]


def test_the_newest_releases_stay_the_older_go_with_their_databases_and_snapshots():
    result = cleanup.plan(
        releases(1, 2, 3, 4, 5), [run(n) for n in (2, 3, 4, 5)], [live(5), live(4)], 3
    )
    assert result == {
        "releases": [f"{R}1", f"{R}2"],
        "databases": ["db1", "db2"],
        "snapshots": ["/s/snapshots/r2"],
    }


def test_the_live_release_and_the_rollback_target_stay_whatever_their_age():
    # rolled back twice: release 1 is live, 2 the... nothing before 1; 5 newest
    result = cleanup.plan(
        releases(1, 2, 3, 4, 5), [run(n) for n in (2, 3, 4, 5)], [live(1), live(2)], 1
    )
    assert f"{R}1" not in result["releases"] and f"{R}2" not in result["releases"]
    assert "db1" not in result["databases"] and "db2" not in result["databases"]
    assert result["releases"] == [f"{R}3", f"{R}4"]
    assert result["databases"] == ["db3", "db4"]


def test_nothing_goes_while_there_are_no_more_than_keep():
    result = cleanup.plan(releases(1, 2, 3), [run(2), run(3)], [live(3), live(2)], 3)
    assert result == {"releases": [], "databases": [], "snapshots": []}


def test_a_failed_runs_release_and_database_go_when_old():
    # run 3 failed (rolled back to 2): its release 3 and database db3 were kept for diagnosis
    reports = [run(2), run(3, "rolled back"), run(4, frm=2), run(5), run(6)]
    result = cleanup.plan(releases(1, 2, 3, 4, 5, 6), reports, [live(6), live(5)], 3)
    assert result["releases"] == [f"{R}1", f"{R}2", f"{R}3"]
    assert result["databases"] == ["db1", "db2", "db3"]
    assert result["snapshots"] == ["/s/snapshots/r2", "/s/snapshots/r3"]


def test_keep_is_at_least_one():
    result = cleanup.plan(releases(1, 2), [run(2)], [], 0)
    assert result["releases"] == [f"{R}1"]


def test_a_protected_database_stays_even_when_an_old_run_named_it():
    # the live release runs on db2 (put back by hand): db2 stays though release 2 goes
    protected = [{"release": f"{R}5", "db_name": "db2"}]
    result = cleanup.plan(releases(1, 2, 3, 4, 5), [run(n) for n in (2, 3, 4, 5)], protected, 1)
    assert f"{R}2" in result["releases"]
    assert "db2" not in result["databases"] and "db1" in result["databases"]


def test_the_prepared_database_of_a_recovered_cut_off_run_goes_never_a_protected_one():
    records = [
        {"run_id": "r3", "step": "prepare", "status": "done", "data": {"new_db_name": "db3"}},
        {"run_id": "r3", "step": "finish", "status": "failed", "data": {"failed_db_name": "db3"}},
        {"run_id": "r4", "step": "finish", "status": "done", "data": {"failed_db_name": ""}},
        {"run_id": "r5", "step": "finish", "status": "failed", "data": {"failed_db_name": "db2"}},
    ]
    abandoned = cleanup.abandoned_databases(records)
    assert abandoned == ["db3", "db2"]
    # no report names db3 (its run was cut off); it goes although keep=3 keeps every release
    planned = cleanup.plan(releases(1, 2), [run(2)], [live(2), live(1)], 3, abandoned)
    assert planned["databases"] == ["db3"]
    assert cleanup.plan(releases(1, 2), [run(2)], [live(2), live(1)], 3)["databases"] == []
