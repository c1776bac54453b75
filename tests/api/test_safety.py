"""The personal-data check as API clients see it: a 422 listing each finding, nothing saved;
an override with `X-Safety-Override` for editors holding the permission, kept in the history."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from events.models import Statement, StatementTranslation
from tests.api.helpers import API, assert_problem, results
from tests.factories import PersonFactory, StatementFactory, StatementTranslationFactory

pytestmark = pytest.mark.django_db

PHONE = "Call her on 064 123 4567 any time."
FINDINGS = {  # one sentence per kind: (text, kind, the number's last two digits)
    "email": ("Write to ana.petrovic@example.org for details.", "a…@….org"),
    "phone": (PHONE, "…67"),
    "identity_number": ("Her JMBG is 0101006500006.", "…06"),
    "iban": ("Pay into RS35 2600 0560 1001 6113 79.", "…79"),
}
WHOLE_NUMBERS = ["ana.petrovic@example.org", "064 123 4567", "0641234567", "0101006500006"]


def grant_override(username: str = "editor") -> None:
    user = get_user_model().objects.get(username=username)
    user.user_permissions.add(Permission.objects.get(codename="override_personal_data_check"))


def statement_url(statement: Statement) -> str:
    return f"{API}statements/{statement.pk}/"


def new_statement(text: str, **fields) -> dict:
    return {"text": text, "language": "en", "speaker": PersonFactory().pk, **fields}


def assert_refused(response, *fields: str, kind: str | None = None) -> dict:
    body = assert_problem(response, 422, *fields)
    assert body["type"].endswith("/api/problems/personal-data")
    assert {error["code"] for error in body["errors"]} == {"personal_data"}
    if kind is not None:
        assert {error["kind"] for error in body["errors"]} == {kind}
    return body


@pytest.mark.parametrize("kind", sorted(FINDINGS))
def test_creating_a_published_statement_with_personal_data_is_refused(writer, kind):
    text, hint = FINDINGS[kind]

    response = writer.post(
        f"{API}statements/", new_statement(text, status="published"), format="json"
    )

    body = assert_refused(response, "text", kind=kind)
    (error,) = body["errors"]
    assert error["field"] == "text"
    assert hint in error["message"]
    assert not Statement.objects.exists()


def test_the_problem_never_echoes_the_number(writer):
    text = " ".join(sentence for sentence, _ in FINDINGS.values())

    response = writer.post(
        f"{API}statements/", new_statement(text, status="published"), format="json"
    )

    body = assert_refused(response, "text")
    assert [error["kind"] for error in body["errors"]] == [
        "email",
        "phone",
        "identity_number",
        "iban",
    ]
    raw = response.content.decode()
    for number in [*WHOLE_NUMBERS, "RS35260005601001611379", "2600 0560 1001 6113"]:
        assert number not in raw


def test_a_draft_is_not_checked(writer):
    response = writer.post(f"{API}statements/", new_statement(PHONE, status="draft"), format="json")

    assert response.status_code == 201, response.content
    assert Statement.objects.get().text == PHONE


def test_publishing_a_draft_with_personal_data_is_refused_and_nothing_changes(writer):
    draft = StatementFactory(status="draft", text=PHONE, context="Kept.")
    StatementTranslationFactory(statement=draft, text="Appelez le 064 123 4567.")
    draft.refresh_from_db()
    before, records = draft.version, draft.history.count()

    response = writer.patch(
        statement_url(draft), {"status": "published", "context": "Changed."}, format="json"
    )

    assert_refused(response, "text", "translations.0.text", kind="phone")
    draft.refresh_from_db()
    assert (draft.status, draft.context, draft.version) == ("draft", "Kept.", before)
    assert draft.history.count() == records


def test_editing_a_published_statement_into_personal_data_is_refused(writer):
    statement = StatementFactory()
    text = statement.text

    response = writer.put(
        statement_url(statement),
        new_statement(PHONE, status="published", speaker=statement.speaker_id),
        format="json",
    )

    assert_refused(response, "text")
    statement.refresh_from_db()
    assert statement.text == text


def test_personal_data_in_the_context_is_named_context(writer):
    statement = StatementFactory()

    response = writer.patch(
        statement_url(statement), {"context": "Her e-mail: a.b@mail.example.com"}, format="json"
    )

    body = assert_refused(response, "context", kind="email")
    assert [error["field"] for error in body["errors"]] == ["context"]


def test_personal_data_in_a_translation_is_named_by_its_place_and_nothing_is_saved(writer):
    statement = StatementFactory()
    StatementTranslationFactory(statement=statement, language="fr", text="Texte sûr.")
    translations = [
        {"language": "de", "text": "Sicher.", "kind": "editorial"},
        {"language": "sr-Latn", "text": "JMBG 0101006500006", "kind": "editorial"},
    ]

    response = writer.patch(statement_url(statement), {"translations": translations}, format="json")

    body = assert_refused(response, "translations.1.text", kind="identity_number")
    assert [error["field"] for error in body["errors"]] == ["translations.1.text"]
    stored = StatementTranslation.objects.filter(statement=statement)
    assert list(stored.values_list("language", "text")) == [("fr", "Texte sûr.")]


def test_a_published_statement_that_already_holds_personal_data_cannot_be_saved(writer):
    statement = StatementFactory(text=PHONE)  # stored before the check, by the factory

    response = writer.patch(statement_url(statement), {"topics": []}, format="json")

    assert_refused(response, "text")


def test_unpublishing_is_not_checked(writer):
    statement = StatementFactory(text=PHONE)

    response = writer.patch(statement_url(statement), {"status": "draft"}, format="json")

    assert response.status_code == 200, response.content


def test_legal_references_and_dates_are_published(writer):
    text = (
        "The Convention (ETS No. 185, CETS 197) entered into force on 03/12/2020 "
        "(Official Gazette No. 45/2021, Law 62/2023, Article 4, pp. 12-14); "
        "1 500 000 EUR were spent in 2020-2021."
    )

    response = writer.post(
        f"{API}statements/", new_statement(text, status="published"), format="json"
    )

    assert response.status_code == 201, response.content


def test_an_override_with_the_permission_publishes_and_the_history_keeps_its_reason(writer):
    grant_override()
    draft = StatementFactory(status="draft", text=PHONE)

    response = writer.patch(
        statement_url(draft),
        {"status": "published"},
        format="json",
        HTTP_X_SAFETY_OVERRIDE="The ministry's public hotline, quoted on purpose",
        HTTP_X_CHANGE_REASON="Publishing",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    newest, first = results(writer.get(f"{statement_url(draft)}history/"))
    assert newest["safety_override"] == "The ministry's public hotline, quoted on purpose"
    assert newest["reason"] == "Publishing"
    assert first["safety_override"] is None
    assert "safety_override" not in {change["field"] for change in newest["changes"]}


def test_an_override_is_kept_only_where_it_was_needed(writer):
    grant_override()
    statement = StatementFactory()

    response = writer.patch(
        statement_url(statement),
        {"context": "Nothing personal."},
        format="json",
        HTTP_X_SAFETY_OVERRIDE="Just in case",
    )

    assert response.status_code == 200, response.content
    newest = results(writer.get(f"{statement_url(statement)}history/"))[0]
    assert newest["safety_override"] is None


def test_an_override_on_create_is_recorded_on_the_first_version(writer):
    grant_override()

    response = writer.post(
        f"{API}statements/",
        new_statement(PHONE, status="published"),
        format="json",
        HTTP_X_SAFETY_OVERRIDE="Approved by the editor-in-chief",
    )

    assert response.status_code == 201, response.content
    (record,) = results(writer.get(f"{response.json()['url']}history/"))
    assert record["safety_override"] == "Approved by the editor-in-chief"


def test_an_override_without_the_permission_is_forbidden_naming_it(writer):
    draft = StatementFactory(status="draft", text=PHONE)

    response = writer.patch(
        statement_url(draft),
        {"status": "published"},
        format="json",
        HTTP_X_SAFETY_OVERRIDE="Trust me",
    )

    body = assert_problem(response, 403)
    assert "events.override_personal_data_check" in body["detail"]
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_an_empty_override_reason_is_a_400_naming_the_header(writer):
    grant_override()
    draft = StatementFactory(status="draft", text=PHONE)

    response = writer.patch(
        statement_url(draft), {"status": "published"}, format="json", HTTP_X_SAFETY_OVERRIDE=" "
    )

    assert_problem(response, 400, "X-Safety-Override")
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_other_histories_have_no_safety_override(writer):
    statement = StatementFactory()

    record = results(writer.get(f"{API}people/{statement.speaker_id}/history/"))[0]

    assert "safety_override" not in record
