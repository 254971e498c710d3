"""module_utils/window.py: the upgrade window on the node, with fake commands and a fake
HTTP check - the step order, what is rolled back at each point, the deadline."""

import json
import os
import pwd
import subprocess

import pytest

from ansible_collections.datamig.site.plugins.module_utils import journal  # isort: skip
from ansible_collections.datamig.site.plugins.module_utils import window  # isort: skip
from ansible_collections.datamig.site.plugins.module_utils import new_database  # isort: skip

SITE_ENV = "SECRET='it'\"s $x=y'\nexport MYSITE_DB_NAME='/srv/s/shared/db/s.sqlite3'\nOTHER=1\n"
MODELS = [{"model": "app.Person", "expected": 3, "read": 3, "restored": 3, "errors": 0}]


class Node:
    """A fake node: the site's files in tmp_path; supervisor, the engine and gunicorn faked."""

    def __init__(self, tmp_path):
        self.root = tmp_path
        self.old = self._release("1")
        self.new = self._release("2")
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "site.env").write_text(SITE_ENV)
        (tmp_path / "maintenance").mkdir()
        (tmp_path / "bin").mkdir()
        os.symlink(self.old, tmp_path / "current")
        (tmp_path / "datamig.lock").write_text(json.dumps({"owner": "run1"}))
        self.program = "STOPPED"  # after the last supervisorctl command
        self.calls = []
        self.fail = None  # a predicate on argv: that command fails
        self.slow = None  # a predicate on argv: that command overruns
        self.unhealthy = set()  # versions whose health page answers 500
        self.new_starts = True  # whether gunicorn of the new release starts

    def _release(self, version):
        path = self.root / "releases" / version
        (path / "venv" / "bin").mkdir(parents=True)
        python = path / "venv" / "bin" / "python"
        python.write_text("#!/bin/sh\n")
        python.chmod(0o755)
        return str(path)

    def live(self):
        return os.readlink(self.root / "current")

    def run(self, argv, timeout, env=None, cwd=None):
        self.calls.append(list(argv))
        if self.slow and self.slow(argv):
            raise subprocess.TimeoutExpired(argv, timeout)
        if self.fail and self.fail(argv):
            return 3, "", f"injected failure of {argv[3] if len(argv) > 3 else argv[0]}"
        if argv[0] == "supervisorctl":
            verb = argv[3]
            if verb == "stop":
                self.program = "STOPPED"
            elif verb in ("start", "restart"):
                new = self.live() == self.new
                self.program = "RUNNING" if (self.new_starts or not new) else "FATAL"
            if verb == "status":
                return 0, f"{argv[4]} {self.program} pid 1", ""
            return 0, "", ""
        if argv[1:3] == ["-m", "datamig"]:
            command = argv[3]
            if command == "snapshot":
                dest = argv[argv.index("-o") + 1]
                os.makedirs(dest)
                return 0, json.dumps({"ok": True, "rows": 3}), ""
            if command == "verify":
                return 0, json.dumps({"ok": True}), ""
            if command == "restore":
                name = argv[argv.index("--database-name") + 1]
                assert env["MYSITE_DB_NAME"] == name
                with open(name, "w") as handle:
                    handle.write("new db")
                return 0, json.dumps({"ok": True, "rows": 3, "models": MODELS}), ""
        return 0, "", ""

    def get(self, url, timeout):
        version = "2" if self.live() == self.new else "1"
        if self.program != "RUNNING":
            return 0, "connection refused"
        if version in self.unhealthy:
            return 500, "Internal Server Error"
        return 200, json.dumps({"status": "ok", "version": version})

    def params(self, **extra):
        root = str(self.root)
        params = dict(
            site="s",
            run_id="run1",
            journal=f"{root}/journal.jsonl",
            lock=f"{root}/datamig.lock",
            maintenance_flag=f"{root}/maintenance/maintenance.json",
            maintenance_reason="Upgrade in progress",
            stop_app=True,
            reports_dir=f"{root}/reports",
            current_link=f"{root}/current",
            site_env_path=f"{root}/shared/site.env",
            bin_dir=f"{root}/bin",
            snapshots_dir=f"{root}/snapshots",
            db_dir=f"{root}/shared/db",
            db_vendor="sqlite",
            db_name_var="MYSITE_DB_NAME",
            settings="s.settings",
            old_release=self.old,
            old_db_name="/srv/s/shared/db/s.sqlite3",
            old_version="1",
            new_release=self.new,
            new_version="2",
            new_db_name="",
            prepared=False,
            snapshot_python=None,
            plain_env={"MYSITE_DB_NAME": "/srv/s/shared/db/s.sqlite3"},
            secret_env={"SECRET": "it's $x=y"},
            allow_loss=[],
            set_values={},
            smoke_command=[],
            service_manager="supervisor",
            supervisor_config="/etc/supervisor/supervisord.conf",
            program="datamig-s",
            app_bind="127.0.0.1:8000",
            health_path="/health",
            health_retries=2,
            health_delay=0.0,
            heavy_slots=0,
            heavy_slots_dir=f"{root}/heavy",
            heavy_wait_timeout=10,
            timeout=900,
            batch_size=1,
        )
        params.update(extra)
        return params

    def window(self, **extra):
        return window.Window(self.params(**extra), runner=self.run, get=self.get)

    def records(self):
        return journal.read_records(str(self.root / "journal.jsonl"), print)


