"""`generate_data` builds a reproducible synthetic record that the API serves."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from events.generate import RARE_WORD, generate
from events.models import Event, Statement, StatementTranslation

pytestmark = pytest.mark.django_db


def fingerprint() -> list[tuple]:
    return list(Statement.objects.order_by("pk").values_list("text", "language", "date", "status"))


def test_same_seed_gives_the_same_record():
    generate(statements=300, seed=7)
    first = fingerprint()
    Statement.objects.all().delete()
    generate(statements=300, seed=7)
    assert fingerprint() == first


def test_record_is_shaped_like_the_real_one():
    generate(statements=2000, seed=1)
    assert Statement.objects.count() == 2000
    languages = set(Statement.objects.values_list("language", flat=True))
    assert {"en", "fr", "sr-Latn", "sr-Cyrl", "mk"} <= languages
    lengths = [len(t) for t in Statement.objects.values_list("text", flat=True)]
    assert min(lengths) >= 90 and max(lengths) <= 601
    assert 0 < Statement.objects.drafts().count() < 200
    counts = list(
        Statement.countries.through.objects.values("country_id")
        .annotate(n=Count("*"))
        .order_by("-n")
        .values_list("n", flat=True)
    )
    assert counts[0] > 5 * counts[len(counts) // 2]  # skewed
    assert StatementTranslation.objects.exists()
    assert Event.objects.count() >= 20


def test_generated_statements_are_searchable_and_filterable(client):
    generate(statements=4000, seed=1)
    rare = client.get("/api/v1/statements/", {"q": RARE_WORD, "count": "true"}).json()
    assert rare["count"] >= 1
    assert all(RARE_WORD in s["text"] for s in rare["results"])
    by_country = client.get("/api/v1/statements/", {"country": "RS", "page_size": 5}).json()
    assert all("RS" in s["countries"] for s in by_country["results"])


def test_command_reports_the_rate():
    out = io.StringIO()
    call_command("generate_data", statements=50, stdout=out)
    assert "Generated 50 statements" in out.getvalue() and "statements/s" in out.getvalue()


def test_command_refuses_zero():
    with pytest.raises(CommandError):
        call_command("generate_data", statements=0)
