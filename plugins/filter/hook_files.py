# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter datamig.site.hook_files (documented in hook_files.yml)."""

from ansible.errors import AnsibleFilterError
from ansible_collections.datamig.site.plugins.module_utils.hooks import hook_files


def _filter(hooks_dir, base_dir=""):
    try:
        return hook_files(hooks_dir, base_dir)
    except (OSError, ValueError) as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"hook_files": _filter}
