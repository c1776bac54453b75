"""Contract: every list route of the v1 router answers in a fixed number of queries.

The routes come from the router itself, so a new endpoint is covered (and must
have its count pinned below) the day it is registered. Counts are for anonymous
clients; an authenticated client adds the token and permission look-ups, a
constant too, on its first request only: the token cache keeps them for the next
(pinned at the end of this file). They are of the cold path (`API_RESPONSE_CACHE=off`);
the cached path's are pinned in tests/api/test_public_cache.py.
"""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from ctht_api.api import router
from events.models import (
    DocumentIdentifier,
    EventIdentifier,
    EventOtherName,
    ProgrammeIdentifier,
    ProgrammeOtherName,
)
from people.models import (
    InstitutionIdentifier,
    InstitutionOtherName,
    PersonIdentifier,
    PersonOtherName,
    PositionOtherName,
)
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PositionFactory,
    ProgrammeFactory,
    StatementFactory,
    StatementTranslationFactory,
    TopicFactory,
)

# Anonymous queries per list, whatever the page size: the page count (not for the
# keyset-paged statement lists, where it is opt-in), the rows, one per prefetched
# relation, and for nested lists one to check the parent exists.
QUERIES = {
    "institution": 2,
    "person": 2,
    "position": 2,
    "event": 2,  # count + rows with their relations as JSON arrays
    "statement": 1,  # rows with countries, topics, translations as JSON arrays; no count
    "topic": 2,
    "programme": 3,  # + funders
    "document": 2,
    # On a cache miss: the next embargo end (once per record version, events/record_version.py),
    # three grouped counts and the names (events/counts.py).
    "country": 5,
    "country-statements": 2,
    "event-statements": 2,
    "person-statements": 2,
    "institution-statements": 2,
}

# Paged lists; `/stats/statements/` answers every group at once and pins its own counts
# (tests/api/test_stats.py).
LIST_ROUTES = [
    pytest.param(prefix, basename, id=basename)
    for prefix, viewset, basename in router.registry
    if hasattr(viewset, "list") and viewset.pagination_class is not None
]


@pytest.fixture(autouse=True)
def cold_path(entry_version_tags):
    """Every answer built afresh (see the module)."""


@pytest.fixture
def many_rows(conference, simic, serbian_ministry):
    """Several rows of every resource, each with every relation its list embeds filled in,
    all inside the scopes `list_url` uses, so an N+1 would show in every list."""
    # SQLite probes its JSON support once per connection: do it before measuring.
    assert connection.features.supports_json_field
    topic = TopicFactory()
    for _ in range(3):
        institution = InstitutionFactory(country_id="ME", parent=InstitutionFactory())
        programme = ProgrammeFactory(parent=ProgrammeFactory())
        programme.funders.set([institution])
        document = DocumentFactory(publisher=institution)
        event = EventFactory(country_id="RS", source=document)
        event.countries.set(["RS", "ME"])
        event.organisers.set([institution])
        event.topics.set([topic])
        event.programmes.set([programme])
        event.documents.set([document])
        position = PositionFactory(person=simic, institution=serbian_ministry)
        for entry in (institution, programme, position, simic):  # ctht_api.sources
            entry.sources.add(document)
        statement = StatementFactory(
            speaker=simic, position=position, event=conference, source=document
        )
        statement.topics.set([topic])
        StatementTranslationFactory(statement=statement)
        for language in ("sr-Cyrl", "en"):  # other names: in the entries' own lists
            InstitutionOtherName.objects.create(
                institution=institution, name="I", language=language
            )
            ProgrammeOtherName.objects.create(programme=programme, name="P", language=language)
            EventOtherName.objects.create(event=event, name="E", language=language)
            PositionOtherName.objects.create(position=position, name="T", language=language)
        # Identifiers: in the entries' own lists too (not Wikidata's: the demo holds some).
        for scheme in ("isni", "ror"):
            value = f"test-{institution.pk}"
            InstitutionIdentifier.objects.create(
                institution=institution, scheme=scheme, identifier=value
            )
            ProgrammeIdentifier.objects.create(programme=programme, scheme=scheme, identifier=value)
            EventIdentifier.objects.create(event=event, scheme=scheme, identifier=value)
            DocumentIdentifier.objects.create(document=document, scheme=scheme, identifier=value)
    for scheme, value in (("isni", "test-1"), ("ror", "test-1")):
        PersonIdentifier.objects.get_or_create(person=simic, scheme=scheme, identifier=value)
    for language in ("sr-Cyrl", "en"):
        # The demo gives Simić his Cyrillic name already: one more in English.
        PersonOtherName.objects.get_or_create(person=simic, name="Ненад Симић", language=language)