def _steps(records):
    return [(r["step"], r["status"]) for r in records]


def test_the_window_runs_every_step_in_order_and_ends_upgraded(tmp_path):
    node = Node(tmp_path)
    win = node.window()
    outcome, failed, reason = win.execute()
    built = win.finish(outcome, failed, reason)
    assert (outcome, failed, reason) == ("upgraded", None, None)
    steps = [s for s, status in _steps(node.records()) if status == "done"]
    assert steps == [
        "maintenance_on",
        "snapshot",
        "restore",
        "verify",
        "switch",
        "health",
        "maintenance_off",
        "window",
        "finish",
    ]
    assert all(r["data"]["by"] == "window" for r in node.records())
    new_db = f"{tmp_path}/shared/db/s-2.sqlite3"
    assert node.live() == node.new
    env = (tmp_path / "shared" / "site.env").read_text()
    assert f"MYSITE_DB_NAME={new_db}\n" in env and env.startswith("SECRET='it'")
    assert not (tmp_path / "maintenance" / "maintenance.json").exists()
    assert not (tmp_path / "datamig.lock").exists()
    saved = json.loads((tmp_path / "reports" / "run1.json").read_text())
    assert saved == built and built["outcome"] == "upgraded"
    assert built["database_to"] == new_db and built["rows_restored"] == 3
    assert set(built["window_seconds"]) == {"snapshot", "restore", "verify", "switch", "other"}
    finish = node.records()[-1]
    assert finish["status"] == "done" and finish["data"]["live"]["release"] == node.new
    # the application stopped before the snapshot, the old engine took it, the new restored
    engine = [c for c in node.calls if c[1:3] == ["-m", "datamig"]]
    assert [c[3] for c in engine] == ["snapshot", "verify", "restore"]
    assert engine[0][0].startswith(node.old) and engine[2][0].startswith(node.new)
    stop = node.calls.index(
        ["supervisorctl", "-c", "/etc/supervisor/supervisord.conf", "stop", "datamig-s"]
    )
    assert stop < node.calls.index(engine[0])


def _snapshot(argv):
    return argv[1:4] == ["-m", "datamig", "snapshot"]


def _restore(argv):
    return argv[1:4] == ["-m", "datamig", "restore"]


def _check(argv):
    return "check" in argv and "manage.py" in argv


CASES = {
    "maintenance_on": dict(fail=lambda a: a[:1] == ["supervisorctl"] and "stop" in a),
    "snapshot": dict(fail=_snapshot),
    "restore": dict(fail=_restore),
    "verify": dict(fail=_check),
    "switch": dict(new_starts=False),
    "health": dict(unhealthy={"2"}),
}


@pytest.mark.parametrize("step", sorted(CASES))
def test_a_failure_at_each_step_rolls_back_to_the_untouched_old_release(tmp_path, step):
    node = Node(tmp_path)
    for name, value in CASES[step].items():
        setattr(node, name, value)
    if step == "maintenance_on":  # the stop fails, but the old program runs again afterwards
        node.program = "RUNNING"
    win = node.window()
    outcome, failed, reason = win.execute()
    win.finish(outcome, failed, reason)
    assert (outcome, failed) == ("rolled back", step), reason
    records = node.records()
    assert (records[-1]["step"], records[-1]["status"]) == ("finish", "failed")
    assert ("rollback", "done") in _steps(records)
    assert [r["status"] for r in records if r["step"] == step][-1] == "failed"
    later = window.window_plan.STEPS[window.window_plan.STEPS.index(step) + 1 :]
    assert not any(r["step"] in later for r in records), "no step after the failed one"
    assert node.live() == node.old
    assert (tmp_path / "shared" / "site.env").read_text() == SITE_ENV  # byte for byte
    assert node.program == "RUNNING"
    assert not (tmp_path / "maintenance" / "maintenance.json").exists()
    assert not (tmp_path / "datamig.lock").exists()
    report = json.loads((tmp_path / "reports" / "run1.json").read_text())
    assert (report["outcome"], report["failed_step"]) == ("rolled back", step)


