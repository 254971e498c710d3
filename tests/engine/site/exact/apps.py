from django.apps import AppConfig


class ExactConfig(AppConfig):
    name = "exact"

    def ready(self) -> None:
        from . import signals  # noqa: F401
