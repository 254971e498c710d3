# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The name of an upgrade's new database, decided before its maintenance window.

The new release is ``releases/<version>-<run id>``; its database is named after it, so
that a run's release and database go together (and each run has its own):

- SQLite: ``<shared/db>/<site>-<release name>.sqlite3``;
- PostgreSQL, MariaDB: ``<site>_<release name>``, the site cut to 30 and the release name
  to its last 32 characters, lower case, every character but ``[a-z0-9_]`` made ``_``:
  at most 63 characters, a name neither server needs quoted.
"""

import os
import re

SERVER_NAME_OTHER = re.compile(r"[^a-z0-9_]")


def new_db_name(vendor, site, release, db_dir, given=""):
    """The new database of the release ``release`` (a folder or its name) of ``site``;
    ``given`` (the operator's choice) wins when not empty."""
    if given:
        return given
    name = os.path.basename(str(release).rstrip("/"))
    if not site or not name:
        raise ValueError(f"a new database needs a site and a release (got {site!r}, {release!r})")
    if vendor == "sqlite":
        return os.path.join(db_dir, f"{site}-{name}.sqlite3")
    return SERVER_NAME_OTHER.sub("_", f"{site[:30]}_{name[-32:]}".lower())