def scope_values() -> dict[str, object]:
    """A value for each URL variable of the nested routes, taken from the demo."""
    from events.models import Event
    from people.models import Institution, Person

    return {
        "event_pk": Event.objects.get(slug="sarajevo-conference-digital-technology-thb").pk,
        "person_pk": Person.objects.get(full_name="Nenad Simić").pk,
        "institution_pk": Institution.objects.get(
            slug="ministry-of-interior-of-the-republic-of-serbia"
        ).pk,
        "country_code": "RS",
    }


def list_url(prefix: str, basename: str) -> str:
    variables = re.findall(r"\(\?P<(\w+)>", prefix)
    values = scope_values()
    missing = set(variables) - set(values)
    assert not missing, f"give scope_values() a value for {missing} ({prefix})"
    return reverse(f"{basename}-list", kwargs={name: values[name] for name in variables})


def count_queries(client, url: str, page_size: int) -> int:
    cache.clear()  # measure the same (uncached) path every time
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200, response.content
    return len(queries)


def test_every_list_route_has_a_pinned_count():
    assert {param.values[1] for param in LIST_ROUTES} == set(QUERIES)
    # 5: /countries/ on a cache miss, counting the next embargo end of a new record version.
    assert max(QUERIES.values()) <= 5


@pytest.mark.parametrize(("prefix", "basename"), LIST_ROUTES)
def test_list_query_count_is_pinned(anon, many_rows, django_assert_num_queries, prefix, basename):
    url = list_url(prefix, basename)
    cache.clear()

    with django_assert_num_queries(QUERIES[basename]):
        response = anon.get(url, {"page_size": 500})

    assert response.status_code == 200
    assert len(response.json()["results"]) > 3


@pytest.mark.parametrize(("prefix", "basename"), LIST_ROUTES)
def test_list_query_count_does_not_grow_with_page_size(anon, many_rows, prefix, basename):
    url = list_url(prefix, basename)

    assert count_queries(anon, url, page_size=1) == count_queries(anon, url, page_size=500)


@pytest.fixture
def used_writer(writer) -> APIClient:
    """The write token after its first request, which records `last_used_at` (one UPDATE,
    then at most once a minute: see accounts/authentication.py), so it is not measured."""
    assert writer.get("/api/v1/").status_code == 200
    return writer


@pytest.mark.parametrize(("prefix", "basename"), LIST_ROUTES)
def test_editor_list_query_count_does_not_grow_with_page_size(
    used_writer, many_rows, prefix, basename
):
    url = list_url(prefix, basename)

    assert count_queries(used_writer, url, page_size=1) == count_queries(
        used_writer, url, page_size=500
    )


@pytest.mark.parametrize(("prefix", "basename"), LIST_ROUTES)
def test_editor_list_adds_at_most_auth_queries(
    used_writer, many_rows, django_assert_max_num_queries, prefix, basename
):
    url = list_url(prefix, basename)

    # the token with its user (one query), the user's permissions and group permissions
    cache.clear()
    with django_assert_max_num_queries(QUERIES[basename] + 3):
        assert used_writer.get(url, {"page_size": 500}).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/statements/", "/api/v1/topics/"])
