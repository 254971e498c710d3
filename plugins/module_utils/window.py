# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The upgrade window as one program on the node (module datamig.site.window).

Maintenance on and the application stopped, the snapshot with the old release's engine,
the restore into the new database with the new release's engine, verify, switch (``current``
and ``site.env``), start, health, maintenance off - and on any failure, or past the
deadline, the rollback to the old release and its untouched database. Each step writes the
journal (module_utils/journal.py) as the controller's tasks did, ``started`` then ``done``
or ``failed``, every record marked ``by: window``; the window ends with the report and the
journal's ``finish`` record, then releases the site's lock. So the window ends by itself
when the controller is lost, and the next run finds a finished run in the journal.

Everything the window runs goes through ``runner`` (argv, timeout, env, cwd) and the
health check through ``get`` (url, timeout): the unit tests give fakes.
"""

import json
import os
import re
import signal
import subprocess
import time

from ansible_collections.datamig.site.plugins.module_utils import (
    hooks,
    journal,
    new_database,
    outcomes,
    report,
    run_as,
    services,
    site_env,
    site_state,
    window_plan,
)
from ansible_collections.datamig.site.plugins.module_utils.datamig_cli import MASK, _json_object
from ansible_collections.datamig.site.plugins.module_utils.heavy_slot import HeavySlot, SlotTimeout

BY = "window"
ROLLBACK_COMMAND_TIMEOUT = 300  # each command of the rollback (it has no deadline of its own)


class StepFailed(Exception):
    """A step of the window failed; the message is the reason."""


class Deadline(StepFailed):
    """The window's deadline passed."""


