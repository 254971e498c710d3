"""datamig.site.journal: the per-site upgrade journal a rerun after a crash reads."""

import json
import os
import re

import pytest

from ...helpers import run_module

from ansible_collections.datamig.site.plugins.modules import journal  # isort: skip


def ok(check_mode=False, **args):
    """Run the module in this process; its result, which must not be a failure."""
    result = run_module(journal, args, check_mode=check_mode)
    assert not result.failed, result
    return result


def fails(check_mode=False, **args):
    """Run the module in this process; its failure."""
    result = run_module(journal, args, check_mode=check_mode)
    assert result.failed, result
    return result


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "journal.jsonl")


def append(path, run_id, step, status, check_mode=False, **data):
    return ok(path=path, run_id=run_id, step=step, status=status, data=data, check_mode=check_mode)


def test_records_survive_and_read_back_in_order(path):
    steps = ["preflight", "prepare", "maintenance", "snapshot", "restore"]
    for step in steps:
        assert append(path, "run-1", step, "started")["changed"] is True
        append(path, "run-1", step, "done", database="mysite_new", note="é ✓")

    result = ok(path=path, state="read")

    assert result["changed"] is False
    assert result["run_id"] == "run-1"
    assert [(r["step"], r["status"]) for r in result["records"]] == [
        (step, status) for step in steps for status in ("started", "done")
    ]
    assert result["records"][1]["data"] == {"database": "mysite_new", "note": "é ✓"}
    assert (result["last_step"], result["last_status"]) == ("restore", "done")
    assert result["finished"] is False
    times = [r["time"] for r in result["records"]]
    assert times == sorted(times)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", t) for t in times)


def test_each_record_is_one_json_line(path):
    append(path, "run-1", "preflight", "started")
    append(path, "run-1", "preflight", "done", free_mb=5120)

    with open(path, "rb") as handle:
        lines = handle.read().split(b"\n")

    assert lines[-1] == b""
    assert [json.loads(line)["status"] for line in lines[:-1]] == ["started", "done"]


def test_a_failed_record_makes_last_status_failed(path):
    append(path, "run-1", "restore", "started")
    append(path, "run-1", "restore", "failed", error="IntegrityError")

    result = ok(path=path, state="read")

    assert (result["last_step"], result["last_status"]) == ("restore", "failed")
    assert result["steps"] == {"restore": "failed"}
    assert result["finished"] is False


def test_reading_returns_the_last_run_only(path):
    append(path, "run-1", "preflight", "done")
    append(path, "run-1", "finish", "done")
    append(path, "run-2", "preflight", "done")
    append(path, "run-2", "switch", "started")

    last = ok(path=path, state="read")
    earlier = ok(path=path, state="read", run_id="run-1")

    assert last["run_id"] == "run-2"
    assert [r["step"] for r in last["records"]] == ["preflight", "switch"]
    assert (last["last_status"], last["finished"]) == ("started", False)
    assert earlier["run_id"] == "run-1"
    assert earlier["finished"] is True


def test_a_run_that_ended_in_failure_is_finished(path):
    append(path, "run-1", "restore", "failed")
    append(path, "run-1", "finish", "failed")

    result = ok(path=path, state="read")

    assert (result["finished"], result["last_status"]) == (True, "failed")


def test_check_mode_append_writes_nothing(path):
    result = append(path, "run-1", "preflight", "started", check_mode=True)

    assert result["changed"] is True
    assert result["record"]["step"] == "preflight"
    assert not os.path.exists(path)


def test_reading_a_missing_journal_finds_no_run(path):
    result = ok(path=path, state="read")

    assert result["changed"] is False
    assert result["records"] == []
    assert (result["run_id"], result["last_step"], result["last_status"]) == (None, None, None)
    assert result["finished"] is False


def test_a_torn_last_line_is_skipped_and_the_next_record_starts_a_line(path):
    append(path, "run-1", "snapshot", "started")
    with open(path, "ab") as handle:
        handle.write(b'{"run_id": "run-1", "step": "snap')  # the crash cut this write

    torn = ok(path=path, state="read")
    assert torn["last_step"] == "snapshot"
    assert torn.warnings and "line 2" in torn.warnings[0]

    append(path, "run-2", "preflight", "started")
    result = ok(path=path, state="read")

    assert result["run_id"] == "run-2"
    assert [r["step"] for r in result["records"]] == ["preflight"]


def test_append_needs_run_id_step_and_status(path):
    failed = fails(path=path, step="preflight", status="started")

    assert "run_id" in failed["msg"]
    assert not os.path.exists(path)


def test_an_unknown_status_is_refused(path):
    failed = fails(path=path, run_id="run-1", step="preflight", status="maybe")

    assert "status" in failed["msg"]
    assert not os.path.exists(path)
