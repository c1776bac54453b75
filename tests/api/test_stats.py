"""`/stats/statements/`: statement counts per group, held to what `/statements/` lists.

Every group's count is checked against the `count` of `/statements/` narrowed to
that group with the list's own filters, on the demo and on generated data; the
visibility is the list's; the answer costs a fixed number of queries and is
cached until a write.
"""

import calendar
import datetime

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_token
from ctht_api.models import Status
from events.generate import generate
from events.models import Statement
from tests.api.helpers import API, assert_problem
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    StatementFactory,
    TopicFactory,
)

STATS = "/api/v1/stats/statements/"
STATEMENTS = "/api/v1/statements/"
KEYS = ["country", "topic", "language", "speaker", "institution", "event", "year", "month"]
BRIEF_KEYS = {"speaker", "institution", "event"}
LIST_KEYS = {"country", "topic"}  # a statement may be in several groups


def stats(client: APIClient, **params) -> dict:
    response = client.get(STATS, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def listed_count(client: APIClient, **params) -> int:
    response = client.get(STATEMENTS, {**params, "count": "true", "page_size": 1})
    assert response.status_code == 200, response.content
    return response.json()["count"]


def narrowed_to(key: str, value) -> dict:
    """The `/statements/` filters that select one group's statements."""
    if key in BRIEF_KEYS:
        return {key: value["id"]}
    if key == "year":
        return {"date_after": f"{value}-01-01", "date_before": f"{value}-12-31"}
    if key == "month":
        year, month = map(int, value.split("-"))
        last = calendar.monthrange(year, month)[1]
        return {"date_after": f"{value}-01", "date_before": f"{value}-{last:02d}"}
    return {key: value}


@pytest.fixture
def generated(db):
    """A few hundred statements over dozens of countries, people, events and months, with
    drafts, statements at draft events, without an event and with unknown dates."""
    generate(statements=400, seed=11)


@pytest.fixture
def bare(db):
    """A published statement with no country, topic, institution, event or date."""
    return StatementFactory(text="Words with nothing around them.")


# The answer


def test_countries_of_the_demo(anon, demo):
    assert stats(anon, group_by="country") == {
        "group_by": ["country"],
        "total": 4,
        "results": [
            {"country": "BA", "count": 2},
            {"country": "MK", "count": 1},
            {"country": "RS", "count": 1},
        ],
    }


@pytest.mark.parametrize("key", KEYS)
def test_each_key_alone_answers_rows_of_that_key_and_a_count(anon, demo, key):
    answer = stats(anon, group_by=key)

    assert answer["group_by"] == [key]
    assert answer["total"] == listed_count(anon) == 4
    assert answer["results"]
    for row in answer["results"]:
        assert list(row) == [key, "count"]
        assert row["count"] >= 1
    if key not in LIST_KEYS:
        assert sum(row["count"] for row in answer["results"]) == answer["total"]


@pytest.mark.parametrize("key", sorted(BRIEF_KEYS))
def test_relation_keys_are_the_brief_objects_statements_embed(anon, demo, key):
    for row in stats(anon, group_by=key)["results"]:
        statement = anon.get(STATEMENTS, {key: row[key]["id"]}).json()["results"][0]
        assert row[key] == statement[key]
        assert row[key]["url"].startswith(API)


@pytest.mark.parametrize("key", KEYS)
def test_every_group_counts_what_the_statement_list_counts(anon, generated, key):
    answer = stats(anon, group_by=key)

    assert answer["total"] == listed_count(anon)
    assert len(answer["results"]) > 3
    for row in answer["results"]:
        if row[key] is not None:
            assert row["count"] == listed_count(anon, **narrowed_to(key, row[key])), row
    if key not in LIST_KEYS:  # every statement in exactly one group, nulls included
        assert sum(row["count"] for row in answer["results"]) == answer["total"]


def test_a_pair_of_keys_counts_each_pair_as_the_statement_list_does(anon, generated):
    answer = stats(anon, group_by="country,month")

    assert answer["group_by"] == ["country", "month"]
    rows = [row for row in answer["results"] if row["month"] is not None]
    assert len(rows) > 50
    for row in rows[:: len(rows) // 25]:  # a sample across the answer keeps the test quick
        assert list(row) == ["country", "month", "count"]
        expected = listed_count(anon, country=row["country"], **narrowed_to("month", row["month"]))
        assert row["count"] == expected, row


def test_filters_of_the_statement_list_apply(anon, generated):
    filters = {"country": "RS,BA", "language": "sr", "date_after": "2018-01-01"}
    answer = stats(anon, group_by="speaker", **filters)

    assert 0 < answer["total"] == listed_count(anon, **filters)
    for row in answer["results"]:
        assert row["count"] == listed_count(anon, speaker=row["speaker"]["id"], **filters)


def test_search_applies_too(anon, demo):
    answer = stats(anon, group_by="speaker", q="tanic")

    assert answer["total"] == 1
    assert [row["speaker"]["full_name"] for row in answer["results"]] == ["Stanislava Tanić"]


def test_a_statement_concerning_two_countries_counts_in_each_and_once_in_total(anon, demo):
    StatementFactory().countries.set(["AL", "XK"])

    answer = stats(anon, group_by="country")

    counts = {row["country"]: row["count"] for row in answer["results"]}
    assert (counts["AL"], counts["XK"]) == (1, 1)
    assert answer["total"] == 5 < sum(counts.values())


@pytest.mark.parametrize(
    ("key", "nulls"),
    # the demo's statements have no date: they are under null years and months too
    [("country", 1), ("topic", 1), ("institution", 1), ("event", 1), ("year", 5), ("month", 5)],
)
def test_what_a_statement_lacks_counts_under_null_last(anon, demo, bare, key, nulls):
    rows = stats(anon, group_by=key)["results"]

    assert rows[-1] == {key: None, "count": nulls}
    assert all(row[key] is not None for row in rows[:-1])


def test_years_and_months_are_of_the_statement_date(anon, db):
    for day in ("2024-05-31", "2024-05-01", "2023-12-31", "0999-01-02"):
        StatementFactory(date=datetime.date.fromisoformat(day))

    assert stats(anon, group_by="year")["results"] == [
        {"year": "0999", "count": 1},
        {"year": "2023", "count": 1},
        {"year": "2024", "count": 2},
    ]
    assert stats(anon, group_by="month")["results"] == [
        {"month": "0999-01", "count": 1},
        {"month": "2023-12", "count": 1},
        {"month": "2024-05", "count": 2},
    ]


# Visibility


@pytest.fixture
def hidden(demo):
    """A draft about RS, and a published statement about AL made at a draft event."""
    StatementFactory(status=Status.DRAFT).countries.set(["RS"])
    draft_event = EventFactory(status=Status.DRAFT)
    StatementFactory(event=draft_event).countries.set(["AL"])


def counts_by_country(client: APIClient) -> dict:
    answer = stats(client, group_by="country")
    return {"total": answer["total"], **{r["country"]: r["count"] for r in answer["results"]}}


def test_drafts_are_not_counted_for_anonymous_clients(anon, hidden):
    assert counts_by_country(anon) == {"total": 4, "BA": 2, "MK": 1, "RS": 1}


def key_of(username: str, **scope) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + issue_token(username=username, **scope))
    return client


def test_an_editors_read_only_key_without_the_drafts_scope_counts_what_anyone_sees(writer, hidden):
    dashboard = key_of("editor", write=False)

    assert counts_by_country(dashboard) == {"total": 4, "BA": 2, "MK": 1, "RS": 1}


def test_an_editors_read_only_key_with_the_drafts_scope_counts_drafts(writer, hidden):
    preview = key_of("editor", write=False, drafts=True)

    assert counts_by_country(preview)["total"] == 6


def test_an_editor_with_drafts_counts_them(writer, hidden):
    assert counts_by_country(writer) == {"total": 6, "AL": 1, "BA": 2, "MK": 1, "RS": 2}


def test_an_editors_cached_answer_never_reaches_anonymous_clients(anon, writer, hidden):
    assert counts_by_country(writer)["total"] == 6
    assert counts_by_country(anon)["total"] == 4
    assert counts_by_country(writer)["total"] == 6


# Order


def test_groups_are_sorted_by_their_keys_nulls_last(anon, db):
    zoran, cirilo, ana = (
        PersonFactory(full_name=name) for name in ("Zoran Ilić", "Ćirilo Babić", "ana Popović")
    )
    for person, day, code in [
        (zoran, "2024-02-01", "RS"),
        (cirilo, "2023-11-05", "BA"),
        (ana, None, "RS"),
        (zoran, "2023-11-06", "BA"),
    ]:
        date = datetime.date.fromisoformat(day) if day else None
        StatementFactory(speaker=person, date=date).countries.set([code])

    rows = stats(anon, group_by="speaker,month")["results"]
    assert [(r["speaker"]["full_name"], r["month"]) for r in rows] == [
        ("ana Popović", None),
        ("Ćirilo Babić", "2023-11"),  # accents and case do not matter: C after a
        ("Zoran Ilić", "2023-11"),
        ("Zoran Ilić", "2024-02"),
    ]
    rows = stats(anon, group_by="month,country")["results"]
    assert [(r["month"], r["country"]) for r in rows] == [
        ("2023-11", "BA"),
        ("2024-02", "RS"),
        (None, "RS"),
    ]


def test_ordering_by_count_breaks_ties_by_the_keys(anon, db):
    for code, n in [("RS", 1), ("BA", 3), ("AL", 1), ("MK", 2)]:
        for _ in range(n):
            StatementFactory().countries.set([code])

    descending = stats(anon, group_by="country", ordering="-count")["results"]
    ascending = stats(anon, group_by="country", ordering="count")["results"]

    assert [(r["country"], r["count"]) for r in descending] == [
        ("BA", 3),
        ("MK", 2),
        ("AL", 1),
        ("RS", 1),
    ]
    assert [(r["country"], r["count"]) for r in ascending] == [
        ("AL", 1),
        ("RS", 1),
        ("MK", 2),
        ("BA", 3),
    ]


def test_group_by_may_be_repeated_instead_of_comma_separated(anon, demo):
    repeated = anon.get(f"{STATS}?group_by=country&group_by=topic")

    assert repeated.status_code == 200, repeated.content
    assert repeated.json() == stats(anon, group_by="country,topic")


# Bad requests


@pytest.mark.parametrize(
    "group_by",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("countries", id="unknown"),
        pytest.param("country,country", id="duplicate"),
        pytest.param("country,month,topic", id="three"),
        pytest.param("country,\x00", id="nul"),
        pytest.param("Country", id="upper-case"),
    ],
)
def test_a_bad_group_by_is_a_400_naming_it(anon, demo, group_by):
    params = {} if group_by is None else {"group_by": group_by}
    assert_problem(anon.get(STATS, params), 400, "group_by")


