"""Categories, places and libraries, books, copies and loans.

Things a faithful dump must get right here:

- ``Category.parent`` is a self-reference whose target may come later in the table;
- ``Library`` inherits from the concrete ``Place`` (multi-table inheritance);
- ``Book.authors`` is an automatic many-to-many (its rows have primary keys too);
- ``Book`` holds binary data, JSON (SQL NULL and JSON null), a 20-digit decimal and a
  UUID; ``Book.comments`` is a generic relation (no column of its own);
- ``Copy`` and ``Loan`` are the big tables: datetimes with microseconds, big integers.

Version 2 (see ``demo_site.migrators``): ``Category`` has its name in one more
language (``name_de``, empty for old rows, like Lino's babel fields when a site adds
a language); ``Copy.barcode`` is unique (version 1 has duplicates).
"""

import uuid

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=100)  # in the site's main language (English)
    name_de = models.CharField(max_length=100, blank=True, default="")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0)
    description = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=200, null=True, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.ForeignKey("contacts.Country", null=True, blank=True, on_delete=models.PROTECT)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    opens = models.TimeField(null=True, blank=True)
    closes = models.TimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Library(Place):
    code = models.CharField(max_length=20)
    website = models.CharField(max_length=200, null=True, blank=True)
    founded = models.DateField(null=True, blank=True)
    is_public = models.BooleanField(default=True)
    annual_budget = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name_plural = "libraries"


class Book(models.Model):
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=200, null=True, blank=True)
    summary = models.TextField(null=True, blank=True)
    isbn = models.CharField(max_length=20, blank=True)
    published = models.DateField(null=True, blank=True)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    weight_kg = models.FloatField(null=True, blank=True)
    cover = models.BinaryField(null=True, blank=True)
    metadata = models.JSONField(null=True, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    available = models.BooleanField(default=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT)
    publisher = models.ForeignKey(
        "contacts.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_books",
    )
    authors = models.ManyToManyField("contacts.Person", blank=True, related_name="books")
    comments = GenericRelation(
        "notes.Comment", content_type_field="owner_type", object_id_field="owner_id"
    )

    def __str__(self) -> str:
        return self.title


class Copy(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="copies")
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="copies")
    barcode = models.BigIntegerField(unique=True)
    acquired_at = models.DateTimeField()
    shelf = models.CharField(max_length=50, blank=True)
    condition = models.PositiveSmallIntegerField(default=0)
    withdrawn = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "copies"

    def __str__(self) -> str:
        return f"{self.book_id}/{self.barcode}"


class Loan(models.Model):
    copy = models.ForeignKey(Copy, on_delete=models.CASCADE, related_name="loans")
    borrower = models.ForeignKey("contacts.Person", on_delete=models.CASCADE, related_name="loans")
    loaned_at = models.DateTimeField()
    due_date = models.DateField()
    due_time = models.TimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    fee = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=200, null=True, blank=True)

    def __str__(self) -> str:
        return f"loan {self.pk}"
