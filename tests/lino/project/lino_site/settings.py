"""Settings of a small Lino Amici demo site, built on the application's own Site class.

Environment:

- ``LINO_SITE_DIR``: where Lino writes its files (media, static, cache); default
  ``.work/lino-site`` at the repository root. Nothing is written beside this file.
- ``LINO_DB_VENDOR``: ``sqlite`` (default) or ``postgresql`` (127.0.0.1:5432, user
  ``postgres``; ``LINO_DB_HOST``, ``LINO_DB_PORT``, ``LINO_DB_USER`` override).
- ``LINO_DB_NAME``: the SQLite file (default ``<LINO_SITE_DIR>/default.db``) or the
  PostgreSQL database name (default ``lino_amici``).
"""

import os
from pathlib import Path

from lino_amici.lib.amici.settings import *  # noqa: F403

_ROOT = Path(__file__).resolve().parents[4]
SITE_DIR = Path(os.environ.get("LINO_SITE_DIR") or _ROOT / ".work" / "lino-site").resolve()


class Site(Site):  # noqa: F405
    """Lino Amici as its demo project configures it: three languages (so that every
    BabelField has ``_de`` and ``_fr`` columns) and a fixed demo date (so that two
    ``prep`` runs give the same content)."""

    is_demo_site = True
    the_demo_date = 20191216
    languages = "en de fr"

    def init_before_local(self, settings_globals, local_apps):
        super().init_before_local(settings_globals, local_apps)
        self.site_dir = SITE_DIR


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
            "NAME": os.environ.get("LINO_DB_NAME") or "lino_amici",
            "HOST": os.environ.get("LINO_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("LINO_DB_PORT", "5432"),
            "USER": os.environ.get("LINO_DB_USER", "postgres"),
        }
    }
else:
    raise RuntimeError(f"LINO_DB_VENDOR={_vendor!r}: choose sqlite or postgresql")

SECRET_KEY = "datamig-lino-test-only"
DEBUG = False
