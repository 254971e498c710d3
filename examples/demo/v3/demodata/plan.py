"""How many rows each table gets for a requested total, and where primary keys go.

Big tables share what the small lookup tables leave, by fixed fractions. Primary
keys are explicit (the same on every vendor for a given seed) and some ranges have
gaps, as if rows had been deleted: ``*_pk`` maps a 0-based index to a key and
``*_missing`` gives a key that does not exist (for dangling generic references).
"""

import random
from dataclasses import dataclass

from demodata import words
from demodata.values import Values

MIN_ROWS = 200
GROUP_NAMES = ["Editors", "Librarians", "Readers"]
PERMISSIONS_PER_GROUP = 4
PERMISSIONS_PER_USER = 2

#: share of the rows left after the small tables, per big table (sums to 1)
FRACTIONS = {
    "organisations": 0.01,  # x2 rows: partner + organisation
    "persons": 0.08,  # x2 rows: partner + person
    "roles": 0.04,
    "books": 0.06,
    "book_authors": 0.08,
    "copies": 0.12,
    "loans": 0.31,  # version 1: 0.22, and 0.09 for the mentions version 2 has no more
    "comments": 0.14,
    "comment_tags": 0.07,
}
PARTNER_GAP = 50  # every 51st partner key is missing
BOOK_GAP = 40
COMMENT_GAP = 100
M2M_GAP = 37


@dataclass(frozen=True)
class Source:
    """Where every generator gets its randomness: one stream per name and seed."""

    seed: int
    vendor: str  # connection.vendor: sqlite, postgresql, mysql

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")

    def values(self, name: str) -> Values:
        return Values(self.rng(name), 15 if self.vendor == "sqlite" else None)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _pk(index: int, gap: int) -> int:
    return index + 1 + index // gap


def _missing(nth: int, gap: int) -> int:
    return (gap + 1) * (nth + 1)


@dataclass(frozen=True)
class Plan:
    countries: int
    cities: int
    users: int
    groups: int
    user_groups: int
    user_permissions: int
    group_permissions: int
    labels: int
    categories: int
    libraries: int  # x2 rows: place + library
    log_entries: int
    sessions: int
    organisations: int
    persons: int
    roles: int
    books: int
    book_authors: int
    copies: int
    loans: int
    comments: int
    comment_tags: int

    @classmethod
    def for_rows(cls, rows: int) -> "Plan":
        if rows < MIN_ROWS:
            raise ValueError(f"--rows must be at least {MIN_ROWS}")
        users = _clamp(rows // 10000, 3, 50)
        small = {
            "countries": _clamp(rows // 1000, 5, len(words.COUNTRIES)),
            "cities": _clamp(rows // 200, 5, 300),
            "users": users,
            "groups": len(GROUP_NAMES),
            "user_groups": users + (users + 1) // 2,
            "user_permissions": PERMISSIONS_PER_USER * (users - 1),
            "group_permissions": PERMISSIONS_PER_GROUP * len(GROUP_NAMES),
            "labels": _clamp(rows // 2000, 5, len(words.LABEL_NAMES) * 4),
            "categories": _clamp(rows // 500, 5, 500),
            "libraries": _clamp(rows // 2000, 3, 300),
            "log_entries": _clamp(rows // 2000, 3, 500),
            "sessions": _clamp(rows // 10000, 2, 100),
        }
        small_rows = sum(small.values()) + small["libraries"]
        rest = rows - small_rows
        big = {name: max(1, round(rest * share)) for name, share in FRACTIONS.items()}
        big["persons"] = max(2, big["persons"])
        big["book_authors"] = min(big["book_authors"], big["books"] * big["persons"])
        big["comment_tags"] = min(big["comment_tags"], big["comments"] * small["labels"])
        return cls(**small, **big)

    @property
    def total_rows(self) -> int:
        """Rows in all tables; a multi-table-inheritance object is two rows."""
        values = vars(self)
        doubled = self.libraries + self.organisations + self.persons
        return sum(values.values()) + doubled

    # -- primary keys -------------------------------------------------------

    def organisation_pk(self, index: int) -> int:
        return _pk(index, PARTNER_GAP)

    def person_pk(self, index: int) -> int:
        return _pk(self.organisations + index, PARTNER_GAP)

    def missing_partner_pk(self, nth: int) -> int:
        return _missing(nth, PARTNER_GAP)

    def book_pk(self, index: int) -> int:
        return _pk(index, BOOK_GAP)

    def missing_book_pk(self, nth: int) -> int:
        return _missing(nth, BOOK_GAP)

    def comment_pk(self, index: int) -> int:
        return _pk(index, COMMENT_GAP)

    def m2m_pk(self, index: int) -> int:
        return _pk(index, M2M_GAP)

    @staticmethod
    def share(index: int, total: int, parts: int) -> int:
        """How many of ``total`` items part ``index`` of ``parts`` gets (sums exactly)."""
        return (index + 1) * total // parts - index * total // parts
