"""The API token admin: its pages open, a new key is shown once, revoking keeps the row."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key
from accounts.services import issue_token
from ctht_api.models import Status
from tests.factories import StatementFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounts_apitoken_changelist"
KEY = re.compile(r"ctht_[A-Za-z0-9_-]{43}")


@pytest.fixture
def tokens(db) -> list[ApiToken]:
    """An active, an expired and a revoked token, one of them used."""
    keys = [issue_token(username=name, write=False) for name in ("ana", "bojan", "cvijeta")]
    active, expired, revoked = (ApiToken.objects.get(key_hash=hash_key(k)) for k in keys)
    APIClient(HTTP_AUTHORIZATION=f"Token {keys[0]}").get("/api/v1/")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    return [active, expired, revoked]


def test_changelist_shows_prefix_status_and_use(
    admin_client, tokens, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    content = response.content.decode()
    for token in tokens:
        assert token.key_prefix in content
    assert {"active", "expired", "revoked"} <= set(re.findall(r"active|expired|revoked", content))


@pytest.mark.parametrize(
    ("status", "owner"), [("active", "ana"), ("expired", "bojan"), ("revoked", "cvijeta")]
)
def test_status_filter(admin_client, tokens, status, owner):
    response = admin_client.get(reverse(CHANGELIST), {"status": status})

    assert [t.user.username for t in response.context["cl"].result_list] == [owner]


@pytest.mark.parametrize("query", ["ana", "ctht_"])
def test_search_by_user_and_prefix(admin_client, tokens, query):
    response = admin_client.get(reverse(CHANGELIST), {"q": query})

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


def test_change_page_opens_without_the_key(admin_client):
    key = issue_token(username="ana", write=False)
    token = ApiToken.objects.get()

    response = admin_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert token.key_prefix in content and token.key_hash in content
    assert key not in content
    assert set(response.context["adminform"].form.fields) == {
        "name",
        "write_enabled",
        "drafts_enabled",
        "expires_at",
    }


def test_add_page_creates_a_token_and_shows_its_key_once(admin_client):
    user = get_user_model().objects.create_user("partner")
    assert admin_client.get(reverse("admin:accounts_apitoken_add")).status_code == 200

    response = admin_client.post(
        reverse("admin:accounts_apitoken_add"),
        {
            "user": user.pk,
            "name": "dashboard",
            "write_enabled": "",
            "expires_at_0": "",
            "expires_at_1": "",
        },
        follow=True,
    )

    assert response.status_code == 200
    shown = KEY.findall(response.content.decode())
    assert len(shown) == 1  # in the success message only
    key = shown[0]
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.write_enabled) == (user, "dashboard", False)
    assert token.key_hash == hash_key(key)
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/people/").status_code == 200
    # Never again: neither the list nor the token's page shows it.
    assert key not in admin_client.get(reverse(CHANGELIST)).content.decode()
    change = admin_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert key not in change.content.decode()


def test_revoking_keeps_the_row_and_bulk_delete_is_not_offered(admin_client, tokens):
    active = tokens[0]
    response = admin_client.get(reverse(CHANGELIST))
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "revoke" in actions and "delete_selected" not in actions

    admin_client.post(reverse(CHANGELIST), {"action": "revoke", "_selected_action": [active.pk]})

    assert ApiToken.objects.count() == 3
    assert ApiToken.objects.active().count() == 0


def test_changelist_shows_and_filters_the_drafts_scope(admin_client):
    issue_token(username="ana", write=False)
    issue_token(username="bojan", write=False, drafts=True)
    issue_token(username="cvijeta", write=True)

    response = admin_client.get(reverse(CHANGELIST))
    assert "drafts_enabled" in response.context["cl"].list_display
    assert "drafts" in [spec.title for spec in response.context["cl"].filter_specs]

    scoped = admin_client.get(reverse(CHANGELIST), {"drafts_enabled__exact": "1"})
    unscoped = admin_client.get(reverse(CHANGELIST), {"drafts_enabled__exact": "0"})
    assert {t.user.username for t in scoped.context["cl"].result_list} == {"bojan", "cvijeta"}
    assert [t.user.username for t in unscoped.context["cl"].result_list] == ["ana"]


def test_the_drafts_scope_is_editable_and_withdrawing_it_hides_drafts(admin_client):
    draft = StatementFactory(status=Status.DRAFT)
    key = issue_token(username="ana", write=False, drafts=True)
    token = ApiToken.objects.get()
    reader = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert reader.get(f"/api/v1/statements/{draft.pk}/").status_code == 200

    response = admin_client.post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        {"name": "dashboard", "write_enabled": "", "drafts_enabled": "", "expires_at_0": ""},
    )

    assert response.status_code == 302, response.content
    assert not ApiToken.objects.get().drafts_enabled
    assert reader.get(f"/api/v1/statements/{draft.pk}/").status_code == 404


def test_a_write_token_without_the_drafts_scope_is_refused_with_a_message(admin_client):
    user = get_user_model().objects.create_user("partner")

    response = admin_client.post(
        reverse("admin:accounts_apitoken_add"),
        {
            "user": user.pk,
            "name": "",
            "write_enabled": "on",
            "drafts_enabled": "",
            "expires_at_0": "",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "must also see drafts" in response.content.decode()
    assert not ApiToken.objects.exists()
