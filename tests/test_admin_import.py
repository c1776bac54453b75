"""Editors import statements, people and institutions from a CSV or XLSX file in the admin.

Through the real admin pages (upload, preview, confirm) with the Django test
client: the preview lists every row and writes nothing; a refused row names
its column and nothing of the file is written; the confirmed import is one
changeset, seen by the history and the change feed.
"""

import datetime
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from changes.models import Change
from events.models import Statement
from people.models import Institution, Person
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
    StatementTranslationFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

CSV, XLSX = "0", "1"  # the choices of the import form's format field


def import_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_import")


def upload(client, model, name: str, content: bytes, file_format: str = CSV, reason: str = ""):
    return client.post(
        import_url(model),
        {
            "resource": "0",
            "format": file_format,
            "import_file": SimpleUploadedFile(name, content),
            "change_reason": reason,
        },
    )


def confirm(client, model, preview, **overrides):
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields} | overrides
    return client.post(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_process_import"), data
    )


def actions(preview) -> list[str]:
    return [row["action"] for row in preview.context["import_rows"]]


def problems(preview) -> dict[int, list[tuple[str, str]]]:
    """The problems of each row, by its line in the file (the headers are line 1)."""
    return {row["line"]: row["problems"] for row in preview.context["import_rows"]}


