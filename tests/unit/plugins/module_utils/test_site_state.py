"""site_state: the site's live history from the journal, and the rollback target."""

import os

from ansible_collections.datamig.site.plugins.module_utils import site_state  # isort: skip

V1 = {"release": "/srv/s/releases/1-a", "db_name": "/srv/s/shared/db/s.sqlite3", "version": "1"}
V2 = {"release": "/srv/s/releases/2-b", "db_name": "/srv/s/shared/db/s-2-b.sqlite3", "version": "2"}
V3 = {"release": "/srv/s/releases/3-c", "db_name": "/srv/s/shared/db/s-3-c.sqlite3", "version": "3"}


def rec(run_id, step, status="done", **data):
    return {"time": "t", "run_id": run_id, "step": step, "status": status, "data": data}


def finish(run_id, outcome, before, live, status="done"):
    return rec(run_id, "finish", status, outcome=outcome, before=before, live=live)


def upgraded(run_id, old, new):
    return [
        rec(
            run_id,
            "preflight",
            old_release=old["release"],
            old_db_name=old["db_name"],
            old_version=old["version"],
            target_version=new["version"],
        ),
        rec(run_id, "switch"),
        finish(run_id, "upgraded", old, new),
    ]


def test_an_upgrade_makes_the_old_state_the_target():
    history = site_state.live_history(upgraded("r1", V1, V2))
    assert history == [V1, V2]
    assert site_state.rollback_target(history, V2["release"]) == V1


def test_a_rerun_at_the_version_does_not_move_the_target():
    records = [
        *upgraded("r1", V1, V2),
        rec("r2", "preflight", old_release=V2["release"], old_db_name=V2["db_name"]),
        finish("r2", "already at version", V2, V2),
    ]
    assert site_state.rollback_target(site_state.live_history(records), V2["release"]) == V1


def test_a_cut_off_run_finished_by_recovery_then_a_rerun():
    # r1 was cut off after its switch; r2's recovery finished it, then found the site at 2
    records = [
        rec(
            "r1", "preflight", old_release=V1["release"], old_db_name=V1["db_name"], old_version="1"
        ),
        rec("r1", "switch", "started"),
        rec("r1", "recovery", "started", by="r2", action="finish"),
        finish("r1", "upgraded (finished by recovery)", V1, V2),
        rec("r2", "preflight", old_release=V2["release"], old_db_name=V2["db_name"]),
        finish("r2", "already at version", V2, V2),
    ]
    history = site_state.live_history(records)
    assert history == [V1, V2]
    assert site_state.rollback_target(history, V2["release"]) == V1


def test_a_failed_run_rolled_back_changes_nothing():
    records = [*upgraded("r1", V1, V2), finish("r2", "rolled back", V2, V2, "failed")]
    records += [finish("r3", "rolled back by recovery", V2, V2, "failed")]
    assert site_state.live_history(records) == [V1, V2]


def test_rollbacks_go_back_one_state_at_a_time():
    records = upgraded("r1", V1, V2) + upgraded("r2", V2, V3)
    assert site_state.rollback_target(site_state.live_history(records), V3["release"]) == V2
    records.append(finish("rollback-1", "rolled back", V3, V2))
    history = site_state.live_history(records)
    assert history == [V1, V2]
    assert site_state.rollback_target(history, V2["release"]) == V1
    records.append(finish("rollback-2", "rolled back", V2, V1))
    history = site_state.live_history(records)
    assert history == [V1]
    assert site_state.rollback_target(history, V1["release"]) is None


def test_an_upgrade_after_a_rollback_goes_back_to_where_it_started():
    records = [*upgraded("r1", V1, V2), finish("rb", "rolled back", V2, V1)]
    records += upgraded("r3", V1, V3)
    history = site_state.live_history(records)
    assert history == [V1, V3]
    assert site_state.rollback_target(history, V3["release"]) == V1


def test_an_old_journal_without_live_records_is_read_from_its_steps():
    records = [
        rec(
            "r1",
            "preflight",
            old_release=V1["release"],
            old_db_name=V1["db_name"],
            old_version="1",
            target_version="2",
        ),
        rec("r1", "release", new_release=V2["release"]),
        rec("r1", "restore", new_db_name=V2["db_name"]),
        rec("r1", "finish", outcome="upgraded"),
        rec(
            "r2",
            "preflight",
            old_release=V2["release"],
            old_db_name=V2["db_name"],
            old_version="2",
            target_version="2",
        ),
        rec("r2", "finish", outcome="already at version"),
    ]
    assert site_state.live_history(records) == [V1, V2]


def test_an_unfinished_run_is_not_history():
    records = [*upgraded("r1", V1, V2), rec("r2", "preflight"), rec("r2", "switch", "started")]
    assert site_state.live_history(records) == [V1, V2]


def test_an_unknown_live_release_has_no_target():
    history = site_state.live_history(upgraded("r1", V1, V2))
    assert site_state.rollback_target(history, "/elsewhere") is None


def test_read_gives_paths_live_state_and_target(tmp_path):
    root = tmp_path / "site"
    (root / "releases" / "2-b").mkdir(parents=True)
    (root / "shared").mkdir()
    (root / "shared" / "site.env").write_text("S_DB_NAME='db it'\"'\"'s'\nS_PASSWORD='p w'\n")
    os.symlink(root / "releases" / "2-b", root / "current")
    v1 = dict(V1, release=str(root / "releases" / "1-a"))
    v2 = dict(V2, release=str(root / "releases" / "2-b"))
    info = site_state.read(str(root), "S_DB_NAME", ["S_PASSWORD"], upgraded("r1", v1, v2))
    assert info["paths"]["journal_path"] == str(root / "datamig-journal.jsonl")
    assert info["live_release"] == str(root / "releases" / "2-b")
    assert info["live_db_name"] == "db it's"
    assert info["plain_env"] == {"S_DB_NAME": "db it's"}
    assert info["secret_env"] == {"S_PASSWORD": "p w"}
    assert info["rollback_target"] == v1
