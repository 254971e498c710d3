"""recovery.decide: what a run does about a cut-off run, for every shape of the journal."""

import pytest

from ansible_collections.datamig.site.plugins.module_utils import recovery  # isort: skip
from ansible_collections.datamig.site.plugins.module_utils.journal import summarise  # isort: skip

OLD = {
    "old_release": "/s/releases/1",
    "old_db_name": "s1",
    "old_version": "1",
    "target_version": "2",
}


def rec(step, status="done", run_id="r1", **data):
    return {"time": "t", "run_id": run_id, "step": step, "status": status, "data": data}


def start(controller="ctl", pid=4242):
    return rec("preflight", "started", controller=controller, controller_pid=pid)


def until(*steps, last_status="started"):
    """Records of run r1 through steps, every step done but the last one (last_status)."""
    records = [start(), rec("preflight", **OLD)]
    names = [
        "release",
        "prepare",
        "maintenance_on",
        "snapshot",
        "restore",
        "verify",
        "switch",
        "health",
        "maintenance_off",
    ]
    data = {
        "release": {"new_release": "/s/releases/2"},
        "prepare": {"new_db_name": "s2"},
        "restore": {"new_db_name": "s2"},
    }
    for name in names[: names.index(steps[-1]) + 1] if steps else []:
        status = last_status if name == steps[-1] else "done"
        records.append(rec(name, "started"))
        if status != "started":
            records.append(rec(name, status, **data.get(name, {})))
    return records


def plan(records, lock=None, run_id="r2", controller="ctl", pids=()):
    return recovery.decide(summarise(records, None), lock or {}, run_id, controller, set(pids))


def test_an_empty_journal_needs_nothing():
    assert plan([])["action"] == recovery.NOTHING


def test_a_finished_run_needs_nothing():
    records = [*until("maintenance_off", last_status="done"), rec("finish", outcome="upgraded")]
    assert plan(records)["action"] == recovery.NOTHING
    assert (
        plan([*until("snapshot"), rec("finish", "failed", outcome="rolled back")])["action"]
        == recovery.NOTHING
    )


def test_this_runs_own_records_need_nothing():
    assert plan(until("snapshot"), run_id="r1")["action"] == recovery.NOTHING


def test_cut_off_before_preflight_was_done_changed_nothing():
    result = plan([start()])
    assert result["action"] == recovery.UNCHANGED
    assert result["outcome"] == "cut off before any change"
    assert result["finish_status"] == "failed"
    assert result["live"] is None


@pytest.mark.parametrize(
    "step", ["release", "prepare", "maintenance_on", "snapshot", "restore", "verify", "switch"]
)
@pytest.mark.parametrize("status", ["started", "done"])
def test_cut_off_before_the_health_check_passed_rolls_back(step, status):
    result = plan(until(step, last_status=status))
    assert result["action"] == recovery.ROLLBACK
    assert result["rollback_to"] == {"release": "/s/releases/1", "db_name": "s1", "version": "1"}
    assert result["live"] == result["rollback_to"]
    assert result["outcome"] == "rolled back by recovery"
    assert "cut off at " + step + " " + status in result["reason"]


def test_cut_off_when_the_health_check_failed_rolls_back():
    assert plan(until("health", last_status="failed"))["action"] == recovery.ROLLBACK


def test_cut_off_after_the_health_check_passed_is_finished():
    result = plan(until("health", last_status="done"))
    assert result["action"] == recovery.FINISH
    assert result["outcome"] == "upgraded (finished by recovery)"
    assert result["finish_status"] == "done"
    assert result["live"] == {"release": "/s/releases/2", "db_name": "s2", "version": "2"}
    assert result["before"]["release"] == "/s/releases/1"


def test_cut_off_after_maintenance_off_is_finished():
    assert plan(until("maintenance_off", last_status="done"))["action"] == recovery.FINISH


def test_cut_off_after_its_rollback_was_done_only_records_the_end():
    records = [*until("restore", last_status="failed"), rec("rollback", "started"), rec("rollback")]
    result = plan(records)
    assert result["action"] == recovery.ROLLED_BACK
    assert result["live"]["release"] == "/s/releases/1"


def test_cut_off_during_its_rollback_rolls_back_again():
    records = [*until("switch", last_status="failed"), rec("rollback", "started")]
    assert plan(records)["action"] == recovery.ROLLBACK


def test_a_lock_held_by_another_run_is_refused():
    result = plan(until("snapshot"), lock={"owner": "r9", "since": "2026-11-24T14:00:00Z"})
    assert result["action"] == recovery.REFUSE
    assert "the lock is held by r9 since 2026-11-24T14:00:00Z" in result["reason"]
    assert "last step snapshot started" in result["reason"]


