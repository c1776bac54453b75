"""Partner dashboards on the origins the operator lists may call the API from browsers."""

import pytest

pytestmark = pytest.mark.django_db

DASHBOARD = "https://dashboard.partner.example"


def test_listed_origin_may_read_the_api(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [DASHBOARD]
    response = client.get("/api/v1/statements/", HTTP_ORIGIN=DASHBOARD)
    assert response["Access-Control-Allow-Origin"] == DASHBOARD


def test_unlisted_origin_gets_no_cors_header(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [DASHBOARD]
    response = client.get("/api/v1/statements/", HTTP_ORIGIN="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_applies_to_the_api_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [DASHBOARD]
    response = client.get("/admin/login/", HTTP_ORIGIN=DASHBOARD)
    assert "Access-Control-Allow-Origin" not in response
