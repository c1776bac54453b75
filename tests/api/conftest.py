"""Clients as partners hold them: anonymous, a read-only token and a write token."""

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_token
from events.models import Event
from people.models import Institution, Person


def token_client(username: str, *, write: bool) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + issue_token(username=username, write=write))
    return client


@pytest.fixture
def anon() -> APIClient:
    """A client without credentials: it reads published entries and writes nothing."""
    return APIClient()


@pytest.fixture
def writer(db) -> APIClient:
    """A client holding a `--write` token: add/change/delete on every API model."""
    return token_client("editor", write=True)


@pytest.fixture
def reader(db) -> APIClient:
    """A client holding a token without permissions: it reads what anyone reads."""
    return token_client("partner", write=False)


@pytest.fixture
def entry_version_tags(settings):
    """Public answers tagged and built as editors' are: each entry's own version (`"v12"`),
    no cache. What every client gets with `API_RESPONSE_CACHE=off`, and editors always;
    the record-version tags of public answers: tests/api/test_public_cache.py."""
    settings.API_RESPONSE_CACHE = False


@pytest.fixture
def simic(demo) -> Person:
    return Person.objects.get(full_name="Nenad Simić")


@pytest.fixture
def tanic(demo) -> Person:
    return Person.objects.get(full_name="Stanislava Tanić")


@pytest.fixture
def conference(demo) -> Event:
    """The demo's one (published) event."""
    return Event.objects.get()


@pytest.fixture
def serbian_ministry(demo) -> Institution:
    return Institution.objects.get(slug="ministry-of-interior-of-the-republic-of-serbia")
