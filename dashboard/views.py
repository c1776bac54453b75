"""The dashboard's one page: a template with no data in it (the browser fetches the API)."""

from django.views.generic import TemplateView


class DashboardView(TemplateView):
    """`/dashboard/`: the shell the script fills; no query runs here, so the page shows
    exactly what an anonymous API client gets."""

    template_name = "dashboard/index.html"
    http_method_names = ["get", "head", "options"]
