# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter datamig.site.new_db_name (documented in new_db_name.yml)."""

from ansible.errors import AnsibleFilterError
from ansible_collections.datamig.site.plugins.module_utils.new_database import new_db_name


def _filter(release, site, vendor, db_dir, given=""):
    try:
        return new_db_name(vendor, site, release, db_dir, given)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"new_db_name": _filter}
