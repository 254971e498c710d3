"""Models that exercise every case a snapshot must carry exactly."""

import uuid

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Everything(models.Model):
    """One nullable column of each core field type."""

    big = models.BigIntegerField(null=True)
    small = models.SmallIntegerField(null=True)
    positive = models.PositiveIntegerField(null=True)
    ratio = models.FloatField(null=True)
    amount = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    wide_amount = models.DecimalField(max_digits=30, decimal_places=10, null=True)
    label = models.CharField(max_length=200, null=True)
    body = models.TextField(null=True)
    flag = models.BooleanField(null=True)
    day = models.DateField(null=True)
    moment = models.DateTimeField(null=True)
    clock = models.TimeField(null=True)
    span = models.DurationField(null=True)
    token = models.UUIDField(null=True)
    blob = models.BinaryField(null=True)
    data = models.JSONField(null=True)
    address = models.GenericIPAddressField(null=True)


class Team(models.Model):
    """Half of a nullable foreign-key cycle (Team.captain -> Member -> Team)."""

    name = models.CharField(max_length=100)
    captain = models.ForeignKey("Member", null=True, on_delete=models.SET_NULL, related_name="+")


class Member(models.Model):
    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="members")
    mentor = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField("Tag", blank=True)
    clubs = models.ManyToManyField("Club", through="Membership", blank=True)


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Club(models.Model):
    name = models.CharField(max_length=50)


class Membership(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE)
    club = models.ForeignKey(Club, on_delete=models.CASCADE)
    since = models.DateField()
    fee = models.DecimalField(max_digits=8, decimal_places=2)


class Place(models.Model):
    name = models.CharField(max_length=100)


class Restaurant(Place):
    """Multi-table inheritance: a row here and one in Place."""

    stars = models.PositiveSmallIntegerField()


class Keyed(models.Model):
    """A UUID primary key, pointed to by a foreign key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=50)


class KeyedChild(models.Model):
    parent = models.ForeignKey(Keyed, on_delete=models.CASCADE)


class Note(models.Model):
    """A generic foreign key: points at any model through content types."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    text = models.TextField()


class Gadget(models.Model):
    """A model whose save() and post_save handler change data: a restore must run
    neither (Lino's restore calls save() and loses data this way)."""

    name = models.CharField(max_length=100)
    preview = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    def save(self, *args, **kwargs):
        self.preview = f"preview of {self.name}"
        super().save(*args, **kwargs)


class GadgetLog(models.Model):
    """Rows that Gadget's post_save handler deletes."""

    text = models.CharField(max_length=100)
