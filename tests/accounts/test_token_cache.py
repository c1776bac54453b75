"""A token found valid is reused for `TOKEN_CACHE_SECONDS` (accounts/token_cache.py): no query
on the next requests; a change through the app applies at once, any other within the bound."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key
from accounts.services import issue_token
from ctht_api.models import Status
from tests.api.helpers import assert_problem
from tests.factories import StatementFactory

pytestmark = pytest.mark.django_db

ROOT = "/api/v1/"
STATEMENTS = "/api/v1/statements/"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def assert_refused(response, detail_word: str) -> None:
    body = assert_problem(response, 401)
    assert detail_word in body["detail"].lower()


def after_the_bound(settings):
    return time_machine.travel(
        timezone.now() + timedelta(seconds=settings.TOKEN_CACHE_SECONDS + 1), tick=False
    )


@pytest.fixture
def preview(db) -> APIClient:
    """A read-only key with the drafts scope, of a user who may view statements."""
    return client_with(issue_token(username="editor", write=False, drafts=True))


@pytest.fixture
def draft():
    return StatementFactory(status=Status.DRAFT)


def draft_ids(client: APIClient) -> list[int]:
    response = client.get(STATEMENTS, {"status": "draft"})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_a_known_token_costs_no_query_within_the_bound(django_assert_num_queries):
    client = client_with(issue_token(username="partner", write=False))
    assert client.get(ROOT).status_code == 200  # looks the token up, records its use

    with django_assert_num_queries(0):  # the root reads nothing either
        assert client.get(ROOT).status_code == 200


def test_a_drafts_token_and_its_permissions_cost_no_query_within_the_bound(
    preview, draft, django_assert_num_queries
):
    assert draft_ids(preview) == [draft.pk]

    with django_assert_num_queries(1):  # the statements alone
        assert draft_ids(preview) == [draft.pk]


def test_without_the_cache_each_request_looks_the_token_up(settings, django_assert_num_queries):
    settings.TOKEN_CACHE_SECONDS = 0
    client = client_with(issue_token(username="partner", write=False))
    assert client.get(ROOT).status_code == 200

    with django_assert_num_queries(1):  # the token with its user
        assert client.get(ROOT).status_code == 200


def test_a_token_revoked_around_the_app_is_refused_after_the_bound(settings):
    key = issue_token(username="partner", write=False)
    client = client_with(key)
    assert client.get(ROOT).status_code == 200

    ApiToken.objects.filter(key_hash=hash_key(key)).update(revoked_at=timezone.now())

    assert client.get(ROOT).status_code == 200  # still within the bound
    with after_the_bound(settings):
        assert_refused(client.get(ROOT), "revoked")


def test_a_token_revoked_through_the_app_is_refused_at_once():
    key = issue_token(username="partner", write=False)
    client = client_with(key)
    assert client.get(ROOT).status_code == 200

    token = ApiToken.objects.get(key_hash=hash_key(key))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])  # as the admin's revoke action does

    assert_refused(client.get(ROOT), "revoked")


def test_a_cached_token_is_refused_the_moment_it_expires():
    key = issue_token(username="partner", write=False, expires_in=timedelta(seconds=5))
    client = client_with(key)
    assert client.get(ROOT).status_code == 200

    with time_machine.travel(timezone.now() + timedelta(seconds=6), tick=False):
        assert_refused(client.get(ROOT), "expired")


def test_a_user_deactivated_through_the_app_is_refused_at_once():
    key = issue_token(username="partner", write=False)
    client = client_with(key)
    assert client.get(ROOT).status_code == 200

    user = get_user_model().objects.get(username="partner")
    user.is_active = False
    user.save()

    assert_refused(client.get(ROOT), "inactive")


def test_a_user_deactivated_around_the_app_is_refused_after_the_bound(settings):
    client = client_with(issue_token(username="partner", write=False))
    assert client.get(ROOT).status_code == 200

    get_user_model().objects.filter(username="partner").update(is_active=False)

    assert client.get(ROOT).status_code == 200
    with after_the_bound(settings):
        assert_refused(client.get(ROOT), "inactive")


def view_statement() -> Permission:
    return Permission.objects.get(content_type__app_label="events", codename="view_statement")


def test_a_permission_removed_through_the_app_applies_at_once(preview, draft):
    assert draft_ids(preview) == [draft.pk]

    get_user_model().objects.get(username="editor").user_permissions.remove(view_statement())

    assert draft_ids(preview) == []


def test_a_permission_removed_around_the_app_applies_within_the_bound(settings, preview, draft):
    assert draft_ids(preview) == [draft.pk]
    user = get_user_model().objects.get(username="editor")

    user.user_permissions.through.objects.filter(
        user=user, permission=view_statement()
    ).delete()  # no m2m_changed signal

    assert draft_ids(preview) == [draft.pk]
    with after_the_bound(settings):
        assert draft_ids(preview) == []


def test_a_group_losing_a_permission_applies_at_once(draft):
    editors = Group.objects.create(name="editors")
    editors.permissions.add(view_statement())
    user = get_user_model().objects.create_user("grouped")
    user.groups.add(editors)
    client = client_with(issue_token(username="grouped", write=False, drafts=True))
    user.user_permissions.remove(view_statement())  # the drafts scope granted it directly
    assert draft_ids(client) == [draft.pk]

    editors.permissions.remove(view_statement())

    assert draft_ids(client) == []


def test_the_cache_is_not_keyed_by_the_secret():
    key = issue_token(username="partner", write=False)
    assert client_with(key).get(ROOT).status_code == 200

    stored = list(cache._cache)  # the default cache in tests is in process memory
    assert stored
    assert not any(key in entry for entry in stored)
    assert any(hash_key(key) in entry for entry in stored)


def test_a_cached_token_whose_last_use_is_written_is_read_afresh_next(settings):
    """The write of its last use does not store the cached copy again (a revocation that
    deleted the entry meanwhile would be undone for another bound): the next request reads
    the token from the database, and sees what changed there."""
    key = issue_token(username="partner", write=False)
    ApiToken.objects.filter(key_hash=hash_key(key)).update(
        last_used_at=timezone.now() - timedelta(seconds=50)
    )
    client = client_with(key)
    assert client.get(ROOT).status_code == 200  # looked up, stored; last use not yet stale
    with time_machine.travel(timezone.now() + timedelta(seconds=15), tick=False):
        assert client.get(ROOT).status_code == 200  # from the cache; its last use written
        ApiToken.objects.filter(key_hash=hash_key(key)).update(revoked_at=timezone.now())
        assert_refused(client.get(ROOT), "revoked")
