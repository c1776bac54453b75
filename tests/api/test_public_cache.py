"""Public answers (anonymous and read-only clients): the record's version as ETag, 304s, and
their bytes cached under it, never leaking a draft or an embargoed entry
(ctht_api/public_cache.py). The cache is the one the project runs with: per process, or
Redis at the end."""

import datetime
import os
import socket

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import issue_token
from ctht_api import public_cache
from ctht_api.models import Status
from ctht_api.public_cache import anonymous_key, record_version
from events.models import Statement
from tests.api.helpers import API, assert_problem, ids
from tests.api.test_query_counts import (  # noqa: F401 (many_rows: a fixture)
    DETAIL_QUERIES,
    DETAIL_ROUTES,
    LIST_ROUTES,
    QUERIES,
    list_url,
    many_rows,
)
from tests.factories import EventFactory, PersonFactory, StatementFactory

pytestmark = pytest.mark.django_db

STATEMENTS = f"{API}statements/"


@pytest.fixture
def feed_started(request):
    """Rows in every list, and the feed's state row made (a new feed's first read makes
    it), as in any running service: counts are then those of every later request."""
    request.getfixturevalue("many_rows")
    record_version()


def queries(client: APIClient, url: str, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    return len(captured), response


def headers(response) -> dict:
    """The response's headers, `Vary` as a set (the order its names were added in varies)."""
    found = dict(response.items())
    found["Vary"] = {name.strip().lower() for name in found.get("Vary", "").split(",")}
    return found


def statement_url(statement: Statement) -> str:
    return f"{STATEMENTS}{statement.pk}/"


# ETags and 304


def test_a_public_list_carries_the_records_version_and_answers_304(anon):
    StatementFactory()
    first = anon.get(STATEMENTS)
    tag = first["ETag"]
    assert tag.startswith('"r') and first["Cache-Control"] == "no-cache"

    count, again = queries(anon, STATEMENTS, HTTP_IF_NONE_MATCH=tag)
    assert (again.status_code, again["ETag"], again.content) == (304, tag, b"")
    assert count == 1  # the version, nothing built
    assert anon.get(STATEMENTS, HTTP_IF_NONE_MATCH=f'"x", W/{tag}').status_code == 304


def test_if_none_match_star_is_304_only_where_the_answer_exists(anon):
    statement = StatementFactory()
    draft = EventFactory(status=Status.DRAFT)
    star = {"HTTP_IF_NONE_MATCH": "*"}

    assert anon.get(statement_url(statement), **star).status_code == 304
    assert anon.get(STATEMENTS, **star).status_code == 304
    assert anon.get(f"{STATEMENTS}999999/", **star).status_code == 404
    assert anon.get(f"{API}events/{draft.pk}/", **star).status_code == 404
    assert anon.get(f"{API}events/?date_after=zzz", **star).status_code == 400
    assert anon.get(f"{API}events/?page=99", **star).status_code == 404


def test_a_release_with_other_code_retires_every_tag_and_entry(anon, monkeypatch):
    statement = StatementFactory()
    url = statement_url(statement)
    before = anon.get(url)
    monkeypatch.setattr(public_cache, "code_version", lambda: "another-release")

    count, after = queries(anon, url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert count > 1  # built again, not served from the old release's entry


def test_an_invented_accept_language_stores_no_copy_of_the_answer(anon, feed_started):
    url = list_url("people", "person")
    for number in range(3):
        assert anon.get(url, HTTP_ACCEPT_LANGUAGE=f"x-{number}").status_code == 200
    for number in range(3):
        request = RequestFactory().get(url, HTTP_ACCEPT_LANGUAGE=f"x-{number}")
        assert caches["responses"].get(anonymous_key(request)) is None
    assert caches["responses"].get(anonymous_key(RequestFactory().get(url))) is None
    anon.get(url)
    assert caches["responses"].get(anonymous_key(RequestFactory().get(url))) is not None


def test_an_answer_too_large_to_store_is_built_every_time(anon, feed_started, monkeypatch):
    monkeypatch.setattr(public_cache, "MAX_STORED_BYTES", 10)
    url = list_url("people", "person")
    first, _ = queries(anon, url)
    again, _ = queries(anon, url)
    assert again == first > 1


def test_any_write_gives_a_new_tag_and_a_fresh_answer(anon, writer):
    statement = StatementFactory(context="before")
    tag = anon.get(statement_url(statement))["ETag"]
    writer.patch(statement_url(statement), {"context": "after"}, format="json")

    response = anon.get(statement_url(statement), HTTP_IF_NONE_MATCH=tag)
    assert response.status_code == 200 and response["ETag"] != tag
    assert response.json()["context"] == "after"


def test_renaming_an_embedded_person_moves_the_tags_of_the_statements_naming_them(anon, writer):
    """The entry-version tag (`"v1"`) did not move here: a 304 kept the old name."""
    speaker = PersonFactory(full_name="Old Name")
    statement = StatementFactory(speaker=speaker)
    detail_tag = anon.get(statement_url(statement))["ETag"]
    list_tag = anon.get(STATEMENTS)["ETag"]

    writer.patch(f"{API}people/{speaker.pk}/", {"full_name": "New Name"}, format="json")

    detail = anon.get(statement_url(statement), HTTP_IF_NONE_MATCH=detail_tag)
    assert detail.status_code == 200
    assert detail.json()["speaker"]["full_name"] == "New Name"
    page = anon.get(STATEMENTS, HTTP_IF_NONE_MATCH=list_tag)
    assert page.status_code == 200
    assert page.json()["results"][0]["speaker"]["full_name"] == "New Name"
    # Nor does the entry's own old tag get a 304 any more.
    assert anon.get(statement_url(statement), HTTP_IF_NONE_MATCH='"v1"').status_code == 200


def test_each_representation_has_its_own_tag_and_bytes(anon):
    from tests.factories import StatementTranslationFactory

    statement = StatementTranslationFactory(language="fr").statement
    url = statement_url(statement)
    plain, french = anon.get(url), anon.get(url, {"lang": "fr"})
    by_header = anon.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert "display" not in plain.json() and french.json()["display"]["language"] == "fr"
    assert by_header.json()["display"]["language"] == "fr"
    assert plain["ETag"] != by_header["ETag"] != french["ETag"]  # another URL too
    assert anon.get(url, HTTP_IF_NONE_MATCH=plain["ETag"], HTTP_ACCEPT_LANGUAGE="fr").status_code
    assert "display" not in anon.get(url).json()  # the cached plain bytes, not the French
    assert "Accept-Language" in anon.get(url, HTTP_ACCEPT_LANGUAGE="fr")["Vary"]
    indented = anon.get(url, HTTP_ACCEPT="application/json; indent=4")
    assert indented["ETag"] != plain["ETag"]


def test_a_public_tag_is_no_precondition_for_a_write(anon, writer):
    statement = StatementFactory()
    tag = anon.get(statement_url(statement))["ETag"]
    response = writer.patch(
        statement_url(statement), {"context": "x"}, format="json", HTTP_IF_MATCH=tag
    )
    assert_problem(response, 412)
    assert writer.get(statement_url(statement))["ETag"] == '"v1"'


# Drafts and embargoes never leak


def test_unpublishing_hides_the_entry_from_the_very_next_public_read(anon, writer):
    statement = StatementFactory()
    assert statement.pk in ids(anon.get(STATEMENTS))
    assert anon.get(statement_url(statement)).status_code == 200

    writer.patch(statement_url(statement), {"status": Status.DRAFT}, format="json")

    assert statement.pk not in ids(anon.get(STATEMENTS))
    assert anon.get(statement_url(statement)).status_code == 404


def test_publishing_shows_the_entry_on_the_very_next_public_read(anon, writer):
    statement = StatementFactory(status=Status.DRAFT)
    assert statement.pk not in ids(anon.get(STATEMENTS))
    assert anon.get(statement_url(statement)).status_code == 404

    writer.patch(statement_url(statement), {"status": Status.PUBLISHED}, format="json")

    assert statement.pk in ids(anon.get(STATEMENTS))
    assert anon.get(statement_url(statement)).status_code == 200


def test_unpublishing_an_event_hides_its_statements_from_public_lists(anon, writer):
    event = EventFactory()
    statement = StatementFactory(event=event)
    nested = f"{API}events/{event.pk}/statements/"
    assert statement.pk in ids(anon.get(STATEMENTS)) and ids(anon.get(nested))

    writer.patch(f"{API}events/{event.pk}/", {"status": Status.DRAFT}, format="json")

    assert statement.pk not in ids(anon.get(STATEMENTS))
    assert anon.get(nested).status_code == 404


NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
LIFT = NOW + datetime.timedelta(minutes=2)


def test_an_ended_embargo_shows_the_entry_on_the_next_read_without_a_write(anon):
    with time_machine.travel(NOW, tick=False) as clock:
        statement = StatementFactory(publish_at=LIFT)
        at_event = StatementFactory(event=EventFactory(publish_at=LIFT))
        page = anon.get(STATEMENTS)
        tag = page["ETag"]
        assert {statement.pk, at_event.pk}.isdisjoint(ids(page))
        assert anon.get(STATEMENTS, HTTP_IF_NONE_MATCH=tag).status_code == 304

        clock.move_to(LIFT)

        shown = anon.get(STATEMENTS, HTTP_IF_NONE_MATCH=tag)
        assert shown.status_code == 200 and shown["ETag"] != tag
        assert {statement.pk, at_event.pk} <= set(ids(shown))
        assert anon.get(statement_url(statement)).status_code == 200


def test_an_editor_neither_reads_nor_fills_the_public_cache(anon, writer, admin_client):
    draft = StatementFactory(status=Status.DRAFT)
    published = StatementFactory()
    public = anon.get(STATEMENTS)  # stored
    assert ids(public) == [published.pk]

    for editor in (writer, admin_client):
        response = editor.get(STATEMENTS)
        assert set(ids(response)) == {draft.pk, published.pk}
        assert not response.has_header("ETag")  # an editor's list: untagged, as before
        detail = editor.get(statement_url(draft))
        assert detail.status_code == 200 and detail["ETag"] == '"v1"'

    caches["responses"].clear()
    writer.get(STATEMENTS)  # an editor's answer is not stored for the public
    count, response = queries(anon, STATEMENTS)
    assert ids(response) == [published.pk]
    assert count == QUERIES["statement"] + 1  # built, not served from the cache


def test_a_read_only_token_shares_the_public_answers(anon, reader):
    StatementFactory()
    public = anon.get(STATEMENTS)
    shared = reader.get(STATEMENTS)
    assert (shared["ETag"], shared.content) == (public["ETag"], public.content)
    assert reader.get(STATEMENTS, HTTP_IF_NONE_MATCH=public["ETag"]).status_code == 304
    count, again = queries(reader, STATEMENTS)
    assert again.content == public.content
    assert count == READ_TOKEN_HIT_QUERIES


# The version alone: the key was found in the token cache (accounts/token_cache.py) and
# nothing of the answer is built.
READ_TOKEN_HIT_QUERIES = 1


def test_a_drafts_scoped_read_token_is_not_public(anon):
    issue_token(username="editor", write=True)  # the user: may view and change everything
    preview = APIClient()
    preview.credentials(
        HTTP_AUTHORIZATION="Token " + issue_token(username="editor", write=False, drafts=True)
    )
    draft = StatementFactory(status=Status.DRAFT)
    public = anon.get(STATEMENTS)

    response = preview.get(STATEMENTS)
    assert draft.pk in ids(response) and not response.has_header("ETag")  # a list: untagged
    assert public["ETag"].startswith('"r')
    assert draft.pk not in ids(anon.get(STATEMENTS))


# What is and is not cached


def test_the_cache_off_answers_the_same_bytes(anon, settings, demo):
    urls = [STATEMENTS, f"{API}people/", f"{API}events/", f"{STATEMENTS}?lang=sr-Latn"]
    cached = [anon.get(url) for url in urls for _ in range(2)][1::2]  # the second: a hit
    settings.API_RESPONSE_CACHE = False
    fresh = [anon.get(url) for url in urls]
    assert [r.content for r in cached] == [r.content for r in fresh]
    assert all(r["ETag"].startswith('"r') for r in cached)
    assert not any(r.has_header("ETag") for r in fresh[:1])  # a list: no tag when off


def test_csv_and_the_browsable_api_are_not_cached(anon):
    StatementFactory()
    csv = anon.get(STATEMENTS, {"format": "csv"})
    html = anon.get(STATEMENTS, HTTP_ACCEPT="text/html")
    assert not csv.has_header("ETag") and not html.has_header("ETag")


def test_hits_still_spend_the_anonymous_budget(anon, settings):
    settings.RATE_LIMITS = {"anon": "3/min", "read": "off", "write": "off"}
    caches["ratelimit"].clear()
    StatementFactory()
    assert [anon.get(STATEMENTS).status_code for _ in range(3)] == [200, 200, 200]
    refused = anon.get(STATEMENTS)
    assert refused.status_code == 429 and refused.has_header("Retry-After")


# Requests without credentials: served before DRF


def test_a_hit_without_credentials_says_what_a_miss_says(anon):
    StatementFactory()
    origin = {"HTTP_ORIGIN": "https://partner.example"}
    built = anon.get(STATEMENTS, **origin)
    count, served = queries(anon, STATEMENTS, **origin)
    assert count == 1
    assert served.content == built.content
    assert headers(served) == headers(built)  # security, CORS and Vary headers too


def test_a_bad_parameter_is_a_400_whatever_is_cached(anon):
    StatementFactory()
    anon.get(STATEMENTS)
    assert_problem(anon.get(STATEMENTS, {"colour": "red"}), 400, "colour")
    assert_problem(anon.get(STATEMENTS, {"lang": "??"}), 400, "lang")


def test_credentials_are_never_answered_before_they_are_checked(anon):
    StatementFactory()
    anon.get(STATEMENTS)
    bad = anon.get(STATEMENTS, HTTP_AUTHORIZATION="Token not-a-key")
    assert bad.status_code == 401


# Queries: a hit costs the version (and a nested list its parent's check)


# /countries/ is counted under events/record_version.py's token, not cached here.
CACHED_LISTS = [param for param in LIST_ROUTES if param.values[1] != "country"]


@pytest.mark.parametrize(("prefix", "basename"), CACHED_LISTS)
def test_a_public_list_is_built_once_then_served_for_one_query(
    anon, feed_started, prefix, basename
):
    url = list_url(prefix, basename)
    cold, built = queries(anon, url)
    warm, served = queries(anon, url)
    assert built.status_code == 200
    assert (cold, warm) == (QUERIES[basename] + 1, 1)
    assert (served.content, headers(served)) == (built.content, headers(built))


@pytest.mark.parametrize(("basename", "viewset"), DETAIL_ROUTES)
def test_a_public_detail_is_built_once_then_served_for_one_query(
    anon, feed_started, basename, viewset
):
    model = viewset.serializer_class.Meta.model
    pk = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    url = reverse(f"{basename}-detail", args=[pk])
    cold, built = queries(anon, url)
    warm, served = queries(anon, url)
    assert built.status_code == 200
    assert (cold, warm) == (DETAIL_QUERIES[basename] + 1, 1)
    assert (served.content, headers(served)) == (built.content, headers(built))


# Redis, as in production with REDIS_URL


def require_redis() -> None:
    """Redis at 127.0.0.1:6379, or the test is skipped; never under CI, where Redis is part
    of the setup."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return
    except OSError:
        assert not os.environ.get("CI"), "CI runs Redis at 127.0.0.1:6379"
        pytest.skip("no Redis at 127.0.0.1:6379")


@pytest.fixture
def redis_responses(settings):
    require_redis()
    settings.CACHES = {
        **settings.CACHES,
        "responses": {
            "BACKEND": "ctht_api.redis_cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "ctht-test-responses",
        },
    }
    caches["responses"].clear()
    yield
    caches["responses"].clear()


def test_redis_holds_the_public_answers(anon, writer, redis_responses):
    statement = StatementFactory()
    built = anon.get(STATEMENTS)
    count, served = queries(anon, STATEMENTS)
    assert count == 1 and served.content == built.content
    writer.patch(statement_url(statement), {"status": Status.DRAFT}, format="json")
    assert statement.pk not in ids(anon.get(STATEMENTS))
