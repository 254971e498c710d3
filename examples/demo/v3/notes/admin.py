from django.contrib import admin

from notes import models


@admin.register(models.Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "color"]


@admin.register(models.Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "preview", "owner_type", "owner_id", "created"]
    raw_id_fields = ["author", "reply_to", "tags"]
