from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Countries, institutions, people and their positions."""

    name = "people"
    default_auto_field = "django.db.models.BigAutoField"
