"""run_as: the site's code runs as the site's user - setpriv as root, nothing to do as that
user, a clear refusal otherwise; the default user's name is a valid one."""

import os
import pwd
import subprocess

import pytest

from ansible_collections.datamig.site.plugins.module_utils import run_as  # isort: skip

SITE = pwd.struct_passwd(("datamig-shop", "x", 990, 985, "", "/srv/shop", "/usr/sbin/nologin"))
OPERATOR = pwd.struct_passwd(("ops", "x", 1000, 1000, "", "/home/ops", "/bin/sh"))
ROOT = pwd.struct_passwd(("root", "x", 0, 0, "", "/root", "/bin/sh"))
USERS = {u.pw_name: u for u in (SITE, OPERATOR, ROOT)}


def getpwnam(name):
    return USERS[name]


def getpwuid(uid):
    return next(u for u in USERS.values() if u.pw_uid == uid)


def command(argv, user, euid):
    return run_as.command(argv, user, euid=euid, getpwnam=getpwnam, getpwuid=getpwuid)


def test_root_becomes_the_site_user_with_its_groups_and_home():
    argv, env = command(["/srv/shop/current/venv/bin/python", "-m", "datamig"], "datamig-shop", 0)
    assert argv == [
        "setpriv",
        "--reuid=990",
        "--regid=985",
        "--init-groups",
        "--",
        "/srv/shop/current/venv/bin/python",
        "-m",
        "datamig",
    ]
    assert env == {"HOME": "/srv/shop", "USER": "datamig-shop", "LOGNAME": "datamig-shop"}


@pytest.mark.parametrize(("user", "euid"), [("", 0), (None, 1000), ("root", 0), ("ops", 1000)])
def test_nothing_changes_without_a_user_or_as_that_user(user, euid):
    assert command(["manage.py"], user, euid) == (["manage.py"], {})


def test_another_user_without_root_is_refused_naming_both():
    with pytest.raises(run_as.RunAsError, match="this runs as ops, and only root"):
        command(["x"], "datamig-shop", 1000)


def test_an_unknown_user_is_refused():
    with pytest.raises(run_as.RunAsError, match="datamig-nope does not exist"):
        command(["x"], "datamig-nope", 0)


@pytest.mark.parametrize("bad", ["Shop", "shop site", "-x", "a;rm -rf /", "x" * 33, "ä"])
def test_bad_names_are_refused(bad):
    with pytest.raises(run_as.RunAsError, match="not a valid Unix user name"):
        command(["x"], bad, 0)


@pytest.mark.parametrize(
    ("site", "user"),
    [
        ("shop", "datamig-shop"),
        ("Shop.example", "datamig-shop-example"),
        ("a" * 40, "datamig-" + "a" * 24),
        ("x.-" * 20, "datamig-x--x--x--x--x--x--x--x"),
    ],
)
def test_the_default_user_is_a_valid_name_made_from_the_site(site, user):
    assert run_as.site_user(site) == user
    assert run_as.check_name(user) == user


def test_a_given_user_is_checked_and_kept():
    assert run_as.site_user("shop", "www-data") == "www-data"
    with pytest.raises(run_as.RunAsError):
        run_as.site_user("shop", "WWW")


def test_owner_ids_are_for_root_making_files_of_another_user():
    assert run_as.owner_ids("datamig-shop", euid=0, getpwnam=getpwnam) == (990, 985)
    assert run_as.owner_ids("root", euid=0, getpwnam=getpwnam) is None
    assert run_as.owner_ids("datamig-shop", euid=1000, getpwnam=getpwnam) is None
    assert run_as.owner_ids("", euid=0, getpwnam=getpwnam) is None


def test_setpriv_really_runs_the_command_as_the_user():
    nobody = pwd.getpwnam("nobody")
    argv, env = run_as.command(["id", "-u"], "nobody")
    out = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(nobody.pw_uid)
