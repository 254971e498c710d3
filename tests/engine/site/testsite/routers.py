"""The archive app lives in the database alias "other"; everything else in "default"."""

from typing import Any

ARCHIVE = "archive"


class ArchiveRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        return "other" if model._meta.app_label == ARCHIVE else "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return obj1._meta.app_label == obj2._meta.app_label or ARCHIVE not in (
            obj1._meta.app_label,
            obj2._meta.app_label,
        )

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return (app_label == ARCHIVE) == (db == "other")