@pytest.mark.parametrize("ordering", ["date", "-date", "counts", "\x00", "country"])
def test_an_unknown_ordering_is_a_400_naming_it(anon, demo, ordering):
    response = anon.get(STATS, {"group_by": "country", "ordering": ordering})
    assert_problem(response, 400, "ordering")


@pytest.mark.parametrize("param", ["page_size", "cursor", "page"])
def test_paging_parameters_are_refused_every_group_is_in_the_answer(anon, demo, param):
    """Not paginated: a paging parameter is one this endpoint does not accept."""
    response = anon.get(STATS, {"group_by": "country", param: "10"})
    error = assert_problem(response, 400, param)["errors"][0]
    assert error["code"] == "unknown_parameter"
    assert "group_by" in error["message"]


@pytest.mark.parametrize(
    "bad",
    [
        {"country": "ZZ"},
        {"topic": "no-such-topic"},
        {"date_after": "yesterday"},
        {"speaker": "x"},
        {"speaker": "99999999999999999999999"},
        {"language": "\x00"},
        {"updated_since": "2024-13-45T99:99:99"},
        {"status": "\x00"},
    ],
    ids=lambda bad: next(iter(bad)),
)
def test_a_bad_filter_is_a_400_naming_it(anon, demo, bad):
    assert_problem(anon.get(STATS, {"group_by": "country", **bad}), 400, *bad)


