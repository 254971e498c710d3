"""report: step times, downtime and its parts from the journal; the summary; the estimate."""

from ansible_collections.datamig.site.plugins.module_utils import rehearsal, report  # isort: skip

BASE = 1_764_000_000.0


def at(seconds):
    """A journal time BASE + seconds."""
    import datetime

    moment = datetime.datetime.fromtimestamp(BASE + seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rec(step, status, seconds):
    return {"time": at(seconds), "run_id": "r", "step": step, "status": status, "data": {}}


WINDOW = [
    rec("preflight", "started", 0),
    rec("preflight", "done", 2),
    rec("release", "started", 2),
    rec("release", "done", 30),
    rec("maintenance_on", "started", 30),
    rec("maintenance_on", "done", 30.5),
    rec("snapshot", "started", 30.5),
    rec("snapshot", "done", 32.5),
    rec("restore", "started", 32.5),
    rec("restore", "done", 36.5),
    rec("verify", "started", 36.5),
    rec("verify", "done", 37.5),
    rec("switch", "started", 37.5),
    rec("switch", "done", 39),
    rec("health", "started", 39),
    rec("health", "done", 39.25),
    rec("maintenance_off", "started", 39.25),
    rec("maintenance_off", "done", 40),
]

RESTORE = {
    "rows": 1234,
    "models": [
        {
            "model": "contacts.Partner",
            "expected": 1000,
            "restored": 1000,
            "seconds": 0.5,
            "path": "x",
        },
        {"model": "notes.Note", "expected": 234, "restored": 234, "seconds": 0.1},
    ],
    "losses": {"models": {"contacts.Partner": {"phone": {"count": 12, "reason": "dropped"}}}},
}


def run(**extra):
    return {
        "site": "s",
        "run_id": "r",
        "outcome": "upgraded",
        "version_from": "1",
        "version_to": 2,
        "restore": RESTORE,
        "batch_size": 1,
        **extra,
    }


def test_step_times_from_the_journal():
    times = report.step_times(WINDOW)
    assert times["restore"] == {
        "started": BASE + 32.5,
        "ended": BASE + 36.5,
        "seconds": 4.0,
        "status": "done",
    }
    assert list(times) == [
        "preflight",
        "release",
        "maintenance_on",
        "snapshot",
        "restore",
        "verify",
        "switch",
        "health",
        "maintenance_off",
    ]


def test_a_step_still_running_has_no_end():
    times = report.step_times([rec("snapshot", "started", 1)])
    assert times == {"snapshot": {"started": BASE + 1}}


def test_downtime_and_its_parts():
    built = report.build(run(), WINDOW, now=BASE + 100)
    assert built["downtime_seconds"] == 10.0
    assert built["window_seconds"] == {
        "snapshot": 2.0,
        "restore": 4.0,
        "verify": 1.0,
        "switch": 1.5,
        "other": 1.5,
    }
    assert sum(built["window_seconds"].values()) == built["downtime_seconds"]
    assert built["version_to"] == "2"
    assert built["rows_restored"] == 1234
    assert built["models"]["contacts.Partner"] == {
        "expected": 1000,
        "restored": 1000,
        "seconds": 0.5,
    }


def test_downtime_runs_until_now_when_maintenance_stayed_on():
    records = [r for r in WINDOW if r["step"] != "maintenance_off"]
    assert report.build(run(), records, now=BASE + 50)["downtime_seconds"] == 20.0


def test_no_maintenance_no_downtime():
    built = report.build(run(outcome="already at version", restore={}), WINDOW[:2], now=BASE + 5)
    assert built["downtime_seconds"] == 0.0
    assert built["window_seconds"]["other"] == 0.0
    assert built["rows_restored"] is None


def test_the_finish_record_says_what_is_live():
    before = {"release": "/r/1", "db_name": "a", "version": "1"}
    after = {"release": "/r/2", "db_name": "b", "version": "2"}
    built = report.build(run(), WINDOW, now=BASE)
    assert report.finish_data(built, before, after)["live"] == after
    failed = report.build(run(outcome="rolled back"), WINDOW, now=BASE)
    assert report.finish_data(failed, before, after) == {
        "outcome": "rolled back",
        "before": before,
        "live": before,
    }


def test_the_summary_names_versions_outcome_downtime_rows_and_losses():
    text = report.summary(report.build(run(release_to="/r/2", database_to="b"), WINDOW, now=BASE))
    assert text.splitlines()[0] == "s: upgraded (1 -> 2), run r"
    assert "downtime 10.0 s (snapshot 2.0, restore 4.0, verify 1.0, switch 1.5, other 1.5)" in text
    assert "rows restored 1234 in 2 models" in text
    assert "not restored: contacts.Partner.phone (12)" in text
    failed = report.summary(
        report.build(
            run(outcome="rolled back", failed_step="health", reason="500", restore={}), WINDOW, BASE
        )
    )
    assert "failed at health: 500" in failed and "nothing lost" in failed


def earlier(run_id, outcome, downtime, data, batch):
    steps = {
        "snapshot": {"seconds": data / 2},
        "restore": {"seconds": data / 4},
        "verify": {"seconds": data / 4},
    }
    return {
        "run_id": run_id,
        "outcome": outcome,
        "downtime_seconds": downtime,
        "steps": steps,
        "batch_size": batch,
    }


def test_the_estimate_adds_the_fixed_part_of_a_run_of_the_same_batch():
    steps = report.step_times(WINDOW)
    reports = [
        earlier("a", "upgraded", 20, 8, 3),
        earlier("b", "upgraded", 9, 4, 1),
        earlier("c", "rolled back", 1, 0, 1),
    ]
    result = rehearsal.estimate(steps, reports, batch_size=1, default_fixed=30)
    assert result["measured_seconds"] == {"snapshot": 2.0, "restore": 4.0, "verify": 1.0}
    assert result["fixed_seconds"] == 5.0
    assert result["downtime_estimate_seconds"] == 12.0
    assert result["fixed_from"].startswith("run b (1 site(s)")


def test_without_a_run_of_the_same_batch_the_smallest_fixed_part():
    reports = [
        earlier("a", "upgraded", 20, 8, 3),
        earlier("b", "upgraded (finished by recovery)", 9, 2, 2),
    ]
    result = rehearsal.estimate(report.step_times(WINDOW), reports, batch_size=1, default_fixed=30)
    assert result["fixed_seconds"] == 7.0 and "run b" in result["fixed_from"]


def test_without_an_earlier_upgrade_the_default():
    reports = [earlier("c", "rehearsed", 0, 5, 1)]
    result = rehearsal.estimate(report.step_times(WINDOW), reports, batch_size=1, default_fixed=30)
    assert result["fixed_seconds"] == 30.0 and result["downtime_estimate_seconds"] == 37.0
    assert result["fixed_from"].startswith("datamig_rehearse_fixed_seconds")


def test_a_fixed_part_is_never_negative():
    result = rehearsal.estimate(
        {}, [earlier("a", "upgraded", 1, 8, 1)], batch_size=1, default_fixed=30
    )
    assert result["fixed_seconds"] == 0.0


def test_of_two_runs_of_the_same_batch_the_newest():
    reports = [earlier("new", "upgraded", 9, 4, 1), earlier("old", "upgraded", 20, 4, 1)]
    result = rehearsal.estimate({}, reports, batch_size=1, default_fixed=30)
    assert result["fixed_seconds"] == 5.0 and "run new" in result["fixed_from"]


def test_the_engine_s_own_seconds_replace_the_rehearsal_s_task_times():
    reports = [earlier("b", "upgraded", 9, 4, 1)]
    result = rehearsal.estimate(
        report.step_times(WINDOW),
        reports,
        batch_size=1,
        default_fixed=30,
        engine_seconds={"snapshot": "0.5", "restore": 1.5, "verify": "0", "switch": 9},
    )
    # snapshot and restore from the engine; verify ("0": not given) and others as measured
    assert result["measured_seconds"] == {"snapshot": 0.5, "restore": 1.5, "verify": 1.0}
    assert result["downtime_estimate_seconds"] == 8.0
