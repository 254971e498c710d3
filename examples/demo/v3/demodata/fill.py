"""Fill an empty, migrated database with a deterministic demo data set."""

import time

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connections, models

from demodata import fill_auth, fill_contacts, fill_library, fill_notes
from demodata.plan import Plan, Source
from demodata.writer import Writer

DEMO_APPS = ["contacts", "library", "notes"]


class NotEmpty(Exception):
    """The database already holds rows that demo_fill would write."""


def target_models() -> list[type[models.Model]]:
    """Every model demo_fill writes to, auto-created many-to-many tables included."""
    result: list[type[models.Model]] = [User, Group, LogEntry, Session]
    for label in DEMO_APPS:
        result.extend(apps.get_app_config(label).get_models())
    for model in list(result):
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through._meta.auto_created and through not in result:
                result.append(through)
    return result


def check_empty(using: str) -> None:
    """Raise ``NotEmpty`` naming the tables that hold rows (or are missing)."""
    existing = set(connections[using].introspection.table_names())
    missing, filled = [], []
    for model in target_models():
        table = model._meta.db_table
        if table not in existing:
            missing.append(table)
        elif model._base_manager.using(using).exists():
            filled.append(table)
    if missing:
        raise NotEmpty(f"tables missing ({_some(missing)}): run 'manage.py migrate' first")
    if filled:
        raise NotEmpty(
            f"the database already holds rows ({_some(filled)}); "
            "demo_fill only fills an empty, freshly migrated database"
        )


def _some(tables: list[str], shown: int = 4) -> str:
    more = len(tables) - shown
    return ", ".join(tables[:shown]) + (f" and {more} more tables" if more > 0 else "")


def fill(rows: int, seed: int, using: str = "default", batch_size: int = 2000) -> tuple[int, float]:
    """Write about ``rows`` rows; return the rows written and the seconds it took."""
    started = time.perf_counter()
    plan = Plan.for_rows(rows)
    try:
        check_empty(using)
    except DatabaseError as error:
        raise NotEmpty(f"cannot read the demo tables ({error}); run migrate first") from error
    writer = Writer(using, batch_size)
    source = Source(seed, writer.connection.vendor)
    for part in (fill_auth, fill_contacts, fill_library, fill_notes):
        part.fill(writer, plan, source)
    writer.reset_sequences()
    return writer.total, time.perf_counter() - started
