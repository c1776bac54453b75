from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events, statements, topics, programmes and documents."""

    name = "events"
    default_auto_field = "django.db.models.BigAutoField"
