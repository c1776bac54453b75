"""Partner dashboards on the origins the operator lists may call the API from browsers."""

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from events.models import Statement
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

DASHBOARD = "https://dashboard.partner.example"
# What API.md ("Browser dashboards (CORS)") lets a dashboard send and read.
SENT = {
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "x-change-reason",
    "x-safety-override",
    "accept-language",
}
READ = {"etag", "retry-after", "location", "link", "content-disposition"}


def names(header: str) -> set[str]:
    return {name.strip().lower() for name in header.split(",")}


@pytest.fixture
def dashboard(settings):
    settings.CORS_ALLOWED_ORIGINS = [DASHBOARD]


def preflight(client, url: str, origin: str = DASHBOARD, method: str = "PATCH"):
    """What a browser sends before a PATCH carrying an ETag and a reason."""
    return client.options(
        url,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-match, x-change-reason",
    )


def test_listed_origin_may_read_the_api(client, dashboard):
    response = client.get("/api/v1/statements/", HTTP_ORIGIN=DASHBOARD)
    assert response["Access-Control-Allow-Origin"] == DASHBOARD


def test_unlisted_origin_gets_no_cors_header(client, dashboard):
    response = client.get("/api/v1/statements/", HTTP_ORIGIN="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_applies_to_the_api_only(client, dashboard):
    response = client.get("/admin/login/", HTTP_ORIGIN=DASHBOARD)
    assert "Access-Control-Allow-Origin" not in response


def test_preflight_of_a_conditional_write_allows_the_contract_headers(demo, client, dashboard):
    statement = Statement.objects.order_by("pk").first()
    response = preflight(client, f"/api/v1/statements/{statement.pk}/")

    assert response.status_code == 200
    assert response.content == b""
    assert response["Access-Control-Allow-Origin"] == DASHBOARD
    allowed = names(response["Access-Control-Allow-Headers"])
    assert allowed == SENT | {"accept"}
    methods = names(response["Access-Control-Allow-Methods"])
    assert methods == {"get", "post", "put", "patch", "delete", "options"}
    assert "origin" in names(response["Vary"])


def test_preflight_is_answered_before_throttling_and_parameter_checks(client, dashboard, settings):
    """The browser's preflight spends no rate-limit budget and is not refused for the
    query string it will send: the middleware answers it before any view runs."""
    settings.RATE_LIMITS = {"anon": "1/min", "read": "off", "write": "off"}
    caches["ratelimit"].clear()
    url = "/api/v1/statements/?contry=RS&page_size=abc"

    answers = [preflight(client, url, method="GET") for _ in range(3)]

    assert [r.status_code for r in answers] == [200, 200, 200]
    assert all(r["Access-Control-Allow-Origin"] == DASHBOARD for r in answers)


def test_answers_expose_the_headers_a_dashboard_reads(demo, client, dashboard):
    statement = Statement.objects.order_by("pk").first()
    response = client.get(f"/api/v1/statements/{statement.pk}/", HTTP_ORIGIN=DASHBOARD)

    assert response.status_code == 200
    assert response["ETag"]
    assert names(response["Access-Control-Expose-Headers"]) == READ


def test_errors_carry_cors_headers_too(client, dashboard):
    """A dashboard can read why it was refused (a problem document), not just a network
    error."""
    response = client.get("/api/v1/statements/?country=ZZ", HTTP_ORIGIN=DASHBOARD)

    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == DASHBOARD


def test_a_created_entrys_location_is_readable(dashboard):
    writer: APIClient = token_client("editor", write=True)
    response = writer.post(
        "/api/v1/topics/", {"name": "Cyber grooming"}, format="json", HTTP_ORIGIN=DASHBOARD
    )

    assert response.status_code == 201, response.content
    assert response["Location"].endswith(f"/api/v1/topics/{response.json()['id']}/")
    assert "location" in names(response["Access-Control-Expose-Headers"])


def test_preflight_from_an_unlisted_origin_is_not_allowed(demo, client, dashboard):
    statement = Statement.objects.order_by("pk").first()
    response = preflight(
        client, f"/api/v1/statements/{statement.pk}/", origin="https://elsewhere.example"
    )

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Headers" not in response
