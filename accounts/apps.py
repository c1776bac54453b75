from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """API tokens: how partners and scripts authenticate to the API."""

    name = "accounts"
    verbose_name = "API access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import token_cache

        token_cache.connect()
