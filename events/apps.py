from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events, statements, topics, programmes and documents."""

    name = "events"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from ctht_api.search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="ctht_sqlite_fold")

        from events import signals  # noqa: F401  (connects the receivers)
