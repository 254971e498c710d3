"""Settings of the engine's test site: one app (``exact``) with every core field type.

The database comes from the environment, so one test run can point the same code at
SQLite, PostgreSQL and MariaDB: TESTSITE_DB_VENDOR (sqlite | postgresql | mysql) and
TESTSITE_DB_NAME (a file path for SQLite, a database name otherwise).
"""

import os

VENDOR = os.environ.get("TESTSITE_DB_VENDOR", "sqlite")
NAME = os.environ.get("TESTSITE_DB_NAME", "/tmp/datamig-testsite.sqlite3")
_ENGINES = {
    "sqlite": ("django.db.backends.sqlite3", {}),
    "postgresql": (
        "django.db.backends.postgresql",
        {"HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres"},
    ),
    "mysql": (
        "django.db.backends.mysql",
        {"HOST": "127.0.0.1", "PORT": "3306", "USER": "root", "OPTIONS": {"charset": "utf8mb4"}},
    ),
}
_engine, _extra = _ENGINES[VENDOR]
DATABASES = {"default": {"ENGINE": _engine, "NAME": NAME, **_extra}}
if os.environ.get("TESTSITE_OTHER_DB_NAME"):  # a second database, same vendor
    DATABASES["other"] = {**DATABASES["default"], "NAME": os.environ["TESTSITE_OTHER_DB_NAME"]}
if os.environ.get("TESTSITE_DB_PORT"):
    DATABASES["default"]["PORT"] = os.environ["TESTSITE_DB_PORT"]

SECRET_KEY = "datamig-tests-only"
USE_TZ = True
TIME_ZONE = "Europe/Brussels"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "exact",
]
if os.environ.get("TESTSITE_NOISY"):  # a site that prints on stdout (Lino logs there)
    print("settings: a line on stdout that is not JSON")

DATAMIG = {"site": "testsite", "application": "datamig-testsite", "version": "1"}
