# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter datamig.site.pip_replaced (documented in pip_replaced.yml)."""

from ansible.errors import AnsibleFilterError
from ansible_collections.datamig.site.plugins.module_utils.pip_report import (
    PipReportError,
    replaced,
)


def _filter(report, installed):
    try:
        return replaced(report, installed)
    except PipReportError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"pip_replaced": _filter}