def csv_file(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def editor(db):
    """A staff member with add, change and view permission on the imported models."""
    user = get_user_model().objects.create_user("editor", password="x", is_staff=True)
    codenames = [
        f"{action}_{model}"
        for action in ("add", "change", "view")
        for model in ("statement", "person", "institution")
    ]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def cast(db):
    """A speaker with a position, a topic and an event, as the rows name them."""
    speaker = PersonFactory(full_name="Stanislava Tanić")
    return {
        "speaker": speaker,
        "position": PositionFactory(
            person=speaker, institution=InstitutionFactory(country_id="RS")
        ),
        "other_position": PositionFactory(),
        "topic": TopicFactory(name="Online recruitment"),
        "event": EventFactory(title="Conference on digital evidence"),
    }


def two_good_rows(cast) -> bytes:
    speaker, position, topic, event = (cast[k] for k in ("speaker", "position", "topic", "event"))
    return csv_file(
        "text,language,speaker,position_id,event,countries,topics,status",
        f"Technology is part of the solution.,en,{speaker.slug},{position.pk},,BA;rs,"
        f"{topic.slug},published",
        f"Tehnologija je deo rešenja.,sr-latn,{speaker.pk},,{event.slug},ME,{topic.slug},published",
        ",,,,,,,",  # a spreadsheet's trailing empty row
    )


def test_preview_lists_two_new_rows_and_writes_nothing(editor_client, cast):
    preview = upload(editor_client, Statement, "statements.csv", two_good_rows(cast))

    assert preview.status_code == 200
    assert actions(preview) == ["New", "New"], problems(preview)
    assert "confirm_form" in preview.context
    assert b"Confirm import" in preview.content
    assert b"Technology is part of the solution." in preview.content
    # the ids the dry run drew are not those the import will give: not shown
    assert [row["cells"][0] for row in preview.context["import_rows"]] == ["", ""]
    assert Statement.objects.count() == 0
    assert Statement.history.count() == 0
    assert not Change.objects.filter(resource="statements").exists()


@pytest.mark.parametrize("name", ["../../etc/passwd", "ctht_probe.txt", "0" * 32])
def test_a_confirmation_naming_no_upload_of_ours_imports_nothing(editor_client, cast, name):
    """The confirm form names the upload to read: a name we never gave out, a file of the
    server's, or an upload since expired finds nothing, and says so."""
    preview = upload(editor_client, Statement, "statements.csv", two_good_rows(cast))

    response = confirm(editor_client, Statement, preview, import_file_name=name)

    assert response.status_code == 302
    assert response["Location"] == import_url(Statement)
    shown = editor_client.get(response["Location"]).content.decode()
    assert "the uploaded file is no longer kept" in shown
    assert Statement.objects.count() == 0


def test_an_upload_waits_in_the_shared_cache_and_is_gone_once_imported(editor_client, cast):
    """Every worker process finds it (not one container's temporary folder)."""
    preview = upload(editor_client, Statement, "statements.csv", two_good_rows(cast))
    name = preview.context["confirm_form"].initial["import_file_name"]
    assert caches["imports"].get(f"upload-{name}") is not None

    assert confirm(editor_client, Statement, preview).status_code == 302

    assert Statement.objects.count() == 2
    assert caches["imports"].get(f"upload-{name}") is None


def test_confirmed_import_writes_one_changeset_seen_by_history_and_feed(
    editor_client, editor, cast
):
    preview = upload(editor_client, Statement, "statements.csv", two_good_rows(cast))
    assert preview.context["confirm_form"].initial["change_reason"] == (
        "Imported from statements.csv"
    )

    response = confirm(editor_client, Statement, preview, change_reason="Conference of May")

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:events_statement_changelist")
    first, second = Statement.objects.order_by("id")
    assert (first.language, first.speaker, first.position) == (
        "en",
        cast["speaker"],
        cast["position"],
    )
    assert first.institution == cast["position"].institution  # the position's, by default
    assert sorted(first.countries.values_list("code", flat=True)) == ["BA", "RS"]
    assert second.language == "sr-Latn"
    assert second.event == cast["event"]
    assert list(second.countries.values_list("code", flat=True)) == ["ME"]
    for statement in (first, second):
        assert list(statement.topics.all()) == [cast["topic"]]
        assert statement.version == 1
        (record,) = statement.history.all()
        assert record.history_type == "+"
        assert record.history_user == editor
        assert record.history_change_reason == "Conference of May"
    feed = APIClient().get("/api/v1/changes/", {"page_size": 500}).json()["results"]
    fed = {entry["id"] for entry in feed if entry["resource"] == "statements"}
    assert fed == {first.pk, second.pk}


def test_reason_left_empty_names_the_file(editor_client, cast):
    preview = upload(editor_client, Statement, "may.csv", two_good_rows(cast))

    confirm(editor_client, Statement, preview, change_reason="")

    reasons = set(Statement.history.values_list("history_change_reason", flat=True))
    assert reasons == {"Imported from may.csv"}


def test_a_bad_row_is_refused_naming_its_column_and_nothing_is_written(editor_client, cast):
    speaker, other = cast["speaker"], cast["other_position"]
    content = csv_file(
        "text,language,speaker_id,position_id,countries",
        f"Good words.,en,{speaker.pk},,BA",
        f"Unknown country.,en,{speaker.pk},,BA;ZZ",
        f"Someone else's position.,en,{speaker.pk},{other.pk},",
        f"Bad language.,english please,{speaker.pk},,",
        "Unknown speaker.,en,no-such-person,,",
    )

    preview = upload(editor_client, Statement, "statements.csv", content)

    assert preview.status_code == 200
    assert actions(preview) == ["New", "Refused", "Refused", "Refused", "Refused"]
    found = problems(preview)
    assert found[2] == []
    assert found[3] == [("countries", "Object with code=ZZ does not exist.")]
    assert found[4] == [("position_id", "This position is held by another person.")]
    assert [column for column, _ in found[5]] == ["language"]
    assert "not a valid BCP 47 language tag" in found[5][0][1]
    assert found[6] == [("speaker_id", "No person with the id or slug “no-such-person”.")]
    assert "confirm_form" not in preview.context
    assert b"Confirm import" not in preview.content
    assert b"Nothing will be imported" in preview.content
    assert b"position_id" in preview.content
    assert Statement.objects.count() == 0
    assert not Change.objects.filter(resource="statements").exists()


def test_a_new_row_without_a_required_column_is_refused_naming_it(editor_client, cast):
    content = csv_file("text,speaker", f"Words.,{cast['speaker'].pk}")

    preview = upload(editor_client, Statement, "statements.csv", content)

    assert problems(preview) == {2: [("language", "This field is required.")]}


def test_a_row_refused_at_confirmation_leaves_nothing_written(editor_client, cast):
    """The data changed between the preview and the confirmation: nothing is stored, and
    the editor is told why, back on the upload page."""
    preview = upload(editor_client, Statement, "statements.csv", two_good_rows(cast))
    cast["speaker"].slug = "renamed"
    cast["speaker"].save()

    response = confirm(editor_client, Statement, preview)

    assert response.status_code == 302
    assert response["Location"] == import_url(Statement)
    page = editor_client.get(response["Location"])
    assert "Nothing was imported" in page.content.decode()
    assert "line 2: speaker: No person with the id or slug" in page.content.decode()
    assert Statement.objects.count() == 0
    assert Statement.history.count() == 0


def test_an_unknown_column_refuses_the_file(editor_client, cast):
    content = csv_file("text,langauge,speaker", f"Words.,en,{cast['speaker'].pk}")

    preview = upload(editor_client, Statement, "statements.csv", content)

    assert "confirm_form" not in preview.context
    assert b"Unknown column(s): langauge" in preview.content
    assert Statement.objects.count() == 0


def test_xlsx_import(editor_client, cast):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["text", "language", "speaker", "date", "countries", "status"])
    sheet.append(["Words from a spreadsheet.", "fr", cast["speaker"].pk, None, "XK", "draft"])
    sheet["D2"] = datetime.datetime(2024, 5, 17)  # a date cell
    content = io.BytesIO()
    workbook.save(content)

    preview = upload(editor_client, Statement, "statements.xlsx", content.getvalue(), XLSX)
    assert actions(preview) == ["New"], problems(preview)
    confirm(editor_client, Statement, preview)

    statement = Statement.objects.get()
    assert statement.text == "Words from a spreadsheet."
    assert str(statement.date) == "2024-05-17"
    assert list(statement.countries.values_list("code", flat=True)) == ["XK"]


