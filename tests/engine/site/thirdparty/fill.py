"""Rows for thirdparty.Shop."""

from decimal import Decimal

from djmoney.money import Money

from .models import Shade, Shop, Size


def fill(rows: int) -> None:
    for i in range(rows):
        Shop.objects.create(
            price=None
            if i % 5 == 0
            else Money(Decimal(i) + Decimal("0.99"), ["EUR", "USD", "GBP"][i % 3]),
            phone="" if i % 4 == 0 else f"+3226{i:06d}",
            country="" if i % 6 == 0 else ["BE", "EE", "FR"][i % 3],
            countries=["BE", "FR"][: i % 3],
            secret=f"secret {i} ünï",
            notes=None if i % 2 else "a longer secret\nnote",
            data=None if i % 3 == 0 else {"i": i, "list": [1, None]},
            size=None if i % 4 == 0 else Size(1 + i % 2),
            shade=Shade.DARK if i % 2 else Shade.LIGHT,
        )
