from django.contrib import admin

from library import models


@admin.register(models.Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "parent", "position"]
    raw_id_fields = ["parent"]


@admin.register(models.Library)
class LibraryAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "code", "city"]


@admin.register(models.Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "published", "price"]
    raw_id_fields = ["category", "publisher", "authors"]
    search_fields = ["title"]


@admin.register(models.Copy)
class CopyAdmin(admin.ModelAdmin):
    list_display = ["id", "book", "library", "barcode", "acquired_at"]
    raw_id_fields = ["book", "library"]


@admin.register(models.Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = ["id", "copy", "borrower", "loaned_at", "returned_at"]
    raw_id_fields = ["copy", "borrower"]
