# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter datamig.site.window_hooks (documented in window_hooks.yml)."""

from ansible.errors import AnsibleFilterError
from ansible_collections.datamig.site.plugins.module_utils.hooks import window_hooks


def _filter(spec):
    try:
        return window_hooks(spec)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"window_hooks": _filter}
