"""Users, groups, their permissions, admin log entries and sessions."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models

from demodata import words
from demodata.plan import (
    GROUP_NAMES,
    PERMISSIONS_PER_GROUP,
    PERMISSIONS_PER_USER,
    Plan,
    Source,
)
from demodata.values import Values
from demodata.writer import Writer

#: make_password("demo", salt="datamigdemo2026"): every demo user's password is "demo"
PASSWORD_HASH = "pbkdf2_sha256$1000000$datamigdemo2026$ZLOUUGFUZYuEZy2p/4qu6kwGl2swJ+NKm3ryMKP9DgU="
DEMO_APPS = ["contacts", "library", "notes"]
LOGGED_MODELS = [("contacts", "person"), ("contacts", "organisation"), ("library", "book")]
SESSION_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def fill(writer: Writer, plan: Plan, source: Source) -> None:
    values = source.values("auth")
    writer.insert_all(_users(values, plan))
    writer.insert_all(Group(pk=i + 1, name=name) for i, name in enumerate(GROUP_NAMES))
    permissions = list(
        Permission.objects.using(writer.using)
        .filter(content_type__app_label__in=DEMO_APPS)
        .order_by("content_type__app_label", "content_type__model", "codename")
        .values_list("pk", flat=True)
    )
    writer.insert_all(_group_permissions(permissions))
    writer.insert_all(_user_groups(plan))
    writer.insert_all(_user_permissions(values, plan, permissions))
    writer.insert_all(_log_entries(values, plan, writer.using))
    writer.insert_all(_sessions(values, plan))


def _users(values: Values, plan: Plan) -> list[User]:
    rng = values.rng
    users = []
    for i in range(plan.users):
        first, last = values.person_name()
        password = PASSWORD_HASH if i % 7 != 6 else "!" + "x" * 40  # unusable
        users.append(
            User(
                pk=i + 1,
                username="admin" if i == 0 else f"user{i:03d}",
                password=password,
                first_name=first[:150] if i % 5 else "",
                last_name=last[:150],
                email=values.email(last, i + 2) or "",
                is_staff=i == 0 or rng.random() < 0.3,
                is_superuser=i == 0,
                is_active=i == 0 or rng.random() < 0.9,
                last_login=values.opt_moment(i),
                date_joined=values.moment(),
            )
        )
    return users


def _group_permissions(permissions: list[int]) -> list[models.Model]:
    through = Group.permissions.through
    rows = []
    for g in range(len(GROUP_NAMES)):
        for k in range(PERMISSIONS_PER_GROUP):
            permission = permissions[(g * 7 + k * 3) % len(permissions)]
            rows.append(through(pk=len(rows) + 1, group_id=g + 1, permission_id=permission))
    return rows


def _user_groups(plan: Plan) -> list[models.Model]:
    through = User.groups.through
    rows = []
    for i in range(plan.users):
        groups = [i % 3] + ([(i + 1) % 3] if i % 2 == 0 else [])
        for g in groups:
            rows.append(through(pk=len(rows) + 1, user_id=i + 1, group_id=g + 1))
    return rows


def _user_permissions(values: Values, plan: Plan, permissions: list[int]) -> list[models.Model]:
    through = User.user_permissions.through
    rows = []
    for i in range(1, plan.users):  # the superuser needs none
        for permission in values.rng.sample(permissions, PERMISSIONS_PER_USER):
            rows.append(through(pk=plan.m2m_pk(len(rows)), user_id=i + 1, permission_id=permission))
    return rows


def _log_entries(values: Values, plan: Plan, using: str) -> list[LogEntry]:
    rng = values.rng
    types = [
        ContentType.objects.db_manager(using).get_by_natural_key(app, model)
        for app, model in LOGGED_MODELS
    ]
    entries = []
    for i in range(plan.log_entries):
        kind = i % len(types)
        if kind == 2:
            object_id = plan.book_pk(rng.randrange(plan.books))
        elif kind == 1:
            object_id = plan.organisation_pk(rng.randrange(plan.organisations))
        else:
            object_id = plan.person_pk(rng.randrange(plan.persons))
        flag = rng.choice([ADDITION, CHANGE, DELETION])
        message = (
            '[{"changed": {"fields": ["Name", "Remarks"]}}]'
            if flag == CHANGE
            else rng.choice(["", '[{"added": {}}]', "Imported from the old system."])
        )
        entries.append(
            LogEntry(
                pk=i + 1,
                action_time=values.moment(),
                user_id=rng.randrange(plan.users) + 1,
                content_type_id=types[kind].pk,
                object_id=str(object_id) if i % 9 else None,
                object_repr=values.line(200, words.ODD_WORDS + words.LAST_NAMES),
                action_flag=flag,
                change_message=message,
            )
        )
    return entries


def _sessions(values: Values, plan: Plan) -> list[Session]:
    rng = values.rng
    return [
        Session(
            session_key=f"demo{i:04d}" + "".join(rng.choices(SESSION_CHARS, k=28)),
            session_data=values.line(200, words.ODD_WORDS) + ":" + "A" * rng.randrange(80),
            expire_date=values.moment(),
        )
        for i in range(plan.sessions)
    ]
