"""Bad input gets its status and an RFC 9457 problem naming what was wrong; never a 500."""

import json

import pytest

from tests.api.helpers import assert_problem
from tests.factories import InstitutionFactory, PersonFactory, PositionFactory, StatementFactory

STATEMENTS = "/api/v1/statements/"


# Bad query parameters


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("country", "ZZ"),
        ("country", "RS,ZZ"),
        ("date_after", "yesterday"),
        ("date_before", "2024-13-01"),
        ("updated_since", "last week"),
        ("speaker", "x"),
        ("institution", "x"),
        ("event", "1,x"),
        ("topic", "no-such-topic"),
        ("language", "klingon!"),
        ("status", "archived"),
        ("ordering", "speaker"),
        ("q", "x" * 201),
    ],
)
def test_bad_statement_filter_is_400_naming_parameter(anon, demo, parameter, value):
    response = anon.get(STATEMENTS, {parameter: value})

    body = assert_problem(response, 400, parameter)
    assert parameter in body["detail"]


@pytest.mark.parametrize("value", ["abc", "0", "-1", "501", "2.5"])
def test_bad_page_size_is_400_naming_page_size(anon, demo, value):
    assert_problem(anon.get(STATEMENTS, {"page_size": value}), 400, "page_size")


@pytest.mark.parametrize("value", ["1", "500"])
def test_page_size_bounds_are_accepted(anon, demo, value):
    assert anon.get(STATEMENTS, {"page_size": value}).status_code == 200


def test_page_past_the_end_is_404(anon, demo):
    assert_problem(anon.get("/api/v1/institutions/", {"page": 99}), 404)


@pytest.mark.parametrize("cursor", ["zzz", "e30", "eyJrIjoieCIsImkiOjEsInIiOmZhbHNlfQ"])
def test_tampered_statement_cursor_is_400(anon, demo, cursor):
    assert_problem(anon.get(STATEMENTS, {"cursor": cursor}), 400, "cursor")


@pytest.mark.parametrize(
    ("path", "parameter", "value"),
    [
        ("institutions", "country", "ZZ"),
        ("institutions", "kind", "embassy"),
        ("positions", "person", "x"),
        ("events", "country", "ZZ"),
        ("events", "date_after", "yesterday"),
        ("events", "topic", "no-such-topic"),
        ("documents", "language", "klingon!"),
        ("people", "updated_since", "yesterday"),
        ("topics", "ordering", "bogus"),
        ("programmes", "funder", "x"),
    ],
)
def test_bad_filter_on_other_lists_is_400_naming_parameter(anon, demo, path, parameter, value):
    assert_problem(anon.get(f"/api/v1/{path}/", {parameter: value}), 400, parameter)


# Bad request bodies


def test_malformed_json_is_400(writer, db):
    response = writer.post(STATEMENTS, '{"text": "unfinished', content_type="application/json")

    assert_problem(response, 400)


def test_text_plain_body_is_415(writer, db):
    response = writer.post(STATEMENTS, "text=hello", content_type="text/plain")

    assert_problem(response, 415)


def test_form_encoded_body_is_415(writer, db):
    response = writer.post(
        STATEMENTS, "text=hello", content_type="application/x-www-form-urlencoded"
    )

    assert_problem(response, 415)


def test_body_over_the_limit_is_413(writer, db, settings):
    text = "x" * (settings.API_MAX_BODY_BYTES + 1)
    body = json.dumps({"text": text, "language": "en", "speaker": PersonFactory().pk})

    response = writer.post(STATEMENTS, body, content_type="application/json")

    assert_problem(response, 413)


