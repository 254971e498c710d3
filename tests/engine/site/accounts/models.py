"""The site's own user model, pointed at by auth's groups and permissions."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    nickname = models.CharField(max_length=30, blank=True)


class Note(models.Model):
    author = models.ForeignKey("accounts.User", models.CASCADE)
    text = models.TextField()
