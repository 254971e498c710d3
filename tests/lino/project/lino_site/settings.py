"""Settings of a small Lino Così demo site, built on the application's own Site class.

The demo projects of lino_book do not run with the current lino, so this module does
what they do (compare lino_book's ``cosi1``): subclass the published application's
``Site`` and instantiate it with ``globals()``. Run with the Lino venv
(tests/lino/setup_lino_env.sh), e.g. ``manage.py prep --noinput``.

Environment:

- ``LINO_SITE_DIR``: where Lino writes its files (media, uploads, caches); default
  ``.work/lino-site`` at the repository root. Nothing is written beside this file.
- ``LINO_DB_VENDOR``: ``sqlite`` (default) or ``postgresql`` (127.0.0.1:5432, user
  ``postgres``; ``LINO_DB_HOST``, ``LINO_DB_PORT``, ``LINO_DB_USER`` override).
- ``LINO_DB_NAME``: the SQLite file (default ``<LINO_SITE_DIR>/default.db``) or the
  PostgreSQL database (default ``lino_cosi``).
"""

import os
from pathlib import Path

from lino_cosi.lib.cosi.settings import *  # noqa: F403

_ROOT = Path(__file__).resolve().parents[4]
SITE_DIR = Path(os.environ.get("LINO_SITE_DIR") or _ROOT / ".work" / "lino-site").resolve()


class Site(Site):  # noqa: F405
    """Lino Così with the demo data of lino_book's cosi1: three languages (every
    BabelField gets ``_de`` and ``_fr`` columns), vouchers (multi-table inheritance)
    and their generic links, on a fixed demo date."""

    is_demo_site = True
    the_demo_date = 20250312
    languages = "en de fr"
    default_ui = "lino_react.react"  # the Site's default, lino_extjs, is not on PyPI
    site_locale = "C.UTF-8"  # Lino logs a warning to stdout for a missing de_BE locale
    demo_fixtures = [
        "std",
        "minimal_ledger",
        "furniture",
        "demo",
        "demo_bookings",
        "payments",
        "demo2",
        "demo3",
        "checkdata",
    ]

    def init_before_local(self, settings_globals, local_apps):
        super().init_before_local(settings_globals, local_apps)
        self.site_dir = SITE_DIR  # media, static and caches: not beside this file

    def get_plugin_configs(self):
        yield super().get_plugin_configs()
        yield ("vat", "declaration_plugin", "lino_xl.lib.bevat")
        yield ("accounting", "payer_model", "contacts.Person")
        yield ("periods", "start_year", 2023)


SITE = Site(globals())

_vendor = os.environ.get("LINO_DB_VENDOR", "sqlite")
if _vendor == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("LINO_DB_NAME") or str(SITE_DIR / "default.db"),
        }
    }
elif _vendor == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("LINO_DB_NAME") or "lino_cosi",
            "HOST": os.environ.get("LINO_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("LINO_DB_PORT", "5432"),
            "USER": os.environ.get("LINO_DB_USER", "postgres"),
        }
    }
else:
    raise RuntimeError(f"LINO_DB_VENDOR={_vendor!r}: choose sqlite or postgresql")

SECRET_KEY = "datamig-lino-test-only"
DEBUG = False
