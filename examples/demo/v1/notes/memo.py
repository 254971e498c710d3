"""The little markup of comment bodies: references like ``[person 12]``.

``render_preview`` is what ``Comment.save()`` stores in ``Comment.preview``;
``parse_refs`` is what the post_save handler turns into ``Mention`` rows.
"""

import re
from collections.abc import Iterator

#: reference keyword -> model label
REF_MODELS = {
    "person": "contacts.person",
    "company": "contacts.organisation",
    "book": "library.book",
    "library": "library.library",
}
REF_PATTERN = re.compile(r"\[(person|company|book|library) (\d+)\]")
PREVIEW_LENGTH = 120


def parse_refs(body: str) -> Iterator[tuple[str, int]]:
    """Yield (model label, primary key) for each reference in ``body``, in order."""
    for match in REF_PATTERN.finditer(body):
        yield REF_MODELS[match.group(1)], int(match.group(2))


def render_preview(body: str) -> str:
    """Plain one-line text: references spelled out, whitespace collapsed, shortened."""
    text = REF_PATTERN.sub(lambda m: f"{m.group(1)} #{m.group(2)}", body)
    text = " ".join(text.split())
    if len(text) > PREVIEW_LENGTH:
        text = text[: PREVIEW_LENGTH - 1] + "\u2026"
    return text
