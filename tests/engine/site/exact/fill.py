"""Deterministic nasty data for the test site (every case of docs/design.md, the snapshot)."""

import datetime
import random
import uuid
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import JSONField, Value

UTC = datetime.timezone.utc
TEXTS = [
    "",
    " leading and trailing ",
    "line\r\nbreak",
    "tab\tand\x01control\x1f",
    "Zoë Ω 漢字 🎉 עברית e\u0301",
    "u2028\u2028u2029\u2029 nel\x85",
    "quotes \" and ' and \\ backslash",
    "))\nloader.save(",
]


def value_sets(rng: random.Random, index: int) -> dict:
    text = TEXTS[index % len(TEXTS)] + str(index)
    nulls = index % 7 == 0
    return {
        "big": None if nulls else rng.randint(-(2**63), 2**63 - 1),
        "small": None if nulls else rng.randint(-32768, 32767),
        "positive": None if nulls else rng.randint(0, 2**31 - 1),
        "ratio": None
        if nulls
        else rng.choice([0.1, -2.5e-300, 1e300, 3.141592653589793, rng.random()]),
        "amount": None if nulls else Decimal(rng.randint(-(10**12) + 1, 10**12 - 1)).scaleb(-4),
        "wide_amount": None
        if nulls
        else Decimal(rng.randint(-(10**30) + 1, 10**30 - 1)).scaleb(-10),
        "label": None if index % 5 == 0 else ("" if index % 5 == 1 else text[:200]),
        "body": None if index % 6 == 0 else text * (1 + index % 3),
        "flag": None if nulls else bool(index % 2),
        "day": None
        if nulls
        else datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randint(0, 73000)),
        "moment": None
        if nulls
        else datetime.datetime(2000, 1, 1, tzinfo=UTC)
        + datetime.timedelta(seconds=rng.randint(0, 10**9), microseconds=rng.randint(0, 999999)),
        "clock": None
        if nulls
        else datetime.time(
            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999999)
        ),
        "span": None if nulls else datetime.timedelta(microseconds=rng.randint(-(10**15), 10**15)),
        "token": None if nulls else uuid.UUID(int=rng.getrandbits(128), version=4),
        "blob": None
        if nulls
        else (
            b""
            if index % 3 == 0
            else bytes(rng.getrandbits(8) for _ in range(index % 40)) + b"\x00\xff"
        ),
        "data": _json(rng, index),
        "address": None if nulls else rng.choice(["10.0.0.1", "2001:db8::1", "192.168.1.254"]),
    }


def _json(rng: random.Random, index: int):
    kind = index % 5
    if kind == 0:
        return None  # SQL NULL
    if kind == 1:
        return Value(None, output_field=JSONField())  # JSON null
    if kind == 2:
        return {"b": [1, 2.5, "x\r\n", None, True], "a": {"ü": 2**60}, "n": index}
    if kind == 3:
        return [rng.random(), "🎉", {"deep": [[[]]]}]
    return "just a string"


@transaction.atomic
def fill(rows: int = 200, seed: int = 1) -> None:
    from .models import (
        Club,
        Everything,
        Gadget,
        GadgetLog,
        Keyed,
        KeyedChild,
        Member,
        Membership,
        Note,
        Place,
        Restaurant,
        Tag,
        Team,
    )

    rng = random.Random(seed)
    Everything.objects.bulk_create(Everything(**value_sets(rng, i)) for i in range(rows))
    teams = Team.objects.bulk_create(Team(name=f"team {i}") for i in range(max(2, rows // 20)))
    members = []
    for i in range(max(4, rows // 4)):
        members.append(Member.objects.create(name=f"member {i}", team=rng.choice([*teams, None])))
    for member in members[1:]:
        if rng.random() < 0.7:
            member.mentor = rng.choice(members)
            member.save()
    for team in teams:
        team.captain = rng.choice(members)
        team.save()
    tags = Tag.objects.bulk_create(Tag(name=f"tag {i}") for i in range(5))
    clubs = Club.objects.bulk_create(Club(name=f"club {i}") for i in range(3))
    for member in members:
        member.tags.set(rng.sample(tags, rng.randint(0, 3)))
        for club in rng.sample(clubs, rng.randint(0, 2)):
            Membership.objects.create(
                member=member, club=club, since=datetime.date(2020, 1, 1), fee=Decimal("12.50")
            )
    # Gaps in the automatic M2M ids: the restored rows must keep their ids.
    Member.tags.through.objects.filter(pk__in=Member.tags.through.objects.values("pk")[:3]).delete()
    Place.objects.create(name="just a place")
    for i in range(3):
        Restaurant.objects.create(name=f"restaurant {i}", stars=i)
    keyed = [Keyed.objects.create(name=f"k{i}") for i in range(3)]
    for key in keyed:
        KeyedChild.objects.create(parent=key)
    for obj in members[:5] + list(Place.objects.all()[:3]):
        Note.objects.create(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            text=f"note on {obj}",
        )
    for i in range(3):
        Gadget.objects.create(name=f"gadget {i}")
    # Make the stored rows differ from what save()/auto_now would produce now.
    Gadget.objects.update(
        preview="stored preview",
        created=datetime.datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
        modified=datetime.datetime(2002, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
    )
    GadgetLog.objects.bulk_create(GadgetLog(text=f"log {i}") for i in range(4))
    from django.contrib.auth.models import Permission, User

    for name in ("alice", "bob"):
        user = User.objects.create(
            username=name, password=f"pbkdf2_sha256$1000000${name}salt$c2VjcmV0aGFzaA=="
        )
        user.user_permissions.set(Permission.objects.filter(codename__startswith="view_")[:3])


def fill_everything(rows: int, seed: int = 1, batch: int = 5000) -> None:
    """Many rows of Everything only, in bounded memory (for size and memory tests)."""
    from .models import Everything

    rng = random.Random(seed)
    for start in range(0, rows, batch):
        with transaction.atomic():
            Everything.objects.bulk_create(
                Everything(**value_sets(rng, i)) for i in range(start, min(rows, start + batch))
            )
