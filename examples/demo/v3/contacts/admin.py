from django.contrib import admin

from contacts import models


@admin.register(models.Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["iso_code", "name", "native_name", "is_eu"]


@admin.register(models.City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["id", "name"]
    search_fields = ["name"]


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "vat_id", "main_contact"]
    raw_id_fields = ["main_contact", "country", "city"]
    search_fields = ["name"]


@admin.register(models.Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "birth_date", "company"]
    raw_id_fields = ["company", "mentor", "country", "city"]
    search_fields = ["name", "last_name"]


@admin.register(models.Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["id", "person", "organisation", "function", "start_date"]
    raw_id_fields = ["person", "organisation"]
