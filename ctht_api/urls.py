"""Top-level URLs: the versioned API, the admin, and the health probes."""

from django.contrib import admin
from django.urls import include, path

from ctht_api import health
from ctht_api.api import router

admin.site.site_header = "CTHT API administration"
admin.site.site_title = "CTHT API"
admin.site.index_title = "The record"

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