def test_a_search_for_no_word_counts_nothing(anon, demo):
    assert stats(anon, group_by="country", q="!!!") == {
        "group_by": ["country"],
        "total": 0,
        "results": [],
    }


# Queries and the cache

# Anonymous queries on a cache miss: the next embargo end, once per record version
# (events/record_version.py), the GROUP BY, the total when a statement may be in several
# groups (country, topic), and one per relation key for its brief objects.
QUERIES = {
    "language": 2,
    "year": 2,
    "month": 2,
    "country": 3,
    "topic": 3,
    "speaker": 3,
    "institution": 3,
    "event": 3,
    "month,speaker": 3,
    "country,event": 4,
    "speaker,institution": 4,
}


@pytest.mark.parametrize("group_by", QUERIES)
def test_the_query_count_is_fixed_whatever_the_number_of_groups(
    anon, demo, django_assert_num_queries, group_by
):
    with django_assert_num_queries(QUERIES[group_by]):
        few = stats(anon, group_by=group_by)
    generate(statements=400, seed=11)
    with django_assert_num_queries(QUERIES[group_by]):
        many = stats(anon, group_by=group_by, ordering="-count")

    assert len(many["results"]) >= len(few["results"]) * 2


def test_filters_add_only_the_checks_of_their_values(anon, generated, django_assert_num_queries):
    # + validating the country codes and the topic slugs, as on /statements/
    with django_assert_num_queries(QUERIES["country,event"] + 2):
        stats(anon, group_by="country,event", country="RS,BA", topic="digital-evidence")


