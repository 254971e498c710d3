"""The test site with a custom user model (accounts.User) and a second database alias,
"other" (TESTSITE_OTHER_DB_NAME, same vendor), that a router gives the archive app."""

import os

from .settings import *  # noqa: F403
from .settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "accounts", "archive"]
AUTH_USER_MODEL = "accounts.User"
DATABASES["other"] = {
    **DATABASES["default"],
    "NAME": os.environ.get("TESTSITE_OTHER_DB_NAME", "/tmp/datamig-testsite-other.sqlite3"),
}
DATABASE_ROUTERS = ["testsite.routers.ArchiveRouter"]
DATAMIG = {"site": "custom", "application": "datamig-custom", "version": "1"}