def test_display_adds_no_query_per_entry(anon, many_rows, path):
    """`display` reads the translations the page's query gathered, also for an entry
    without any (a null array), rather than asking again per entry."""
    counts = []
    for page_size in (1, 500):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = anon.get(path, {"page_size": page_size}, HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 200
        assert "display" in response.json()["results"][0]
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_filtered_statement_list_query_count_is_fixed(anon, many_rows, django_assert_num_queries):
    params = {"country": "RS", "topic": "digital-evidence", "q": "preuves", "page_size": 500}

    # + loading the country codes and the topic slugs the values are checked against
    with django_assert_num_queries(QUERIES["statement"] + 2):
        assert anon.get("/api/v1/statements/", params).status_code == 200
    # which stay in memory (ctht_api/vocabularies.py)
    with django_assert_num_queries(QUERIES["statement"]):
        assert anon.get("/api/v1/statements/", params).status_code == 200


def test_countries_come_from_the_cache_until_the_record_changes(
    anon, many_rows, django_assert_num_queries
):
    first = anon.get("/api/v1/countries/").json()["results"]
    with django_assert_num_queries(0):
        assert anon.get("/api/v1/countries/").json()["results"] == first

    StatementFactory().countries.set(["IS"])

    codes = [c["code"] for c in anon.get("/api/v1/countries/").json()["results"]]
    assert "IS" in codes


# Anonymous queries per detail page: the row with everything it embeds.
DETAIL_QUERIES = {
    "institution": 1,
    "person": 1,
    "position": 1,
    "event": 1,
    "statement": 1,
    "topic": 1,
    "programme": 2,  # + funders
    "document": 1,
}

DETAIL_ROUTES = [
    pytest.param(basename, viewset, id=basename)
    for _, viewset, basename in router.registry
    if hasattr(viewset, "retrieve")
]


def test_every_detail_route_has_a_pinned_count():
    assert {param.values[0] for param in DETAIL_ROUTES} == set(DETAIL_QUERIES)
    assert max(DETAIL_QUERIES.values()) <= 3


@pytest.mark.parametrize(("basename", "viewset"), DETAIL_ROUTES)
def test_detail_query_count_is_pinned(
    anon, many_rows, django_assert_num_queries, basename, viewset
):
    model = viewset.serializer_class.Meta.model
    pk = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    url = reverse(f"{basename}-detail", args=[pk])

    with django_assert_num_queries(DETAIL_QUERIES[basename]):
        response = anon.get(url)

    assert response.status_code == 200, response.content


# A token's look-up (with its user) and, for a drafts-scoped token, its user's permissions,
# on the first request; none on the next (accounts/token_cache.py).
TOKEN_LOOKUP = {"reader": 1, "used_writer": 3}


@pytest.mark.parametrize("holder", ["reader", "used_writer"])
def test_token_list_costs_the_look_up_once(request, many_rows, django_assert_num_queries, holder):
    client = request.getfixturevalue(holder)
    assert client.get("/api/v1/").status_code == 200  # records the token's first use
    cache.clear()

    with django_assert_num_queries(QUERIES["statement"] + TOKEN_LOOKUP[holder]):
        assert client.get("/api/v1/statements/", {"page_size": 500}).status_code == 200
    with django_assert_num_queries(QUERIES["statement"]):
        assert client.get("/api/v1/statements/", {"page_size": 500}).status_code == 200


@pytest.mark.parametrize("holder", ["reader", "used_writer"])
def test_token_detail_costs_the_look_up_once(request, many_rows, django_assert_num_queries, holder):
    client = request.getfixturevalue(holder)
    assert client.get("/api/v1/").status_code == 200
    pk = StatementFactory().pk
    cache.clear()

    with django_assert_num_queries(DETAIL_QUERIES["statement"] + TOKEN_LOOKUP[holder]):
        assert client.get(reverse("statement-detail", args=[pk])).status_code == 200
    with django_assert_num_queries(DETAIL_QUERIES["statement"]):
        assert client.get(reverse("statement-detail", args=[pk])).status_code == 200
