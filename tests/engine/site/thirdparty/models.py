"""One model per third-party field package; each value is carried as stored."""

import enum

from django.db import models
from django_countries.fields import CountryField
from django_enum import EnumField
from djmoney.models.fields import MoneyField
from encrypted_fields.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField
from phonenumber_field.modelfields import PhoneNumberField


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


class Shade(models.TextChoices):
    LIGHT = "l", "Light"
    DARK = "d", "Dark"


class Shop(models.Model):
    price = MoneyField(max_digits=14, decimal_places=2, default_currency="EUR", null=True)
    phone = PhoneNumberField(blank=True)
    country = CountryField(blank=True)
    countries = CountryField(multiple=True, blank=True)
    secret = EncryptedCharField(max_length=100, blank=True)
    notes = EncryptedTextField(null=True)
    data = EncryptedJSONField(null=True)
    size = EnumField(Size, null=True)
    shade = EnumField(Shade, default=Shade.LIGHT)
