"""Version 2 of a small site whose version 2 adds required fields without a default
(tests/engine/test_new_required_fields.py). SQLite or PostgreSQL, from the environment:
NEWFIELD_DB_VENDOR, NEWFIELD_DB_NAME."""

import os

VENDOR = os.environ.get("NEWFIELD_DB_VENDOR", "sqlite")
NAME = os.environ.get("NEWFIELD_DB_NAME", "/tmp/datamig-newfield.sqlite3")
_ENGINES = {
    "sqlite": ("django.db.backends.sqlite3", {}),
    "postgresql": (
        "django.db.backends.postgresql",
        {"HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres"},
    ),
}
_engine, _extra = _ENGINES[VENDOR]
DATABASES = {"default": {"ENGINE": _engine, "NAME": NAME, **_extra}}
SECRET_KEY = "datamig-tests-only"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "stock"]
DATAMIG = {"site": "newfield", "application": "newfield", "version": "2"}