def test_body_under_the_limit_is_accepted(writer, db, settings):
    text = "x" * (settings.API_MAX_BODY_BYTES // 2)
    body = json.dumps({"text": text, "language": "en", "speaker": PersonFactory().pk})

    response = writer.post(STATEMENTS, body, content_type="application/json")

    assert response.status_code == 201


def test_json_array_instead_of_object_is_400(writer, db):
    assert_problem(writer.post(STATEMENTS, [1, 2], format="json"), 400)


# Unknown methods and URLs


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_write_method_on_list_url_is_405(writer, db, method):
    response = getattr(writer, method)(STATEMENTS, {}, format="json")

    assert_problem(response, 405)
    assert "POST" in response["Allow"]


def test_post_on_detail_url_is_405(writer, demo):
    from events.models import Statement

    response = writer.post(f"{STATEMENTS}{Statement.objects.first().pk}/", {}, format="json")

    assert_problem(response, 405)


def test_unknown_method_is_405(anon, demo):
    assert_problem(anon.generic("PURGE", STATEMENTS), 405)


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v9/statements/", "/api/statements/"])
def test_unknown_url_is_404_problem(anon, db, path):
    assert_problem(anon.get(path), 404)


@pytest.mark.parametrize(
    "path",
    ["statements", "events", "people", "institutions", "positions", "topics", "documents"],
)
def test_unknown_id_is_404_problem(anon, db, path):
    assert_problem(anon.get(f"/api/v1/{path}/999999/"), 404)


def test_non_numeric_id_is_404_problem(anon, db):
    assert_problem(anon.get("/api/v1/statements/abc/"), 404)


# Model invariants through the API


def statement_body(**changes) -> dict:
    return {"text": "Prevention must target young people.", "language": "en", **changes}


def test_event_ending_before_it_starts_is_400_naming_end_date(writer, db):
    response = writer.post(
        "/api/v1/events/",
        {"title": "Workshop", "start_date": "2024-03-05", "end_date": "2024-03-04"},
        format="json",
    )

    assert_problem(response, 400, "end_date")


def test_patch_making_event_end_before_start_is_400(writer, db):
    from tests.factories import EventFactory

    event = EventFactory(start_date="2024-03-05")

    response = writer.patch(
        f"/api/v1/events/{event.pk}/", {"end_date": "2024-03-01"}, format="json"
    )

    assert_problem(response, 400, "end_date")


def test_position_ending_before_it_starts_is_400_naming_end_date(writer, db):
    position = PositionFactory(start_date="2024-01-01")

    response = writer.patch(
        f"/api/v1/positions/{position.pk}/", {"end_date": "2023-01-01"}, format="json"
    )

    assert_problem(response, 400, "end_date")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_statement_text_is_400_naming_text(writer, db, text):
    body = statement_body(text=text, speaker=PersonFactory().pk)

    assert_problem(writer.post(STATEMENTS, body, format="json"), 400, "text")


def test_missing_required_fields_are_each_named(writer, db):
    body = assert_problem(writer.post(STATEMENTS, {}, format="json"), 400, "text", "speaker")

    assert {"text", "language", "speaker"} <= {e["field"] for e in body["errors"]}
    assert all({"field", "code", "message"} == set(error) for error in body["errors"])


def test_bad_country_code_in_countries_is_400_naming_countries(writer, db):
    body = statement_body(speaker=PersonFactory().pk, countries=["RS", "ZZ"])

    assert_problem(writer.post(STATEMENTS, body, format="json"), 400, "countries")


def test_bad_institution_country_is_400_naming_country(writer, db):
    response = writer.post(
        "/api/v1/institutions/", {"name": "Ministry", "country": "Serbia"}, format="json"
    )

    assert_problem(response, 400, "country")


@pytest.mark.parametrize("language", ["french", "xx-YY-ZZ", "", "fr-"])
def test_bad_language_tag_is_400_naming_language(writer, db, language):
    body = statement_body(speaker=PersonFactory().pk, language=language)

    assert_problem(writer.post(STATEMENTS, body, format="json"), 400, "language")


def test_bad_translation_language_names_nested_field(writer, db):
    body = statement_body(
        speaker=PersonFactory().pk,
        translations=[
            {"language": "fr", "text": "Aussi.", "kind": "editorial"},
            {"language": "klingon", "text": "Also.", "kind": "editorial"},
        ],
    )

    assert_problem(writer.post(STATEMENTS, body, format="json"), 400, "translations.1.language")


def test_bad_document_language_is_400(writer, db):
    response = writer.post(
        "/api/v1/documents/", {"title": "Report", "language": "english"}, format="json"
    )

    assert_problem(response, 400, "language")


def test_institution_cannot_be_its_own_ancestor(writer, db):
    parent = InstitutionFactory()
    child = InstitutionFactory(parent=parent)

    response = writer.patch(
        f"/api/v1/institutions/{parent.pk}/", {"parent": child.pk}, format="json"
    )

    assert_problem(response, 400, "parent")


def test_patch_to_position_of_another_person_is_400_naming_position(writer, db):
    statement = StatementFactory()

    response = writer.patch(
        f"{STATEMENTS}{statement.pk}/", {"position": PositionFactory().pk}, format="json"
    )

    assert_problem(response, 400, "position")


def test_programme_cannot_be_its_own_parent(writer, db):
    from tests.factories import ProgrammeFactory

    programme = ProgrammeFactory()

    response = writer.patch(
        f"/api/v1/programmes/{programme.pk}/", {"parent": programme.pk}, format="json"
    )

    assert_problem(response, 400, "parent")


def test_duplicate_topic_name_is_400_naming_name(writer, db):
    writer.post("/api/v1/topics/", {"name": "Sextortion"}, format="json")

    response = writer.post("/api/v1/topics/", {"name": "Sextortion"}, format="json")

    assert_problem(response, 400, "name")


def test_negative_participant_count_is_400(writer, db):
    response = writer.post(
        "/api/v1/events/", {"title": "Workshop", "participant_count": -1}, format="json"
    )

    assert_problem(response, 400, "participant_count")


def test_bad_status_is_400_naming_status(writer, db):
    body = statement_body(speaker=PersonFactory().pk, status="archived")

    assert_problem(writer.post(STATEMENTS, body, format="json"), 400, "status")


def test_text_too_long_for_its_column_is_400(writer, db):
    response = writer.post("/api/v1/people/", {"full_name": "x" * 201}, format="json")

    assert_problem(response, 400, "full_name")


def test_put_with_blank_text_leaves_statement_unchanged(writer, db):
    statement = StatementFactory()

    response = writer.put(
        f"{STATEMENTS}{statement.pk}/",
        statement_body(text=" ", speaker=statement.speaker_id),
        format="json",
    )

    assert_problem(response, 400, "text")
    statement.refresh_from_db()
    assert statement.text == "Technology can also be part of the solution."
