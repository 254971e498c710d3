"""Content types keep the ids they had in the snapshot.

``migrate`` creates one content type per model of the current code, numbered in the
order it meets the models, which need not be the order the source database met them
in. A restore that kept those would give a model another model's id: foreign keys and
generic foreign keys could be remapped by natural key, but a plain integer or JSON
value holding a content type id (third-party apps keep them so) would then point at
another model, and a restore into the same code would not give back the same database.

So the snapshot records the source's ``django_content_type`` table (``id, app_label,
model``), and a restore replaces what ``migrate`` made with it: every snapshot row
keeps its id; a model of the current code that the snapshot has no content type for
gets one after them (ids above the snapshot's, in ``migrate``'s order); a content type
whose model the current code lacks stays, as Django itself leaves stale content types
(``remove_stale_contenttypes`` deletes them), and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ContentTypeRow = tuple[int, str, str]


def source_content_types(alias: str) -> list[list[Any]] | None:
    """``[[id, app_label, model], ...]`` of the source database, by id; None without
    ``django.contrib.contenttypes`` or where the routers keep content types elsewhere."""
    from django.apps import apps
    from django.db import connections

    from .rows import migrated_into

    if not apps.is_installed("django.contrib.contenttypes"):
        return None
    from django.contrib.contenttypes.models import ContentType

    if not migrated_into(ContentType, connections[alias]):  # routed to another database
        return None

    rows = ContentType.objects.using(alias).order_by("pk").values_list("pk", "app_label", "model")
    return [[pk, app_label, model] for pk, app_label, model in rows]


@dataclass
class KeptContentTypes:
    """What :func:`keep_ids` did."""

    kept: int = 0
    added: list[tuple[int, str]] = field(default_factory=list)  # (new id, app_label.model)
    stale: list[tuple[int, str]] = field(default_factory=list)  # models the code lacks
    # (app_label, model) as the snapshot's rows name it -> its id in the target
    ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        found = []
        if self.stale:
            shown = ", ".join(f"{name} (id {pk})" for pk, name in self.stale)
            found.append(
                f"content types of models the current code does not have, kept with their "
                f"ids as Django keeps stale content types: {shown}"
            )
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "kept": self.kept,
            "added": [{"id": pk, "model": name} for pk, name in self.added],
            "stale": [{"id": pk, "model": name} for pk, name in self.stale],
        }


def plan_ids(
    snapshot_rows: list[ContentTypeRow],
    migrated_rows: list[ContentTypeRow],
    current: set[str],
    renames: dict[tuple[str, str], tuple[str, str]] | None = None,
) -> tuple[list[ContentTypeRow], KeptContentTypes]:
    """The rows the target's table gets: the snapshot's as they are (a model that the
    migrators rename keeps its id under its new name, as Django's own RenameModel
    does), then the content types ``migrate`` made that the snapshot lacks, numbered
    after the snapshot's.

    ``current``: ``app_label.model`` of every model of the current code; ``renames``:
    (app_label, model) in the snapshot -> (app_label, model) in the current code."""
    result = KeptContentTypes()
    renames = dict(renames or {})
    taken = {(app, model) for _pk, app, model in snapshot_rows}
    rows = []
    for pk, app, model in snapshot_rows:
        result.ids[(app, model)] = int(pk)
        new = renames.get((app, model))
        if new is not None and new not in taken:
            app, model = new
        rows.append((int(pk), app, model))
    rows.sort()
    known = {(app, model) for _pk, app, model in rows}
    next_id = max((pk for pk, _app, _model in rows), default=0) + 1
    for _pk, app, model in sorted(migrated_rows):
        if (app, model) in known:
            continue
        rows.append((next_id, app, model))
        result.added.append((next_id, f"{app}.{model}"))
        known.add((app, model))
        next_id += 1
    result.kept = len(snapshot_rows)
    result.stale = [
        (pk, f"{app}.{model}")
        for pk, app, model in rows[: len(snapshot_rows)]
        if f"{app}.{model}" not in current
    ]
    return rows, result


def keep_ids(
    target: Any,
    snapshot_rows: list[list[Any]] | None,
    renames: dict[tuple[str, str], tuple[str, str]] | None = None,
) -> KeptContentTypes | None:
    """Replace the target's content types (and the permissions that point at them,
    which the restore loads or makes again) with the snapshot's ids.

    Runs inside the restore's transaction, after the tables it loads were emptied.
    None when the snapshot recorded no content types (an older snapshot, or a site
    without ``django.contrib.contenttypes``): then rows refer to content types by
    natural key alone, as before."""
    from django.apps import apps

    from .rows import migrated_into

    if snapshot_rows is None or not apps.is_installed("django.contrib.contenttypes"):
        return None
    from django.contrib.contenttypes.models import ContentType

    if not migrated_into(ContentType, target.connection):  # routed to another database
        return None

    table = ContentType._meta.db_table
    quote = target.connection.ops.quote_name
    with target.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('id')}, {quote('app_label')}, {quote('model')} FROM {quote(table)}"
        )
        migrated = [(int(pk), app, model) for pk, app, model in cursor.fetchall()]
    current = {
        f"{m._meta.app_label}.{m._meta.model_name}"
        for m in apps.get_models(include_auto_created=True)
    }
    rows, result = plan_ids([tuple(r) for r in snapshot_rows], migrated, current, renames)
    if apps.is_installed("django.contrib.auth"):
        from django.contrib.auth.models import Permission

        target.delete_rows([Permission._meta.db_table])
    target.delete_rows([table])
    target.insert_rows(table, ["id", "app_label", "model"], rows)
    ContentType.objects.clear_cache()
    return result


def model_renames(steps: list[Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """(app_label, model) renames that a migration plan's steps declare, followed
    through the chain (content types name models in lower case)."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for step in steps:
        renames = {_key(old): _key(new) for old, new in getattr(step, "model_renames", {}).items()}
        for first, now in list(found.items()):
            found[first] = renames.get(now, now)
        for old, new in renames.items():
            if old not in found.values():
                found.setdefault(old, new)
    return {old: new for old, new in found.items() if old != new}


def _key(label: str) -> tuple[str, str]:
    app, _, model = label.partition(".")
    return app, model.lower()


def content_type_model() -> Any:
    """The ContentType model when installed (its sequence is reset after the load)."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.contenttypes"):
        return None
    from django.contrib.contenttypes.models import ContentType

    return ContentType
