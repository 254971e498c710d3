# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The site's services as the upgrade window drives them on the node, without Ansible.

The same operations as the roles' tasks (common/tasks/services.yml, health.yml, the
maintenance module), in plain Python so that one program on the node can run the whole
window: the maintenance flag on and off (written atomically, fsync'ed), the application
stopped, started or restarted under supervisor (its state decides, not supervisorctl's
exit status) or systemd, and the health check over HTTP.

Commands go through a ``run(argv, timeout, env=None, cwd=None) -> (rc, stdout, stderr)``
callable, the HTTP check through ``get(url, timeout) -> (status, body)``: the unit tests
give fakes.
"""

import json
import os
import tempfile
import time
import urllib.error

from ansible.module_utils.urls import open_url
from ansible_collections.datamig.site.plugins.module_utils import journal

SUPERVISOR_VERB = {"started": "start", "restarted": "restart", "stopped": "stop"}
TRANSIENT = ("STARTING", "BACKOFF", "STOPPING")


class ServiceError(Exception):
    """A service did not reach the wanted state; the message says why."""


def fsync_directory(directory):
    fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path, data, mode=0o644, keep_owner=False):
    """Write bytes beside path, fsync them, rename them over path, fsync the folder.

    keep_owner: the new file gets the owner and group of the one it replaces (when there is
    one and this runs as root), e.g. site.env, which the site's user reads through its group."""
    directory = os.path.dirname(path) or "."
    try:
        before = os.stat(path) if keep_owner else None
    except FileNotFoundError:
        before = None
    fd, tmp = tempfile.mkstemp(prefix=".datamig-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if before is not None and os.geteuid() == 0:
            os.chown(tmp, before.st_uid, before.st_gid)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_directory(directory)


def replace_link(link, target):
    """Point the symlink link at target atomically (a new link renamed over it), fsync'ed."""
    tmp = f"{link}.datamig-{os.getpid()}"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_directory(os.path.dirname(link))


def maintenance_on(flag, reason, run_id):
    """The maintenance flag on (nginx serves the maintenance page while it exists)."""
    content = {"reason": reason, "since": journal.utc_now(), "run_id": run_id}
    try:
        with open(flag, encoding="utf-8") as handle:
            existing = json.load(handle)
        if isinstance(existing, dict) and isinstance(existing.get("since"), str):
            content["since"] = existing["since"]
    except (OSError, ValueError):
        pass
    text = json.dumps(content, indent=2, sort_keys=True) + "\n"
    write_atomically(flag, text.encode("utf-8"), 0o644)


def maintenance_off(flag):
    """The maintenance flag off; True when it was on."""
    try:
        os.unlink(flag)
    except FileNotFoundError:
        return False
    fsync_directory(os.path.dirname(flag))
    return True


def program_names(program):
    """The programs as a list: one name, or several (``name:*`` for a supervisor group)."""
    names = [program] if isinstance(program, str) else list(program or [])
    names = [str(name).strip() for name in names if str(name).strip()]
    if not names:
        raise ServiceError("no program to start or stop: name at least one")
    return names


def supervisor_states(run, config, names, timeout):
    """``{process: state}`` as ``supervisorctl status`` reports the programs (a group gives
    one line a process), and its output. A name supervisor does not know gives a line
    ``name: ERROR (no such process)``, state ``ERROR``."""
    _rc, out, _err = run(["supervisorctl", "-c", config, "status", *names], timeout)
    states = {}
    for line in (out or "").splitlines():
        fields = line.split()
        if len(fields) >= 2:
            states[fields[0].rstrip(":")] = fields[1]
    return states, (out or "").strip()


def settled(states, expected):
    """Whether every process is in the expected state (a stopped one may also have exited)."""
    if not states:
        return False
    for state in states.values():
        if state == expected:
            continue
        if expected == "STOPPED" and state in ("EXITED", "FATAL"):
            continue
        return False
    return True


def app(run, action, manager, program, supervisor_config, timeout=60, pause=1.0):
    """Start, restart or stop the site's programs (one name or several); raise ServiceError
    unless every process got there."""
    names = program_names(program)
    if manager == "systemd":
        verb = {"started": "start", "restarted": "restart", "stopped": "stop"}[action]
        rc, out, err = run(["systemctl", verb, *names], timeout)
        if rc != 0:
            raise ServiceError(f"systemctl {verb} {' '.join(names)}: {(err or out).strip()}")
        return
    if action != "stopped":
        run(["supervisorctl", "-c", supervisor_config, "update"], timeout)
    # supervisorctl's own exit status is not the answer ("already started", "not running",
    # or 0 after a spawn error): the states below tell
    _rc, out, _err = run(
        ["supervisorctl", "-c", supervisor_config, SUPERVISOR_VERB[action], *names], timeout
    )
    expected = "STOPPED" if action == "stopped" else "RUNNING"
    deadline = time.monotonic() + timeout
    states, shown = supervisor_states(run, supervisor_config, names, timeout)
    while any(s in TRANSIENT for s in states.values()) and time.monotonic() < deadline:
        time.sleep(pause)
        states, shown = supervisor_states(run, supervisor_config, names, timeout)
    if not settled(states, expected):
        raise ServiceError(
            f"the site's programs ({', '.join(names)}) should be {expected}: "
            f"{shown or 'supervisorctl says nothing of them'}; {(out or '').strip()}"
        )


def http_get(url, timeout):
    """(status, body) of a GET; status 0 when nothing answered."""
    try:
        response = open_url(url, timeout=timeout, validate_certs=False, follow_redirects="none")
        try:
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            response.close()
    except urllib.error.HTTPError as exc:
        return exc.code, (exc.read() or b"").decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return 0, str(exc)


HEALTH_FORMATS = ("json", "status")


def health_problem(status, body, version, health_format="json"):
    """Why an answer of the health URL is not healthy, None when it is.

    health_format ``json``: datamig's health page (``{"status": "ok", "version": ...}``);
    ``status``: any page answered 200 (a site without such a page, e.g. an adopted Lino
    site: its version is not checked)."""
    if status != 200:
        return f"Status code was {status} and not [200]" + (
            f": {body.strip()[:300]}" if body else ""
        )
    if health_format == "status":
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return f"the health page is not JSON: {body[:300]!r}"
    if not isinstance(data, dict) or data.get("status") != "ok":
        return f"the health page says {body[:300]!r}"
    if version and str(data.get("version")) != str(version):
        return f"the site answers version {data.get('version')}, not {version}"
    return None


def health(get, url, version, tries, pause, deadline=None, health_format="json"):
    """Ask url until it answers healthy (and with version when given); raise ServiceError
    with the last answer's problem after ``tries`` attempts or past ``deadline``."""
    problem = "not asked"
    for attempt in range(max(int(tries), 1)):
        status, body = get(url, 10)
        problem = health_problem(status, body, version, health_format)
        if problem is None:
            return
        if deadline is not None and time.monotonic() >= deadline:
            break
        if attempt + 1 < tries:
            time.sleep(pause)
    raise ServiceError(f"health check {url}: {problem}")
