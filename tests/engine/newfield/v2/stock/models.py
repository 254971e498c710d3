"""Version 2: each model gets a required field without a default.

``Item.reference`` is filled by the model's own ``full_clean()`` (as Lino's models
fill theirs), ``Item.created`` by ``auto_now_add`` (pre_save); ``Box.weight`` by
nothing: a restore of version 1 rows needs ``--set stock.Box.weight=VALUE``.
"""

from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=40)
    amount = models.IntegerField()
    reference = models.CharField(max_length=60)
    rank = models.IntegerField()
    created = models.DateTimeField(auto_now_add=True)

    def full_clean(self, *args, **kwargs):
        if not self.reference:
            self.reference = f"{self.name.upper()}-{self.amount}"
        if self.rank is None:
            self.rank = self.amount * 10
        super().full_clean(*args, **kwargs)


class Box(models.Model):
    label = models.CharField(max_length=40)
    weight = models.IntegerField()
