"""datamig.site.upgrade_report: the report from the journal, written, and the run's end."""

import json

from ...helpers import run_module

from ansible_collections.datamig.site.plugins.module_utils import site_state  # isort: skip
from ansible_collections.datamig.site.plugins.module_utils.journal import (  # isort: skip
    append_record,
    read_records,
)
from ansible_collections.datamig.site.plugins.modules import upgrade_report  # isort: skip


def args(tmp_path, **extra):
    base = {
        "journal": str(tmp_path / "journal.jsonl"),
        "dest": str(tmp_path / "reports" / "r2.json"),
        "run_id": "r2",
        "site": "s",
        "outcome": "upgraded",
        "version_from": "1",
        "version_to": "2",
        "release_from": "/s/releases/1",
        "release_to": "/s/releases/2",
        "database_from": "s1",
        "database_to": "s2",
    }
    return {**base, **extra}


def journal(tmp_path, steps):
    path = str(tmp_path / "journal.jsonl")
    for step, status, time in steps:
        append_record(
            path, {"time": time, "run_id": "r2", "step": step, "status": status, "data": {}}
        )
    return path


def test_the_report_is_written_and_the_run_finished(tmp_path):
    (tmp_path / "reports").mkdir()
    path = journal(
        tmp_path,
        [
            ("maintenance_on", "started", "2026-11-24T14:00:00.000000Z"),
            ("snapshot", "started", "2026-11-24T14:00:01.000000Z"),
            ("snapshot", "done", "2026-11-24T14:00:03.000000Z"),
            ("maintenance_off", "done", "2026-11-24T14:00:08.500000Z"),
        ],
    )
    result = run_module(upgrade_report, args(tmp_path))
    assert not result.failed, result
    written = json.loads((tmp_path / "reports" / "r2.json").read_text())
    assert written == result["report"]
    assert written["downtime_seconds"] == 8.5
    assert (
        written["window_seconds"]["snapshot"] == 2.0 and written["window_seconds"]["other"] == 6.5
    )
    records = read_records(path, print)
    assert records[-1]["step"] == "finish" and records[-1]["status"] == "done"
    history = site_state.live_history(records)
    assert [s["release"] for s in history] == ["/s/releases/1", "/s/releases/2"]
    assert "s: upgraded (1 -> 2)" in result["summary"]


def test_check_mode_writes_nothing(tmp_path):
    (tmp_path / "reports").mkdir()
    path = journal(tmp_path, [("preflight", "started", "2026-11-24T14:00:00.000000Z")])
    result = run_module(upgrade_report, args(tmp_path), check_mode=True)
    assert not result.failed, result
    assert not (tmp_path / "reports" / "r2.json").exists()
    assert [r["step"] for r in read_records(path, print)] == ["preflight"]


def test_a_rehearsal_reads_the_earlier_reports(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "r1.json").write_text(
        json.dumps(
            {
                "run_id": "r1",
                "outcome": "upgraded",
                "downtime_seconds": 10.0,
                "batch_size": 1,
                "steps": {
                    "snapshot": {"seconds": 1.0},
                    "restore": {"seconds": 2.0},
                    "verify": {"seconds": 1.0},
                },
            }
        )
    )
    journal(
        tmp_path,
        [
            ("restore", "started", "2026-11-24T14:00:00.000000Z"),
            ("restore", "done", "2026-11-24T14:00:03.000000Z"),
        ],
    )
    result = run_module(
        upgrade_report,
        args(
            tmp_path,
            outcome="rehearsed",
            rehearsal={"default_fixed": 30, "side_database_kept": "x"},
        ),
    )
    assert not result.failed, result
    estimate = result["report"]["rehearsal"]
    assert estimate["fixed_seconds"] == 6.0 and estimate["downtime_estimate_seconds"] == 9.0
    assert estimate["side_database_kept"] == "x"
    history = site_state.live_history(read_records(str(tmp_path / "journal.jsonl"), print))
    assert [s["release"] for s in history] == ["/s/releases/1"]  # nothing switched
