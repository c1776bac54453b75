"""`issue_token` prints only a new key, creates the user if needed, grants writes on demand."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key

pytestmark = pytest.mark.django_db

STATEMENT_WRITES = ["events.add_statement", "events.change_statement", "events.delete_statement"]
API_MODELS = {
    "people": ["institution", "person", "position"],
    "events": [
        "event",
        "statement",
        "statementtranslation",
        "topic",
        "programme",
        "document",
    ],
}


def issue(username, *args):
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("issue_token", username, *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue()


def fresh_user(username):
    """The user as stored now (``has_perm`` caches permissions on the instance)."""
    return get_user_model().objects.get(username=username)


def token_of(key: str) -> ApiToken:
    return ApiToken.objects.select_related("user").get(key_hash=hash_key(key.strip()))


def test_stdout_is_exactly_the_key_and_a_newline():
    out = issue("partner")

    assert re.fullmatch(r"ctht_[A-Za-z0-9_-]{43}\n", out)
    assert token_of(out).user.username == "partner"


def test_the_printed_key_authenticates_the_user():
    key = issue("partner").strip()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/people/").status_code == 200
    assert token_of(key).last_used_at is not None


def test_a_new_user_is_active_with_an_unusable_password():
    issue("partner")

    user = fresh_user("partner")
    assert user.is_active
    assert not user.has_usable_password()


def test_each_run_issues_a_new_token_and_older_ones_stay_valid():
    first = issue("partner").strip()
    second = issue("partner").strip()

    assert first != second
    assert ApiToken.objects.filter(user__username="partner").active().count() == 2
    for key in (first, second):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/people/").status_code == 200


def test_notes_go_to_stderr_with_the_prefix_only():
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("issue_token", "partner", stdout=stdout, stderr=stderr)

    key = stdout.getvalue().strip()
    assert key[:13] in stderr.getvalue()
    assert key not in stderr.getvalue()
    assert "read-only" in stderr.getvalue()


def test_an_existing_user_keeps_their_password_and_gets_a_token():
    user = get_user_model().objects.create_user("editor", password="a long passphrase")

    key = issue("editor")

    assert token_of(key).user == user
    assert fresh_user("editor").check_password("a long passphrase")


def test_without_write_the_token_is_read_only():
    assert not token_of(issue("reader")).write_enabled


def test_with_write_the_token_is_write_enabled():
    assert token_of(issue("writer", "--write")).write_enabled


def test_by_default_a_token_never_expires_and_has_no_name():
    token = token_of(issue("partner"))

    assert token.expires_at is None
    assert token.name == ""


def test_expires_in_and_name_are_stored():
    before = timezone.now()
    token = token_of(issue("partner", "--expires-in", "30", "--name", "dashboard"))

    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    assert token.name == "dashboard"


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_expires_in_must_be_a_positive_number_of_days(days):
    with pytest.raises(CommandError, match="expires-in"):
        issue("partner", "--expires-in", days)

    assert not ApiToken.objects.exists()


def test_a_name_too_long_is_a_command_error():
    with pytest.raises(CommandError, match="Invalid name"):
        issue("partner", "--name", "x" * 101)

    assert not ApiToken.objects.exists()


def test_without_write_the_user_cannot_write_statements():
    issue("reader")

    user = fresh_user("reader")
    assert not any(user.has_perm(perm) for perm in STATEMENT_WRITES)
    assert not user.user_permissions.exists()


def test_without_write_an_existing_users_permissions_are_left_as_they_are():
    issue("editor", "--write")
    granted = set(fresh_user("editor").get_all_permissions())

    issue("editor")

    assert set(fresh_user("editor").get_all_permissions()) == granted


@pytest.mark.parametrize(
    "perm",
    [
        f"{app}.{action}_{model}"
        for app, models in API_MODELS.items()
        for model in models
        for action in ("add", "change", "delete", "view")
    ],
)
def test_with_write_the_user_can_add_change_and_delete_every_api_model(perm):
    issue("writer", "--write")

    assert fresh_user("writer").has_perm(perm)


def test_with_write_countries_stay_read_only():
    issue("writer", "--write")

    user = fresh_user("writer")
    assert user.has_perm("people.view_country")
    assert not any(
        user.has_perm(f"people.{action}_country") for action in ("add", "change", "delete")
    )


def test_write_on_an_existing_user_adds_the_permissions():
    issue("reader")
    assert not fresh_user("reader").has_perm("events.add_statement")

    issue("reader", "--write")

    assert fresh_user("reader").has_perm("events.add_statement")


def test_write_grants_nothing_outside_the_api_apps():
    issue("writer", "--write")

    user = fresh_user("writer")
    assert not user.is_staff
    assert not user.is_superuser
    assert {perm.split(".")[0] for perm in user.get_all_permissions()} == {"people", "events"}


@pytest.mark.parametrize("username", ["bad name!", "", "x" * 151])
def test_an_invalid_username_is_a_command_error_naming_the_problem(username):
    with pytest.raises(CommandError, match="Invalid username") as excinfo:
        issue(username)

    assert "username" in str(excinfo.value).lower()
    assert not get_user_model().objects.exists()
    assert not ApiToken.objects.exists()


def test_the_bad_character_error_says_which_characters_are_allowed():
    with pytest.raises(CommandError, match="letters, numbers"):
        issue("bad name!")


def test_without_drafts_the_token_sees_published_entries_only():
    issue("editor", "--write")
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("issue_token", "editor", stdout=stdout, stderr=stderr)

    assert not token_of(stdout.getvalue()).drafts_enabled
    assert "published entries only" in stderr.getvalue()


def test_with_drafts_the_token_sees_drafts_and_the_user_may_view():
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("issue_token", "preview", "--drafts", stdout=stdout, stderr=stderr)

    token = token_of(stdout.getvalue())
    assert token.drafts_enabled and not token.write_enabled
    assert "sees drafts" in stderr.getvalue()
    user = fresh_user("preview")
    assert user.has_perm("events.view_statement") and user.has_perm("events.view_event")
    assert not any(user.has_perm(perm) for perm in STATEMENT_WRITES)


def test_write_implies_drafts():
    assert token_of(issue("writer", "--write")).drafts_enabled
