"""A key sees drafts only with the drafts scope, and history only when it is a write key,
whatever its user's permissions."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key
from accounts.services import issue_token
from ctht_api.models import Status
from tests.api.helpers import API, all_ids, assert_problem
from tests.factories import EventFactory, StatementFactory

pytestmark = pytest.mark.django_db


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def draft_event():
    return EventFactory(status=Status.DRAFT)


@pytest.fixture
def draft_statement(draft_event):
    return StatementFactory(status=Status.DRAFT, event=draft_event)


@pytest.fixture
def published_statement():
    return StatementFactory()


@pytest.fixture
def dashboard(db) -> APIClient:
    """A read-only key of an editor's account: the user may view and change everything."""
    issue_token(username="editor", write=True)
    return client_with(issue_token(username="editor", write=False))


@pytest.fixture
def preview(db) -> APIClient:
    """A read-only key of the same editor, issued with the drafts scope."""
    issue_token(username="editor", write=True)
    return client_with(issue_token(username="editor", write=False, drafts=True))


def test_a_read_only_key_of_an_editor_lists_no_draft(
    dashboard, draft_event, draft_statement, published_statement
):
    assert all_ids(dashboard, f"{API}statements/") == [published_statement.pk]
    assert draft_event.pk not in all_ids(dashboard, f"{API}events/")
    speaker = draft_statement.speaker_id
    assert all_ids(dashboard, f"{API}people/{speaker}/statements/") == []


def test_a_read_only_key_of_an_editor_gets_404_on_drafts(dashboard, draft_event, draft_statement):
    assert_problem(dashboard.get(f"{API}statements/{draft_statement.pk}/"), 404)
    assert_problem(dashboard.get(f"{API}events/{draft_event.pk}/"), 404)
    assert_problem(dashboard.get(f"{API}events/{draft_event.pk}/statements/"), 404)


def test_a_read_only_key_of_an_editor_is_refused_the_history(
    dashboard, draft_event, draft_statement, published_statement
):
    for url in (
        f"{API}statements/{draft_statement.pk}/history/",
        f"{API}statements/{published_statement.pk}/history/",
        f"{API}events/{draft_event.pk}/history/",
    ):
        assert_problem(dashboard.get(url), 403)


def test_a_key_with_the_drafts_scope_sees_drafts_but_not_the_history(
    preview, draft_event, draft_statement, published_statement
):
    assert set(all_ids(preview, f"{API}statements/")) == {
        draft_statement.pk,
        published_statement.pk,
    }
    assert preview.get(f"{API}statements/{draft_statement.pk}/").status_code == 200
    assert preview.get(f"{API}events/{draft_event.pk}/").status_code == 200
    assert all_ids(preview, f"{API}events/{draft_event.pk}/statements/") == [draft_statement.pk]
    # API.md, "Access": history is for write keys and signed-in editors.
    assert_problem(preview.get(f"{API}statements/{draft_statement.pk}/history/"), 403)


def test_a_write_key_reads_the_history(draft_statement):
    client = client_with(issue_token(username="editor", write=True))

    assert client.get(f"{API}statements/{draft_statement.pk}/history/").status_code == 200


def test_the_drafts_scope_needs_the_users_permission_too(draft_statement):
    """The scope narrows what the user may do, never widens it."""
    user = get_user_model().objects.create_user("partner")
    _, key = ApiToken.objects.create_token(user=user, drafts_enabled=True)

    client = client_with(key)

    assert_problem(client.get(f"{API}statements/{draft_statement.pk}/"), 404)
    assert_problem(client.get(f"{API}statements/{draft_statement.pk}/history/"), 403)


def test_drafts_scope_on_a_new_user_grants_view_so_it_sees_drafts(draft_statement):
    client = client_with(issue_token(username="preview-bot", write=False, drafts=True))

    assert client.get(f"{API}statements/{draft_statement.pk}/").status_code == 200
    user = get_user_model().objects.get(username="preview-bot")
    assert user.has_perm("events.view_statement")
    assert not user.has_perm("events.change_statement")


def test_a_write_key_always_has_the_drafts_scope(draft_statement):
    key = issue_token(username="editor", write=True)

    assert ApiToken.objects.get(key_hash=hash_key(key)).drafts_enabled
    assert client_with(key).get(f"{API}statements/{draft_statement.pk}/").status_code == 200


def test_the_same_editor_signed_in_still_sees_drafts(draft_statement):
    """Sessions (admin, browsable API) keep the model permissions as their rule."""
    issue_token(username="editor", write=True)
    client = APIClient()
    client.force_login(get_user_model().objects.get(username="editor"))

    assert client.get(f"{API}statements/{draft_statement.pk}/").status_code == 200
    assert client.get(f"{API}statements/{draft_statement.pk}/history/").status_code == 200
