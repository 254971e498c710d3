"""The test site with the model catalogue: apps ``catalogue`` (every vendor) and
``pgcatalogue`` (django.contrib.postgres fields; its models exist on PostgreSQL
only). The same database variables as testsite.settings."""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = ["django.contrib.postgres", *INSTALLED_APPS, "catalogue", "pgcatalogue"]
DATAMIG = {"site": "catalogue", "application": "datamig-catalogue", "version": "1"}
