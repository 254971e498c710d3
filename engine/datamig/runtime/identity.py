"""Which site and application (and version) the current settings describe."""

from __future__ import annotations

import os
from typing import Any


def site_identity(site: str | None = None) -> dict[str, Any]:
    """Site name and application name/version.

    From ``settings.DATAMIG`` (``site``, ``application``, ``version``) when the site
    declares it; else from a Lino ``settings.SITE``; else from the settings module's
    top-level package and its installed distribution, if any.
    """
    from django.conf import settings

    declared = getattr(settings, "DATAMIG", {}) or {}
    package = os.environ.get("DJANGO_SETTINGS_MODULE", "site").split(".")[0]
    lino_site = getattr(settings, "SITE", None)
    application = declared.get("application")
    version = declared.get("version")
    if lino_site is not None:
        application = application or getattr(lino_site, "verbose_name", None)
        version = version or getattr(lino_site, "version", None)
    application = application or package
    if version is None:
        version = _distribution_version(package)
    return {
        "site": site or declared.get("site") or package,
        "application": {
            "name": str(application),
            "version": None if version is None else str(version),
        },
        "migrators": declared.get("migrators"),
    }


def _distribution_version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def requirements() -> str:
    """The installed distributions, as ``pip freeze`` would list them."""
    from importlib import metadata

    seen = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    return "".join(f"{line}\n" for _key, line in sorted(seen.items()))