def test_the_cut_off_runs_own_lock_is_recovered():
    assert plan(until("snapshot"), lock={"owner": "r1"})["action"] == recovery.ROLLBACK


def test_another_controller_is_refused():
    result = plan(until("snapshot"), controller="other")
    assert result["action"] == recovery.REFUSE
    assert "its controller ctl is not this one (other)" in result["reason"]


def test_a_controller_still_running_is_refused():
    result = plan(until("snapshot"), pids={4242, 7})
    assert result["action"] == recovery.REFUSE
    assert "its ansible-playbook (pid 4242) is still running" in result["reason"]


def test_ansible_playbook_pids_from_ps():
    lines = [
        "  4242 /usr/bin/python3 .venv/bin/ansible-playbook playbooks/upgrade.yml",
        "   17 /bin/sh -c ps -eo pid=,args=",
        "garbage",
        "99 ansible-playbook-wrapper x",
    ]
    assert recovery.ansible_playbook_pids(lines) == {4242, 99}


def test_a_cut_off_rollback_is_switched_back_again():
    to = {"release": "/s/releases/1", "db_name": "s1", "version": "1"}
    frm = {"release": "/s/releases/2", "db_name": "s2", "version": "2"}
    records = [
        rec(
            "rollback",
            "started",
            run_id="rollback-1",
            to=to,
            controller="ctl",
            controller_pid=5,
            **{"from": frm},
        )
    ]
    result = plan(records)
    assert result["action"] == recovery.ROLLBACK
    assert result["rollback_to"] == to and result["live"] == to and result["before"] == frm
    assert plan(records, pids={5})["action"] == recovery.REFUSE


def test_maintenance_off_done_without_a_health_record_is_finished():
    # the window's program on the node may record maintenance_off without a health record
    records = [start(), rec("preflight", **OLD), rec("switch"), rec("maintenance_off")]
    assert plan(records)["action"] == recovery.FINISH


def test_a_window_still_running_on_the_node_is_waited_for_not_recovered():
    records = until("restore")
    records.insert(2, rec("window", "started", pid=777))
    summary = summarise(records, None)
    assert recovery.window_pid(summary) == 777
    plan = recovery.decide(summary, {}, "r2", "ctl", set(), window_running=True)
    assert plan["action"] == recovery.REFUSE and "window still runs" in plan["reason"]
    # its process gone (the node rebooted): recovered from the journal as before
    assert recovery.decide(summary, {}, "r2", "ctl", set())["action"] == recovery.ROLLBACK


def test_a_run_its_window_finished_is_reported_not_redone():
    records = [start(), rec("window", "started", pid=7), rec("window", "done")]
    records.append(rec("finish", "done", outcome="upgraded", by="window"))
    summary = summarise(records, None)
    assert recovery.window_pid(summary) is None
    plan = recovery.decide(summary, {}, "r2", "ctl", set())
    assert (plan["action"], plan["previous_outcome"]) == (recovery.NOTHING, "upgraded")


@pytest.mark.parametrize(
    ("step", "status", "failed_db"),
    [
        ("release", "done", ""),  # nothing prepared yet
        ("prepare", "started", ""),  # not recorded before it is done (the engine drops a
        # database whose migrate failed)
        ("prepare", "done", "s2"),
        ("maintenance_on", "started", "s2"),
        ("restore", "failed", "s2"),
    ],
)
def test_cut_off_after_prepare_rolls_back_and_names_the_prepared_database(step, status, failed_db):
    result = plan(until(step, last_status=status))
    assert result["action"] == recovery.ROLLBACK
    assert result["rollback_to"]["db_name"] == "s1"  # the untouched old database
    assert result["failed_db_name"] == failed_db


def test_the_new_database_of_a_finished_run_comes_from_prepare_when_restore_lacks_it():
    records = [start(), rec("preflight", **OLD), rec("release", new_release="/s/releases/2")]
    records += [rec("prepare", new_db_name="s2"), rec("restore"), rec("health")]
    result = plan(records)
    assert result["action"] == recovery.FINISH
    assert result["live"] == {"release": "/s/releases/2", "db_name": "s2", "version": "2"}
    assert result["failed_db_name"] == ""  # it stays: it is live


def test_a_rolled_back_run_names_the_database_it_had_prepared():
    records = [*until("verify", last_status="failed"), rec("rollback", "started"), rec("rollback")]
    result = plan(records)
    assert result["action"] == recovery.ROLLED_BACK and result["failed_db_name"] == "s2"
