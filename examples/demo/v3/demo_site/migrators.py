"""How rows of older versions of the demo site become rows of this version (3).

``settings.DATAMIG["migrators"]`` names this module. When datamig restores a snapshot
of an older version, it calls ``migrate_from_<version>(m)`` for each version from the
snapshot's to this one; each function declares operations on ``m`` and returns the
version it migrates to. Model labels and field names are those of the FROM version;
field names are attnames (``city_id``); a row is a dict of attname -> Python value.

This module must not import datamig: a snapshot restores where datamig is not
installed (``python restore.py``), with ``m`` provided by the snapshot's runtime.

A snapshot of version 1 runs ``migrate_from_1`` (1 -> 2), then ``migrate_from_2``
(2 -> 3); one of version 2 only the latter. What each version changes and who
handles it (examples/demo/README.md, "Versions"):

- new model ``contacts.City``: filled from the old ``Partner.city`` texts (below);
- new ``Country.is_eu`` and ``Category.name_de``: their defaults (no operation);
- ``Partner.phone`` and the model ``notes.Mention`` are gone *without* an operation
  here: losing them is the operator's decision (``--allow-loss``);
- the rest is below, one operation each.
"""

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol

Row = dict[str, Any]

CENT = Decimal("0.01")
#: ``Person.height_m`` is a ``Decimal(4, 2)`` from version 2: below 100 in magnitude
HEIGHT_LIMIT = Decimal(100)
#: ``Person.nickname`` (version 2) and ``Person.short_name`` (3) have a max_length of 20
NICKNAME_LENGTH = SHORT_NAME_LENGTH = 20


class Step(Protocol):
    """What datamig passes as ``m`` (only the operations this module uses)."""

    def rename_model(self, old: str, new: str) -> None: ...

    def rename_field(self, label: str, old: str, new: str) -> None: ...

    def add_field(self, label: str, name: str, value: Any) -> None: ...

    def convert(self, label: str, name: str, function: Callable[[Any], Any]) -> None: ...

    def drop_duplicates(self, label: str, fields: list[str]) -> None: ...

    def transform(self, label: str) -> Callable[[Callable[[Row], Any]], Callable[[Row], Any]]: ...


def nickname_from_first_name(row: Row) -> str:
    """Version 1 has no nickname: start with the first name (at most 20 characters)."""
    return (row["first_name"] or "?")[:NICKNAME_LENGTH]


def height_to_decimal(value: float | None) -> Decimal | None:
    """A float height in metres as a ``Decimal(4, 2)``.

    The float's shortest representation (``str``), rounded half-even to centimetres;
    a value that does not fit (100 or more in magnitude: typing errors) becomes
    None, and a negative zero (a tiny negative float) becomes 0.00, because
    PostgreSQL and MariaDB cannot store one.
    """
    if value is None:
        return None
    height = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    if abs(height) >= HEIGHT_LIMIT:
        return None
    return abs(height) if height.is_zero() else height


def short_name_from_nickname(nickname: str) -> str:
    """Version 3 writes short names in capitals: upper-case, cut to 20 characters
    again (capitals can be longer: "ß" -> "SS", "ﬃ" -> "FFI")."""
    return nickname.upper()[:SHORT_NAME_LENGTH]


def migrate_from_1(m: Step) -> str:
    """Version 1 -> 2."""
    # notes: Tag is now Label; the automatic many-to-many Comment.tags keeps its name
    # (and table), but its column tag_id follows the model's name: label_id.
    m.rename_model("notes.Tag", "notes.Label")
    m.rename_field("notes.Comment_tags", "tag_id", "label_id")

    m.rename_field("contacts.Person", "title", "honorific")
    m.add_field("contacts.Person", "nickname", nickname_from_first_name)
    m.convert("contacts.Person", "height_m", height_to_decimal)

    _city_texts_to_city_rows(m)
    _unique_copy_barcodes(m)
    return "2"


def _city_texts_to_city_rows(m: Step) -> None:
    """``Partner.city`` was a text and is a foreign key to the new ``City``.

    Each distinct non-empty text (compared exactly, as Python compares strings)
    becomes one City, numbered from 1 in the order partners are restored (primary
    key order); an empty text becomes NULL.
    """
    cities: dict[str, int] = {}

    @m.transform("contacts.Partner")
    def city_to_foreign_key(row: Row) -> list[Any]:
        name = row.pop("city")
        out: list[Any] = [row]
        if not name:
            row["city_id"] = None
            return out
        if name not in cities:
            cities[name] = len(cities) + 1
            out.append(("contacts.City", {"id": cities[name], "name": name}))
        row["city_id"] = cities[name]
        return out


def _unique_copy_barcodes(m: Step) -> None:
    """``Copy.barcode`` is unique: version 1 has copies entered twice.

    The first copy (in primary-key order) of each barcode stays, the others are
    dropped (datamig reports them by key), and their loans move to the copy that
    stays: a barcode is one physical item. Copies are restored before loans (loans
    refer to them), so ``moved`` is complete when the first loan arrives.
    """
    first_copy: dict[int, int] = {}  # barcode -> id of the copy that stays
    moved: dict[int, int] = {}  # id of a dropped copy -> id of the copy that stays

    @m.transform("library.Copy")
    def remember_barcode(row: Row) -> Row:
        kept = first_copy.setdefault(row["barcode"], row["id"])
        if kept != row["id"]:
            moved[row["id"]] = kept
        return row

    m.drop_duplicates("library.Copy", ["barcode"])

    @m.transform("library.Loan")
    def follow_moved_copy(row: Row) -> Row:
        row["copy_id"] = moved.get(row["copy_id"], row["copy_id"])
        return row


def migrate_from_2(m: Step) -> str:
    """Version 2 -> 3.

    Names are those of version 2, and a model's operations run in the order
    declared: convert ``nickname`` (which, for a version 1 snapshot, ``migrate_from_1``
    has just filled from the first name), then rename it.
    """
    m.convert("contacts.Person", "nickname", short_name_from_nickname)
    m.rename_field("contacts.Person", "nickname", "short_name")
    return "3"
