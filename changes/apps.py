from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """The change feed (`/api/v1/changes/`): what changed, in commit order, for mirrors."""

    name = "changes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from changes import feed

        feed.connect_signals()