def test_a_step_that_overruns_the_deadline_is_killed_and_rolled_back(tmp_path):
    node = Node(tmp_path)
    node.slow = _restore
    outcome, failed, reason = node.window(timeout=5).execute()
    assert (outcome, failed) == ("rolled back", "restore")
    assert "deadline" in reason and "datamig_window_timeout 5 s" in reason
    assert node.live() == node.old


def test_past_the_deadline_no_further_step_starts(tmp_path):
    node = Node(tmp_path)
    now = [0.0]

    def clock():
        return now[0]

    def run(argv, timeout, env=None, cwd=None):
        if _snapshot(argv):
            now[0] += 100  # the snapshot took the whole window
        return Node.run(node, argv, timeout, env, cwd)

    win = window.Window(node.params(timeout=60), runner=run, get=node.get, clock=clock)
    outcome, failed, reason = win.execute()
    assert (outcome, failed) == ("rolled back", "snapshot") or failed == "restore"
    assert "deadline" in reason
    assert not any(_restore(c) for c in node.calls)
    assert node.live() == node.old


def test_secrets_never_in_the_reason(tmp_path):
    node = Node(tmp_path)
    node.fail = _snapshot
    original = node.run

    def run(argv, timeout, env=None, cwd=None):
        if _snapshot(argv):
            return 1, "", "cannot connect with password it's $x=y"
        return original(argv, timeout, env, cwd)

    _outcome, failed, reason = window.Window(node.params(), runner=run, get=node.get).execute()
    assert failed == "snapshot" and "it's $x=y" not in reason and "********" in reason


def test_a_failed_rollback_is_said_and_the_page_goes_off(tmp_path):
    node = Node(tmp_path)
    node.unhealthy = {"1", "2"}
    outcome, failed, reason = node.window().execute()
    assert (outcome, failed) == ("rollback failed", "health")
    assert "the rollback failed too" in reason
    assert not (tmp_path / "maintenance" / "maintenance.json").exists()
    assert ("rollback", "failed") in _steps(node.records())


def test_the_plan_changes_nothing(tmp_path):
    node = Node(tmp_path)
    lines = window.plan(node.params())
    assert lines[0].startswith("maintenance on") and "s-2.sqlite3" in lines[2]
    assert not (tmp_path / "journal.jsonl").exists() and node.live() == node.old


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nexport DB='x'\nB=2\n", "A=1\nDB='/new db'\nB=2\n"),
        ("DB=a\nDB=b\n", "DB=a\nDB='/new db'\n"),
        ("A=1\n", "A=1\nDB='/new db'\n"),
        ("DBX=1\n", "DBX=1\nDB='/new db'\n"),
    ],
)
def test_set_env_line_as_lineinfile_does(text, expected):
    assert window.set_env_line(text, "DB", "/new db") == expected


def test_the_new_database_is_named_by_the_projects_one_rule(tmp_path):
    node = Node(tmp_path)
    # the prepare step's name (new_database.new_db_name), as the role passes it, wins
    assert node.window(new_db_name="/elsewhere/x.sqlite3").db_name == "/elsewhere/x.sqlite3"
    # none given (a window started by hand): the same rule the prepare step uses
    rule = new_database.new_db_name("sqlite", "s", node.new, f"{tmp_path}/shared/db")
    assert node.window().db_name == rule == f"{tmp_path}/shared/db/s-2.sqlite3"
    server = node.window(db_vendor="postgresql", site="My-Site", new_release="/r/2-20261202T1-Z")
    assert server.db_name == "my_site_2_20261202t1_z"