def test_a_second_identical_request_costs_no_query(anon, generated, django_assert_num_queries):
    params = {"group_by": "country,speaker", "country": "RS", "ordering": "-count"}
    first = stats(anon, **params)

    with django_assert_num_queries(0):
        assert stats(anon, **params) == first


def test_an_editors_second_request_costs_only_the_authentication(
    writer, generated, django_assert_max_num_queries
):
    stats(writer, group_by="event")  # also records the token's first use

    # the token with its user, the user's permissions and group permissions
    with django_assert_max_num_queries(3):
        stats(writer, group_by="event")


def test_a_write_through_the_api_changes_the_cached_answer(anon, writer, simic):
    before = counts_by_country(anon)
    statement = Statement.objects.get(speaker=simic)

    response = writer.patch(
        f"{STATEMENTS}{statement.pk}/", {"countries": ["RS", "AL"]}, format="json"
    )
    assert response.status_code == 200, response.content

    assert counts_by_country(anon) == {**before, "AL": 1}


def test_renaming_a_speaker_through_the_api_changes_the_cached_brief(anon, writer, simic):
    assert "Nenad Simić" in [
        r["speaker"]["full_name"] for r in stats(anon, group_by="speaker")["results"]
    ]

    response = writer.patch(
        f"/api/v1/people/{simic.pk}/", {"full_name": "Ненад Симић"}, format="json"
    )
    assert response.status_code == 200, response.content

    names = [r["speaker"]["full_name"] for r in stats(anon, group_by="speaker")["results"]]
    assert "Ненад Симић" in names
    assert "Nenad Simić" not in names


def test_publishing_a_draft_through_the_api_counts_it(anon, writer, demo):
    draft = StatementFactory(status=Status.DRAFT, institution=InstitutionFactory(country_id="ME"))
    assert "ME" not in counts_by_country(anon)

    response = writer.patch(f"{STATEMENTS}{draft.pk}/", {"status": "published"}, format="json")
    assert response.status_code == 200, response.content

    assert counts_by_country(anon)["ME"] == 1


def test_a_new_topic_slug_is_not_refused_from_a_stale_cache(anon, demo):
    """Filters are checked before an answer is cached, and adding a topic is a write."""
    assert_problem(anon.get(STATS, {"group_by": "topic", "topic": "grooming"}), 400, "topic")
    TopicFactory(name="Grooming")

    assert stats(anon, group_by="topic", topic="grooming")["total"] == 0


# Where it is found and how it is documented


def test_the_api_root_links_the_aggregates(anon, db):
    root = anon.get("/api/v1/").json()
    assert root["stats/statements"] == f"{API}stats/statements/"


def test_the_document_describes_parameters_and_answer():
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    operation = document["paths"]["/api/v1/stats/statements/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert operation["summary"] == "Count statements by group"
    assert parameters["group_by"]["required"] is True
    assert parameters["group_by"]["explode"] is False
    assert set(parameters["group_by"]["schema"]["items"]["enum"]) == set(KEYS)
    assert set(parameters["ordering"]["schema"]["enum"]) == {"count", "-count"}
    assert {"country", "topic", "q", "date_after", "updated_since"} <= set(parameters)
    assert not {"page_size", "cursor", "page"} & set(parameters)
    assert set(operation["responses"]) == {"200", "400", "406", "429"}
    assert "text/csv" in operation["responses"]["200"]["content"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    answer = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert answer["type"] == "object"
    assert set(answer["required"]) == {"group_by", "total", "results"}
    row = document["components"]["schemas"]["StatementStatsRow"]
    assert set(row["properties"]) == {*KEYS, "count"}
    assert row["required"] == ["count"]


# Nothing listens on port 1: every cache call fails with a real connection error.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "ctht_api.redis_cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_an_unreachable_cache_neither_fails_a_write_nor_the_counts(writer, anon, demo, settings):
    """Redis down: writes go through (the counts are then at most the TTL old), and the
    counts are computed afresh rather than answered with a 500."""
    settings.CACHES = {**settings.CACHES, **UNREACHABLE_REDIS}
    created = writer.post("/api/v1/topics/", {"name": "Grooming online"}, format="json")
    assert created.status_code == 201, created.content
    assert writer.get(created["Location"]).status_code == 200
    counted = stats(anon, group_by="country")
    assert counted["total"] == listed_count(anon)
    assert anon.get("/api/v1/countries/").status_code == 200
