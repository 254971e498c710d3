"""Deterministic generators of realistic and nasty field values.

Every value comes from the ``random.Random`` the generator is given: no clock, no
global state. Datetimes are timezone-aware with microseconds; texts mix scripts,
emoji, combining marks, control characters and line separators; "" and NULL both occur.
"""

import random
import unicodedata
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import JSONField, Value

from demodata import words

UTC = timezone.utc
ZONES = [
    UTC,
    ZoneInfo("Europe/Brussels"),
    ZoneInfo("Asia/Kathmandu"),  # +05:45
    ZoneInfo("America/St_Johns"),  # -03:30 / -02:30
    timezone(timedelta(hours=-11)),
    timezone(timedelta(hours=14)),
]
#: fixed origin of all generated datetimes (never the clock)
DT_MIN = datetime(1900, 1, 1, tzinfo=UTC)
DT_SPAN_US = int((datetime(2100, 12, 31, tzinfo=UTC) - DT_MIN).total_seconds()) * 10**6
DATE_MIN = date(1900, 1, 1).toordinal()
DATE_MAX = date(2100, 12, 31).toordinal()
EDGE_DATETIMES = [
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2000, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2023, 10, 29, 2, 30, 0, 1, tzinfo=ZoneInfo("Europe/Brussels"), fold=0),
    datetime(2023, 10, 29, 2, 30, 0, 1, tzinfo=ZoneInfo("Europe/Brussels"), fold=1),
    datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
    datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2100, 12, 30, 23, 59, 59, 999999, tzinfo=UTC),
]
EDGE_DATES = [date(1, 1, 1), date(999, 12, 31), date(1582, 10, 15), date(9999, 12, 31)]
BIGINT_EDGES = [-(2**63), 2**63 - 1, 0, -1, 2**53 + 1, -(2**53) - 1, 2**31, -(2**31) - 1]
FLOAT_EDGES = [0.0, 0.1, 0.30000000000000004, 1 / 3, -2.5, 1e-7, 123456789.12345679]
JSON_EDGE_NUMBERS: list[Any] = [
    2**53 + 1,
    -(2**63),
    2**64 + 1,
    10**30,
    0,
    -0.5,
    0.1,
    3.141592653589793,
    1.0,
]
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JSON_NULL = Value(None, output_field=JSONField())