def test_a_prepared_window_only_loads_rows_and_its_rollback_names_the_prepared_database(tmp_path):
    node = Node(tmp_path)
    win = node.window(prepared=True, new_db_name=f"{tmp_path}/shared/db/prepared.sqlite3")
    assert win.execute()[0] == "upgraded"
    restore = [c for c in node.calls if _restore(c)]
    assert len(restore) == 1 and "--prepared" in restore[0]
    assert restore[0][restore[0].index("--database-name") + 1].endswith("prepared.sqlite3")
    # failing before the restore: the database made before the window is named for the cleanup
    other = Node(tmp_path / "other")
    other.fail = _snapshot
    failed = other.window(prepared=True, new_db_name="s_2")
    assert failed.execute()[:2] == ("rolled back", "snapshot")
    done = [r for r in other.records() if (r["step"], r["status"]) == ("rollback", "done")]
    assert done[0]["data"]["failed_db_name"] == "s_2"
    # not prepared and failing before the restore: no new database exists to name
    plain = Node(tmp_path / "plain")
    plain.fail = _snapshot
    assert plain.window().execute()[0] == "rolled back"
    done = [r for r in plain.records() if (r["step"], r["status"]) == ("rollback", "done")]
    assert done[0]["data"]["failed_db_name"] == ""


def test_run_command_kills_the_group_past_its_timeout():
    with pytest.raises(subprocess.TimeoutExpired):
        window.run_command(["sh", "-c", "sleep 30 & sleep 30"], 0.3)
    assert window.run_command(["sh", "-c", "echo hi; echo no >&2; exit 4"], 5) == (
        4,
        "hi\n",
        "no\n",
    )


def test_the_operators_hook_commands_run_in_their_steps_and_a_failing_one_rolls_back(tmp_path):
    node = Node(tmp_path)
    spec = {"before_switch": [["hook", "one"]], "after_maintenance_off": "echo done"}
    win = node.window(hooks=spec)
    assert win.execute()[0] == "upgraded"
    hook_calls = [c for c in node.calls if c[0] in ("hook", "/bin/sh")]
    assert hook_calls == [["hook", "one"], ["/bin/sh", "-c", "echo done"]]
    # before the switch: after the verify's last command, before current changes
    assert node.calls.index(["hook", "one"]) > node.calls.index(
        [c for c in node.calls if _check(c)][-1]
    )
    records = node.records()
    switch = [r["status"] for r in records if r["step"] == "switch"]
    assert switch == ["started", "done"]

    failing = Node(tmp_path / "failing")
    failing.fail = lambda argv: argv[:1] == ["hook"]
    win = failing.window(hooks=spec)
    outcome, failed, reason = win.execute()
    assert (outcome, failed) == ("rolled back", "switch") and "the hook before_switch" in reason
    assert failing.live() == failing.old  # the hook ran before anything was switched


def test_a_bad_hook_is_refused_before_the_window_starts(tmp_path):
    node = Node(tmp_path)
    with pytest.raises(ValueError, match="no hook point 'before_release'"):
        node.window(hooks={"before_release": ["true"]})
    with pytest.raises(ValueError, match="no hook point"):
        window.plan(node.params(hooks={"before_release": ["true"]}))
    assert node.calls == [] and node.records() == []


def test_the_engine_runs_as_the_site_user_and_site_env_keeps_its_group(tmp_path):
    nobody = pwd.getpwnam("nobody")
    node = Node(tmp_path)
    env_file = tmp_path / "shared" / "site.env"
    os.chown(env_file, 0, nobody.pw_gid)
    env_file.chmod(0o640)
    as_user = []
    fake = node.run

    def run(argv, timeout, env=None, cwd=None):
        if argv[0] == "setpriv":
            as_user.append((argv[: argv.index("--")], env["HOME"], argv[argv.index("--") + 4]))
            argv = argv[argv.index("--") + 1 :]
        return fake(argv, timeout, env=env, cwd=cwd)

    win = window.Window(node.params(run_as="nobody"), runner=run, get=node.get)
    assert win.execute()[0] == "upgraded"
    prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--init-groups"]
    assert as_user == [
        (prefix, nobody.pw_dir, "snapshot"),
        (prefix, nobody.pw_dir, "verify"),
        (prefix, nobody.pw_dir, "restore"),
    ]
    # supervisorctl (and site-env, which drops by itself) run as the window does
    assert not [c for c in node.calls if c[0] == "setpriv"]
    info = env_file.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (0, nobody.pw_gid, 0o640)
    assert "s-2.sqlite3" in env_file.read_text()


def test_an_unknown_site_user_fails_the_snapshot_and_rolls_back(tmp_path):
    node = Node(tmp_path)
    win = node.window(run_as="datamig-no-such-user")
    outcome, failed, reason = win.execute()
    assert (outcome, failed) == ("rolled back", "snapshot")
    assert "datamig-no-such-user does not exist" in reason
    assert node.live() == node.old
