"""Users (of the custom model), their groups, permissions and notes; archive records."""

import datetime

from archive.models import Record
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import Note, User


def fill(rows: int = 20) -> None:
    with transaction.atomic():
        group = Group.objects.create(name="editors")
        group.permissions.set(Permission.objects.filter(codename__endswith="_note"))
        for i in range(rows):
            user = User.objects.create(
                username=f"user{i}", nickname=f"nick {i}", password=f"pbkdf2_sha256$x${i}"
            )
            if i % 2:
                user.groups.add(group)
            if i % 3 == 0:
                user.user_permissions.add(Permission.objects.get(codename="view_user"))
            Note.objects.create(author=user, text=f"note {i}")
    with transaction.atomic(using="other"):
        parent = None
        for i in range(rows):
            parent = Record.objects.create(
                title=f"record {i}",
                stamp=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
                + datetime.timedelta(hours=i, microseconds=i),
                parent=parent if i % 2 else None,
            )
