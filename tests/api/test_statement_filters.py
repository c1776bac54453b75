"""Which statements a list returns: filters alone and combined, search, ordering,
paging, countries, and the statement lists nested under other resources."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Statement
from people.models import Person
from tests.api.helpers import all_ids, assert_problem, ids, results
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    StatementFactory,
    StatementTranslationFactory,
)

STATEMENTS = "/api/v1/statements/"


def said_by(*names: str) -> list[int]:
    """Ids of the demo statements by these speakers, in the default order (highest id first)."""
    return sorted(
        (Statement.objects.get(speaker__full_name=name).pk for name in names), reverse=True
    )


def listed(client, params: dict, url: str = STATEMENTS) -> list[int]:
    return ids(client.get(url, {**params, "page_size": 500}))


URUMOVA, TANIC, SIMIC, LALOVA = (
    "Bojana Urumova",
    "Stanislava Tanić",
    "Nenad Simić",
    "Biljana Lalova",
)


# Each filter alone


def test_country_rs_returns_exactly_simic_statement(anon, demo):
    assert listed(anon, {"country": "RS"}) == said_by(SIMIC)


def test_country_list_is_or(anon, demo):
    assert listed(anon, {"country": "RS,MK"}) == said_by(SIMIC, LALOVA)


def test_country_code_is_case_insensitive(anon, demo):
    assert listed(anon, {"country": "ba"}) == said_by(URUMOVA, TANIC)


def test_speaker_filter(anon, simic):
    assert listed(anon, {"speaker": simic.pk}) == said_by(SIMIC)


def test_speaker_list_is_or(anon, simic, tanic):
    assert listed(anon, {"speaker": f"{simic.pk},{tanic.pk}"}) == said_by(SIMIC, TANIC)


def test_institution_filter(anon, serbian_ministry):
    assert listed(anon, {"institution": serbian_ministry.pk}) == said_by(SIMIC)


def test_institution_list_is_or(anon, serbian_ministry):
    lalova = Statement.objects.get(speaker__full_name=LALOVA)

    found = listed(anon, {"institution": f"{serbian_ministry.pk},{lalova.institution_id}"})

    assert found == said_by(SIMIC, LALOVA)


def test_event_filter(anon, conference):
    elsewhere = StatementFactory(event=EventFactory())

    found = listed(anon, {"event": conference.pk})

    assert found == said_by(URUMOVA, TANIC, SIMIC, LALOVA)
    assert listed(anon, {"event": elsewhere.event_id}) == [elsewhere.pk]


def test_event_list_is_or(anon, conference):
    elsewhere = StatementFactory(event=EventFactory())

    found = listed(anon, {"event": f"{conference.pk},{elsewhere.event_id}"})

    assert sorted(found) == sorted([*said_by(URUMOVA, TANIC, SIMIC, LALOVA), elsewhere.pk])


def test_topic_filter(anon, demo):
    assert listed(anon, {"topic": "international-cooperation"}) == said_by(SIMIC)


def test_topic_list_is_or(anon, demo):
    found = listed(anon, {"topic": "international-cooperation,child-and-youth-protection"})

    assert found == said_by(URUMOVA, SIMIC, LALOVA)


def test_language_filter(anon, demo):
    english = StatementFactory(language="en")

    assert listed(anon, {"language": "en"}) == [english.pk]
    assert listed(anon, {"language": "fr"}) == said_by(URUMOVA, TANIC, SIMIC, LALOVA)


def test_language_sr_matches_its_script_variants(anon, db):
    latin = StatementFactory(language="sr-Latn", text="Tehnologija je deo rešenja.")
    cyrillic = StatementFactory(language="sr-Cyrl", text="Tehnologija je deo rešenja (ćirilicom).")
    StatementFactory(language="en")

    assert sorted(listed(anon, {"language": "sr"})) == sorted([latin.pk, cyrillic.pk])


def test_language_variant_matches_only_itself(anon, db):
    latin = StatementFactory(language="sr-Latn", text="Tehnologija je deo rešenja.")
    StatementFactory(language="sr-Cyrl", text="Tehnologija je deo rešenja (ćirilicom).")

    assert listed(anon, {"language": "sr-Latn"}) == [latin.pk]


def test_language_list_is_or(anon, db):
    english = StatementFactory(language="en")
    latin = StatementFactory(language="sr-Latn", text="Tehnologija je deo rešenja.")
    StatementFactory(language="de", text="Technik ist auch Teil der Lösung.")

    assert sorted(listed(anon, {"language": "en,sr"})) == sorted([english.pk, latin.pk])


@pytest.fixture
def dated(db) -> dict[str, Statement]:
    return {day: StatementFactory(date=day) for day in ("2024-01-10", "2024-02-10", "2024-03-10")}


def test_date_after_is_inclusive(anon, dated):
    found = listed(anon, {"date_after": "2024-02-10"})

    assert found == [dated["2024-03-10"].pk, dated["2024-02-10"].pk]


def test_date_before_is_inclusive(anon, dated):
    found = listed(anon, {"date_before": "2024-02-10"})

    assert found == [dated["2024-02-10"].pk, dated["2024-01-10"].pk]


def test_date_after_and_before_make_a_range(anon, dated):
    found = listed(anon, {"date_after": "2024-02-01", "date_before": "2024-02-28"})

    assert found == [dated["2024-02-10"].pk]


def test_updated_since_returns_entries_changed_since(anon, db):
    old, recent = StatementFactory(), StatementFactory()
    Statement.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))
    since = (timezone.now() - timedelta(days=1)).isoformat()

    assert listed(anon, {"updated_since": since}) == [recent.pk]


def test_updated_since_is_inclusive(anon, db):
    statement = StatementFactory()

    assert listed(anon, {"updated_since": statement.updated_at.isoformat()}) == [statement.pk]


def test_updated_since_accepts_any_iso_offset(anon, db):
    """PostgreSQL refuses offsets past ±15:59; ISO 8601 allows them (found by fuzzing)."""
    statement = StatementFactory()

    assert listed(anon, {"updated_since": "2000-01-01T00:00:00-20:27"}) == [statement.pk]
    assert listed(anon, {"updated_since": "9000-01-01T00:00:00+23:59"}) == []


def test_updated_since_out_of_range_in_utc_is_a_400(anon, db):
    response = anon.get(STATEMENTS, {"updated_since": "0001-01-01T00:00:00+01:00"})

    assert_problem(response, 400, "updated_since")


# Search


def test_q_finds_speaker_name_without_accent(anon, demo):
    assert listed(anon, {"q": "tanic"}) == said_by(TANIC)


def test_q_finds_text_without_accent(anon, demo):
    assert listed(anon, {"q": "numeriques"}) == said_by(SIMIC)


def test_q_is_case_insensitive(anon, demo):
    assert listed(anon, {"q": "TANIĆ"}) == said_by(TANIC)


def test_q_needs_every_word(anon, demo):
    assert listed(anon, {"q": "recrutement jeunesse"}) == []
    assert listed(anon, {"q": "preuves recrutement"}) == said_by(SIMIC)


def test_q_searches_translations(anon, db):
    translated = StatementTranslationFactory(text="Sextortion est un crime.").statement
    StatementFactory()

    assert listed(anon, {"q": "sextortion"}) == [translated.pk]


def test_q_searches_event_titles(anon, db):
    at_podgorica = StatementFactory(event=EventFactory(title="Workshop in Podgorica"))
    StatementFactory(event=EventFactory())

    assert listed(anon, {"q": "podgorica"}) == [at_podgorica.pk]


def test_q_without_words_matches_nothing(anon, demo):
    assert listed(anon, {"q": "!!"}) == []


# Filters combined


def test_filters_are_anded(anon, demo):
    found = listed(anon, {"country": "BA", "topic": "prevention-and-awareness"})

    assert found == said_by(TANIC)


def test_lists_within_combined_filters_are_ored(anon, demo):
    found = listed(
        anon, {"country": "BA,RS", "topic": "digital-evidence,international-cooperation"}
    )

    assert found == said_by(URUMOVA, SIMIC)


def test_q_combines_with_country(anon, demo):
    assert listed(anon, {"q": "recrutement", "country": "BA"}) == said_by(URUMOVA, TANIC)


def test_every_filter_at_once(anon, simic, conference, serbian_ministry):
    Statement.objects.filter(speaker=simic).update(date="2024-01-10")
    params = {
        "country": "RS,BA",
        "speaker": simic.pk,
        "institution": serbian_ministry.pk,
        "event": conference.pk,
        "topic": "digital-evidence",
        "language": "fr",
        "date_after": "2024-01-10",
        "date_before": "2024-01-10",
        "updated_since": "2000-01-01T00:00:00Z",
        "q": "numeriques",
    }

    assert listed(anon, params) == said_by(SIMIC)
    assert listed(anon, {**params, "language": "en"}) == []


# Ordering


def test_default_order_is_newest_date_first_unknown_last_then_highest_id(anon, dated):
    undated = [StatementFactory(), StatementFactory()]
    same_day = StatementFactory(date="2024-03-10")

    found = listed(anon, {})

    assert found == [
        same_day.pk,
        dated["2024-03-10"].pk,
        dated["2024-02-10"].pk,
        dated["2024-01-10"].pk,
        undated[1].pk,
        undated[0].pk,
    ]


def test_ordering_by_date_ascending(anon, dated):
    found = listed(anon, {"ordering": "date", "date_after": "2000-01-01"})

    assert found == [dated[day].pk for day in ("2024-01-10", "2024-02-10", "2024-03-10")]


def test_ordering_breaks_ties_by_id(anon, db):
    same_day = datetime.date(2024, 5, 1)
    first, second = StatementFactory(date=same_day), StatementFactory(date=same_day)
    later = StatementFactory(date=datetime.date(2024, 6, 1))

    assert listed(anon, {"ordering": "date"}) == [first.pk, second.pk, later.pk]
    assert listed(anon, {"ordering": "-date"}) == [later.pk, second.pk, first.pk]


def test_ordering_by_id_descending(anon, demo):
    assert listed(anon, {"ordering": "-id"}) == sorted(
        Statement.objects.values_list("pk", flat=True), reverse=True
    )


def test_ordering_by_undocumented_field_is_400(anon, demo):
    assert_problem(anon.get(STATEMENTS, {"ordering": "text"}), 400, "ordering")


# Paging


def test_following_next_visits_every_statement_once(anon, demo):
    for _ in range(5):
        StatementFactory()

    visited = all_ids(anon, STATEMENTS, {"page_size": 2})

    assert len(visited) == len(set(visited)) == Statement.objects.count() == 9


def test_page_reports_links_and_count_on_request(anon, demo):
    body = anon.get(STATEMENTS, {"page_size": 3}).json()

    assert "count" not in body
    assert len(body["results"]) == 3
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/api/v1/statements/?")
    assert anon.get(STATEMENTS, {"page_size": 3, "count": "true"}).json()["count"] == 4


def test_previous_link_returns_the_page_before(anon, demo):
    first = anon.get(STATEMENTS, {"page_size": 2}).json()
    second = anon.get(first["next"]).json()
    back = anon.get(second["previous"]).json()

    assert back["results"] == first["results"]
    assert back["previous"] is None
    assert second["next"] is None


def test_default_page_size_is_50(anon, db):
    StatementFactory.create_batch(51)

    assert len(results(anon.get(STATEMENTS))) == 50


# Countries


def test_countries_lists_countries_with_counts(anon, demo):
    found = results(anon.get("/api/v1/countries/"))

    assert [(c["code"], c["statement_count"], c["event_count"]) for c in found] == [
        ("BA", 2, 1),
        ("MK", 1, 1),
        ("RS", 1, 1),
    ]
    assert {c["code"]: c["institution_count"] for c in found} == {"BA": 3, "MK": 2, "RS": 1}
    assert found[0]["name"] == "Bosnia and Herzegovina"
    assert found[2]["url"] == "http://testserver/api/v1/countries/RS/statements/"


def test_country_statements_equal_statements_filtered_by_country(anon, demo):
    StatementFactory().countries.set(["RS"])

    nested = anon.get("/api/v1/countries/RS/statements/", {"count": "true"}).json()
    filtered = anon.get(STATEMENTS, {"country": "RS", "count": "true"}).json()

    assert nested["count"] == filtered["count"] == 2
    assert nested["results"] == filtered["results"]


def test_country_statements_accept_filters(anon, demo):
    found = listed(
        anon, {"topic": "child-and-youth-protection"}, "/api/v1/countries/BA/statements/"
    )

    assert found == said_by(URUMOVA)


@pytest.mark.parametrize("code", ["ZZ", "zz", "SRB", "r1"])
def test_country_statements_of_unknown_or_malformed_code_is_404(anon, demo, code):
    assert_problem(anon.get(f"/api/v1/countries/{code}/statements/"), 404)


# Statement lists nested under another resource


def test_event_statements(anon, conference):
    StatementFactory(event=EventFactory())

    found = listed(anon, {}, f"/api/v1/events/{conference.pk}/statements/")

    assert found == said_by(URUMOVA, TANIC, SIMIC, LALOVA)


def test_person_statements(anon, simic):
    assert listed(anon, {}, f"/api/v1/people/{simic.pk}/statements/") == said_by(SIMIC)


def test_institution_statements(anon, serbian_ministry):
    found = listed(anon, {}, f"/api/v1/institutions/{serbian_ministry.pk}/statements/")

    assert found == said_by(SIMIC)


def test_nested_statements_accept_filters(anon, conference):
    found = listed(anon, {"country": "RS"}, f"/api/v1/events/{conference.pk}/statements/")

    assert found == said_by(SIMIC)


def test_person_without_statements_has_empty_list(anon, db):
    person = Person.objects.create(full_name="Ana Petrović")

    assert listed(anon, {}, f"/api/v1/people/{person.pk}/statements/") == []


def test_institution_statements_by_institution_not_country(anon, db):
    institution = InstitutionFactory(country_id="RS")
    StatementFactory(institution=InstitutionFactory(country_id="RS"))

    assert listed(anon, {}, f"/api/v1/institutions/{institution.pk}/statements/") == []


@pytest.mark.parametrize("resource", ["events", "people", "institutions"])
def test_nested_statements_of_unknown_id_is_404(anon, demo, resource):
    assert_problem(anon.get(f"/api/v1/{resource}/999999/statements/"), 404)
