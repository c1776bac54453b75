"""Password guessing at the admin login is stopped (django-axes), without locking others out."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def failure_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


@pytest.fixture
def admins():
    model = get_user_model()
    for name in ("boss", "deputy"):
        model.objects.create_superuser(name, f"{name}@example.org", PASSWORD)


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_wrong_passwords_lock_the_username_out_even_with_the_right_one(admins):
    client = Client(REMOTE_ADDR="192.0.2.10")

    assert [sign_in(client, "boss", "guess").status_code for _ in range(2)] == [200, 200]
    locked = sign_in(client, "boss", "guess")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content

    right = sign_in(client, "boss", PASSWORD)
    assert right.status_code == 429
    assert not signed_in(client)


def test_the_lockout_spares_other_users_and_other_addresses(admins):
    attacker = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(3):
        sign_in(attacker, "boss", "guess")

    assert sign_in(attacker, "deputy", PASSWORD).status_code == 302
    assert signed_in(attacker)

    elsewhere = Client(REMOTE_ADDR="192.0.2.20")
    assert sign_in(elsewhere, "boss", PASSWORD).status_code == 302
    assert signed_in(elsewhere)


def test_a_successful_sign_in_resets_the_count(admins):
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(2):
        sign_in(client, "boss", "typo")
    assert sign_in(client, "boss", PASSWORD).status_code == 302
    client.post("/admin/logout/")

    assert [sign_in(client, "boss", "typo").status_code for _ in range(2)] == [200, 200]
    assert sign_in(client, "boss", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(admins, settings):
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(3):
        sign_in(client, "boss", "guess")
    assert sign_in(client, "boss", PASSWORD).status_code == 429

    # The cool-off passes: the attempts are as old as it is long.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)

    assert sign_in(client, "boss", PASSWORD).status_code == 302
