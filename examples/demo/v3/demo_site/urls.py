"""URLs of the demo site: a home page, a health check and the admin."""

from django.contrib import admin
from django.urls import path

from demo_site import views

urlpatterns = [
    path("", views.index, name="index"),
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
]
