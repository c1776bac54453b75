"""Requests without a Cookie header skip the session work (ctht_api/cookieless.py); the rest
is as before: sessions sign editors in, CSRF guards the forms, answers vary on Cookie."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import issue_token
from ctht_api.models import Status
from tests.factories import StatementFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor():
    return get_user_model().objects.create_superuser("boss", "boss@example.org", PASSWORD)


def test_cookieless_read_sets_no_cookie_and_varies_on_cookie(demo):
    response = APIClient().get("/api/v1/statements/")

    assert response.status_code == 200
    assert response.json()["results"]
    assert not response.cookies
    assert "Cookie" in response["Vary"]


def test_cookieless_read_is_anonymous(editor):
    StatementFactory(status=Status.DRAFT)
    session = APIClient()
    session.force_login(editor)
    assert len(session.get("/api/v1/statements/", {"status": "draft"}).json()["results"]) == 1

    response = APIClient().get("/api/v1/statements/", {"status": "draft"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_cookieless_token_read_sets_no_cookie(demo):
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION="Token " + issue_token(username="partner", write=False))

    response = reader.get("/api/v1/statements/")

    assert response.status_code == 200
    assert not response.cookies


def test_cookieless_post_to_the_admin_login_is_refused_without_csrf(editor):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})

    assert response.status_code == 403
    assert client.get("/admin/").status_code == 302


def test_cookie_carrying_post_to_the_admin_without_csrf_token_is_refused(editor):
    client = Client(enforce_csrf_checks=True)
    assert client.get("/admin/login/").status_code == 200
    assert client.cookies["csrftoken"]

    response = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})

    assert response.status_code == 403


def test_admin_sign_in_with_csrf_token_still_works(editor):
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/admin/login/", {"username": "boss", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert client.cookies["sessionid"].value
    assert client.get("/admin/").status_code == 200


def test_session_without_csrf_token_cannot_write_through_the_api(editor, demo):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)

    response = client.post("/api/v1/topics/", {"name": "New", "slug": "new"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
