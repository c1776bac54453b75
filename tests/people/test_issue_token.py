"""`issue_token` prints only the API key, creates what is missing, grants writes on demand."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

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


def test_stdout_is_exactly_the_key_and_a_newline():
    out = issue("partner")

    key = Token.objects.get(user__username="partner").key
    assert out == f"{key}\n"


def test_the_printed_key_authenticates_the_user():
    key = issue("partner").strip()

    assert Token.objects.select_related("user").get(key=key).user.username == "partner"


def test_a_new_user_is_active_with_an_unusable_password():
    issue("partner")

    user = fresh_user("partner")
    assert user.is_active
    assert not user.has_usable_password()


def test_a_rerun_prints_the_same_key():
    first = issue("partner")

    assert issue("partner") == first
    assert issue("partner", "--write") == first
    assert Token.objects.filter(user__username="partner").count() == 1


def test_an_existing_user_keeps_their_password_and_gets_a_token():
    user = get_user_model().objects.create_user("editor", password="a long passphrase")

    key = issue("editor").strip()

    assert Token.objects.get(key=key).user == user
    assert fresh_user("editor").check_password("a long passphrase")


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
    assert not Token.objects.exists()


def test_the_bad_character_error_says_which_characters_are_allowed():
    with pytest.raises(CommandError, match="letters, numbers"):
        issue("bad name!")
