"""Comments on any object (a generic foreign key), their mentions and tags.

``Comment`` behaves like Lino's comments: ``save()`` recomputes ``preview`` from
``body`` and a post_save handler (``notes.signals``) rebuilds the comment's
``Mention`` rows, dropping those whose target no longer exists. A restore must not
run either: the stored previews and mentions are data, not derived caches.
``created``/``modified`` are ``auto_now_add``/``auto_now`` and must come back as stored.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from notes.memo import render_preview


class Tag(models.Model):
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
    tags = models.ManyToManyField(Tag, blank=True, related_name="comments")

    class Meta:
        indexes = [models.Index(fields=["owner_type", "owner_id"])]

    def __str__(self) -> str:
        return self.preview or f"comment {self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.preview = render_preview(self.body)
        super().save(*args, **kwargs)


class Mention(models.Model):
    """A comment refers to an object (another generic foreign key)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")

    def __str__(self) -> str:
        return f"comment {self.comment_id} -> {self.target_type_id}:{self.target_id}"
