"""API tokens from the client's side: hashed keys, expiry, revocation, read-only tokens, use."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.cache import cache
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key
from accounts.services import issue_token
from tests.api.helpers import assert_problem

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/people/"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def token_of(key: str) -> ApiToken:
    return ApiToken.objects.get(key_hash=hash_key(key))


def assert_refused(response, detail_word: str) -> None:
    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"
    assert detail_word in body["detail"].lower()


def test_a_write_key_writes():
    key = issue_token(username="editor", write=True)

    response = client_with(key).post(PEOPLE, {"full_name": "Ana Petrović"}, format="json")

    assert response.status_code == 201, response.content


def test_the_key_is_not_stored_only_its_hash_and_prefix():
    key = issue_token(username="editor", write=True)

    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(token.key_prefix) and len(token.key_prefix) < len(key) // 3
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                lookup = {f"{field.attname}__contains": key}
                assert not model._default_manager.filter(**lookup).exists(), field


def test_each_key_is_new_and_recognisable():
    keys = {issue_token(username="editor", write=False) for _ in range(3)}

    assert len(keys) == 3
    assert all(key.startswith("ctht_") and len(key) >= 45 for key in keys)


def test_an_expired_token_is_401():
    key = issue_token(username="partner", write=False, expires_in=timedelta(days=1))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_refused(client_with(key).get(PEOPLE), "expired")


def test_a_token_before_its_expiry_works():
    key = issue_token(username="partner", write=False, expires_in=timedelta(days=1))

    assert client_with(key).get(PEOPLE).status_code == 200


def test_a_token_revoked_in_the_admin_is_401_and_kept(admin_client):
    key = issue_token(username="partner", write=False)
    token = token_of(key)
    assert client_with(key).get(PEOPLE).status_code == 200

    response = admin_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )

    assert "1 API tokens revoked" in response.content.decode()
    assert_refused(client_with(key).get(PEOPLE), "revoked")
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "Token ctht_not-a-real-key-0000000000000000000000000000000",
        "Token not-a-real-key",
        "Token",
        "Token two words",
        "token ctht_not-a-real-key",
    ],
)
def test_a_wrong_key_or_header_is_401_problem(header):
    issue_token(username="partner", write=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    body = assert_problem(client.get(PEOPLE), 401)

    assert "token" in body["detail"].lower()


def test_a_token_of_an_inactive_user_is_401():
    key = issue_token(username="partner", write=True)
    token_of(key).user.__class__.objects.filter(username="partner").update(is_active=False)

    assert_refused(client_with(key).get(PEOPLE), "inactive")


def test_a_read_only_token_of_a_writer_cannot_write():
    issue_token(username="editor", write=True)  # the user holds every write permission
    read_only = client_with(issue_token(username="editor", write=False))

    response = read_only.post(PEOPLE, {"full_name": "Ana Petrović"}, format="json")

    body = assert_problem(response, 403)
    assert "read-only" in body["detail"]
    assert read_only.get(PEOPLE).status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_read_only_token_cannot_change_or_delete(demo, method):
    from people.models import Person

    read_only = client_with(issue_token(username="editor", write=False))
    issue_token(username="editor", write=True)
    person = Person.objects.get(full_name="Nenad Simić")

    response = getattr(read_only, method)(
        f"{PEOPLE}{person.pk}/", {"full_name": "Someone Else"}, format="json"
    )

    assert_problem(response, 403)
    assert Person.objects.filter(pk=person.pk, full_name="Nenad Simić").exists()


def test_an_admin_session_still_writes_through_the_api(admin_client):
    response = admin_client.post(
        PEOPLE, {"full_name": "Ana Petrović"}, content_type="application/json"
    )

    assert response.status_code == 201, response.content


def test_a_request_without_credentials_still_gets_the_token_challenge():
    response = APIClient().post(PEOPLE, {"full_name": "Ana Petrović"}, format="json")

    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"


def updates(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].upper().startswith("UPDATE")]


def test_last_used_is_recorded_at_most_once_a_minute(settings):
    settings.API_RESPONSE_CACHE = False  # both answers built: only the token's write differs
    key = issue_token(username="partner", write=False)
    client = client_with(key)
    assert token_of(key).last_used_at is None

    with CaptureQueriesContext(connection) as first:
        assert client.get(PEOPLE).status_code == 200
    used = token_of(key).last_used_at
    with CaptureQueriesContext(connection) as second:
        assert client.get(PEOPLE).status_code == 200

    assert used is not None
    assert len(updates(first)) == 1
    assert updates(second) == []
    assert len(second) == len(first) - 2  # no UPDATE, and the token from the cache
    assert token_of(key).last_used_at == used


def test_last_used_is_recorded_again_after_a_minute():
    key = issue_token(username="partner", write=False)
    client = client_with(key)
    client.get(PEOPLE)
    earlier = token_of(key).last_used_at

    with time_machine.travel(earlier + timedelta(minutes=2), tick=False):
        assert client.get(PEOPLE).status_code == 200

    assert token_of(key).last_used_at == earlier + timedelta(minutes=2)


def test_the_token_lookup_is_one_query(django_assert_num_queries):
    client = client_with(issue_token(username="partner", write=False))
    client.get("/api/v1/")  # records the first use
    cache.clear()  # a look-up, not a cached token (tests/accounts/test_token_cache.py)

    with django_assert_num_queries(1):  # the token with its user; the root reads nothing
        assert client.get("/api/v1/").status_code == 200
