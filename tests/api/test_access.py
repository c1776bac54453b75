"""Who sees and writes what: drafts stay with editors; writes need a token with the permission."""

import pytest

from ctht_api.models import Status
from tests.api.helpers import assert_problem, ids, results
from tests.factories import EventFactory, PersonFactory, StatementFactory

STATEMENTS = "/api/v1/statements/"


@pytest.fixture
def draft(simic, serbian_ministry, conference):
    """A draft statement by Simić, for the Serbian ministry, at the demo conference, about RS."""
    statement = StatementFactory(
        speaker=simic,
        institution=serbian_ministry,
        event=conference,
        status=Status.DRAFT,
        text="Draft words about Belgrade.",
    )
    assert list(statement.countries.values_list("code", flat=True)) == ["RS"]
    return statement


@pytest.fixture
def draft_event(db):
    event = EventFactory(status=Status.DRAFT, title="Planned workshop in Tirana")
    event.countries.set(["AL"])
    return event


@pytest.fixture
def at_draft_event(draft_event):
    """A published statement made at a draft event."""
    return StatementFactory(event=draft_event, text="Words from Tirana.")


# Drafts and anonymous clients


def test_draft_is_hidden_from_anonymous(anon, draft):
    found = ids(anon.get(STATEMENTS, {"page_size": 500}))

    assert draft.pk not in found
    assert len(found) == 4


def test_draft_detail_is_404_for_anonymous(anon, draft):
    assert_problem(anon.get(f"{STATEMENTS}{draft.pk}/"), 404)


def test_draft_is_not_found_by_search(anon, draft):
    assert ids(anon.get(STATEMENTS, {"q": "belgrade"})) == []


def test_asking_for_drafts_gives_anonymous_none(anon, draft):
    assert ids(anon.get(STATEMENTS, {"status": "draft"})) == []


@pytest.mark.parametrize(
    "nested",
    [
        lambda s: f"/api/v1/events/{s.event_id}/statements/",
        lambda s: f"/api/v1/people/{s.speaker_id}/statements/",
        lambda s: f"/api/v1/institutions/{s.institution_id}/statements/",
        lambda s: "/api/v1/countries/RS/statements/",
    ],
    ids=["event", "person", "institution", "country"],
)
def test_draft_is_absent_from_nested_lists_for_anonymous(anon, draft, nested):
    found = ids(anon.get(nested(draft)))

    assert found
    assert draft.pk not in found


def test_draft_is_not_counted_in_countries(anon, draft):
    serbia = next(c for c in results(anon.get("/api/v1/countries/")) if c["code"] == "RS")

    assert serbia["statement_count"] == 1


def test_country_with_only_drafts_is_absent_from_countries(anon, demo, draft_event):
    StatementFactory(event=draft_event, status=Status.DRAFT)

    codes = [c["code"] for c in results(anon.get("/api/v1/countries/"))]

    assert codes == ["BA", "MK", "RS"]


def test_draft_event_is_hidden_from_anonymous(anon, demo, draft_event):
    found = ids(anon.get("/api/v1/events/"))

    assert draft_event.pk not in found
    assert len(found) == 1


def test_draft_event_detail_is_404_for_anonymous(anon, draft_event):
    assert_problem(anon.get(f"/api/v1/events/{draft_event.pk}/"), 404)


def test_draft_event_statements_are_404_for_anonymous(anon, draft_event):
    assert_problem(anon.get(f"/api/v1/events/{draft_event.pk}/statements/"), 404)


def test_published_statement_at_draft_event_is_hidden_from_anonymous(anon, at_draft_event):
    assert at_draft_event.pk not in ids(anon.get(STATEMENTS))
    assert_problem(anon.get(f"{STATEMENTS}{at_draft_event.pk}/"), 404)


def test_published_statement_at_draft_event_is_absent_from_nested_lists(anon, at_draft_event):
    found = ids(anon.get(f"/api/v1/people/{at_draft_event.speaker_id}/statements/"))

    assert found == []


def test_published_statement_at_draft_event_is_not_counted(anon, at_draft_event):
    codes = [c["code"] for c in results(anon.get("/api/v1/countries/"))]

    assert "AL" not in codes


def test_read_only_token_does_not_see_drafts(reader, draft, at_draft_event):
    found = ids(reader.get(STATEMENTS, {"page_size": 500}))

    assert draft.pk not in found
    assert at_draft_event.pk not in found
    assert_problem(reader.get(f"{STATEMENTS}{draft.pk}/"), 404)


