"""The statement fast path writes exactly what the declared fields would."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from ctht_api.languages import DisplayMixin
from events.models import Statement
from events.serializers import StatementSerializer
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PositionFactory,
    StatementFactory,
    StatementTranslationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(demo):
    """Statements with and without each optional relation, translations and dates."""
    position = PositionFactory(institution=InstitutionFactory(country_id=None))
    full = StatementFactory(
        speaker=position.person,
        position=position,
        event=EventFactory(start_date="2025-03-04"),
        source=DocumentFactory(),
        language="sr-Latn",
    )
    full.countries.set(["RS", "BA"])
    StatementTranslationFactory(statement=full, language="fr")
    StatementTranslationFactory(statement=full, language="en", text="Also.")
    StatementFactory()  # no position, institution, event, source, country or date


@pytest.mark.parametrize(
    "languages",
    [None, ("fr",), ("sr-Cyrl", "en"), ("de",)],
    ids=["no display", "translation", "machine", "original"],
)
def test_fast_path_equals_the_declared_fields(varied, languages):
    request = Request(APIRequestFactory().get("/api/v1/statements/"))
    context = {"request": request, "display_languages": languages}
    statements = list(Statement.objects.for_api().order_by("pk"))
    assert len(statements) >= 6
    for statement in statements:
        fast = StatementSerializer(statement, context=context).data
        # DisplayMixin's, then the declared fields', bypassing the fast path.
        declared = DisplayMixin.to_representation(
            StatementSerializer(context=context), Statement.objects.get(pk=statement.pk)
        )
        assert ("display" in fast) == bool(languages)
        assert fast == dict(declared)
        assert list(fast) == list(declared)
