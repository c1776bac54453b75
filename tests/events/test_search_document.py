"""The stored search document follows every change of what it contains."""

import pytest

from ctht_api.search import search_stored
from events.models import Statement
from tests.factories import EventFactory, StatementFactory, StatementTranslationFactory

pytestmark = pytest.mark.django_db


def found(text: str) -> list[int]:
    return list(search_stored(Statement.objects.all(), text).values_list("pk", flat=True))


def test_renaming_the_speaker_updates_search_and_updated_at():
    statement = StatementFactory()
    before = statement.updated_at
    speaker = statement.speaker
    speaker.full_name = "Biljana Lalova"
    speaker.save()
    statement.refresh_from_db()
    assert found("lalova") == [statement.pk]
    assert statement.updated_at > before


def test_renaming_the_event_updates_search():
    statement = StatementFactory(event=EventFactory(title="Regional workshop"))
    event = statement.event
    event.title = "Réunion à Skopje"
    event.save()
    assert found("skopje reunion") == [statement.pk]
    assert found("regional") == []


def test_adding_and_deleting_a_translation_updates_search():
    statement = StatementFactory(language="en")
    translation = StatementTranslationFactory(statement=statement, text="Prévention numérique")
    assert found("numerique") == [statement.pk]
    translation.delete()
    assert found("numerique") == []


def test_editing_the_text_updates_search():
    statement = StatementFactory(text="Old words")
    statement.text = "Nouvelles preuves numériques"
    statement.save()
    assert found("preuves") == [statement.pk]
    assert found("old") == []


def test_editing_the_text_through_the_api_updates_search(client, django_user_model):
    from accounts.services import issue_token

    statement = StatementFactory(text="Old words")
    key = issue_token(username="editor", write=True)
    response = client.patch(
        f"/api/v1/statements/{statement.pk}/",
        {"text": "Nouvelles preuves numériques"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 200, response.content
    assert found("preuves") == [statement.pk]
    assert found("old") == []