# Drafts and editors


def test_write_token_sees_drafts_in_lists(writer, draft, at_draft_event):
    found = ids(writer.get(STATEMENTS, {"page_size": 500}))

    assert {draft.pk, at_draft_event.pk} <= set(found)


def test_write_token_sees_draft_detail(writer, draft):
    response = writer.get(f"{STATEMENTS}{draft.pk}/")

    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_write_token_can_filter_drafts(writer, draft):
    assert ids(writer.get(STATEMENTS, {"status": "draft"})) == [draft.pk]


def test_write_token_sees_drafts_in_nested_lists(writer, draft):
    assert draft.pk in ids(writer.get(f"/api/v1/people/{draft.speaker_id}/statements/"))


def test_write_token_sees_draft_event(writer, draft_event):
    assert writer.get(f"/api/v1/events/{draft_event.pk}/").status_code == 200
    assert draft_event.pk in ids(writer.get("/api/v1/events/"))


def test_new_statement_is_a_draft_by_default(writer, anon, db):
    body = writer.post(
        STATEMENTS,
        {"text": "Not yet checked.", "language": "en", "speaker": PersonFactory().pk},
        format="json",
    ).json()

    assert body["status"] == "draft"
    assert_problem(anon.get(body["url"]), 404)


def test_publishing_makes_statement_visible_to_anonymous(writer, anon, draft):
    writer.patch(f"{STATEMENTS}{draft.pk}/", {"status": "published"}, format="json")

    assert anon.get(f"{STATEMENTS}{draft.pk}/").status_code == 200


# Writing


def person_body() -> dict:
    return {"full_name": "Ana Petrović"}


@pytest.mark.parametrize(
    ("method", "detail"),
    [("post", False), ("put", True), ("patch", True), ("delete", True)],
)
def test_anonymous_write_is_401(anon, simic, method, detail):
    url = f"/api/v1/people/{simic.pk}/" if detail else "/api/v1/people/"

    response = getattr(anon, method)(url, person_body(), format="json")

    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"


def test_invalid_token_is_401(anon, db):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")

    assert_problem(anon.post("/api/v1/people/", person_body(), format="json"), 401)


def test_invalid_token_is_401_on_read_too(anon, db):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")

    assert_problem(anon.get(STATEMENTS), 401)


@pytest.mark.parametrize(
    ("method", "detail"),
    [("post", False), ("put", True), ("patch", True), ("delete", True)],
)
def test_read_only_token_write_is_403(reader, simic, method, detail):
    url = f"/api/v1/people/{simic.pk}/" if detail else "/api/v1/people/"

    response = getattr(reader, method)(url, person_body(), format="json")

    assert_problem(response, 403)


def test_read_only_token_reads(reader, demo):
    assert len(ids(reader.get(STATEMENTS))) == 4


def test_write_token_creates(writer, db):
    response = writer.post("/api/v1/people/", person_body(), format="json")

    assert response.status_code == 201
    assert response.json()["full_name"] == "Ana Petrović"


def test_write_token_cannot_write_countries(writer, db):
    """The country list is reference data with no write method at all: 405, not a 403
    that would suggest another token could write it."""
    response = writer.post("/api/v1/countries/", {"code": "XX", "name": "X"}, format="json")

    assert_problem(response, 405)
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("client", ["anon", "reader", "writer"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/countries/"),
        ("delete", "/api/v1/countries/"),
        ("put", STATEMENTS),
        ("patch", "/api/v1/people/"),
        ("delete", "/api/v1/people/"),
    ],
)
def test_a_method_the_resource_lacks_is_405_whoever_asks(request, demo, client, method, url):
    """Not 401 for the anonymous and 403 for a read-only key: no credentials would help."""
    response = getattr(request.getfixturevalue(client), method)(url, {}, format="json")

    assert_problem(response, 405)
    assert method.upper() not in response["Allow"]


@pytest.mark.parametrize("client", ["anon", "reader", "writer"])
def test_a_write_to_a_history_is_405_whoever_asks(request, simic, client):
    url = f"/api/v1/people/{simic.pk}/history/"
    response = request.getfixturevalue(client).put(url, {}, format="json")

    assert_problem(response, 405)
    assert response["Allow"] == "GET, HEAD, OPTIONS"
