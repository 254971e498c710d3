# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the site's code as the site's own Unix user.

A snapshot is code, and so is the site: whatever of them runs on the node (the engine's
snapshot, restore, diff and verify, ``manage.py`` commands, the application) runs as the
site's user, not as root. The modules run as root (they manage supervisor, nginx, the
journal); for each engine command they prefix ``setpriv`` (util-linux, on every Debian),
which sets the real and effective user and group, the user's supplementary groups, and
nothing else: the environment (the site's settings, secrets) goes through as it is, with
HOME set to the site's user's home.

No privilege is dropped when the module already runs as that user (a site deployed as the
operator's own user), or when the site's user is root (``datamig_site_user: root``, the
old behaviour, for an adopted site that runs as root).
"""

import os
import pwd
import re

# the portable part of useradd's rule (Debian's NAME_REGEX), 32 characters at most
_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


class RunAsError(Exception):
    """The site's user cannot be used (a bad name, unknown, or no root to become it)."""


def check_name(name):
    """``name`` if it is a valid Unix user name, else RunAsError saying why."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise RunAsError(
            f"{name!r} is not a valid Unix user name (lower-case letters, digits, '_' and '-', "
            "starting with a letter or '_', at most 32 characters): set datamig_site_user"
        )
    return name


def site_user(site, given=""):
    """The site's Unix user: ``given`` (checked), else ``datamig-<site>`` made a valid name
    (lower case, other characters as ``-``, cut to 32 characters)."""
    if given:
        return check_name(given)
    name = "datamig-" + re.sub(r"[^a-z0-9_-]", "-", str(site).lower())
    return check_name(name[:32].rstrip("-") or "datamig")


def command(argv, user, euid=None, getpwnam=pwd.getpwnam, getpwuid=pwd.getpwuid):
    """``(argv, env)``: argv to run as ``user``, and the environment variables to add.

    ``user`` empty or None: argv unchanged. Running as ``user`` already, or ``user`` root
    while root: unchanged. Otherwise, as root, ``setpriv --reuid --regid --init-groups --``
    and HOME of the user; not as root, RunAsError (only root can become another user)."""
    argv = list(argv)
    if not user:
        return argv, {}
    check_name(user)
    euid = os.geteuid() if euid is None else euid
    try:
        entry = getpwnam(user)
    except KeyError:
        raise RunAsError(f"the site's user {user} does not exist on this node") from None
    if entry.pw_uid == euid:
        return argv, {}
    if euid != 0:
        current = getpwuid(euid).pw_name
        raise RunAsError(
            f"cannot run as the site's user {user}: this runs as {current}, and only root "
            "can become another user (become: true, or datamig_site_user: " + current + ")"
        )
    prefix = [
        "setpriv",
        f"--reuid={entry.pw_uid}",
        f"--regid={entry.pw_gid}",
        "--init-groups",
        "--",
    ]
    return prefix + argv, {"HOME": entry.pw_dir or "/", "USER": user, "LOGNAME": user}


def owner_ids(user, euid=None, getpwnam=pwd.getpwnam):
    """``(uid, gid)`` that files made for ``user`` by root must be given (``os.chown``),
    or None when there is nothing to change (no user, not root, or the user is root)."""
    euid = os.geteuid() if euid is None else euid
    if not user or euid != 0:
        return None
    try:
        entry = getpwnam(check_name(user))
    except KeyError:
        raise RunAsError(f"the site's user {user} does not exist on this node") from None
    return None if entry.pw_uid == 0 else (entry.pw_uid, entry.pw_gid)
