#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: lock
short_description: Take or release the per-site lock, so that no two runs work on one site
version_added: "0.1.0"
description:
  - One lock file per site keeps upgrades, rollbacks and scheduled snapshots of that site
    from running at the same time.
  - O(state=present) creates the lock file exclusively (C(O_CREAT|O_EXCL)) holding JSON
    with the O(owner), the node's host name, the O(pid) if given and the time the lock was
    taken (V(since), UTC). A lock already held by the same O(owner) is left as it is
    (C(changed=false)); a lock held by another owner makes the task fail with a message
    naming the holder and since when, unless the lock is older than O(stale_after)
    seconds, in which case it is taken over and RV(stale_taken_over) is V(true).
  - O(state=absent) removes the lock only if it is held by O(owner), unless O(force=true).
  - Every check and change happens under an exclusive C(flock) on the lock's directory,
    so two runs that race for a lock (or for a stale lock's takeover) cannot both win.
author:
  - datamig developers (!UNKNOWN)
options:
  path:
    description:
      - The lock file, for example C(/srv/mysite/datamig.lock). Its directory must exist.
    type: path
    required: true
  state:
    description:
      - V(present) takes the lock, V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  owner:
    description:
      - Who holds the lock, the run id of the run taking it (free text).
      - Required with O(state=present), and with O(state=absent) unless O(force=true).
    type: str
  stale_after:
    description:
      - Age in seconds after which a lock held by another owner counts as abandoned and
        is taken over. V(0) means never.
    type: int
    default: 0
  force:
    description:
      - With O(state=absent), remove the lock whoever holds it.
    type: bool
    default: false
  pid:
    description:
      - Process id of the run taking the lock (for example the controller's
        C(ansible-playbook) process), recorded in the lock for the operator.
    type: int
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The lock is advisory. It keeps out the runs that take it (the datamig roles and
    playbooks all do), nothing else.
seealso:
  - module: datamig.site.journal
  - module: datamig.site.maintenance
"""

EXAMPLES = r"""
- name: Lock the site for this upgrade (a lock left over 6 hours ago is taken over)
  datamig.site.lock:
    path: /srv/mysite/datamig.lock
    owner: "{{ datamig_run_id }}"
    stale_after: 21600

- name: Release the lock
  datamig.site.lock:
    path: /srv/mysite/datamig.lock
    owner: "{{ datamig_run_id }}"
    state: absent

- name: Remove a lock that an operator knows to be abandoned
  datamig.site.lock:
    path: /srv/mysite/datamig.lock
    state: absent
    force: true
"""

RETURN = r"""
lock:
  description:
    - The lock's content after the task; with O(state=absent), the content of the lock
      that was removed (V(null) if there was none).
  returned: always
  type: dict
  sample:
    owner: upgrade-20261124T140312-mysite
    host: web1
    pid: 48211
    since: "2026-11-24T14:03:12.250301Z"
stale_taken_over:
  description: Whether a stale lock of another owner was taken over.
  returned: always
  type: bool
  sample: false
previous:
  description: The content of the stale lock that was taken over (V(null) otherwise).
  returned: always
  type: dict
  sample:
    owner: snapshot-20261123T020000-mysite
    host: web1
    pid: null
    since: "2026-11-23T02:00:00.018211Z"
"""

import datetime  # noqa: E402
import errno  # noqa: E402
import fcntl  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402

FLOCK_TIMEOUT = 60  # seconds to wait for another run's check-and-change to finish


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text):
    """Seconds since the epoch of one of our UTC timestamps, None if it is not one."""
    try:
        stamp = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError):
        return None
    return stamp.replace(tzinfo=datetime.timezone.utc).timestamp()


class DirectoryFlock:
    """An exclusive flock on a directory for the duration of a with block."""

    def __init__(self, directory, timeout=FLOCK_TIMEOUT):
        self.directory = directory
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.directory, os.O_RDONLY)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    os.close(self.fd)
                    raise
            time.sleep(0.1)

    def __exit__(self, *exc_info):
        os.close(self.fd)  # closing the descriptor releases the flock


def read_lock(path):
    """(content, age in seconds) of the lock at path; (None, None) if there is none.

    A lock file that is not our JSON still holds the lock: its owner reads as None and
    its age comes from the file's modification time.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        return None, None
    try:
        content = json.loads(raw.decode("utf-8"))
    except ValueError:
        content = None
    if not isinstance(content, dict):
        content = {"owner": None, "host": None, "pid": None, "since": None}
    since = parse_utc(content.get("since"))
    return content, time.time() - (mtime if since is None else since)


def create_lock(path, content):
    """Create path exclusively with content; False if it exists already."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, json.dumps(content, sort_keys=True).encode("utf-8") + b"\n")
        os.fsync(fd)
    except OSError:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
    return True


def fsync_directory(directory):
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def describe(content):
    owner = content.get("owner")
    holder = f"run {owner!r}" if owner is not None else "an unreadable lock (not datamig's JSON)"
    where = []
    if content.get("host"):
        where.append(f"host {content['host']}")
    if content.get("pid"):
        where.append(f"pid {content['pid']}")
    if where:
        holder += f" ({', '.join(where)})"
    return f"{holder} since {content.get('since') or 'an unknown time'}"


def take(module, path, result):
    """state=present: returns the message to fail with, or None."""
    params = module.params
    owner = params["owner"]
    existing, age = read_lock(path)
    if existing is not None and existing.get("owner") == owner:
        result["lock"] = existing
        return None

    stale_after = params["stale_after"]
    if existing is not None:
        if not stale_after or age < stale_after:
            result["lock"] = existing
            return (
                f"The site is locked by {describe(existing)}; lock file {path}. "
                "Wait for that run to end, or remove a lock you know to be abandoned "
                "(state=absent, force=true)."
            )
        result.update(stale_taken_over=True, previous=existing)

    content = {
        "owner": owner,
        "host": socket.gethostname(),
        "pid": params["pid"],
        "since": utc_now(),
    }
    result.update(changed=True, lock=content)
    if module.check_mode:
        return None
    if existing is not None:
        os.unlink(path)
    if not create_lock(path, content):  # cannot happen under the flock, unless it is ignored
        existing, age = read_lock(path)
        result.update(changed=False, lock=existing, stale_taken_over=False, previous=None)
        return f"The site was locked meanwhile by {describe(existing or {})}; lock file {path}."
    fsync_directory(os.path.dirname(path) or ".")
    return None


def release(module, path, result):
    """state=absent: returns the message to fail with, or None."""
    params = module.params
    existing, _age = read_lock(path)
    if existing is None:
        return None
    result["lock"] = existing
    if not params["force"] and existing.get("owner") != params["owner"]:
        return (
            f"The lock {path} is held by {describe(existing)}, not by {params['owner']!r}: "
            "left in place (force=true removes it whoever holds it)."
        )
    result["changed"] = True
    if not module.check_mode:
        os.unlink(path)
        fsync_directory(os.path.dirname(path) or ".")
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            owner=dict(type="str"),
            stale_after=dict(type="int", default=0),
            force=dict(type="bool", default=False),
            pid=dict(type="int"),
        ),
        required_if=[("state", "present", ["owner"]), ("force", False, ["owner"])],
        supports_check_mode=True,
    )
    path = module.params["path"]
    directory = os.path.dirname(path) or "."
    result = dict(changed=False, lock=None, stale_taken_over=False, previous=None)

    if module.params["stale_after"] < 0:
        module.fail_json(msg="stale_after must be 0 (never) or a number of seconds", **result)
    if not os.path.isdir(directory):
        module.fail_json(
            msg=f"The directory of the lock file does not exist: {directory}", **result
        )
    try:
        with DirectoryFlock(directory):
            if module.params["state"] == "present":
                error = take(module, path, result)
            else:
                error = release(module, path, result)
    except OSError as exc:
        error = f"Lock file {path}: {to_native(exc)}"
    if error:
        module.fail_json(msg=error, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
