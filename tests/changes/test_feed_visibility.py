"""The change feed as each client sees the record: examples that read at a glance.

(tests/changes/test_mirror_replay.py holds random sequences of writes to the same rule.)
"""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from events.models import Statement
from tests.api.helpers import all_ids
from tests.changes.mirror import Mirror

pytestmark = pytest.mark.django_db


def by_key(changes: list[dict]) -> dict[tuple[str, int], dict]:
    """The feed's entries by (resource, id): each entry appears once (a compacted log)."""
    keyed = {(change["resource"], change["id"]): change for change in changes}
    assert len(keyed) == len(changes), changes
    return keyed


@pytest.fixture
def anonymous(demo) -> Mirror:
    mirror = Mirror("anonymous", APIClient())
    mirror.sync()
    return mirror


@pytest.fixture
def editor(demo, writer) -> Mirror:
    mirror = Mirror("editor", writer)
    mirror.sync()
    return mirror


def test_unpublishing_an_event_deletes_its_statements_for_anonymous_clients_only(
    conference, anonymous, editor, writer
):
    statements = sorted(conference.statements.values_list("pk", flat=True))
    assert len(statements) == 4
    assert all(("statements", pk) in anonymous.entries for pk in statements)

    response = writer.patch(f"/api/v1/events/{conference.pk}/", {"status": "draft"}, format="json")
    assert response.status_code == 200

    seen = by_key(anonymous.sync())
    for pk in statements:
        assert seen["statements", pk]["action"] == "delete"
        assert "object" not in seen["statements", pk]
        assert ("statements", pk) not in anonymous.entries
    assert seen["events", conference.pk]["action"] == "delete"

    seen = by_key(editor.sync())
    for pk in statements:
        assert seen["statements", pk]["action"] == "upsert"
        assert seen["statements", pk]["object"]["status"] == "published"
    assert seen["events", conference.pk]["object"]["status"] == "draft"


def test_publishing_an_event_upserts_its_published_statements_and_moves_updated_at(
    conference, anonymous, writer
):
    writer.patch(f"/api/v1/events/{conference.pk}/", {"status": "draft"}, format="json")
    draft = Statement.objects.filter(event=conference).order_by("pk").first()
    writer.patch(f"/api/v1/statements/{draft.pk}/", {"status": "draft"}, format="json")
    published = sorted(
        conference.statements.filter(status="published").values_list("pk", flat=True)
    )
    assert len(published) == 3
    anonymous.sync()
    assert not any(resource == "statements" for resource, _ in anonymous.entries)
    before = timezone.now()

    response = writer.patch(
        f"/api/v1/events/{conference.pk}/", {"status": "published"}, format="json"
    )
    assert response.status_code == 200

    seen = by_key(anonymous.sync())
    for pk in published:
        change = seen["statements", pk]
        assert change["action"] == "upsert"
        assert change["object"]["event"]["id"] == conference.pk
        assert change["object"] == anonymous.client.get(f"/api/v1/statements/{pk}/").json()
    # The draft statement stays hidden: the feed names it, as gone for this client.
    assert seen["statements", draft.pk]["action"] == "delete"
    # A mirror that polls `updated_since` instead finds them too: their `updated_at` moved.
    found = all_ids(anonymous.client, "/api/v1/statements/", {"updated_since": before.isoformat()})
    assert sorted(found) == published


def test_renaming_an_institution_upserts_each_statement_showing_it(
    serbian_ministry, anonymous, editor, writer
):
    quoting = sorted(serbian_ministry.statements.values_list("pk", flat=True))
    assert quoting

    response = writer.patch(
        f"/api/v1/institutions/{serbian_ministry.pk}/",
        {"name": "Ministry of Internal Affairs of Serbia"},
        format="json",
    )
    assert response.status_code == 200

    for mirror in (anonymous, editor):
        seen = by_key(mirror.sync())
        for pk in quoting:
            change = seen["statements", pk]
            assert change["action"] == "upsert"
            assert change["object"]["institution"] == {
                "id": serbian_ministry.pk,
                "url": f"http://testserver/api/v1/institutions/{serbian_ministry.pk}/",
                "name": "Ministry of Internal Affairs of Serbia",
                "country": "RS",
            }
        assert seen["institutions", serbian_ministry.pk]["object"]["name"] == (
            "Ministry of Internal Affairs of Serbia"
        )
        # Only what shows the name: not the statements quoting other institutions.
        others = Statement.objects.exclude(institution=serbian_ministry).values_list(
            "pk", flat=True
        )
        assert not any(("statements", pk) in seen for pk in others)


def test_a_deleted_statement_is_a_delete_for_every_client(demo, anonymous, editor, writer):
    statement = Statement.objects.order_by("pk").first()
    assert ("statements", statement.pk) in anonymous.entries

    assert writer.delete(f"/api/v1/statements/{statement.pk}/").status_code == 204

    for mirror in (anonymous, editor):
        changes = mirror.sync()
        assert changes == [
            {
                "seq": changes[0]["seq"],
                "resource": "statements",
                "id": statement.pk,
                "action": "delete",
                "at": changes[0]["at"],
            }
        ]
        assert ("statements", statement.pk) not in mirror.entries
        assert mirror.last == changes[0]["seq"]


def test_translations_deleted_in_bulk_in_the_admin_upsert_their_statement(
    demo, anonymous, writer, admin_client
):
    """The translations admin's "delete selected" changes the statement's JSON: the feed
    must say so (it once deleted them with `QuerySet.delete()`, unseen by the statement)."""
    statement = Statement.objects.order_by("pk").first()
    german = {"language": "de", "text": "Die Lösung heißt Zusammenarbeit.", "kind": "editorial"}
    url = f"/api/v1/statements/{statement.pk}/"
    assert writer.patch(url, {"translations": [german]}, format="json").status_code == 200
    assert anonymous.sync()[0]["object"]["translations"] == [german]
    records = statement.history.count()
    assert "zusammenarbeit" in Statement.objects.get(pk=statement.pk).search_document

    response = admin_client.post(
        reverse("admin:events_statementtranslation_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(statement.translations.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not statement.translations.exists()

    (change,) = anonymous.sync()
    assert (change["id"], change["action"]) == (statement.pk, "upsert")
    assert change["object"]["translations"] == []
    assert change["object"] == anonymous.client.get(url).json()
    assert statement.history.count() == records + 1
    assert "zusammenarbeit" not in Statement.objects.get(pk=statement.pk).search_document
