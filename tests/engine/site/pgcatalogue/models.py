"""The fields of django.contrib.postgres, carried as PostgreSQL stores them."""

from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    DecimalRangeField,
    HStoreField,
    IntegerRangeField,
)
from django.db import models


class Arrays(models.Model):
    numbers = ArrayField(models.IntegerField(), default=list)
    words = ArrayField(models.CharField(max_length=20), null=True)
    days = ArrayField(models.DateField(), null=True)
    grid = ArrayField(ArrayField(models.DecimalField(max_digits=8, decimal_places=3)), null=True)
    attributes = HStoreField(null=True)
    ages = IntegerRangeField(null=True)
    amounts = DecimalRangeField(null=True)
    during = DateTimeRangeField(null=True)
    name = models.CharField(max_length=30, db_collation="case_insensitive", default="")

    class Meta:
        required_db_vendor = "postgresql"


class Tagging(models.Model):
    """A foreign key to a model with array columns."""

    arrays = models.ForeignKey(Arrays, models.CASCADE)
    tags = ArrayField(models.TextField(), default=list)

    class Meta:
        required_db_vendor = "postgresql"
