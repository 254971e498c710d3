"""Countries, partners (multi-table inheritance) and the roles persons hold.

Things a faithful dump must get right here:

- ``Country`` has a text primary key;
- ``Partner`` is the concrete parent of ``Organisation`` and ``Person``;
- ``Organisation.main_contact`` and ``Person.company`` form a nullable cycle;
- ``Person.mentor`` refers to another person (self-reference, forward or backward);
- ``Organisation.staff`` is a many-to-many through ``Role``, which has fields of its own.

Version 2 (see ``demo_site.migrators``): ``Country.is_eu`` is new (a default);
``Partner.phone`` is gone; ``Partner.city`` was a text and is a foreign key to the
new ``City``; ``Person.title`` is now ``honorific``; ``Person.nickname`` is new and
required; ``Person.height_m`` was a float and is a ``Decimal(4, 2)``.

Version 3: ``Person.nickname`` is now ``short_name``, in capitals.
"""

import uuid

from django.db import models


class Country(models.Model):
    iso_code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=100)
    native_name = models.CharField(max_length=100, blank=True)
    population = models.BigIntegerField(null=True, blank=True)
    area_km2 = models.FloatField(null=True, blank=True)
    calling_code = models.PositiveSmallIntegerField(null=True, blank=True)
    is_eu = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "countries"
        ordering = ["iso_code"]

    def __str__(self) -> str:
        return self.name


class City(models.Model):
    """A place partners live in (version 1 kept the city name as text in ``Partner``).

    ``name`` is not unique on purpose: the old texts differ by case, accents,
    normalisation and spaces, which MariaDB's collations would call equal.
    """

    name = models.CharField(max_length=100)

    class Meta:
        verbose_name_plural = "cities"

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """Anybody the site keeps an address of."""

    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, null=True, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.ForeignKey(City, null=True, blank=True, on_delete=models.PROTECT)
    country = models.ForeignKey(Country, null=True, blank=True, on_delete=models.PROTECT)
    remarks = models.TextField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    balance = models.DecimalField(max_digits=20, decimal_places=6, default=0)

    def __str__(self) -> str:
        return self.name


class Organisation(Partner):
    vat_id = models.CharField(max_length=30, null=True, blank=True)
    founded = models.DateField(null=True, blank=True)
    headcount = models.PositiveSmallIntegerField(null=True, blank=True)
    main_contact = models.ForeignKey(
        "Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_for",
    )
    staff = models.ManyToManyField(
        "Person", through="Role", related_name="organisations", blank=True
    )


class Person(Partner):
    GENDERS = [("f", "female"), ("m", "male"), ("x", "other")]

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    honorific = models.CharField(max_length=50, null=True, blank=True)
    short_name = models.CharField(max_length=20)  # in capitals
    gender = models.CharField(max_length=1, choices=GENDERS, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    height_m = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    company = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
    )
    mentor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="mentees"
    )

    class Meta:
        verbose_name_plural = "persons"


class Role(models.Model):
    """A person's function in an organisation (the through model of ``staff``)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    function = models.CharField(max_length=100, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    hours_per_week = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    is_primary = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.organisation_id}: {self.function}"
