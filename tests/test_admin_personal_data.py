"""The personal-data check in the admin, through the real pages: the statement's page (its
text, context and translation rows), an event's statement rows, the bulk "publish" action
with its confirmation page, and the bulk import. Findings are errors where they are, with
the number masked; an editor holding the override permission confirms with a reason,
which the statement's history keeps."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ctht_api.models import Status
from events.models import Statement, StatementTranslation
from tests.factories import (
    EventFactory,
    PersonFactory,
    StatementFactory,
    StatementTranslationFactory,
)
from tests.test_admin import admin_url, statement_form
from tests.test_admin_event_statements import page_with, row, row_errors
from tests.test_admin_import import csv_file, problems, upload
from tests.test_audit import change_url, form_data

pytestmark = pytest.mark.django_db

PHONE = "Call her on 064 123 4567."
REASON = "The ministry's public switchboard, quoted on purpose"


def staff(*codenames: str, override: bool = False):
    user = get_user_model().objects.create_user("staff", password="x", is_staff=True)
    names = [*codenames, *(["override_personal_data_check"] if override else [])]
    user.user_permissions.set(Permission.objects.filter(codename__in=names))
    return user


EDITOR = ("add_statement", "change_statement", "view_statement", "view_statementtranslation")


@pytest.fixture
def editor_client(client):
    """A staff member who may write statements, not override the check."""
    client.force_login(staff(*EDITOR))
    return client


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def test_publishing_with_personal_data_shows_the_findings_and_saves_nothing(admin_client):
    speaker = PersonFactory()

    response = admin_client.post(
        admin_url(Statement, "add"),
        statement_form(speaker, text=PHONE, context="Mail: a.b@example.org", status="published"),
    )

    assert response.status_code == 200
    errors = form_errors(response)
    assert "…67" in errors["text"][0] and "a…@….org" in errors["context"][0]
    page = response.content.decode()
    assert "064 123 4567" not in page.split('name="text"')[0]  # the error does not echo it
    assert not Statement.objects.exists()


def test_a_draft_is_saved_as_it_is(admin_client):
    response = admin_client.post(
        admin_url(Statement, "add"), statement_form(PersonFactory(), text=PHONE)
    )

    assert response.status_code == 302
    assert Statement.objects.get().text == PHONE


def test_the_confirmation_with_a_reason_publishes_and_the_history_keeps_it(admin_client):
    draft = StatementFactory(status=Status.DRAFT, text=PHONE)
    data = form_data(admin_client, draft) | {
        "status": "published",
        "publish_despite_personal_data": "on",
        "safety_override": REASON,
    }

    response = admin_client.post(change_url(draft), data)

    assert response.status_code == 302, form_errors(response)
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.history.first().safety_override == REASON


def test_the_confirmation_needs_a_reason(admin_client):
    draft = StatementFactory(status=Status.DRAFT, text=PHONE)
    data = form_data(admin_client, draft) | {
        "status": "published",
        "publish_despite_personal_data": "on",
    }

    response = admin_client.post(change_url(draft), data)

    assert response.status_code == 200
    assert "safety_override" in form_errors(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_without_the_permission_there_is_no_confirmation_and_posting_one_does_nothing(
    editor_client,
):
    draft = StatementFactory(status=Status.DRAFT, text=PHONE)
    data = form_data(editor_client, draft)
    assert "publish_despite_personal_data" not in data
    data |= {"status": "published", "publish_despite_personal_data": "on", "safety_override": "x"}

    response = editor_client.post(change_url(draft), data)

    assert response.status_code == 200
    assert "text" in form_errors(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_personal_data_in_a_translation_row_is_an_error_of_that_row(admin_client):
    statement = StatementFactory()
    StatementTranslationFactory(statement=statement, language="fr", text="Texte sûr.")
    data = form_data(admin_client, statement)
    data["translations-0-text"] = "IBAN RS35 2600 0560 1001 6113 79"

    response = admin_client.post(change_url(statement), data)

    assert response.status_code == 200
    (formset,) = [f.formset for f in response.context["inline_admin_formsets"]]
    assert "…79" in formset.errors[0]["text"][0]
    assert StatementTranslation.objects.get().text == "Texte sûr."


def test_a_stored_translation_not_on_the_page_is_checked_by_the_form(client):
    """An editor without any right on translations does not see them, yet they are checked."""
    client.force_login(staff("change_statement", "view_statement"))
    draft = StatementFactory(status=Status.DRAFT)
    StatementTranslationFactory(statement=draft, language="fr", text="Appelez le 064 123 4567.")
    data = form_data(client, draft) | {"status": "published"}

    response = client.post(change_url(draft), data)

    assert response.status_code == 200
    assert "translations.0.text" in form_errors(response)["__all__"][0]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_an_event_row_published_with_personal_data_is_a_row_error(admin_client):
    event = EventFactory()
    data = page_with(admin_client, event, row(PersonFactory(), text=PHONE, status="published"))

    response = admin_client.post(change_url(event), data)

    assert response.status_code == 200
    (errors,) = row_errors(response)
    assert "…67" in errors["text"][0]
    assert not Statement.objects.exists()


def test_a_translation_of_a_published_statement_is_checked_on_its_own_page(admin_client):
    translation = StatementTranslationFactory(statement=StatementFactory())
    data = form_data(admin_client, translation) | {"text": "Écrivez à a.b@example.org"}

    response = admin_client.post(change_url(translation), data)

    assert response.status_code == 200
    assert "text" in form_errors(response)


# The bulk action.


def select(*statements: Statement, **extra) -> dict:
    return {"action": "publish", "_selected_action": [s.pk for s in statements], **extra}


def test_the_bulk_action_publishes_drafts_without_findings_at_once(admin_client):
    drafts = StatementFactory.create_batch(3, status=Status.DRAFT)

    response = admin_client.post(admin_url(Statement, "changelist"), select(*drafts))

    assert response.status_code == 302
    assert Statement.objects.published().count() == 3


def test_the_bulk_action_lists_the_findings_before_publishing_anything(admin_client):
    clean = StatementFactory(status=Status.DRAFT)
    flagged = StatementFactory(status=Status.DRAFT, text=PHONE, context="JMBG 0101006500006")

    response = admin_client.post(admin_url(Statement, "changelist"), select(clean, flagged))

    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("phone", "identity_number", "text", "context", "…67", "…06", REASON_FIELD):
        assert shown in page
    assert "064 123 4567" not in page and "0101006500006" not in page
    assert not Statement.objects.published().exists()


REASON_FIELD = 'name="safety_override"'


def test_the_bulk_override_publishes_all_and_each_flagged_history_keeps_the_reason(admin_client):
    clean = StatementFactory(status=Status.DRAFT)
    flagged = StatementFactory(status=Status.DRAFT, text=PHONE)

    response = admin_client.post(
        admin_url(Statement, "changelist"),
        select(clean, flagged, personal_data="override", safety_override=REASON),
    )

    assert response.status_code == 302
    assert Statement.objects.published().count() == 2
    assert flagged.history.first().safety_override == REASON
    assert clean.history.first().safety_override == ""


def test_the_bulk_override_needs_a_reason(admin_client):
    flagged = StatementFactory(status=Status.DRAFT, text=PHONE)

    response = admin_client.post(
        admin_url(Statement, "changelist"), select(flagged, personal_data="override")
    )

    assert response.status_code == 200
    assert "Give the reason." in response.content.decode()
    assert not Statement.objects.published().exists()


def test_without_the_permission_only_the_clean_ones_are_published_and_the_rest_named(
    editor_client,
):
    clean = StatementFactory(status=Status.DRAFT)
    flagged = StatementFactory(status=Status.DRAFT, text=PHONE)
    url = admin_url(Statement, "changelist")

    page = editor_client.post(url, select(clean, flagged)).content.decode()
    assert REASON_FIELD not in page and "personal_data" in page
    forced = editor_client.post(url, select(clean, flagged, personal_data="override"))
    assert forced.status_code == 200 and not Statement.objects.published().exists()
    response = editor_client.post(url, select(clean, flagged, personal_data="skip"), follow=True)

    assert set(Statement.objects.published()) == {clean}
    shown = [str(message) for message in response.context["messages"]]
    assert any(f"id {flagged.pk}" in m and "phone in text" in m for m in shown), shown


def test_the_confirmation_page_reads_a_fixed_number_of_queries(admin_client):
    def queries(count: int) -> int:
        drafts = StatementFactory.create_batch(count, status=Status.DRAFT, text=PHONE)
        for draft in drafts:
            StatementTranslationFactory(statement=draft, text="Sûr.")
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.post(admin_url(Statement, "changelist"), select(*drafts))
        assert response.status_code == 200
        Statement.objects.all().delete()
        return len(captured)

    assert queries(3) == queries(30)


# The bulk import.


def test_an_imported_published_row_with_personal_data_is_refused_naming_its_column(
    admin_client,
):
    speaker = PersonFactory()
    content = csv_file(
        "text,language,speaker,status",
        f"Safe words.,en,{speaker.pk},published",
        f"{PHONE},en,{speaker.pk},published",
        f"{PHONE},en,{speaker.pk},draft",
    )

    preview = upload(admin_client, Statement, "statements.csv", content)

    refused = problems(preview)
    assert refused[2] == [] and refused[4] == []
    ((column, message),) = refused[3]
    assert column == "text" and "…67" in message
    assert "confirm_form" not in preview.context  # a refused row: nothing to confirm
    assert not Statement.objects.exists()
