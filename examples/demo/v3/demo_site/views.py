"""The two views that deployments and health checks look at."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from contacts.models import Person


def index(request: HttpRequest) -> HttpResponse:
    """Answer with the application name and version, as plain text."""
    return HttpResponse(
        f"datamig-demo version {settings.DATAMIG['version']}",
        content_type="text/plain; charset=utf-8",
    )


def health(request: HttpRequest) -> JsonResponse:
    """Report status, version and the number of persons (proves the database works)."""
    return JsonResponse(
        {
            "status": "ok",
            "version": settings.DATAMIG["version"],
            "rows": Person.objects.count(),
        }
    )
