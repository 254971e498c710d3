"""``datamig scheduled-snapshot`` on a real SQLite database of the demo site, over a
simulated calendar (``--now``): retention, the shared site lock, temporary names."""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from .helpers import DEMO_SITE, ROOT, Database, datamig, django_script

FAILING_SETTINGS = '''
"""The demo settings, with the snapshot writer broken on purpose (DATAMIG_TEST_FAULT)."""
import os

from demo_site.settings import *  # noqa: F401,F403

import datamig.snapshot.writer as _writer

_take = _writer.take_snapshot


def _faulty(output, **kwargs):
    result = _take(output, **kwargs)
    with open(os.environ["DATAMIG_TEST_WITNESS"], "w") as witness:
        witness.write(json.dumps({"output": output, "files": sorted(os.listdir(output))}))
    fault = os.environ["DATAMIG_TEST_FAULT"]
    if fault == "tamper":  # one byte more in a file: the manifest no longer matches
        with open(os.path.join(output, "requirements.txt"), "a") as stream:
            stream.write("#")
    elif fault == "crash":  # the process dies, as on a power cut
        os._exit(9)
    elif fault == "hang":  # until a timer's timeout sends SIGTERM
        import time

        time.sleep(60)
    return result


import json  # noqa: E402

_writer.take_snapshot = _faulty
'''


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Database:
    folder = tmp_path_factory.mktemp("scheduled")
    db = Database("sqlite", str(folder / "demo.sqlite3"), site=DEMO_SITE)
    django_script(
        db,
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('demo_fill', rows=200, seed=3, verbosity=0)\n",
    )
    yield db
    db.drop()


def scheduled(db: Database, snapshots: Path, lock: Path, now: str, *extra: str, check=False):
    result = datamig(
        "scheduled-snapshot",
        *db.site.args(),
        "--snapshots-dir",
        str(snapshots),
        "--lock",
        str(lock),
        "--now",
        now,
        "--json",
        *extra,
        db=db,
        check=check,
    )
    return result, json.loads(result.stdout.strip().splitlines()[-1])


def folder_names(path: Path) -> set[str]:
    return {p.name for p in path.iterdir()} if path.exists() else set()


