from django.contrib import admin

from notes import models


@admin.register(models.Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "color"]


class MentionInline(admin.TabularInline):
    model = models.Mention
    extra = 0


@admin.register(models.Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "preview", "owner_type", "owner_id", "created"]
    raw_id_fields = ["author", "reply_to", "tags"]
    inlines = [MentionInline]
