"""Labels, comments on persons, organisations, books and libraries.

The stored data is deliberately *not* what ``Comment.save()`` would produce, as on a
real site whose code changed over the years: ``preview`` is the old-style preview,
the first 60 characters of the body as they are (save() would spell out the
references and collapse whitespace). So a restore that ran save() is caught by
comparing contents. Some comments are about objects that were deleted.
"""

import random
from collections.abc import Iterator
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import models

from demodata import words
from demodata.plan import Plan, Source
from demodata.values import Values
from demodata.writer import Writer, batched
from notes.models import Comment, Label

OLD_PREVIEW_LENGTH = 60
#: (reference keyword, app label, model name)
TARGETS = [
    ("person", "contacts", "person"),
    ("company", "contacts", "organisation"),
    ("book", "library", "book"),
    ("library", "library", "library"),
]


def fill(writer: Writer, plan: Plan, source: Source) -> None:
    writer.insert_all(_labels(source.values("notes.label"), plan))
    types = {
        keyword: ContentType.objects.db_manager(writer.using).get_by_natural_key(app, model).pk
        for keyword, app, model in TARGETS
    }
    rows = _comments(source.values("notes.comment"), plan, types)
    with writer.atomic():
        for batch in batched(rows, writer.batch_size):
            comments, labels = zip(*batch, strict=True)
            writer.insert(list(comments))
            writer.insert([row for group in labels for row in group])


def _labels(values: Values, plan: Plan) -> Iterator[Label]:
    rng = values.rng
    for i in range(plan.labels):
        yield Label(
            pk=i + 1,
            name=values.line(50, words.LABEL_NAMES),
            color=f"#{rng.randrange(16**6):06x}" if rng.random() < 0.7 else "",
            description=values.opt_paragraph(i),
        )


class _Targets:
    """Random existing or deleted objects of the four kinds comments refer to."""

    def __init__(self, rng: random.Random, plan: Plan) -> None:
        self.rng = rng
        self.plan = plan

    def existing(self) -> tuple[str, int]:
        rng, plan = self.rng, self.plan
        keyword = rng.choice(["person", "person", "company", "book", "book", "library"])
        if keyword == "person":
            return keyword, plan.person_pk(rng.randrange(plan.persons))
        if keyword == "company":
            return keyword, plan.organisation_pk(rng.randrange(plan.organisations))
        if keyword == "book":
            return keyword, plan.book_pk(rng.randrange(plan.books))
        return keyword, self.rng.randrange(plan.libraries) + 1

    def deleted(self) -> tuple[str, int]:
        rng, plan = self.rng, self.plan
        if rng.random() < 0.5:
            keyword = "book"
            pk = plan.missing_book_pk(rng.randrange(max(1, plan.books // 40)))
        else:
            keyword = rng.choice(["person", "company"])
            partners = plan.organisations + plan.persons
            pk = plan.missing_partner_pk(rng.randrange(max(1, partners // 50)))
        return keyword, pk


def _comments(
    values: Values, plan: Plan, types: dict[str, int]
) -> Iterator[tuple[Comment, list[models.Model]]]:
    """Yield (comment, its label rows), exactly as many as planned."""
    rng = values.rng
    targets = _Targets(rng, plan)
    label_through = Comment.tags.through
    label_row = 0
    for i in range(plan.comments):
        pk = plan.comment_pk(i)
        refs = [targets.existing() for _ in range(rng.randint(1, 3))]
        body = _body(values, refs)
        owner = None if i % 10 == 0 else (targets.existing() if i % 50 else targets.deleted())
        created = values.moment()
        comment = Comment(
            pk=pk,
            owner_type_id=types[owner[0]] if owner else None,
            owner_id=owner[1] if owner else None,
            author_id=rng.randrange(plan.users) + 1 if rng.random() < 0.9 else None,
            reply_to_id=plan.comment_pk(rng.randrange(i)) if i and rng.random() < 0.2 else None,
            body=body,
            preview=body[:OLD_PREVIEW_LENGTH],
            is_private=rng.random() < 0.1,
            rating=values.opt_small_positive(i),
            created=created,
            modified=created + timedelta(microseconds=rng.randrange(10**13)),
        )
        labels = []
        count = plan.share(i, plan.comment_tags, plan.comments)
        for label in rng.sample(range(plan.labels), count):
            labels.append(
                label_through(pk=plan.m2m_pk(label_row), comment_id=pk, label_id=label + 1)
            )
            label_row += 1
        yield comment, labels


def _body(values: Values, refs: list[tuple[str, int]]) -> str:
    """Text with the references in Lino-like memo syntax, the first one up front."""
    rng = values.rng
    keyword, pk = refs[0]
    parts = [f"{rng.choice(['About', 'Re:', 'Über', 'À propos de', '关于'])} [{keyword} {pk}]:"]
    for keyword, pk in refs[1:]:
        parts.append(rng.choice(words.LINE_SEPARATORS))
        parts.append(f"{rng.choice(words.SENTENCES)} See [{keyword} {pk}].")
    if rng.random() < 0.8:
        parts.append(rng.choice(words.LINE_SEPARATORS))
        parts.append(values.paragraph(3))
    if rng.random() < 0.1:
        parts.append(rng.choice(["  ", "\r\n", "\t"]))
    return "".join(parts)
