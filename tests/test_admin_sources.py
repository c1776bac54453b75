"""Sources in the admin: an autocomplete of documents on the page of each person,
institution, position and programme, saved as one version of the entry and shown by the
API."""

import pytest
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.urls import reverse

from events.models import Document
from people.models import Institution, Person
from tests.api.conftest import token_client
from tests.factories import (
    DocumentFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    ProgrammeFactory,
)
from tests.test_admin_import import actions, confirm, csv_file, problems, upload
from tests.test_audit import change_url, form_data

pytestmark = pytest.mark.django_db

OWNERS = {
    "people": PersonFactory,
    "institutions": InstitutionFactory,
    "positions": PositionFactory,
    "programmes": ProgrammeFactory,
}
every_owner = pytest.mark.parametrize("resource", list(OWNERS))


@every_owner
def test_the_page_offers_sources_as_an_autocomplete_of_documents(admin_client, resource):
    entry = OWNERS[resource]()

    response = admin_client.get(change_url(entry))

    widget = response.context["adminform"].form.fields["sources"].widget.widget
    assert isinstance(widget, AutocompleteSelectMultiple)
    assert widget.field.remote_field.model is Document
    page = response.content.decode()
    assert 'data-field-name="sources"' in page
    assert reverse("admin:autocomplete") in page


@every_owner
def test_sources_chosen_on_the_page_are_one_version_of_the_entry(admin_client, resource):
    entry = OWNERS[resource]()
    document = DocumentFactory(title="GRETA report on Serbia")
    data = form_data(admin_client, entry)
    data["sources"] = [str(document.pk)]
    data["change_reason"] = "Taken from the GRETA report"

    response = admin_client.post(change_url(entry), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    entry.refresh_from_db()
    assert entry.version == 2
    newest = entry.history.first()
    assert newest.history_change_reason == "Taken from the GRETA report"
    writer = token_client("editor", write=True)
    shown = writer.get(f"/api/v1/{resource}/{entry.pk}/").json()["sources"]
    assert [(s["id"], s["title"]) for s in shown] == [(document.pk, "GRETA report on Serbia")]
    history = writer.get(f"/api/v1/{resource}/{entry.pk}/history/").json()["results"]
    assert {c["field"]: c["new"] for c in history[0]["changes"]} == {"sources": [document.pk]}


def test_the_document_autocomplete_answers_for_the_sources_field(admin_client):
    DocumentFactory(title="GRETA report on Serbia")
    DocumentFactory(title="Convention on Cybercrime")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "people", "model_name": "person", "field_name": "sources", "term": "GRETA"},
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["GRETA report on Serbia"]


@pytest.mark.parametrize(("model", "resource"), [(Person, "people"), (Institution, "institutions")])
def test_the_admin_import_reads_sources_as_the_csv_export_writes_them(
    admin_client, model, resource
):
    """The CSV list's `sources` cell (`;`-joined ids) imports back: emptied, then restored."""
    entry = OWNERS[resource]()
    documents = [DocumentFactory(title="GRETA report"), DocumentFactory(title="Article")]
    entry.sources.set(documents)
    content = b"".join(
        admin_client.get(f"/api/v1/{resource}/", {"format": "csv"}).streaming_content
    )
    entry.sources.clear()

    preview = upload(admin_client, model, f"{resource}.csv", content)
    assert actions(preview) == ["Update"], problems(preview)
    confirm(admin_client, model, preview)

    assert set(entry.sources.all()) == set(documents)


def test_the_admin_import_refuses_an_unknown_document_naming_sources(admin_client):
    content = csv_file("full_name,sources", "Ana Kovač,987654")

    preview = upload(admin_client, Person, "people.csv", content)

    assert "sources" in {column for column, _ in problems(preview)[2]}
    assert not Person.objects.filter(full_name="Ana Kovač").exists()
