"""Top-level URLs: the front door, the versioned API, its OpenAPI documents and problem types,
the dashboard, the admin, the health probes."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.renderers import JSONRenderer

from ctht_api import health, problems
from ctht_api.api import router
from ctht_api.front_door import FrontDoorView, favicon
from ctht_api.params import StrictQueryParamsMixin
from dashboard.views import DashboardView


class SchemaView(StrictQueryParamsMixin, SpectacularAPIView):
    """`/api/schema/`: the document, as YAML or (`?format=json`) JSON; `?lang=` translates
    drf-spectacular's own texts.

    Strict like the API: drf-spectacular also reads `?version=`, which here
    only relabels `info.version` (this API is versioned by its path), so it is
    refused rather than let a guess produce a document claiming another version.
    """

    extra_query_params = ("lang",)

    def handle_exception(self, exc):
        """A problem is JSON, as everywhere under /api/, even when the document would
        have been YAML (the default here)."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


admin.site.site_header = "CTHT API administration"
admin.site.site_title = "CTHT API"
admin.site.index_title = "The record"
admin.site.site_url = "/"  # "View site": the front door (Django's default, said here)
# The app list beside every page took a quarter of a 1,280-pixel screen from the
# changelists; the home page and the breadcrumbs lead to the same places.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", FrontDoorView.as_view(), name="front-door"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as its own JavaScript
    # response (?script), so the page runs under a CSP without inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/problems/", problems.problem_types, name="problem-types"),
    path("api/problems/<slug:slug>", problems.problem_type, name="problem-type"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler400 = "ctht_api.errors.bad_request"
handler403 = "ctht_api.errors.permission_denied"
handler404 = "ctht_api.errors.not_found"
handler500 = "ctht_api.errors.server_error"
