"""The little markup of comment bodies: references like ``[person 12]``.

``render_preview`` is what ``Comment.save()`` stores in ``Comment.preview``.
(Version 1 also turned the references into ``Mention`` rows; version 2 has none.)
"""

import re

REF_PATTERN = re.compile(r"\[(person|company|book|library) (\d+)\]")
PREVIEW_LENGTH = 120


def render_preview(body: str) -> str:
    """Plain one-line text: references spelled out, whitespace collapsed, shortened."""
    text = REF_PATTERN.sub(lambda m: f"{m.group(1)} #{m.group(2)}", body)
    text = " ".join(text.split())
    if len(text) > PREVIEW_LENGTH:
        text = text[: PREVIEW_LENGTH - 1] + "\u2026"
    return text
