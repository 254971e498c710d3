"""datamig.site.window as a module: check mode gives the plan and changes nothing; a bad
deadline is refused before anything changes."""

import os

from ...helpers import run_module

from ansible_collections.datamig.site.plugins.modules import window  # isort: skip


def _args(tmp_path, **extra):
    root = str(tmp_path)
    args = dict(
        site="s",
        run_id="run1",
        journal=f"{root}/journal.jsonl",
        lock=f"{root}/datamig.lock",
        maintenance_flag=f"{root}/maintenance.json",
        reports_dir=f"{root}/reports",
        current_link=f"{root}/current",
        site_env_path=f"{root}/site.env",
        bin_dir=f"{root}/bin",
        snapshots_dir=f"{root}/snapshots",
        db_dir=f"{root}/db",
        db_name_var="S_DB_NAME",
        settings="s.settings",
        old_release=f"{root}/releases/1",
        old_db_name=f"{root}/db/s.sqlite3",
        old_version="1",
        new_release=f"{root}/releases/2",
        new_version="2",
        program="datamig-s",
        secret_env={"S_DB_PASSWORD": "hunter2"},
    )
    args.update(extra)
    return args


def test_check_mode_gives_the_plan_and_changes_nothing(tmp_path):
    result = run_module(window, _args(tmp_path), check_mode=True)
    assert not result.failed and result["changed"], result
    assert result["plan"][0].startswith("maintenance on") and len(result["plan"]) == 8
    assert "s-2.sqlite3" in result["plan"][2]
    assert os.listdir(tmp_path) == []


def test_a_deadline_that_is_not_positive_is_refused(tmp_path):
    result = run_module(window, _args(tmp_path, timeout=0))
    assert result.failed and "timeout must be a positive" in result["msg"]
    assert os.listdir(tmp_path) == []
