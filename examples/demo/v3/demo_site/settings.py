"""Settings of the datamig demo site, version 3.

The database is chosen by environment variables (see examples/demo/README.md):
DEMO_DB_VENDOR (sqlite | postgresql | mysql), DEMO_DB_NAME, DEMO_DB_HOST,
DEMO_DB_PORT, DEMO_DB_USER, DEMO_DB_PASSWORD.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent  # the folder of manage.py


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database() -> dict[str, object]:
    vendor = os.environ.get("DEMO_DB_VENDOR", "sqlite").strip().lower()
    if vendor == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("DEMO_DB_NAME") or str(BASE_DIR / "demo.sqlite3"),
        }
    if vendor not in {"postgresql", "mysql"}:
        raise ValueError(f"DEMO_DB_VENDOR={vendor!r}: expected sqlite, postgresql or mysql")
    postgres = vendor == "postgresql"
    database: dict[str, object] = {
        "ENGINE": f"django.db.backends.{vendor}",
        "NAME": os.environ.get("DEMO_DB_NAME") or "datamig_demo",
        "HOST": os.environ.get("DEMO_DB_HOST") or "127.0.0.1",
        "PORT": os.environ.get("DEMO_DB_PORT") or ("5432" if postgres else "3306"),
        "USER": os.environ.get("DEMO_DB_USER") or ("postgres" if postgres else "root"),
        "PASSWORD": os.environ.get("DEMO_DB_PASSWORD", ""),
    }
    if not postgres:
        # utf8mb4: MySQL's "utf8" cannot store emoji and other non-BMP characters.
        database["OPTIONS"] = {"charset": "utf8mb4"}
        database["TEST"] = {"CHARSET": "utf8mb4"}
    return database


SECRET_KEY = os.environ.get(
    "DEMO_SECRET_KEY", "datamig-demo-insecure-development-key-do-not-use-in-production"
)
DEBUG = _env_flag("DEMO_DEBUG")
ALLOWED_HOSTS = ["*"]

DATAMIG = {
    "site": "demo",
    "application": "datamig-demo",
    "version": "3",
    # how rows of older versions become rows of this one (see demo_site/migrators.py)
    "migrators": "demo_site.migrators",
}

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django.contrib.messages",
    "contacts",
    "library",
    "notes",
    "demodata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_site.urls"
WSGI_APPLICATION = "demo_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Brussels"

STATIC_URL = "/static/"
