#!/usr/bin/python
# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: maintenance
short_description: Turn a site's maintenance page on or off
version_added: "0.1.0"
description:
  - Writes or removes the maintenance flag file of one site. The web server serves the
    maintenance page (HTTP 503) for as long as the flag file exists.
  - C(on) writes the flag file atomically (a temporary file beside it, then a rename) as
    JSON with the O(reason), the time maintenance began (V(since), UTC) and the O(run_id).
  - C(on) on a site already in maintenance keeps the original V(since) and rewrites the
    file only when O(reason) or O(run_id) differ; C(off) removes the file if it exists.
    The module reports C(changed) only when the flag file changed.
author:
  - datamig developers (!UNKNOWN)
options:
  path:
    description:
      - The flag file the web server checks, for example C(/srv/mysite/maintenance.json).
      - Its directory must exist.
    type: path
    required: true
  state:
    description:
      - V(on) puts the site in maintenance, V(off) takes it out.
    type: str
    choices: ["on", "off"]
    default: "on"
  reason:
    description:
      - Text shown on the maintenance page.
    type: str
    default: Scheduled maintenance
  run_id:
    description:
      - Identifier of the run that turned maintenance on (recorded in the flag file).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The flag file is created with mode C(0644) less the umask unless O(mode) is given; the
    web server's user must be able to see it.
seealso:
  - module: datamig.site.lock
  - module: datamig.site.journal
"""

EXAMPLES = r"""
- name: Maintenance page on while the site is upgraded
  datamig.site.maintenance:
    path: /srv/mysite/maintenance.json
    state: "on"
    reason: Upgrade to version 2.4, back in a few minutes
    run_id: "{{ datamig_run_id }}"
    owner: mysite
    group: www-data
    mode: "0640"

- name: Maintenance page off
  datamig.site.maintenance:
    path: /srv/mysite/maintenance.json
    state: "off"
  register: maintenance_off

- name: Show how long the site was down
  ansible.builtin.debug:
    msg: "Maintenance began at {{ maintenance_off.since }}"
"""

RETURN = r"""
maintenance:
  description: Whether the site is in maintenance after the task (the flag file exists).
  returned: always
  type: bool
  sample: true
since:
  description:
    - When the current maintenance began (UTC, ISO 8601). After O(state=off), when the
      maintenance that was just ended had begun; V(null) if the site was not in maintenance.
  returned: always
  type: str
  sample: "2026-11-24T14:03:12.250301Z"
reason:
  description: The text of the maintenance page (V(null) when not in maintenance).
  returned: always
  type: str
  sample: Upgrade to version 2.4, back in a few minutes
"""

import datetime  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def mtime_iso(path):
    stamp = datetime.datetime.fromtimestamp(os.stat(path).st_mtime, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_flag(path):
    """The flag file's content as a dict, None if there is no flag file.

    A flag file that is not our JSON (made by hand, say) still means maintenance is on;
    it reads as an empty reason since the file's modification time.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    try:
        content = json.loads(raw.decode("utf-8"))
    except ValueError:
        content = None
    if not isinstance(content, dict) or not isinstance(content.get("since"), str):
        return {"reason": None, "since": mtime_iso(path), "run_id": None, "foreign": True}
    return content


def write_flag(module, path, content):
    """Write content as JSON beside path, fsync it, then rename it over path."""
    directory = os.path.dirname(path) or "."
    fd, tmp_path = tempfile.mkstemp(prefix=".maintenance-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(json.dumps(content, indent=2, sort_keys=True).encode("utf-8") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    except Exception:
        os.unlink(tmp_path)
        raise
    module.atomic_move(tmp_path, path, unsafe_writes=module.params["unsafe_writes"])


def maintenance_on(module, path, existing):
    """Return (changed, content) after making sure the flag file says what we want."""
    params = module.params
    wanted = {
        "reason": params["reason"],
        "since": existing["since"] if existing else utc_now(),
        "run_id": params["run_id"],
    }
    if existing == wanted:
        return False, wanted
    if not module.check_mode:
        write_flag(module, path, wanted)
    return True, wanted


def maintenance_off(module, path, existing):
    if existing is None:
        return False
    if not module.check_mode:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["on", "off"], default="on"),
            reason=dict(type="str", default="Scheduled maintenance"),
            run_id=dict(type="str"),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = module.params["path"]
    directory = os.path.dirname(path) or "."
    result = dict(changed=False, maintenance=False, since=None, reason=None)

    if not os.path.isdir(directory):
        module.fail_json(
            msg=f"The directory of the flag file does not exist: {directory}", **result
        )
    try:
        existing = read_flag(path)
        if module.params["state"] == "on":
            changed, content = maintenance_on(module, path, existing)
            if os.path.exists(path):
                file_args = module.load_file_common_arguments(module.params, path=path)
                changed = module.set_fs_attributes_if_different(file_args, changed)
            result.update(maintenance=True, since=content["since"], reason=content["reason"])
        else:
            changed = maintenance_off(module, path, existing)
            if existing is not None:
                result.update(since=existing.get("since"))
        result["changed"] = changed
    except (OSError, UnicodeError) as exc:
        module.fail_json(msg=f"Maintenance flag file {path}: {to_native(exc)}", **result)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
