"""The test site with the model catalogue: apps ``catalogue`` (every vendor),
``pgcatalogue`` (django.contrib.postgres fields; its models exist on PostgreSQL
only) and ``thirdparty`` (field classes from PyPI). The same database variables as
testsite.settings."""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = [
    "django.contrib.postgres",
    *INSTALLED_APPS,
    "djmoney",
    "phonenumber_field",
    "catalogue",
    "pgcatalogue",
    "thirdparty",
]
DATAMIG = {"site": "catalogue", "application": "datamig-catalogue", "version": "1"}
# django-fernet-encrypted-fields: a key of the test site only
SALT_KEY = ["datamig-test-salt"]
PHONENUMBER_DEFAULT_REGION = "BE"