# 20 runs at 03:00 every other day from Mon 5 Oct 2026 to Tue 10 Nov, and one more
# on Tue 10 Nov at 15:00.
RUNS = [
    (datetime.datetime(2026, 10, 5, 3) + datetime.timedelta(days=2 * n)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    for n in range(19)
] + ["2026-11-10T15:00:00Z"]
POLICY = ["--keep-last", "3", "--keep-daily", "5", "--keep-weekly", "3"]


def test_twenty_runs_keep_exactly_what_the_policy_says(demo_db, tmp_path):
    snapshots = tmp_path / "snapshots"
    lock = tmp_path / "site.lock"
    log = tmp_path / "scheduled.jsonl"
    # an upgrade's snapshot and a hand-made folder: never touched by retention
    (snapshots / "scheduled" / "manual-copy").mkdir(parents=True)
    (snapshots / "upgrade-20261001T120000").mkdir()
    assert len(RUNS) == 20 and RUNS[-2] == "2026-11-10T03:00:00Z"
    records = []
    for n, now in enumerate(RUNS):
        result, record = scheduled(demo_db, snapshots, lock, now, *POLICY, "--log", str(log))
        assert result.returncode == 0, result.stderr
        records.append(record)
        if now == "2026-10-25T03:00:00Z":  # a Sunday, mid-way (run 11)
            # last 3: 25, 23, 21 Oct; daily 5: 25, 23, 21, 19, 17; weekly 3: weeks of
            # 19 Oct (Sun 25), 12 Oct (Sat 17), 5 Oct (Sun 11)
            assert set(record["kept"]) == {
                "20261025T030000Z",
                "20261023T030000Z",
                "20261021T030000Z",
                "20261019T030000Z",
                "20261017T030000Z",
                "20261011T030000Z",
            }, n
    # last 3: 10 Nov 15:00 and 03:00, 8 Nov; daily 5: 10 (15:00), 8, 6, 4, 2 Nov;
    # weekly 3: weeks of 9 Nov (10 Nov 15:00), 2 Nov (Sun 8), 26 Oct (Sat 31 Oct)
    expected = {
        "20261110T150000Z",
        "20261110T030000Z",
        "20261108T030000Z",
        "20261106T030000Z",
        "20261104T030000Z",
        "20261102T030000Z",
        "20261031T030000Z",
    }
    assert folder_names(snapshots / "scheduled") == expected | {"manual-copy"}
    assert folder_names(snapshots) == {"scheduled", "upgrade-20261001T120000"}
    last = records[-1]
    assert last["outcome"] == "ok" and last["name"] == "20261110T150000Z"
    assert set(last["kept"]) == expected
    # Thu 29 Oct goes when Sun 8 Nov makes it the 6th newest day (Sat 31 Oct is its week's
    # newest); Sun 25 Oct when Tue 10 Nov opens a 4th week; the last run deletes nothing.
    assert [r["deleted"] for r in records[-3:]] == [["20261029T030000Z"], ["20261025T030000Z"], []]
    assert not lock.exists()  # released after every run

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [entry["name"] for entry in lines] == [r.replace("-", "").replace(":", "") for r in RUNS]
    assert {entry["outcome"] for entry in lines} == {"ok"}
    assert all(
        {"time", "outcome", "name", "kept", "deleted", "offsite", "duration", "reason"}
        <= set(entry)
        for entry in lines
    )
    assert lines[0]["time"] == "2026-10-05T03:00:00Z"
    # everything ever deleted plus what is kept is every run
    deleted = {name for entry in lines for name in entry["deleted"]}
    assert deleted | expected == {entry["name"] for entry in lines}
    assert not deleted & expected

    newest = snapshots / "scheduled" / "20261110T150000Z"
    assert stat.S_IMODE((snapshots / "scheduled").stat().st_mode) == 0o700
    assert stat.S_IMODE(newest.stat().st_mode) == 0o700
    for path in newest.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    verify = datamig("verify", str(newest), "--json")
    assert json.loads(verify.stdout)["site"] == "demo"
    assert json.loads(verify.stdout)["rows"] == records[-1]["rows"] > 200


def _lock_module():
    spec = importlib.util.spec_from_file_location(
        "datamig_lock_module_s", ROOT / "plugins" / "modules" / "lock.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_run_is_skipped_while_an_upgrade_holds_the_lock(demo_db, tmp_path):
    lock_module = _lock_module()
    snapshots = tmp_path / "snapshots"
    lock = tmp_path / "site.lock"
    fake = SimpleNamespace(
        params={"owner": "upgrade-20261124T025900-demo", "stale_after": 0, "pid": 1234},
        check_mode=False,
    )
    result = {"changed": False, "lock": None, "stale_taken_over": False, "previous": None}
    with lock_module.DirectoryFlock(str(tmp_path)):
        assert lock_module.take(fake, str(lock), result) is None
    raw = lock.read_bytes()
    log = tmp_path / "log.jsonl"
    run, record = scheduled(demo_db, snapshots, lock, "2026-11-24T03:00:00Z", "--log", str(log))
    assert run.returncode == 0
    assert record["outcome"] == "skipped"
    assert record["lock"]["owner"] == "upgrade-20261124T025900-demo"
    assert "locked by run 'upgrade-20261124T025900-demo'" in record["reason"]
    assert f"host {socket.gethostname()}, pid 1234" in record["reason"]
    assert folder_names(snapshots / "scheduled") == set()
    assert lock.read_bytes() == raw  # not taken over, not released
    assert json.loads(log.read_text())["outcome"] == "skipped"
    # without --json: one line that says so, still exit 0
    plain = datamig(
        "scheduled-snapshot",
        *demo_db.site.args(),
        "--snapshots-dir",
        str(snapshots),
        "--lock",
        str(lock),
        db=demo_db,
    )
    assert "skipped" in plain.stdout and "upgrade-20261124T025900-demo" in plain.stdout


def write_failing_settings(tmp_path: Path) -> Path:
    folder = tmp_path / "faulty"
    folder.mkdir()
    (folder / "faulty_settings.py").write_text(FAILING_SETTINGS)
    return folder


def faulty_run(db, snapshots, lock, now, folder, fault, witness, popen=False):
    env = {**db.env, "DATAMIG_TEST_FAULT": fault, "DATAMIG_TEST_WITNESS": str(witness)}
    command = [
        sys.executable,
        "-m",
        "datamig",
        "scheduled-snapshot",
        "--settings",
        "faulty_settings",
        "--pythonpath",
        str(db.site.path),
        "--pythonpath",
        str(folder),
        "--snapshots-dir",
        str(snapshots),
        "--lock",
        str(lock),
        "--now",
        now,
        "--json",
    ]
    if popen:
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
    return subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)


def test_a_snapshot_is_named_only_once_verified(demo_db, tmp_path):
    folder = write_failing_settings(tmp_path)
    snapshots = tmp_path / "snapshots"
    lock = tmp_path / "site.lock"
    witness = tmp_path / "witness.json"
    run = faulty_run(demo_db, snapshots, lock, "2026-11-24T03:00:00Z", folder, "tamper", witness)
    assert run.returncode == 1
    record = json.loads(run.stdout)
    assert record["outcome"] == "failed" and record["ok"] is False
    assert "does not match its manifest" in record["reason"]
    assert "requirements.txt" in record["reason"]
    assert "scheduled snapshot failed" in run.stderr
    # it was written complete under the temporary name ...
    seen = json.loads(witness.read_text())
    assert seen["output"] == str(snapshots / "scheduled" / ".tmp-20261124T030000Z")
    assert "manifest.json" in seen["files"]
    # ... and neither that nor a final folder is left; the lock is released
    assert folder_names(snapshots / "scheduled") == set()
    assert not lock.exists()


def test_a_crashed_run_leaves_nothing_the_next_run_does_not_clean(demo_db, tmp_path):
    folder = write_failing_settings(tmp_path)
    snapshots = tmp_path / "snapshots"
    lock = tmp_path / "site.lock"
    run = faulty_run(
        demo_db, snapshots, lock, "2026-11-24T03:00:00Z", folder, "crash", tmp_path / "w"
    )
    assert run.returncode == 9
    assert folder_names(snapshots / "scheduled") == {".tmp-20261124T030000Z"}
    crashed = json.loads(lock.read_text())
    assert crashed["owner"] == "scheduled-20261124T030000Z"
    # the next run takes over the dead run's lock and removes its temporary folder
    result, record = scheduled(demo_db, snapshots, lock, "2026-11-25T03:00:00Z")
    assert result.returncode == 0, result.stderr
    assert record["outcome"] == "ok"
    assert record["removed_temporary"] == [".tmp-20261124T030000Z"]
    assert record["lock_taken_over"] == crashed
    assert folder_names(snapshots / "scheduled") == {"20261125T030000Z"}
    assert not lock.exists()


def test_a_failing_snapshot_exits_non_zero_with_the_reason(tmp_path):
    missing = Database("sqlite", str(tmp_path / "missing.sqlite3"), site=DEMO_SITE)
    snapshots = tmp_path / "snapshots"
    result, record = scheduled(missing, snapshots, tmp_path / "site.lock", "2026-11-24T03:00Z")
    assert result.returncode == 1
    assert record["outcome"] == "failed" and record["kind"] == "database_unreachable"
    assert "does not exist" in record["reason"]
    assert folder_names(snapshots / "scheduled") == set()
    assert not os.path.exists(tmp_path / "site.lock")
    assert not missing.exists()  # a snapshot never creates the database


def test_bad_arguments_are_usage_errors(demo_db, tmp_path):
    for extra, message in [
        (("--now", "yesterday"), "--now 'yesterday' is not an ISO 8601 time"),
        (("--now", "2026-11-24T03:00:00Z", "--keep-last", "-1"), "keep_last must be"),
    ]:
        result = datamig(
            "scheduled-snapshot",
            *demo_db.site.args(),
            "--snapshots-dir",
            str(tmp_path / "snapshots"),
            "--lock",
            str(tmp_path / "site.lock"),
            "--json",
            *extra,
            db=demo_db,
            check=False,
        )
        assert result.returncode == 2
        error = json.loads(result.stdout)
        assert error["kind"] == "usage" and message in error["error"]
    assert not (tmp_path / "snapshots").exists()


def test_sigterm_releases_the_lock_and_removes_the_temporary_folder(demo_db, tmp_path):
    import signal
    import time

    folder = write_failing_settings(tmp_path)
    snapshots = tmp_path / "snapshots"
    lock = tmp_path / "site.lock"
    witness = tmp_path / "witness.json"
    run = faulty_run(
        demo_db, snapshots, lock, "2026-11-24T03:00:00Z", folder, "hang", witness, popen=True
    )
    deadline = time.monotonic() + 30
    while not witness.exists():
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    assert folder_names(snapshots / "scheduled") == {".tmp-20261124T030000Z"}
    assert json.loads(lock.read_text())["pid"] == run.pid
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=30)
    assert run.returncode == 1, err
    record = json.loads(out)
    assert record["outcome"] == "failed" and "SIGTERM" in record["reason"]
    assert folder_names(snapshots / "scheduled") == set()
    assert not lock.exists()
