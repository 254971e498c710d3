"""Version 1: no migrations (the tables come from migrate --run-syncdb)."""

from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=40)
    amount = models.IntegerField()


class Box(models.Model):
    label = models.CharField(max_length=40)
