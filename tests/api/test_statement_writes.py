"""Every way of writing a statement (API, admin, load_demo) goes through one service and
leaves the same trace: version 1 and one "created" record when it is new, one version
and one record per write after that, translations included in what changed."""

import pytest
from django.urls import reverse

from events.models import Statement
from people.models import Institution, Person
from tests.api.helpers import API, results
from tests.test_audit import change_url, form_data

pytestmark = pytest.mark.django_db


def body(speaker: Person, **changes) -> dict:
    return {
        "text": "Technology can also be part of the solution.",
        "language": "en",
        "speaker": speaker.pk,
        "status": "published",
        **changes,
    }


def history(client, pk: int) -> list[dict]:
    return results(client.get(f"{API}statements/{pk}/history/"))


def test_api_create_with_translations_starts_at_version_1(writer):
    speaker = Person.objects.create(full_name="Nenad Simić")
    response = writer.post(
        f"{API}statements/",
        body(speaker, translations=[{"language": "fr", "text": "Aussi.", "kind": "official"}]),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response["ETag"] == '"v1"'
    pk = response.json()["id"]
    assert writer.get(f"{API}statements/{pk}/")["ETag"] == '"v1"'
    (record,) = history(writer, pk)
    assert (record["version"], record["type"]) == (1, "created")
    changes = {change["field"]: change for change in record["changes"]}
    assert changes["translations"] == {
        "field": "translations",
        "old": None,
        "new": [{"language": "fr", "text": "Aussi.", "kind": "official"}],
    }


def test_a_change_of_translations_alone_shows_in_the_history(writer):
    speaker = Person.objects.create(full_name="Nenad Simić")
    french = {"language": "fr", "text": "Aussi.", "kind": "official"}
    german = {"language": "de", "text": "Auch.", "kind": "editorial"}
    pk = writer.post(
        f"{API}statements/", body(speaker, translations=[french]), format="json"
    ).json()["id"]

    response = writer.patch(f"{API}statements/{pk}/", {"translations": [german]}, format="json")
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"v2"'
    newest = history(writer, pk)[0]
    assert (newest["version"], newest["type"]) == (2, "updated")
    assert newest["changes"] == [{"field": "translations", "old": [french], "new": [german]}]


def test_a_write_that_changes_nothing_in_translations_does_not_list_them(writer):
    speaker = Person.objects.create(full_name="Nenad Simić")
    french = {"language": "fr", "text": "Aussi.", "kind": "official"}
    pk = writer.post(
        f"{API}statements/", body(speaker, translations=[french]), format="json"
    ).json()["id"]
    writer.patch(
        f"{API}statements/{pk}/", {"context": "Opening.", "translations": [french]}, format="json"
    )
    newest = history(writer, pk)[0]
    assert newest["changes"] == [{"field": "context", "old": "", "new": "Opening."}]


def admin_add(client, speaker: Person, *translations: dict, **fields):
    """Post the admin's "add statement" form with these translation rows."""
    data = {
        "text": "Words said.",
        "language": "en",
        "status": "draft",
        "speaker": speaker.pk,
        "translations-TOTAL_FORMS": str(len(translations)),
        "translations-INITIAL_FORMS": "0",
        "translations-MIN_NUM_FORMS": "0",
        "translations-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for n, row in enumerate(translations):
        data.update({f"translations-{n}-{name}": value for name, value in row.items()})
    return client.post(reverse("admin:events_statement_add"), data)


def test_admin_create_with_translations_starts_at_version_1(admin_client, writer):
    institution = Institution.objects.create(name="Ministry of Interior", country_id="RS")
    speaker = Person.objects.create(full_name="Nenad Simić")
    response = admin_add(
        admin_client,
        speaker,
        {"language": "fr", "kind": "official", "text": "Des mots."},
        institution=institution.pk,
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    statement = Statement.objects.get()
    assert writer.get(f"{API}statements/{statement.pk}/")["ETag"] == '"v1"'
    (record,) = history(writer, statement.pk)
    assert (record["version"], record["type"]) == (1, "created")
    changes = {change["field"]: change["new"] for change in record["changes"]}
    assert changes["countries"] == ["RS"]
    assert changes["translations"] == [{"language": "fr", "text": "Des mots.", "kind": "official"}]


def test_admin_refuses_a_translation_in_the_statement_language(admin_client):
    speaker = Person.objects.create(full_name="Nenad Simić")
    response = admin_add(
        admin_client, speaker, {"language": "en", "kind": "official", "text": "Same."}
    )
    assert response.status_code == 200
    assert "A translation must be in another language." in response.content.decode()
    assert not Statement.objects.exists()


def test_admin_edit_of_translations_is_one_version_with_the_change(admin_client, writer, demo):
    statement = Statement.objects.order_by("id").first()
    data = form_data(admin_client, statement)
    data.update(
        {
            "translations-TOTAL_FORMS": "1",
            "translations-0-language": "en",
            "translations-0-kind": "editorial",
            "translations-0-text": "Words in English.",
            "change_reason": "Translated",
        }
    )
    response = admin_client.post(change_url(statement), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert writer.get(f"{API}statements/{statement.pk}/")["ETag"] == '"v2"'
    newest = history(writer, statement.pk)[0]
    assert (newest["version"], newest["reason"]) == (2, "Translated")
    assert newest["changes"] == [
        {
            "field": "translations",
            "old": [],
            "new": [{"language": "en", "text": "Words in English.", "kind": "editorial"}],
        }
    ]


def test_admin_deleting_a_translation_row_removes_it(admin_client, writer, demo):
    statement = Statement.objects.order_by("id").first()
    english = {"language": "en", "text": "Words in English.", "kind": "editorial"}
    writer.patch(f"{API}statements/{statement.pk}/", {"translations": [english]}, format="json")
    data = form_data(admin_client, statement)
    data["translations-0-DELETE"] = "on"
    response = admin_client.post(change_url(statement), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert writer.get(f"{API}statements/{statement.pk}/").json()["translations"] == []
    newest = history(writer, statement.pk)[0]
    assert (newest["version"], newest["user"]) == (3, "admin")
    assert newest["changes"] == [{"field": "translations", "old": [english], "new": []}]


def test_api_refuses_a_language_change_to_that_of_a_kept_translation(writer):
    speaker = Person.objects.create(full_name="Nenad Simić")
    created = writer.post(
        f"{API}statements/",
        body(speaker, translations=[{"language": "fr", "text": "Aussi.", "kind": "official"}]),
        format="json",
    )
    pk = created.json()["id"]

    response = writer.patch(f"{API}statements/{pk}/", {"language": "fr"}, format="json")

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["language"]
    stored = writer.get(f"{API}statements/{pk}/").json()
    assert (stored["language"], stored["translations"][0]["language"]) == ("en", "fr")
    # With the translations replaced in the same request, the change is allowed.
    response = writer.patch(
        f"{API}statements/{pk}/",
        {
            "language": "fr",
            "translations": [{"language": "en", "text": "Also.", "kind": "official"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content


def test_admin_refuses_that_language_change_to_an_editor_who_cannot_change_translations(
    client,
):
    from django.contrib.auth.models import Permission, User

    editor = User.objects.create_user("limited", is_staff=True)
    editor.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "view_statement",
                "change_statement",
                "view_statementtranslation",
                "view_person",
            ]
        )
    )
    client.force_login(editor)
    speaker = Person.objects.create(full_name="Nenad Simić")
    statement = Statement.objects.create(text="Words.", language="en", speaker=speaker)
    statement.translations.create(language="fr", text="Mots.", kind="official")
    data = {**form_data(client, statement), "language": "fr"}

    response = client.post(change_url(statement), data)

    assert response.status_code == 200  # the form again, with the error: not a 500
    assert "language" in response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert statement.language == "en"
