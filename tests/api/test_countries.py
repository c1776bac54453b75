"""`/countries/` and `/countries/{code}/statements/`: codes in any case, documented orderings,
and no parameter silently ignored."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.helpers import assert_problem, results
from tests.factories import StatementFactory

COUNTRIES = "/api/v1/countries/"


def test_country_statements_accept_a_lower_case_code_like_the_country_filter(anon, demo):
    StatementFactory().countries.set(["RS"])

    lower = anon.get("/api/v1/countries/rs/statements/", {"count": "true"})
    upper = anon.get("/api/v1/countries/RS/statements/", {"count": "true"}).json()
    filtered = anon.get("/api/v1/statements/", {"country": "rs", "count": "true"}).json()

    assert lower.status_code == 200, lower.content
    assert lower.json()["count"] == upper["count"] == filtered["count"] == 2
    assert lower.json()["results"] == upper["results"] == filtered["results"]


def test_country_statements_in_lower_case_follow_their_next_link(anon, demo):
    StatementFactory().countries.set(["RS"])

    first = anon.get("/api/v1/countries/rs/statements/", {"page_size": 1}).json()
    second = anon.get(first["next"])

    assert second.status_code == 200, second.content
    assert len(first["results"]) == len(results(second)) == 1
    assert first["results"] != results(second)


def codes(response) -> list[str]:
    return [country["code"] for country in results(response)]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, ["BA", "MK", "RS"]),
        ("code", ["BA", "MK", "RS"]),
        ("-code", ["RS", "MK", "BA"]),
        ("name", ["BA", "MK", "RS"]),  # Bosnia…, North Macedonia, Serbia
        ("-name", ["RS", "MK", "BA"]),
        ("-statement_count", ["BA", "MK", "RS"]),  # 2, 1, 1: ties in code order
        ("statement_count", ["MK", "RS", "BA"]),
        ("-institution_count", ["BA", "MK", "RS"]),  # 3, 2, 1
        ("institution_count", ["RS", "MK", "BA"]),
        ("-event_count", ["BA", "MK", "RS"]),  # 1, 1, 1: code order
    ],
)
def test_countries_are_sorted_by_the_ordering_asked_for(anon, demo, ordering, expected):
    params = {"ordering": ordering} if ordering else {}

    assert codes(anon.get(COUNTRIES, params)) == expected


def test_countries_ordering_by_count_sees_a_new_statement(anon, demo):
    assert codes(anon.get(COUNTRIES, {"ordering": "-statement_count"}))[:2] == ["BA", "MK"]
    for _ in range(3):
        StatementFactory().countries.set(["RS"])

    assert codes(anon.get(COUNTRIES, {"ordering": "-statement_count"}))[:2] == ["RS", "BA"]


@pytest.mark.parametrize("ordering", ["population", "-id", "statement_count,code", "--code"])
def test_countries_refuse_an_unknown_ordering(anon, demo, ordering):
    assert_problem(anon.get(COUNTRIES, {"ordering": ordering}), 400, "ordering")


def test_countries_refuse_updated_since_rather_than_ignore_it(anon, demo):
    body = assert_problem(
        anon.get(COUNTRIES, {"updated_since": "2024-01-01T00:00:00Z"}), 400, "updated_since"
    )

    assert "countries" in body["errors"][0]["message"]


def test_countries_document_their_ordering_and_updated_since():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/countries/"]["get"]
    ordering = next(p for p in operation["parameters"] if p["name"] == "ordering")

    assert "-statement_count" in ordering["schema"]["enum"]
    assert {"code", "-name", "-event_count", "institution_count"} <= set(ordering["schema"]["enum"])
    assert "updated_since" in operation["description"]
