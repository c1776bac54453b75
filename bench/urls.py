"""The app's own URLs, unchanged, plus the bare-Django baseline under /baseline/ and the
plain-DRF peer under /peer/."""

from django.urls import include, path

from bench import baseline, peer
from ctht_api.urls import handler400, handler403, handler404, handler500  # noqa: F401
from ctht_api.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    *app_urlpatterns,
    path("baseline/statements/", baseline.statement_list, name="baseline-statement-list"),
    path(
        "baseline/statements/<int:pk>/",
        baseline.statement_detail,
        name="baseline-statement-detail",
    ),
    path("baseline/countries/", baseline.country_list, name="baseline-country-list"),
    path("baseline/stats/statements/", baseline.stats_statements, name="baseline-stats"),
    path("baseline/changes/", baseline.change_feed, name="baseline-changes"),
    path("peer/", include(peer.router.urls)),
]
