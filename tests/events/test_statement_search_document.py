"""A statement's search document has one definition, whichever path wrote the statement.

The model (on save, through the API), `import_data` and `generate_data` each
store `search_document`; every stored one must be what
`ctht_api.search.statement_search_document` makes of the statement's parts,
or `q` would find a statement or not depending on how it came in.
"""

from collections import defaultdict

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from ctht_api.search import statement_search_document
from events.generate import generate
from events.models import Statement, StatementTranslation
from tests.api.conftest import token_client
from tests.api.helpers import API
from tests.factories import EventFactory, PersonFactory, StatementFactory
from tests.test_backup import empty_the_record, export

pytestmark = pytest.mark.django_db


def stored_and_expected() -> list[tuple[int, str, str]]:
    """(pk, stored document, the function's document) for every statement, read in bulk."""
    translations = defaultdict(list)
    for statement_id, language, text in StatementTranslation.objects.values_list(
        "statement_id", "language", "text"
    ):
        translations[statement_id].append((language, text))
    rows = Statement.objects.values_list(
        "pk", "search_document", "text", "speaker__full_name", "event__title"
    )
    return [
        (
            pk,
            stored,
            statement_search_document(
                text=text,
                speaker_name=speaker,
                event_title=event,
                translations=translations[pk],
            ),
        )
        for pk, stored, text, speaker, event in rows
    ]


def translate(statement: Statement, texts: dict[str, str]) -> None:
    """Replace the statement's translations through the API, as an editor does."""
    response = token_client("editor", write=True).patch(
        f"{API}statements/{statement.pk}/",
        {"translations": [{"language": tag, "text": text} for tag, text in texts.items()]},
        format="json",
    )
    assert response.status_code == 200, response.content


def assert_every_document_is_the_functions() -> None:
    rows = stored_and_expected()
    assert rows
    assert [(pk, stored) for pk, stored, _ in rows] == [(pk, made) for pk, _, made in rows]


def test_the_parts_and_their_order():
    document = statement_search_document(
        text="Prévention  numérique",
        speaker_name="Stanislava Tanić",
        event_title="Réunion à Skopje",
        translations=[("sr-Latn", "Prevencija"), ("de", "Prävention")],
    )
    assert (
        document == "prevention  numerique stanislava tanic reunion a skopje pravention prevencija"
    )


def test_a_statement_without_event_or_translations_is_its_text_and_speaker():
    document = statement_search_document(
        text="Technology", speaker_name="Nenad Simić", event_title=None
    )
    assert document == "technology nenad simic"


def test_model_saved_statements_store_the_functions_document():
    statement = StatementFactory(
        text="Prévention numérique",
        speaker=PersonFactory(full_name="Stanislava Tanić"),
        event=EventFactory(title="Réunion à Skopje"),
    )
    translate(statement, {"sr-Latn": "Prevencija", "de": "Prävention"})
    statement.refresh_from_db()
    assert statement.search_document == (
        "prevention numerique stanislava tanic reunion a skopje pravention prevencija"
    )
    assert_every_document_is_the_functions()


def test_generated_statements_store_the_functions_document():
    generate(statements=600, seed=3)
    assert StatementTranslation.objects.exists()
    assert_every_document_is_the_functions()


def test_imported_statements_store_the_functions_document(demo, tmp_path):
    for statement in Statement.objects.order_by("pk")[:2]:
        translate(statement, {"sq": "Teknologjia", "de": "Technologie"})
    path = export(tmp_path)
    empty_the_record()
    call_command("import_data", str(path))

    assert StatementTranslation.objects.count() >= 4
    assert_every_document_is_the_functions()
    found = APIClient().get(f"{API}statements/", {"q": "teknologjia"}).json()["results"]
    assert len(found) == 2
