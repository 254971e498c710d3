# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter datamig.site.site_user (documented in site_user.yml)."""

from ansible.errors import AnsibleFilterError
from ansible_collections.datamig.site.plugins.module_utils.run_as import RunAsError, site_user


def _filter(site, given=""):
    try:
        return site_user(site, given)
    except RunAsError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"site_user": _filter}