def test_an_id_updates_that_statement_with_the_columns_given(editor_client, editor, cast):
    statement = StatementFactory(speaker=cast["speaker"], status="draft")
    statement.countries.set(["RS"])
    content = csv_file("id,status,topics", f"{statement.pk},published,{cast['topic'].slug}")

    preview = upload(editor_client, Statement, "status.csv", content)
    assert actions(preview) == ["Update"]
    statement.refresh_from_db()
    assert statement.status == "draft"
    confirm(editor_client, Statement, preview)

    statement.refresh_from_db()
    assert statement.status == "published"
    assert list(statement.topics.all()) == [cast["topic"]]
    assert list(statement.countries.values_list("code", flat=True)) == ["RS"]  # not in the file
    assert statement.version == 2
    latest = statement.history.first()
    assert (latest.history_type, latest.history_user) == ("~", editor)
    assert latest.history_change_reason == "Imported from status.csv"


def test_an_update_from_an_older_version_or_an_unknown_id_is_refused(editor_client, cast):
    statement = StatementFactory(speaker=cast["speaker"])
    statement.text = "Changed by a colleague."
    statement.save()  # now at version 2
    content = csv_file(
        "id,version,status", f"{statement.pk},1,draft", f"{statement.pk + 1000},,draft"
    )

    preview = upload(editor_client, Statement, "status.csv", content)

    assert actions(preview) == ["Refused", "Refused"]
    found = problems(preview)
    assert found[2] == [
        ("version", "The statement has changed since version 1: it is now at version 2.")
    ]
    assert found[3] == [
        ("id", f"No statement with id {statement.pk + 1000}: leave id empty to create one.")
    ]
    statement.refresh_from_db()
    assert statement.status == "published"


def test_the_csv_export_imports_back(admin_client, cast):
    statement = StatementFactory(speaker=cast["speaker"], position=cast["position"], text="-1%")
    statement.topics.set([cast["topic"]])
    StatementTranslationFactory(statement=statement, language="fr")
    export = admin_client.get("/api/v1/statements/", {"format": "csv"})
    content = b"".join(export.streaming_content)

    preview = upload(admin_client, Statement, "statements.csv", content)

    assert actions(preview) == ["Update"], problems(preview)
    confirm(admin_client, Statement, preview)
    statement.refresh_from_db()
    assert statement.text == "-1%"  # the export's guard against formulas is taken off
    assert statement.translations.get().language == "fr"
    assert list(statement.topics.all()) == [cast["topic"]]


def test_people_import(editor_client, editor):
    content = csv_file("full_name,sort_name", "Nenad Simić,", 'Jelena Petrović,"Petrović, J."')

    preview = upload(editor_client, Person, "people.csv", content)
    assert actions(preview) == ["New", "New"], problems(preview)
    confirm(editor_client, Person, preview, change_reason="New speakers")

    simic = Person.objects.get(full_name="Nenad Simić")
    assert (simic.slug, simic.sort_name) == ("nenad-simic", "Simić, Nenad")
    assert Person.objects.get(slug="jelena-petrovic").sort_name == "Petrović, J."
    assert simic.history.get().history_change_reason == "New speakers"


def test_institutions_import_refuses_an_unknown_country_then_imports(editor_client):
    parent = InstitutionFactory(name="Council of Europe", country_id=None)
    header = "name,short_name,kind,country,parent"
    bad = csv_file(header, f"CoE Office in Belgrade,,io_office,ZZ,{parent.slug}")

    refused = upload(editor_client, Institution, "institutions.csv", bad)
    assert problems(refused)[2] == [("country", "Object with code=ZZ does not exist.")]
    assert not Institution.objects.filter(name="CoE Office in Belgrade").exists()

    good = csv_file(header, f"CoE Office in Belgrade,,io_office,rs,{parent.slug}")
    preview = upload(editor_client, Institution, "institutions.csv", good)
    confirm(editor_client, Institution, preview)
    office = Institution.objects.get(name="CoE Office in Belgrade")
    assert (office.country_id, office.parent, office.kind) == ("RS", parent, "io_office")


def test_import_needs_add_or_change_permission(client, editor_client, db):
    reader = get_user_model().objects.create_user("reader", password="x", is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    changelist = reverse("admin:events_statement_changelist")

    assert import_url(Statement).encode() in editor_client.get(changelist).content
    client.force_login(reader)
    assert client.get(changelist).status_code == 200
    assert import_url(Statement).encode() not in client.get(changelist).content
    for model in (Statement, Person, Institution):
        assert client.get(import_url(model)).status_code == 403
    client.logout()
    anonymous = client.get(import_url(Statement))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))


def test_a_row_that_creates_needs_add_permission(client, cast):
    user = get_user_model().objects.create_user("corrector", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["change_statement", "view_statement"])
    )
    client.force_login(user)
    existing = StatementFactory(speaker=cast["speaker"])
    content = csv_file(
        "id,text,language,speaker",
        f"{existing.pk},Corrected.,en,{cast['speaker'].pk}",
        f",New words.,en,{cast['speaker'].pk}",
    )

    preview = upload(client, Statement, "statements.csv", content)

    assert actions(preview) == ["Update", "Refused"]
    assert problems(preview)[3] == [("", "You may not create statements.")]
