"""Rows kept in another database than the site's default."""

from django.db import models


class Record(models.Model):
    title = models.CharField(max_length=50)
    stamp = models.DateTimeField()
    parent = models.ForeignKey("self", models.SET_NULL, null=True)
