"""Models of every kind the engine must carry (see docs/engine-fields.md)."""

import uuid

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Lower

from .fields import ColourField, PointField


class Stamped(models.Model):
    """An abstract base: its fields land in each child's table."""

    note = models.CharField(max_length=50, blank=True, default="")

    class Meta:
        abstract = True


class Everything(Stamped):
    KINDS = [("a", "Alpha"), ("b", "Beta")]
    code = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=1, choices=KINDS, default="a")
    maybe = models.IntegerField(null=True, blank=True)
    blank_text = models.TextField(blank=True)
    null_text = models.TextField(null=True)
    by_database = models.IntegerField(db_default=42)
    select = models.IntegerField(db_column="select", default=0)
    mixed = models.CharField(db_column="MixedCase Column", max_length=10, default="")
    point = PointField(null=True)
    colour = ColourField(null=True)
    code_lower = models.GeneratedField(
        expression=Lower("code"), output_field=models.CharField(max_length=20), db_persist=True
    )
    twice = models.GeneratedField(
        expression=F("by_database") * 2, output_field=models.IntegerField(), db_persist=True
    )

    class Meta:
        db_table = "Catalogue Everything-Odd"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "maybe"], condition=Q(maybe__gt=0), name="kind_maybe_positive"
            )
        ]


class Virtual(models.Model):
    """A virtual (not stored) generated column: SQLite and MariaDB only."""

    first = models.CharField(max_length=20)
    last = models.CharField(max_length=20)
    full = models.GeneratedField(
        expression=Concat("first", Value(" "), "last"),
        output_field=models.CharField(max_length=41),
        db_persist=False,
    )

    class Meta:
        required_db_features = {"supports_virtual_generated_columns"}


class Order(models.Model):
    """SQL reserved words as table and column names."""

    group = models.IntegerField(db_column="group")
    where = models.CharField(max_length=10, db_column="where")
    user = models.CharField(max_length=10)

    class Meta:
        db_table = "order"
        unique_together = [("group", "where")]


class Book(models.Model):
    title = models.CharField(max_length=50)


class Chapter(models.Model):
    book = models.ForeignKey(Book, models.CASCADE)
    title = models.CharField(max_length=50)

    class Meta:
        order_with_respect_to = "book"


class Profile(models.Model):
    owner = models.OneToOneField(Everything, models.CASCADE, primary_key=True)
    bio = models.TextField(blank=True)


class Token(models.Model):
    key = models.UUIDField(primary_key=True, default=uuid.uuid4)
    label = models.CharField(max_length=20)


class Country(models.Model):
    iso = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=50)
    slug = models.SlugField(unique=True)


class City(models.Model):
    name = models.CharField(max_length=50)
    country = models.ForeignKey(Country, models.CASCADE)
    by_slug = models.ForeignKey(
        Country, models.SET_NULL, null=True, to_field="slug", related_name="cities_by_slug"
    )
    token = models.ForeignKey(Token, models.PROTECT, null=True)


class Person(models.Model):
    name = models.CharField(max_length=50)
    friends = models.ManyToManyField("self")  # symmetrical
    follows = models.ManyToManyField("self", symmetrical=False, related_name="followers")


class Club(models.Model):
    name = models.CharField(max_length=50)
    members = models.ManyToManyField(Person, through="Membership")


class Membership(models.Model):
    person = models.ForeignKey(Person, models.CASCADE)
    club = models.ForeignKey(Club, models.CASCADE)
    role = models.CharField(max_length=20)
    since = models.DateField()


class FamousPerson(Person):
    """A proxy: no table of its own."""

    class Meta:
        proxy = True


class Legacy(models.Model):
    """Unmanaged: the site keeps its table up (here a RunSQL of the migration)."""

    label = models.CharField(max_length=20)

    class Meta:
        managed = False
        db_table = "catalogue_legacy"


class Place(models.Model):
    place_id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=50)


class Restaurant(Place):
    serves_pizza = models.BooleanField(default=False)


class Pizzeria(Restaurant):
    """Third level of multi-table inheritance."""

    ovens = models.IntegerField()


class Tagged(models.Model):
    tagged_id = models.AutoField(primary_key=True)
    tag = models.CharField(max_length=20)


class TaggedPlace(Place, Tagged):
    """A child of two concrete parents."""

    both = models.CharField(max_length=20)


class Grade(models.Model):
    """A composite primary key (Django 5.2)."""

    pk = models.CompositePrimaryKey("student", "term")
    student = models.IntegerField()
    term = models.CharField(max_length=10)
    mark = models.IntegerField()


class Wider(models.Model):
    """Its table has a column the model does not know (added by the migration)."""

    label = models.CharField(max_length=20)
