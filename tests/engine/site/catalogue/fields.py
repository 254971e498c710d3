"""Field classes of the kind third-party packages ship: a Python value of their own."""

from __future__ import annotations

import enum
from typing import Any

from django.db import models


class Point:
    """A wrapper object: what ``from_db_value`` of PointField returns."""

    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __str__(self) -> str:
        return f"{self.x!r};{self.y!r}"


class PointField(models.Field):
    """A column of its own type (varchar) holding "x;y"; the model sees Point objects."""

    def db_type(self, connection: Any) -> str:
        return "varchar(64)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Point | None:
        if value is None:
            return None
        x, y = value.split(";")
        return Point(float(x), float(y))

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else str(value)


class Colour(enum.Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


class ColourField(models.Field):
    """An enum stored as its number in a smallint column: the model sees Colour members."""

    def db_type(self, connection: Any) -> str:
        return "smallint"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Colour | None:
        return None if value is None else Colour(value)

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else Colour(value).value
