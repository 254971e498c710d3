# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What installing a package into a virtualenv would replace, read from pip itself.

``pip install --dry-run --report -`` says what pip would install (its ``install`` list,
each item's ``metadata`` name and version), ``pip list --format json`` what is there. A
package in both with another version is one the install would replace: in a site's own
virtualenv (an adopted site's), a change to what the site runs on.
"""

import json
import re


class PipReportError(ValueError):
    """pip's output is not what this module reads."""


def canonical(name):
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", str(name)).lower()


def _json(text, what):
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError:
        raise PipReportError(f"{what} is not JSON: {str(text)[:200]!r}") from None


def replaced(report, installed):
    """``["name old -> new", ...]``, sorted: what the install would replace."""
    report = _json(report, "pip's --report")
    installed = _json(installed, "pip list --format json")
    if not isinstance(report, dict) or not isinstance(installed, list):
        raise PipReportError("pip's report or list has not the shape pip gives")
    have = {canonical(item.get("name", "")): str(item.get("version", "")) for item in installed}
    out = []
    for item in report.get("install") or []:
        meta = item.get("metadata") or {}
        name, version = meta.get("name", ""), str(meta.get("version", ""))
        old = have.get(canonical(name))
        if old is not None and old != version:
            out.append(f"{name} {old} -> {version}")
    return sorted(out)
