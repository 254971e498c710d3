"""The live database's name for the settings of a site datamig adopted.

An adopted site keeps its own settings file, with its database written inline. Adoption
adds one managed block at the end of that file (``playbooks/adopt.yml``)::

    # BEGIN datamig.site ...
    from datamig.live_database import database_name as _datamig_database_name
    DATABASES["default"]["NAME"] = _datamig_database_name("/var/lib/datamig/prj/shared/site.env", "PRJ_DB_NAME")
    # END datamig.site ...

so that an upgrade can put a new database beside the old one and switch to it by rewriting
one line of the site's ``shared/site.env``, as it does for the sites it deployed itself:
the site's own processes (started by supervisor, which knows nothing of site.env) read the
name from that file, and datamig's own runs, which give the variable in the environment (a
restore into the new database), win over the file.

The file is read the way ``/bin/sh`` reads the assignments datamig writes there
(``NAME='value'``, shell-quoted); a missing file or variable is an error, never a silent
fall back to the name the settings were written with: that database may be an old one.
"""

from __future__ import annotations

import os
import re
import shlex

_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


class LiveDatabaseError(RuntimeError):
    """site.env does not name the live database."""


def read_assignment(path: str, variable: str) -> str:
    """The value of the last assignment of ``variable`` in the shell file ``path``."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        raise LiveDatabaseError(
            f"cannot read {path} ({exc.strerror}): it names this site's live database"
        ) from None
    found = None
    for number, line in enumerate(lines, 1):
        match = _ASSIGNMENT.match(line.strip())
        if not match or match.group(1) != variable:
            continue
        try:
            words = shlex.split(match.group(2), comments=True, posix=True)
        except ValueError as exc:
            raise LiveDatabaseError(f"{path} line {number}: {exc}") from None
        found = " ".join(words)
    if found is None:
        raise LiveDatabaseError(f"{path} does not set {variable}, the live database's name")
    return found


def database_name(site_env: str, variable: str) -> str:
    """The live database's name: ``variable`` from the environment, else from site.env."""
    value = os.environ.get(variable)
    if value:
        return value
    value = read_assignment(site_env, variable)
    if not value:
        raise LiveDatabaseError(f"{site_env} sets {variable} to nothing")
    return value
