"""Categories (a tree in random key order), libraries, books and their authors,
copies and loans."""

import random
from collections.abc import Iterator
from datetime import timedelta

from django.db import models

from demodata import words
from demodata.plan import Plan, Source
from demodata.values import Values
from demodata.writer import Writer
from library.models import Book, Category, Copy, Library, Loan


def fill(writer: Writer, plan: Plan, source: Source) -> None:
    countries = [row[0] for row in words.COUNTRIES[: plan.countries]]
    writer.insert_all(_categories(source.values("library.category"), plan))
    writer.update(_category_parents(source.rng("library.category.parent"), plan), ["parent"])
    writer.insert_all(_libraries(source.values("library.library"), plan, countries))
    writer.insert_all(_books(source.values("library.book"), plan))
    writer.insert_all(_book_authors(source.rng("library.book.authors"), plan))
    writer.insert_all(_copies(source.values("library.copy"), plan))
    writer.insert_all(_loans(source.values("library.loan"), plan))


def _categories(values: Values, plan: Plan) -> Iterator[Category]:
    rng = values.rng
    for i in range(plan.categories):
        n = rng.randrange(len(words.CATEGORY_NAMES))
        yield Category(
            pk=i + 1,
            name=values.nasty(words.CATEGORY_NAMES[n]),
            # like a babel field: a language without a name is left empty
            name_de=values.nasty(words.CATEGORY_NAMES_DE[n]) if rng.random() < 0.6 else "",
            position=values.small_positive(),
            description=values.paragraph(2) if rng.random() < 0.5 else "",
        )


def _category_parents(rng: random.Random, plan: Plan) -> Iterator[Category]:
    """A tree whose parents come before or after their children in key order."""
    order = list(range(1, plan.categories + 1))
    rng.shuffle(order)
    for position, pk in enumerate(order):
        if position and rng.random() < 0.75:
            yield Category(pk=pk, parent_id=order[rng.randrange(position)])


def _libraries(values: Values, plan: Plan, countries: list[str]) -> Iterator[Library]:
    rng = values.rng
    for i in range(plan.libraries):
        city = values.line(100, words.CITIES)
        opens = values.opt_clock(i)
        yield Library(
            pk=i + 1,
            name=f"{rng.choice(['Bibliothèque', 'Stadtbibliothek', 'Library', '図書館'])} {city}"[
                :200
            ],
            street=values.opt_line(200, words.STREETS, i),
            city=city,
            country_id=rng.choice(countries) if i else None,
            latitude=values.decimal(8, 6) if i % 5 else None,  # |value| < 100
            longitude=values.decimal(9, 6) if i % 5 else None,
            opens=opens,
            closes=values.clock() if opens else None,
            code=f"LIB-{i:04d}",
            website=values.opt_line(200, ["https://bib.example/", "http://例え.jp/図書館"], i),
            founded=values.opt_day(i, wide=True),
            is_public=rng.random() < 0.8,
            annual_budget=values.opt_decimal(20, 6, i),
        )


def _books(values: Values, plan: Plan) -> Iterator[Book]:
    rng = values.rng
    for i in range(plan.books):
        title = " ".join(rng.choices(words.BOOK_WORDS, k=rng.randint(1, 5)))
        publisher = (
            plan.organisation_pk(rng.randrange(plan.organisations)) if rng.random() < 0.7 else None
        )
        yield Book(
            pk=plan.book_pk(i),
            title=values.nasty(title)[:200],
            subtitle=values.opt_line(200, words.SENTENCES, i),
            summary=values.opt_paragraph(i),
            isbn=f"978{rng.randrange(10**10):010d}" if rng.random() < 0.8 else "",
            published=values.opt_day(i, wide=True),
            pages=values.opt_small_positive(i),
            price=values.opt_decimal(20, 6, i),
            weight_kg=values.opt_real(i, scale=5.0),
            cover=values.opt_bytes(i),
            metadata=values.json(i),
            uid=values.uid(),
            available=rng.random() < 0.8,
            category_id=rng.randrange(plan.categories) + 1 if i % 10 else None,
            publisher_id=publisher,
        )


def _book_authors(rng: random.Random, plan: Plan) -> Iterator[models.Model]:
    """Exactly ``plan.book_authors`` rows, distinct persons per book."""
    through = Book.authors.through
    row = 0
    for i in range(plan.books):
        count = plan.share(i, plan.book_authors, plan.books)
        for person in rng.sample(range(plan.persons), count):
            yield through(
                pk=plan.m2m_pk(row), book_id=plan.book_pk(i), person_id=plan.person_pk(person)
            )
            row += 1


def _copies(values: Values, plan: Plan) -> Iterator[Copy]:
    rng = values.rng
    barcodes: set[int] = set()  # unique since version 2 (version 1 repeats some)
    for i in range(plan.copies):
        barcode = values.bigint()
        while barcode in barcodes:
            barcode = values.bigint()
        barcodes.add(barcode)
        yield Copy(
            pk=i + 1,
            book_id=plan.book_pk(rng.randrange(plan.books)),
            library_id=rng.randrange(plan.libraries) + 1,
            barcode=barcode,
            acquired_at=values.moment(),
            shelf=f"{rng.choice('ABCDÉ日')}-{rng.randrange(100)}" if rng.random() < 0.9 else "",
            condition=rng.randrange(6),
            withdrawn=rng.random() < 0.05,
        )


def _loans(values: Values, plan: Plan) -> Iterator[Loan]:
    rng = values.rng
    for i in range(plan.loans):
        loaned_at = values.moment()
        returned = rng.random() < 0.8
        yield Loan(
            pk=i + 1,
            copy_id=rng.randrange(plan.copies) + 1,
            borrower_id=plan.person_pk(rng.randrange(plan.persons)),
            loaned_at=loaned_at,
            due_date=values.day(),
            due_time=values.opt_clock(i),
            returned_at=(
                loaned_at + timedelta(microseconds=rng.randrange(60 * 86400 * 10**6))
                if returned and i
                else None
            ),
            fee=values.opt_decimal(8, 2, i, signed=False),
            note=values.opt_line(200, words.SENTENCES + words.ODD_WORDS, i),
        )
