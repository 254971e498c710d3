"""Comments on any object (a generic foreign key) and their labels.

``Comment`` behaves like Lino's comments: ``save()`` recomputes ``preview`` from
``body``. A restore must not run it: the stored previews are data, not a derived
cache. ``created``/``modified`` are ``auto_now_add``/``auto_now`` and must come back
as stored.

Version 2 (see ``demo_site.migrators``): ``Tag`` is now ``Label`` (so the column
``tag_id`` of the automatic many-to-many ``Comment.tags`` is now ``label_id``), and
``Mention`` is gone, with the post_save handler that maintained it.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from notes.memo import render_preview


class Label(models.Model):
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, blank=True)
    description = models.TextField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Comment(models.Model):
    owner_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_id = models.PositiveBigIntegerField(null=True, blank=True)
    owner = GenericForeignKey("owner_type", "owner_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    body = models.TextField(blank=True)
    preview = models.TextField(blank=True, editable=False)
    is_private = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    tags = models.ManyToManyField(Label, blank=True, related_name="comments")

    class Meta:
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self) -> str:
        return self.preview or f"comment {self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.preview = render_preview(self.body)
        super().save(*args, **kwargs)