def run_command(argv, timeout, env=None, cwd=None):
    """Run argv in its own process group; past timeout the whole group is killed.

    stdin is /dev/null: the window has no terminal and no controller to read from.
    Not AnsibleModule.run_command: the window runs detached (async) and must kill a
    step's whole process group at its deadline, which run_command cannot."""
    try:
        proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        return 127, "", f"{argv[0]}: {exc}"
    try:
        out, err = proc.communicate(timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def new_db_name_of(params):
    """The new database: the operator's name, or the one the prepare step named after the
    new release (module_utils/new_database.py; the role passes it as ``new_db_name``)."""
    return new_database.new_db_name(
        params["db_vendor"],
        params["site"],
        params["new_release"],
        params["db_dir"],
        params.get("new_db_name") or "",
    )


def programs_of(params):
    """The programs the window stops and starts: ``programs``, else ``program`` alone."""
    return list(params.get("programs") or []) or [params["program"]]


def set_env_line(text, var, value):
    """site.env with var set to value, as the switch role's lineinfile writes it: the last
    line that sets var (``export`` or not) replaced, else one appended."""
    line = f"{var}={site_env.quote(value)}"
    lines = text.splitlines()
    pattern = re.compile(rf"^(export\s+)?{re.escape(var)}=")
    matches = [i for i, old in enumerate(lines) if pattern.match(old)]
    if matches:
        lines[matches[-1]] = line
    else:
        lines.append(line)
    return "\n".join(lines) + "\n"


class Window:
    """One upgrade window. ``params``: the module's options (see plugins/modules/window.py)."""

    def __init__(self, params, runner=run_command, get=services.http_get, clock=time.monotonic):
        self.p = params
        self.runner = runner
        self.get = get
        self.clock = clock
        self.deadline = clock() + float(params["timeout"])
        self.steps = {}
        self.data = {}
        self.restore_result = {}
        self.snapshot_dir = ""
        self.env_before = self.env_written = None  # site.env before and after the switch
        self.db_name = new_db_name_of(params)
        self.hooks = hooks.window_hooks(params.get("hooks"))
        secret = {str(k): str(v) for k, v in (params.get("secret_env") or {}).items()}
        self.secrets = sorted({v for v in secret.values() if v}, key=len, reverse=True)
        self.env = dict(os.environ)
        self.env.update({str(k): str(v) for k, v in (params.get("plain_env") or {}).items()})
        self.env.update(secret)

    # --- small parts ----------------------------------------------------------------------

    def hide(self, text):
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def journal(self, step, status, **data):
        data["by"] = BY
        record = {
            "time": journal.utc_now(),
            "run_id": self.p["run_id"],
            "step": step,
            "status": status,
            "data": data,
        }
        journal.append_record(self.p["journal"], record)
        if step in window_plan.STEPS or step == "rollback":
            self.steps[step] = status

    def remaining(self):
        left = self.deadline - self.clock()
        if left <= 0:
            raise Deadline(
                f"the window's deadline passed (datamig_window_timeout {self.p['timeout']} s)"
            )
        return left

    def run(self, argv, what, env=None, cwd=None, timeout=None):
        """Run argv within the deadline (or timeout); StepFailed with its stderr if it fails."""
        limit = self.remaining() if timeout is None else timeout
        try:
            rc, out, err = self.runner(argv, limit, env=env or self.env, cwd=cwd)
        except subprocess.TimeoutExpired:
            if timeout is None:
                raise Deadline(
                    f"{what} overran the window's deadline (datamig_window_timeout "
                    f"{self.p['timeout']} s) and was killed"
                ) from None
            raise StepFailed(f"{what} did not end in {timeout} s and was killed") from None
        if rc != 0:
            tail = self.hide((err or out or "").strip())[-1500:]
            raise StepFailed(f"{what} failed (exit status {rc}): {tail}")
        return out

    def run_hooks(self, when, step):
        """The operator's commands at this hook point (hooks.window_hooks), in order."""
        point = f"{when}_{step}"
        env = dict(
            self.env,
            DATAMIG_HOOK=point,
            DATAMIG_OLD_RELEASE=self.p["old_release"],
            DATAMIG_NEW_RELEASE=self.p["new_release"],
            DATAMIG_NEW_DB_NAME=self.db_name,
        )
        for argv in self.hooks.get(point, []):
            self.run(argv, f"the hook {point} ({argv[0]})", env=env)

    def engine(self, python, command, args, env, cwd, heavy=None):
        """``python -m datamig command args --json`` -> its JSON object (errors raise)."""
        argv = [python, "-m", "datamig", command, *args, "--json"]
        if not (os.path.isfile(python) and os.access(python, os.X_OK)):
            raise StepFailed(f"python {python} is not an executable file")
        try:  # as the site's user: the engine runs the snapshot's and the site's code
            argv, user_env = run_as.command(argv, self.p.get("run_as"))
        except run_as.RunAsError as exc:
            raise StepFailed(str(exc)) from None
        limit = self.remaining()
        try:
            rc, out, err = self.runner(argv, limit, env=dict(env, **user_env), cwd=cwd)
        except subprocess.TimeoutExpired:
            raise Deadline(
                f"datamig {command} overran the window's deadline (datamig_window_timeout "
                f"{self.p['timeout']} s) and was killed"
            ) from None
        data = _json_object(out)
        if data is None:
            last = (err or "").strip().splitlines()
            raise StepFailed(
                self.hide(
                    f"datamig {command} printed no JSON result (exit status {rc})"
                    + (f": {' '.join(last[-5:])}" if last else "")
                )
            )
        if data.get("ok") is False:
            raise StepFailed(self.hide(str(data.get("error") or f"datamig {command} failed")))
        return data

    def heavy(self, work, **info):
        return HeavySlot(
            self.p["heavy_slots_dir"],
            int(self.p["heavy_slots"]),
            min(int(self.p["heavy_wait_timeout"]), max(int(self.remaining()), 1)),
            dict(work=work, pid=os.getpid(), **info),
        )

    def app(self, action, timeout=None):
        limit = self.remaining() if timeout is None else timeout

        def run(argv, seconds, env=None, cwd=None):
            return self.runner(argv, min(seconds, limit), env=env, cwd=cwd)

        try:
            services.app(
                run,
                action,
                self.p["service_manager"],
                programs_of(self.p),
                self.p["supervisor_config"],
                timeout=min(60, limit),
            )
        except subprocess.TimeoutExpired:
            raise Deadline(f"the application could not be {action} before the deadline") from None
        except services.ServiceError as exc:
            raise StepFailed(str(exc)) from None

    def health(self, version, deadline=None):
        url = f"http://{self.p['app_bind']}{self.p['health_path']}"
        try:
            services.health(
                self.get,
                url,
                version,
                int(self.p["health_retries"]),
                float(self.p["health_delay"]),
                deadline,
                self.p.get("health_format") or "json",
            )
        except services.ServiceError as exc:
            raise StepFailed(str(exc)) from None

    def switch_to(self, release, db_name, timeout=None):
        """``current`` and site.env's database to (release, db_name), the application
        restarted: what the switch role does."""
        python = os.path.join(release, "venv", "bin", "python")
        if not os.path.exists(python):
            raise StepFailed(f"{python} does not exist: the release is not there")
        path = self.p["site_env_path"]
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            text = ""
        if (
            self.env_before is not None
            and text == self.env_written
            and release == self.p["old_release"]
        ):
            wanted = self.env_before  # switching back: site.env as it was, byte for byte
        else:
            wanted = set_env_line(text, self.p["db_name_var"], db_name)
            if release == self.p["new_release"]:
                self.env_before, self.env_written = text, wanted
        if wanted != text:
            # root's, readable by the site's group (roles/common/tasks/owner.yml)
            services.write_atomically(path, wanted.encode("utf-8"), 0o640, keep_owner=True)
        link = self.p["current_link"]
        if not (os.path.islink(link) and os.readlink(link) == release):
            services.replace_link(link, release)
        self.app("restarted", timeout)

    # --- the steps ------------------------------------------------------------------------

    def step_maintenance_on(self):
        services.maintenance_on(
            self.p["maintenance_flag"], self.p["maintenance_reason"], self.p["run_id"]
        )
        if self.p["stop_app"]:
            self.app("stopped")
        return {}

    def step_snapshot(self):
        old = self.p["old_release"]
        python = self.p.get("snapshot_python") or os.path.join(old, "venv", "bin", "python")
        os.makedirs(self.p["snapshots_dir"], mode=0o700, exist_ok=True)
        dest = os.path.join(self.p["snapshots_dir"], self.p["run_id"])
        args = ["--settings", self.p["settings"], "--pythonpath", old, "--database", "default"]
        slot = self.heavy("snapshot", dest=dest)
        try:
            with slot:
                self.engine(python, "snapshot", [*args, "-o", dest], self.env, old)
        except SlotTimeout as exc:
            raise StepFailed(str(exc)) from None
        self.snapshot_dir = dest
        verified = self.engine(python, "verify", [dest], self.env, old)
        if not verified.get("ok", True):
            raise StepFailed(f"the snapshot {dest} does not verify: {verified.get('problems')}")
        return {"snapshot": dest, "heavy": slot.info}

    def step_restore(self):
        new = self.p["new_release"]
        if self.db_name == self.p["old_db_name"]:
            raise StepFailed(f"the new database {self.db_name} is the live one")
        os.makedirs(self.p["db_dir"], mode=0o700, exist_ok=True)
        env = dict(self.env, **{self.p["db_name_var"]: self.db_name})
        args = [self.snapshot_dir, "--settings", self.p["settings"], "--pythonpath", new]
        args += ["--database", "default", "--database-name", self.db_name]
        for item in self.p.get("allow_loss") or []:
            args += ["--allow-loss", item]
        values = self.p.get("set_values") or {}
        for name in sorted(values):
            args += ["--set", f"{name}={'' if values[name] is None else values[name]}"]
        if self.p.get("prepared"):
            args.append("--prepared")
        args += ["--lost-values", f"{self.snapshot_dir}-lost-values.jsonl"]
        python = os.path.join(new, "venv", "bin", "python")
        slot = self.heavy("restore", src=self.snapshot_dir)
        try:
            with slot:
                data = self.engine(python, "restore", args, env, new)
        except SlotTimeout as exc:
            raise StepFailed(str(exc)) from None
        self.restore_result = {k: v for k, v in data.items() if k not in ("ok", "warnings")}
        return {"new_db_name": self.db_name, "heavy": slot.info}

    def step_verify(self):
        for entry in self.restore_result.get("models") or []:
            errors, read, expected = (
                int(entry.get("errors") or 0),
                int(entry.get("read") or 0),
                int(entry.get("expected") or 0),
            )
            if errors or read != expected:
                raise StepFailed(
                    f"{entry.get('model')}: {expected} rows in the snapshot, {read} read, "
                    f"{errors} in error"
                )
        new = self.p["new_release"]
        env = dict(self.env, DATAMIG_DB_NAME=self.db_name)
        site_env = os.path.join(self.p["bin_dir"], "site-env")
        python = os.path.join(new, "venv", "bin", "python")
        self.run(
            [site_env, python, "manage.py", "check", "--database", "default"],
            "Django's checks against the new database",
            env=env,
            cwd=new,
        )
        smoke = self.p.get("smoke_command") or []
        if smoke:
            self.run([site_env, *smoke], "the smoke check", env=env, cwd=new)
        return {}

    def step_switch(self):
        self.switch_to(self.p["new_release"], self.db_name)
        return {}

    def step_health(self):
        self.health(self.p["new_version"], self.deadline)
        self.remaining()
        return {}

    def step_maintenance_off(self):
        services.maintenance_off(self.p["maintenance_flag"])
        return {}

    # --- the whole window -----------------------------------------------------------------

    def rollback(self):
        """Back to the old release and its untouched database (as roles/rollback does)."""
        self.journal("rollback", "started")
        old, old_db = self.p["old_release"], self.p["old_db_name"]
        limit = ROLLBACK_COMMAND_TIMEOUT
        if window_plan.rollback_kind(self.steps) == window_plan.SWITCH_BACK:
            self.switch_to(old, old_db, timeout=limit)
        else:  # current and site.env never left the old release: start it again
            self.app("started", timeout=limit)
        self.health(self.p["old_version"])
        services.maintenance_off(self.p["maintenance_flag"])
        self.journal(
            "rollback",
            "done",
            release=old,
            db_name=old_db,
            failed_release=self.p["new_release"],
            # a prepared database exists from before the window; else only once restored into
            failed_db_name=self.db_name
            if self.p.get("prepared") or "restore" in self.steps
            else "",
        )

    def execute(self):
        """Run the window to its end: (outcome, failed_step, reason)."""
        self.journal("window", "started", pid=os.getpid(), timeout=self.p["timeout"])
        failed_step, reason = None, None
        step = window_plan.next_step(self.steps)
        while step is not None:
            self.journal(step, "started")
            try:
                self.remaining()
                self.run_hooks("before", step)
                data = getattr(self, f"step_{step}")()
                self.run_hooks("after", step)
            except Exception as exc:  # every failure of a step is the rollback's cue
                failed_step, reason = step, self.hide(str(exc)) or type(exc).__name__
                self.journal(step, "failed", reason=reason)
                break
            self.journal(step, "done", **data)
            step = window_plan.next_step(self.steps)
        if failed_step is None:
            outcome = outcomes.UPGRADED
        elif window_plan.rollback_kind(self.steps) == window_plan.KEEP:
            services.maintenance_off(self.p["maintenance_flag"])
            outcome = outcomes.UPGRADED
        else:
            try:
                self.rollback()
                outcome = outcomes.ROLLED_BACK
            except Exception as exc:
                self.journal("rollback", "failed", reason=self.hide(str(exc)))
                reason = f"{reason}; the rollback failed too: {self.hide(str(exc))}"
                outcome = outcomes.ROLLBACK_FAILED
                # never leave the page on: the old release may answer, it did before
                services.maintenance_off(self.p["maintenance_flag"])
        self.journal("window", "done" if outcome != outcomes.ROLLBACK_FAILED else "failed")
        return outcome, failed_step, reason

    def finish(self, outcome, failed_step, reason):
        """The report (reports/<run>.json), the journal's finish record, the lock released."""
        p = self.p
        records = journal.summarise(
            journal.read_records(p["journal"], lambda _m: None), p["run_id"]
        )
        run_records = [r for r in records["records"] if r["step"] != journal.FINISH_STEP]
        run = {
            "site": p["site"],
            "run_id": p["run_id"],
            "outcome": outcome,
            "version_from": p["old_version"],
            "version_to": p["new_version"],
            "release_from": p["old_release"],
            "release_to": p["new_release"],
            "database_from": p["old_db_name"],
            "database_to": self.db_name,
            "snapshot": self.snapshot_dir,
            "failed_step": failed_step,
            "reason": reason,
            "restore": self.restore_result,
            "batch_size": p.get("batch_size") or 1,
        }
        built = report.build(run, run_records, time.time())
        before = site_state.state(p["old_release"], p["old_db_name"], p["old_version"])
        after = site_state.state(p["new_release"], self.db_name, p["new_version"])
        data = report.finish_data(built, before, after)
        data["by"] = BY
        os.makedirs(p["reports_dir"], mode=0o700, exist_ok=True)
        dest = os.path.join(p["reports_dir"], f"{p['run_id']}.json")
        text = json.dumps(built, indent=4, sort_keys=True) + "\n"
        services.write_atomically(dest, text.encode("utf-8"), 0o600)
        journal.append_record(
            p["journal"],
            {
                "time": journal.utc_now(),
                "run_id": p["run_id"],
                "step": journal.FINISH_STEP,
                "status": outcomes.finish_status(outcome),
                "data": data,
            },
        )
        release_lock(p["lock"], p["run_id"])
        return built


def release_lock(path, owner):
    """Remove the site's lock if owner holds it; True when removed."""
    try:
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
    except FileNotFoundError:
        return False
    except ValueError:
        content = {}
    if not isinstance(content, dict) or content.get("owner") != owner:
        return False
    os.unlink(path)
    services.fsync_directory(os.path.dirname(path))
    return True


def plan(params):
    """Check mode: what the window would do, in order (nothing is changed)."""
    name = new_db_name_of(params)
    points = hooks.window_hooks(params.get("hooks"))  # a bad hook is refused here
    return [
        f"maintenance on ({params['maintenance_flag']}), {', '.join(programs_of(params))} stopped",
        f"snapshot of {params['old_db_name']} with {params['old_release']} into "
        f"{os.path.join(params['snapshots_dir'], params['run_id'])}",
        f"restore into {name} with {params['new_release']}"
        + (" (prepared before the window: only rows move)" if params.get("prepared") else ""),
        "verify: rows, Django's checks" + (", smoke check" if params.get("smoke_command") else ""),
        f"switch: current -> {params['new_release']}, {params['db_name_var']}={name}",
        f"health: version {params['new_version']} at http://{params['app_bind']}{params['health_path']}",
        "maintenance off",
        f"on a failure or past {params['timeout']} s: back to {params['old_release']} "
        f"and {params['old_db_name']}",
    ] + [f"hook {point}: {len(argvs)} command(s)" for point, argvs in sorted(points.items())]