class Values:
    """Value generators bound to one ``random.Random``.

    ``decimal_digits`` caps the significant digits of decimals: SQLite stores
    Django's DecimalField as a REAL, so there only 15 digits survive (and a value
    that rounds up past ``max_digits`` cannot even be read back).
    """

    def __init__(self, rng: random.Random, decimal_digits: int | None = None) -> None:
        self.rng = rng
        self.decimal_digits = decimal_digits

    # -- text ---------------------------------------------------------------

    def nasty(self, text: str) -> str:
        """Return ``text`` unchanged (mostly) or twisted in one of a dozen ways."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.7:
            return text
        kind = rng.randrange(8)
        if kind == 0:
            return " " + text + "  "
        if kind == 1:
            return unicodedata.normalize("NFD", text)  # same look, other code points
        if kind == 2:
            return text + " " + rng.choice(words.ODD_WORDS)
        if kind == 3:
            return rng.choice(words.ODD_WORDS) + text
        if kind == 4:
            return text.upper()
        if kind == 5:
            return text + rng.choice(["\t", "\r\n", "\u2028", "\x01", "\x1f", "\x85"])
        if kind == 6:
            return text.replace(" ", "\u00a0")
        return text + " 😀"

    def line(self, max_len: int, pool: list[str]) -> str:
        """One short text from ``pool``, possibly twisted, at most ``max_len`` long."""
        rng = self.rng
        text = rng.choice(pool)
        if rng.random() < 0.3:
            text = f"{text} {rng.choice(pool)}"
        return self.nasty(text)[:max_len]

    def opt_line(self, max_len: int, pool: list[str], row: int) -> str | None:
        """Like ``line`` but also "" and None (row 0 is None, row 1 is "")."""
        roll = self.rng.random() if row > 1 else row * 0.15
        if roll < 0.1:
            return None
        if roll < 0.2:
            return ""
        return self.line(max_len, pool)

    def paragraph(self, sentences: int = 4) -> str:
        """Several sentences joined by assorted line breaks."""
        rng = self.rng
        parts = [rng.choice(words.SENTENCES)]
        for _ in range(rng.randrange(sentences)):
            parts.append(rng.choice(words.LINE_SEPARATORS))
            parts.append(rng.choice(words.SENTENCES))
        return "".join(parts)

    def opt_paragraph(self, row: int) -> str | None:
        roll = self.rng.random() if row > 1 else row * 0.15
        if roll < 0.15:
            return None
        if roll < 0.3:
            return ""
        return self.paragraph()

    def person_name(self) -> tuple[str, str]:
        rng = self.rng
        first = rng.choice(words.FIRST_NAMES)
        if rng.random() < 0.1:
            first = f"{first}-{rng.choice(words.FIRST_NAMES)}"
        return self.nasty(first), self.nasty(rng.choice(words.LAST_NAMES))

    def email(self, name: str, row: int) -> str | None:
        rng = self.rng
        roll = rng.random() if row > 1 else row * 0.15
        if roll < 0.1:
            return None
        if roll < 0.2:
            return ""
        local = "".join(ch for ch in name.lower() if ch.isalnum())[:30] or "x"
        domain = rng.choice(["example.com", "example.be", "münchen.example", "例え.jp"])
        return f"{local}{rng.randrange(1000)}@{domain}"

    # -- time ---------------------------------------------------------------

    def moment(self) -> datetime:
        """Aware datetime in 1900-2100, microseconds, one of several time zones."""
        rng = self.rng
        if rng.random() < 0.01:
            return rng.choice(EDGE_DATETIMES)
        value = DT_MIN + timedelta(microseconds=rng.randrange(DT_SPAN_US))
        if rng.random() < 0.05:
            value = value.replace(microsecond=0)
        zone = rng.choice(ZONES)
        return value if zone is UTC else value.astimezone(zone)

    def opt_moment(self, row: int) -> datetime | None:
        roll = self.rng.random() if row > 0 else 0.0
        return None if roll < 0.2 else self.moment()

    def day(self, wide: bool = False) -> date:
        """Date in 1900-2100; with ``wide`` also rarely year 1 to 9999."""
        rng = self.rng
        if wide and rng.random() < 0.03:
            if rng.random() < 0.5:
                return rng.choice(EDGE_DATES)
            return date.fromordinal(rng.randrange(1, date(9999, 12, 31).toordinal()))
        return date.fromordinal(rng.randint(DATE_MIN, DATE_MAX))

    def opt_day(self, row: int, wide: bool = False) -> date | None:
        roll = self.rng.random() if row > 0 else 0.0
        return None if roll < 0.2 else self.day(wide)

    def clock(self) -> time:
        rng = self.rng
        roll = rng.random()
        if roll < 0.02:
            return time(0, 0)
        if roll < 0.04:
            return time(23, 59, 59, 999999)
        us = rng.randrange(86400 * 10**6)
        seconds, micro = divmod(us, 10**6)
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)

    def opt_clock(self, row: int) -> time | None:
        roll = self.rng.random() if row > 0 else 0.0
        return None if roll < 0.25 else self.clock()

    # -- numbers ------------------------------------------------------------

    def decimal(self, max_digits: int, places: int, signed: bool = True) -> Decimal:
        """Decimal with up to ``max_digits`` significant digits, edges included."""
        rng = self.rng
        roll = rng.random()
        top = 10**max_digits - 1
        if roll < 0.02:
            digits = top
        elif roll < 0.04:
            digits = 0
        else:
            digits = rng.randrange(10 ** rng.randint(1, max_digits))
        value = Decimal(digits).scaleb(-places)
        if signed and digits and rng.random() < 0.3:
            value = -value
        limit = self.decimal_digits
        if limit is not None and digits and value.adjusted() + places + 1 > limit:
            value = value.quantize(
                Decimal(1).scaleb(value.adjusted() - limit + 1), rounding=ROUND_DOWN
            ).quantize(Decimal(1).scaleb(-places))
        return value

    def opt_decimal(
        self, max_digits: int, places: int, row: int, signed: bool = True
    ) -> Decimal | None:
        roll = self.rng.random() if row > 0 else 0.0
        return None if roll < 0.15 else self.decimal(max_digits, places, signed)

    def bigint(self) -> int:
        rng = self.rng
        if rng.random() < 0.05:
            return rng.choice(BIGINT_EDGES)
        return rng.randrange(-(2**63), 2**63)

    def small_positive(self) -> int:
        """Fits a PositiveSmallIntegerField (0..32767)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.03:
            return rng.choice([0, 32767])
        return rng.randrange(1000) if roll < 0.8 else rng.randrange(32768)

    def opt_small_positive(self, row: int) -> int | None:
        roll = self.rng.random() if row > 0 else 0.0
        return None if roll < 0.2 else self.small_positive()

    def real(self, scale: float = 1000.0) -> float:
        """Full-precision doubles, negative ones, and a few classic edges."""
        rng = self.rng
        if rng.random() < 0.05:
            return rng.choice(FLOAT_EDGES)
        value = rng.random() * scale
        return -value if rng.random() < 0.1 else value

    def opt_real(self, row: int, scale: float = 1000.0) -> float | None:
        roll = self.rng.random() if row > 0 else 0.0
        return None if roll < 0.2 else self.real(scale)

    # -- binary, uuid, json -------------------------------------------------

    def uid(self) -> uuid.UUID:
        rng = self.rng
        roll = rng.random()
        if roll < 0.01:
            return uuid.UUID(int=0)
        if roll < 0.02:
            return uuid.UUID(int=2**128 - 1)
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def opt_bytes(self, row: int) -> bytes | None:
        """None, b"", or bytes with NUL, 0xff, CR/LF and a PNG-like header."""
        rng = self.rng
        roll = rng.random() if row > 1 else row * 0.15
        if roll < 0.1:
            return None
        if roll < 0.2:
            return b""
        if roll < 0.25:
            return b"\x00"
        body = rng.randbytes(rng.randrange(1, 300))
        if roll < 0.6:
            return PNG_HEADER + body + b"\x00\xff\r\n"
        return body

    def json(self, row: int) -> Any:
        """SQL NULL (None), JSON null (``JSON_NULL``), scalars, nested lists/dicts."""
        rng = self.rng
        roll = rng.random() if row > 1 else row * 0.1
        if roll < 0.1:
            return None
        if roll < 0.17:
            return JSON_NULL
        if roll < 0.27:
            return self._json_scalar()
        if roll < 0.4:
            return [self._json_value(2) for _ in range(rng.randrange(5))]
        return self._json_dict(3)

    def _json_scalar(self) -> Any:
        rng = self.rng
        kind = rng.randrange(7)
        if kind == 0:
            return rng.choice(JSON_EDGE_NUMBERS)
        if kind == 1:
            return rng.randrange(-(10**6), 10**6)
        if kind == 2:
            return round(rng.uniform(-1000, 1000), rng.randrange(1, 12))
        if kind == 3:
            return rng.choice([True, False])
        if kind == 4:
            return ""
        if kind == 5:
            return self.line(60, words.ODD_WORDS + words.BOOK_WORDS)
        return rng.choice(words.SENTENCES)

    def _json_value(self, depth: int) -> Any:
        rng = self.rng
        roll = rng.random()
        if depth <= 0 or roll < 0.6:
            return None if roll < 0.05 else self._json_scalar()
        if roll < 0.8:
            return [self._json_value(depth - 1) for _ in range(rng.randrange(4))]
        return self._json_dict(depth - 1)

    def _json_dict(self, depth: int) -> dict[str, Any]:
        rng = self.rng
        keys = ["zeta", "alpha", "ключ", "キー", "", " spaced key ", "a.b", "🔑", "null"]
        return {rng.choice(keys) + str(i): self._json_value(depth) for i in range(rng.randrange(6))}
