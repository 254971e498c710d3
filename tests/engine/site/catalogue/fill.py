"""Rows for every model of the catalogue (and of pgcatalogue on PostgreSQL)."""

import datetime
import decimal
import uuid

from django.db import connection, transaction

from .fields import Colour, Point
from .models import (
    Book,
    Chapter,
    City,
    Club,
    Country,
    Everything,
    Grade,
    Legacy,
    Membership,
    Order,
    Person,
    Pizzeria,
    Place,
    Profile,
    Restaurant,
    Tagged,
    TaggedPlace,
    Token,
    Virtual,
    Wider,
)

UTC = datetime.timezone.utc


@transaction.atomic
def fill(rows: int = 30) -> None:
    for i in range(rows):
        thing = Everything.objects.create(
            note=f"n{i}" if i % 3 else "",
            code=f"Code-{i}",
            kind="ab"[i % 2],
            maybe=None if i % 4 == 0 else i - 10,
            blank_text="" if i % 2 else "text",
            null_text=None if i % 3 == 0 else ("" if i % 3 == 1 else "x"),
            select=i,
            mixed=f"M{i}",
            point=None if i % 5 == 0 else Point(i / 3, -i),
            colour=None if i % 4 == 0 else Colour(1 + i % 3),
        )
        if i % 2:
            Profile.objects.create(owner=thing, bio=f"bio {i}")
        if connection.features.supports_virtual_generated_columns:
            Virtual.objects.create(first=f"F{i}", last=f"L{i}")
        Order.objects.create(group=i % 5, where=f"w{i}", user=f"u{i}")
        Wider.objects.create(label=f"wide {i}")
        Grade.objects.create(student=i % 7, term=f"t{i}", mark=i * 3)
    Everything.objects.filter(code="Code-1").update(by_database=-5)
    for b in range(4):
        book = Book.objects.create(title=f"Book {b}")
        for c in (3, 1, 2):
            Chapter.objects.create(book=book, title=f"Chapter {c}")
        # an order of its own, not the order of insertion
        book.set_chapter_order(sorted(book.get_chapter_order(), reverse=True))
    tokens = [Token.objects.create(key=uuid.UUID(int=n * 7919), label=f"t{n}") for n in range(5)]
    countries = [
        Country.objects.create(iso=iso, name=name, slug=name.lower())
        for iso, name in [("BE", "Belgium"), ("EE", "Estonia"), ("FR", "France")]
    ]
    for n in range(12):
        City.objects.create(
            name=f"City {n}",
            country=countries[n % 3],
            by_slug=None if n % 4 == 0 else countries[(n + 1) % 3],
            token=None if n % 3 == 0 else tokens[n % 5],
        )
    people = [Person.objects.create(name=f"P{n}") for n in range(8)]
    clubs = [Club.objects.create(name=f"Club {n}") for n in range(3)]
    for n, person in enumerate(people):
        person.friends.add(people[(n + 1) % 8], people[(n + 3) % 8])
        person.follows.add(people[(n + 2) % 8])
        Membership.objects.create(
            person=person,
            club=clubs[n % 3],
            role="chair" if n < 3 else "member",
            since=datetime.date(2020, 1, 1) + datetime.timedelta(days=n * 40),
        )
    for n in range(5):
        Place.objects.create(name=f"Place {n}")
        Restaurant.objects.create(name=f"Restaurant {n}", serves_pizza=n % 2 == 0)
        Pizzeria.objects.create(name=f"Pizzeria {n}", serves_pizza=True, ovens=n)
        Tagged.objects.create(tag=f"only tag {n}")
        TaggedPlace.objects.create(name=f"Both {n}", tag=f"tag {n}", both=f"b{n}")
    Legacy.objects.create(id=1, label="kept by the site")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_wider SET unknown_flag = id")
    if connection.vendor == "postgresql":
        _fill_postgres(rows)
    from thirdparty.fill import fill as fill_thirdparty

    fill_thirdparty(rows)


def _fill_postgres(rows: int) -> None:
    from django.db.backends.postgresql.psycopg_any import DateTimeTZRange, NumericRange
    from pgcatalogue.models import Arrays, Tagging

    for i in range(rows):
        empty = i % 6 == 0
        arrays = Arrays.objects.create(
            numbers=[] if empty else [i, -i, 2**31 - 1],
            words=None if i % 5 == 0 else ["a", "", "with,comma", 'quo"te', "ünï"],
            days=None if empty else [datetime.date(2026, 1, 1 + i % 28)],
            grid=None if empty else [[decimal.Decimal("1.500"), decimal.Decimal(i)]] * 2,
            attributes=None if empty else {"k": str(i), "empty": "", "none": None},
            ages=None if i % 4 == 0 else NumericRange(i, i + 10 if i % 3 else None),
            amounts=NumericRange(decimal.Decimal("0.5"), decimal.Decimal(i) + 1, "[]"),
            during=None
            if empty
            else DateTimeTZRange(
                datetime.datetime(2026, 1, 1, 12, 0, 0, i, tzinfo=UTC),
                datetime.datetime(2026, 2, 1, tzinfo=UTC),
            ),
            name=f"Name{i}",
        )
        Tagging.objects.create(arrays=arrays, tags=[f"t{i}", "x"])
