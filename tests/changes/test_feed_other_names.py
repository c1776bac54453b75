"""Other names are part of their owner: every way of writing them puts the owner in the feed.

(The admin's inline is in tests/test_admin_other_names.py.)
"""

import pytest

from people.models import Person
from tests.factories import EventFactory, PersonFactory

URL = "/api/v1/changes/"

pytestmark = pytest.mark.django_db


def changes_since(client, last) -> list[dict]:
    return client.get(URL, {"since": last}).json()["results"]


def last(client) -> str:
    return client.get(URL).json()["last"]


def test_writing_other_names_through_the_api_is_an_upsert_of_the_owner(writer):
    person = PersonFactory(full_name="Nenad Simić")
    since = last(writer)

    response = writer.patch(
        f"/api/v1/people/{person.pk}/",
        {"other_names": [{"name": "Ненад Симић", "language": "sr-Cyrl"}]},
        format="json",
    )

    assert response.status_code == 200
    (change,) = changes_since(writer, since)
    assert (change["resource"], change["id"], change["action"]) == ("people", person.pk, "upsert")
    assert change["object"] == response.json()
    assert change["object"]["other_names"][0]["name"] == "Ненад Симић"


def test_an_other_name_written_outside_a_request_still_reaches_the_feed(writer):
    """A Django shell or a management command: each save or deletion touches the owner."""
    event = EventFactory(status="published")
    since = last(writer)

    other_name = event.other_names.create(name="Conférence de Sarajevo", language="fr")

    (change,) = changes_since(writer, since)
    assert (change["resource"], change["id"]) == ("events", event.pk)
    assert change["object"]["other_names"][0]["name"] == "Conférence de Sarajevo"

    since = last(writer)
    other_name.delete()

    (change,) = changes_since(writer, since)
    assert (change["resource"], change["id"], change["action"]) == ("events", event.pk, "upsert")
    assert change["object"]["other_names"] == []


def test_deleting_an_owner_deletes_its_other_names_and_is_one_deletion(writer):
    person = PersonFactory()
    person.other_names.create(name="Former name")
    since = last(writer)

    assert writer.delete(f"/api/v1/people/{person.pk}/").status_code == 204

    (change,) = changes_since(writer, since)
    assert (change["resource"], change["id"], change["action"]) == ("people", person.pk, "delete")
    assert not Person.objects.filter(pk=person.pk).exists()
