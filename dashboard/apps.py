from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """A page of charts and the latest statements, drawn from the public API in the browser."""

    name = "dashboard"
