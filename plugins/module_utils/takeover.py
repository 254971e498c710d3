# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An adopted site put under datamig's layout, with nothing its code depends on moved.

The site keeps its project folder, its settings file and the path of its virtualenv. Beside
them, datamig keeps a site root of its own (the adoption's state folder), laid out as for
the sites it deploys (module_utils/site_state.py), so that the same upgrade, rollback and
snapshot playbooks work on it:

- ``releases/adopted-<stamp>/``: the release the site runs now. Its ``venv`` is a symlink to
  the site's own virtualenv, its ``manage.py`` a small one that puts the site's Python path
  first (the adopted code is not in the release folder);
- ``current`` points at it, and the path where the site expects its virtualenv (getlino's
  ``<prj>/env``, a hand-deployed site's ``venv``) becomes a symlink to ``<root>/current/venv``:
  an upgrade builds the new virtualenv at its final path (``releases/<version>-<stamp>/venv``,
  whose scripts' shebangs name that path) and switches ``current``, a rollback switches it
  back. A virtualenv that was a real folder is renamed beside itself
  (``<path>.datamig-adopted``), never copied: its scripts name ``<path>/bin/python``, which
  keeps resolving, through the symlinks, to the release that is live;
- ``shared/site.env``: the live database's name (``db_name_var``) and the site's Python
  path, read by every datamig run;
- one managed block at the end of the settings file makes the site's own processes read the
  live database's name from site.env (the engine's ``datamig.live_database``), so that an
  upgrade switches to a new database by rewriting one line of site.env, as for its own sites;
- an nginx site gets one ``include`` line per ``server {`` that serves datamig's maintenance
  page while the maintenance flag exists;
- the site's cron jobs that would interfere (getlino's daily ``make_snapshot_<prj>``, which
  stops supervisor for every site of the server) get two lines after their ``#!`` that
  exit while the maintenance flag exists: nothing to put back when a window ends, however
  it ends.

:func:`plan` says what :func:`apply` would do; both are idempotent: a site already taken
over gives an empty plan. Every write is atomic (a temporary file renamed), and the one
moment the virtualenv's path is missing is between two renames.
"""

import os
import re
import time

from ansible_collections.datamig.site.plugins.module_utils import journal, services, site_state
from ansible_collections.datamig.site.plugins.module_utils.site_env import quote

BLOCK_BEGIN = "# BEGIN datamig.site: the live database (added by datamig's adoption; do not edit)"
BLOCK_END = "# END datamig.site"
NGINX_MARK = "# datamig.site: maintenance page"
CRON_MARK = "# datamig.site: nothing while datamig upgrades this site (its maintenance flag)"
MOVED_SUFFIX = ".datamig-adopted"
ADOPTED_PREFIX = "adopted-"
SERVER_LINE = re.compile(r"^(\s*)server\s*\{\s*(#.*)?$")

MANAGE_PY = '''#!/usr/bin/env python
"""manage.py of the adopted site {name} (written by datamig's adoption): the site's own
code is not in this folder; its Python path comes first, as the site's own scripts put it."""
import os
import sys

sys.path[:0] = {path!r}
os.environ.setdefault("DJANGO_SETTINGS_MODULE", {settings!r})

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
'''

NGINX_SNIPPET = """# datamig.site: the maintenance page of site {name}, served while {flag} exists
# (written by datamig's adoption; included by the site's own configuration)
set $datamig_maintenance "";
if (-f {flag}) {{
    set $datamig_maintenance on;
}}
if ($uri = /datamig-maintenance.html) {{
    set $datamig_maintenance "";
}}
if ($datamig_maintenance) {{
    return 503;
}}
error_page 503 /datamig-maintenance.html;
location = /datamig-maintenance.html {{
    root {folder};
    internal;
}}
"""

MAINTENANCE_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Maintenance</title></head>
<body>
<h1>{name} is being upgraded</h1>
<p>We will be back in a few minutes.</p>
</body>
</html>
"""


class TakeoverError(Exception):
    """The site cannot be put under datamig's layout; the message says why."""


def settings_file(site):
    """The settings module's file under the site's Python path (or the project folder)."""
    relative = site["settings_module"].replace(".", os.sep) + ".py"
    for base in (site.get("python_path") or "", site["project_dir"]):
        candidate = os.path.join(base, relative)
        if base and os.path.isfile(candidate):
            return candidate
    raise TakeoverError(
        "the settings module {} is no file under {}".format(
            site["settings_module"], site.get("python_path") or site["project_dir"]
        )
    )


def python_path(site):
    """The folders the site's code needs on sys.path (its Python path, its project folder)."""
    found = []
    for folder in (site.get("python_path") or "", site["project_dir"]):
        if folder and folder not in found:
            found.append(folder)
    return found


def managed_block(site_env_path, db_name_var):
    return "\n".join(
        [
            BLOCK_BEGIN,
            "from datamig.live_database import database_name as _datamig_database_name",
            "",
            'DATABASES["default"]["NAME"] = _datamig_database_name(',
            f"    {site_env_path!r}, {db_name_var!r}",
            ")",
            BLOCK_END,
            "",
        ]
    )


def with_block(text, block):
    """The settings text with the managed block at its very end, after anything that sets
    DATABASES (an earlier block is taken out, the operator's lines kept as they are)."""
    if BLOCK_BEGIN in text and BLOCK_END in text:
        head, rest = text.split(BLOCK_BEGIN, 1)
        tail = rest.split(BLOCK_END, 1)[1]
        text = head.rstrip("\n") + ("\n" if head.strip() else "") + tail.lstrip("\n")
    text = text.rstrip("\n")
    return (text + "\n\n" if text else "") + block


def with_include(text, include_line):
    """The nginx configuration with include_line after every ``server {`` line."""
    lines = text.splitlines()
    out = []
    servers = 0
    for index, line in enumerate(lines):
        out.append(line)
        match = SERVER_LINE.match(line)
        if not match:
            continue
        servers += 1
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if following != include_line.strip():
            out.append(match.group(1) + "    " + include_line.strip())
    if not servers:
        raise TakeoverError(
            "found no 'server {' line in the web server's configuration to add the "
            "maintenance page to"
        )
    return "\n".join(out) + "\n"


def with_cron_guard(text, flag):
    """A cron job's script that exits at once while the maintenance flag exists (after its
    ``#!`` line): getlino's daily snapshot stops supervisor for every site of the server."""
    guard = f"{CRON_MARK}\n[ -e {flag} ] && exit 0\n"
    lines = text.splitlines(keepends=True)
    shell = lines[0].strip() if lines and lines[0].startswith("#!") else ""
    if not re.match(r"#!\s*(/usr)?/bin/(env\s+)?(ba|da|k|z)?sh\b", shell):
        raise TakeoverError(
            "cannot keep the cron job from running during an upgrade: it is no shell script"
            f" ({shell or 'no #! line'})"
        )
    if CRON_MARK in text:
        index = next(i for i, line in enumerate(lines) if line.startswith(CRON_MARK))
        lines[index : index + 2] = [guard]
        return "".join(lines)
    return lines[0] + guard + "".join(lines[1:])


def cron_jobs(site):
    """The cron jobs of the site that must not run during an upgrade."""
    jobs = [site.get("cron_snapshot") or "", *(site.get("cron_jobs") or [])]
    return [job for job in jobs if job]


def taken_over(root, site):
    """The release the site was taken over with, when it already was ("" if not)."""
    paths = site_state.layout(root)
    link = site["env_link"]
    wanted = os.path.join(paths["current_link"], "venv")
    if (
        os.path.islink(link)
        and os.readlink(link) == wanted
        and os.path.islink(paths["current_link"])
    ):
        return os.path.realpath(paths["current_link"])
    return ""


def plan(site, root, db_name_var, version, stamp=None):
    """What :func:`apply` does, as ``[(action, detail)]``, empty for a site taken over."""
    if site["web_server"].get("kind") not in ("nginx", ""):
        raise TakeoverError(
            "the maintenance page for {} is not written yet: only nginx sites are taken over".format(
                site["web_server"].get("kind")
            )
        )
    if not db_name_var or not re.match(r"[A-Za-z_][A-Za-z0-9_]*\Z", db_name_var):
        raise TakeoverError(f"db_name_var {db_name_var!r} is not a shell variable name")
    paths = site_state.layout(root)
    steps = []
    web = site["web_server"].get("config") or ""
    if web:  # first: the one change a check (nginx -t) can refuse
        with open(web, encoding="utf-8") as handle:
            web_text = handle.read()
        if with_include(web_text, include_line(paths)) != web_text:
            steps.append(("web_server", web))
    settings = settings_file(site)
    current = taken_over(root, site)
    if not current and os.path.lexists(paths["current_link"]):
        # taken over before, and the virtualenv's path changed since (a reinstall?): taking
        # it over again would name the settings' database live, maybe not the live one
        raise TakeoverError(
            "{} exists: the site was taken over before, but {} no longer links to {}; link it"
            " back (ln -sfn {} {}) or move {} away to adopt the site anew".format(
                paths["current_link"],
                site["env_link"],
                os.path.join(paths["current_link"], "venv"),
                os.path.join(paths["current_link"], "venv"),
                site["env_link"],
                root,
            )
        )
    if not current:
        link = site["env_link"]
        if not os.path.lexists(link):
            raise TakeoverError(f"the site has no virtualenv at {link}")
        if os.path.islink(link):
            target = os.path.realpath(link)
        else:
            target = link + MOVED_SUFFIX
            if os.path.lexists(target):
                raise TakeoverError(f"{target} is in the way (left by an earlier adoption?)")
        stamp = stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        release = os.path.join(paths["releases_dir"], ADOPTED_PREFIX + stamp)
        steps += [
            ("release", release),
            ("venv", target),
            ("site_env", paths["site_env_path"]),
            ("current", release),
            ("env_link", link),
            ("journal", paths["journal_path"]),
        ]
    with open(settings, encoding="utf-8") as handle:
        text = handle.read()
    block = managed_block(paths["site_env_path"], db_name_var)
    if with_block(text, block) != text:
        steps.append(("settings", settings))
    for job in cron_jobs(site):
        if not os.path.isfile(job):
            raise TakeoverError(f"the cron job {job} is no file")
        with open(job, encoding="utf-8") as handle:
            text = handle.read()
        try:
            guarded = with_cron_guard(text, paths["maintenance_flag"])
        except TakeoverError as exc:
            raise TakeoverError(f"{job}: {exc}") from None
        if guarded != text:
            steps.append(("cron_guard", job))
    return steps, {"version": str(version), "stamp": stamp}


def include_line(paths):
    return "include {};  {}".format(
        os.path.join(paths["maintenance_dir"], "nginx.conf"), NGINX_MARK
    )


def _write(path, text, mode, keep_owner=True):
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        pass
    services.write_atomically(path, text.encode("utf-8"), mode, keep_owner=keep_owner)


def _makedirs(path, mode=0o755):
    if not os.path.isdir(path):
        os.makedirs(path, mode=mode)
        os.chmod(path, mode)  # makedirs' mode is masked by the umask


def apply(site, root, db_name_var, version, check_web=None, stamp=None, gid=None):
    """Take the site over (see the module doc); what was done, as :func:`plan` says it.

    check_web(): run after the web server's configuration is changed (e.g. ``nginx -t``);
    when it raises, the configuration is put back as it was. gid: the group of the user the
    site's processes run as, given ``shared/`` and site.env (they read the live database's
    name there) when this runs as root."""
    steps, facts = plan(site, root, db_name_var, version, stamp)
    paths = site_state.layout(root)
    done = dict(steps)
    for parent in (os.path.dirname(root.rstrip("/")), root):
        _makedirs(parent)
    # first what can be refused (the web server's check), before the site's paths change
    if "web_server" in done:
        _maintenance_files(site, paths)
        web = done["web_server"]
        with open(web, encoding="utf-8") as handle:
            before = handle.read()
        _write(web, with_include(before, include_line(paths)), 0o644)
        if check_web is not None:
            try:
                check_web()
            except Exception:
                _write(web, before, 0o644)
                raise
    if "release" in done:
        release, target = done["release"], done["venv"]
        _makedirs(paths["releases_dir"])
        _makedirs(paths["bin_dir"])
        _makedirs(release)
        os.symlink(target, os.path.join(release, "venv"))
        _write(
            os.path.join(release, "manage.py"),
            MANAGE_PY.format(
                name=site["name"], path=python_path(site), settings=site["settings_module"]
            ),
            0o755,
            keep_owner=False,
        )
        _makedirs(paths["shared_dir"], 0o750)
        env = {
            db_name_var: site["database"]["name"],
            "PYTHONPATH": ":".join(python_path(site)),
        }
        header = [
            f"# shared/site.env of the adopted site {site['name']} (datamig): the live database",
            "# and the site's Python path; an upgrade's switch rewrites " + db_name_var,
        ]
        body = [f"{key}={quote(value)}" for key, value in sorted(env.items())]
        _write(paths["site_env_path"], "\n".join(header + body) + "\n", 0o640, keep_owner=False)
        if gid is not None and os.geteuid() == 0:
            for path in (paths["shared_dir"], paths["site_env_path"]):
                os.chown(path, 0, gid)
        services.replace_link(paths["current_link"], release)
        _switch_env_link(site["env_link"], target, os.path.join(paths["current_link"], "venv"))
        journal.append_record(paths["journal_path"], _adopted_record(site, release, facts))
    if "settings" in done:
        with open(done["settings"], encoding="utf-8") as handle:
            text = handle.read()
        _write(
            done["settings"],
            with_block(text, managed_block(paths["site_env_path"], db_name_var)),
            0o644,
        )
    for action, job in steps:
        if action == "cron_guard":
            with open(job, encoding="utf-8") as handle:
                text = handle.read()
            _write(job, with_cron_guard(text, paths["maintenance_flag"]), 0o755)
    return steps


def _maintenance_files(site, paths):
    folder = paths["maintenance_dir"]
    _makedirs(folder)
    _write(
        os.path.join(folder, "nginx.conf"),
        NGINX_SNIPPET.format(name=site["name"], flag=paths["maintenance_flag"], folder=folder),
        0o644,
        keep_owner=False,
    )
    _write(
        os.path.join(folder, "datamig-maintenance.html"),
        MAINTENANCE_HTML.format(name=site["name"]),
        0o644,
        keep_owner=False,
    )


def _switch_env_link(link, moved, wanted):
    """The site's virtualenv path made a symlink to ``wanted`` (``<root>/current/venv``).

    A real folder is first renamed to ``moved``: the link is made beside it, then the folder
    and the link are renamed, so the path is missing only between those two renames."""
    if os.path.islink(link):
        services.replace_link(link, wanted)
        return
    tmp = f"{link}.datamig-{os.getpid()}"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(wanted, tmp)
    os.rename(link, moved)
    os.rename(tmp, link)
    services.fsync_directory(os.path.dirname(link))


def _adopted_record(site, release, facts):
    """The journal's finish record of the adoption: the live state it found (its version)."""
    return {
        "time": journal.utc_now(),
        "run_id": "adopt-" + facts["stamp"],
        "step": journal.FINISH_STEP,
        "status": "done",
        "data": {
            "outcome": "adopted",
            "before": None,
            "live": site_state.state(release, site["database"]["name"], facts["version"]),
            "layout": site["layout"],
        },
    }


def public_plan(steps):
    """The plan as the module returns it."""
    return [{"action": action, "path": detail} for action, detail in steps]
