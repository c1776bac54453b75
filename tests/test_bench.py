"""The benchmark's plain-DRF peer (bench/peer.py) answers the statements the API answers."""

import pytest
from django.db import connection

from bench import peer
from events.generate import generate
from events.models import Statement

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("bench.urls"),
    # The baseline's and the peer's search is PostgreSQL's websearch_to_tsquery.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="bench runs on PostgreSQL"),
]

# The query strings the benchmark measures (bench/run.py), and a few more.
QUERIES = [
    {},
    {"page_size": "500"},
    {"country": "RS"},
    {"topic": "online-recruitment"},
    {"date_after": "2024-01-01"},
    {"country": "RS", "topic": "online-recruitment", "date_after": "2024-01-01"},
    {"q": "trafficking"},
    {"q": "trafficking", "country": "RS"},
]


@pytest.fixture
def record():
    generate(statements=600, seed=1)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("params", QUERIES, ids=lambda p: "&".join(map("=".join, p.items())))
def test_peer_pages_hold_the_apis_statements(record, client, params):
    api = ids(client.get("/api/v1/statements/", params))
    answer = client.get("/peer/statements/", params)
    assert api, "the query must match statements for the comparison to mean something"
    assert ids(answer) == api
    # PageNumberPagination counts every matching row, as the API does with count=true.
    counted = client.get("/api/v1/statements/", {**params, "count": "true"}).json()["count"]
    assert answer.json()["count"] == counted


def test_peer_deep_page_is_the_page_holding_the_row(record, client):
    everything = ids(client.get("/api/v1/statements/", {"page_size": "500"}))
    position = int(len(everything) * 0.9)
    page = position // peer.PAGE_SIZE + 1
    answer = ids(client.get("/peer/statements/", {"page": page}))
    start = (page - 1) * peer.PAGE_SIZE
    assert answer == everything[start : start + peer.PAGE_SIZE]
    assert everything[position] in answer


def test_peer_shows_what_the_api_shows_an_anonymous_client(record, client):
    shown = Statement.objects.public().order_by("id").first()
    hidden = Statement.objects.exclude(pk__in=Statement.objects.public()).first()
    assert hidden is not None, "the generated record has drafts"
    assert client.get(f"/peer/statements/{shown.pk}/").json()["id"] == shown.pk
    assert client.get(f"/api/v1/statements/{shown.pk}/").status_code == 200
    assert client.get(f"/peer/statements/{hidden.pk}/").status_code == 404
    assert client.get(f"/api/v1/statements/{hidden.pk}/").status_code == 404


def test_peer_statement_nests_its_related_entries(record, client):
    row = client.get("/peer/statements/", {"page_size": "1"}).json()["results"][0]
    assert set(row["speaker"]) == {"id", "url", "full_name"}
    assert row["speaker"]["url"].endswith(f"/api/v1/people/{row['speaker']['id']}/")
    assert all(isinstance(code, str) and len(code) == 2 for code in row["countries"])
