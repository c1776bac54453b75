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


# Names in both scripts (issue 13): the benchmark measures the folded search


def test_people_of_the_region_have_names_in_both_scripts():
    from ctht_api.search import fold
    from events.generate import CYRILLIC_COUNTRIES
    from people.models import InstitutionOtherName, Person, PersonOtherName

    generate(statements=10000, seed=3)
    people = Person.objects.count()
    regional = (
        Person.objects.filter(positions__institution__country__in=list(CYRILLIC_COUNTRIES))
        .distinct()
        .count()
    )
    cyrillic_primary = [
        p
        for p in Person.objects.values_list("full_name", flat=True)
        if not p.isascii() and all("\u0400" <= c <= "\u04ff" for c in p if c.isalpha())
    ]
    cyrillic_other = PersonOtherName.objects.filter(language__in=["sr-Cyrl", "mk"])
    latin_other = PersonOtherName.objects.filter(language__in=["sr-Latn", "mk-Latn"])
    # About 5% of everyone under a Cyrillic name, about 30% of the region's with a Cyrillic
    # other name; every Cyrillic-named person has their Latin name beside it.
    assert 0.02 * people <= len(cyrillic_primary) <= 0.09 * people
    assert 0.2 * regional <= cyrillic_other.count() <= 0.4 * regional
    assert latin_other.count() == len(cyrillic_primary)
    for other in latin_other.select_related("person")[:50]:
        assert fold(other.name) == fold(other.person.full_name)
    for other in cyrillic_other.select_related("person")[:50]:
        assert fold(other.name) == fold(other.person.full_name)
        assert other.person.positions.get().institution.country_id in CYRILLIC_COUNTRIES
    assert InstitutionOtherName.objects.filter(language__in=["sr-Cyrl", "mk"]).exists()
    # Every generated row has its first history record.
    assert PersonOtherName.history.count() == PersonOtherName.objects.count()
    assert InstitutionOtherName.history.count() == InstitutionOtherName.objects.count()


def test_a_person_recorded_in_cyrillic_is_found_by_the_latin_spelling(client):
    from ctht_api.search import fold
    from people.models import PersonOtherName

    generate(statements=10000, seed=3)
    latin = PersonOtherName.objects.filter(language="sr-Latn").select_related("person").first()
    person = latin.person
    assert not person.full_name.isascii()
    query = fold(latin.name)  # "nenad simic" for "Ненад Симић"
    body = client.get("/api/v1/people/", {"q": query, "page_size": 100}).json()
    found = {p["id"]: p["full_name"] for p in body["results"]}
    assert found[person.pk] == person.full_name
    # Both spellings of the name are among the answers: the same folded name.
    assert {fold(name) for name in found.values()} == {query}

    # And their statements, through the folded search documents, by either spelling.
    def count(**params):
        params.update(speaker=person.pk, count="true")
        return client.get("/api/v1/statements/", params).json()["count"]

    assert count(q=latin.name) == count(q=person.full_name) == count() > 0


def test_statements_in_cyrillic_are_found_by_a_latin_query(client):
    generate(statements=2000, seed=1)
    cyrillic = Statement.objects.filter(language="sr-Cyrl").first()
    word = next(w for w in cyrillic.text.rstrip(".").split() if len(w) > 6)
    import cyrtranslit

    latin = cyrtranslit.to_latin(word.lower(), "sr")
    body = client.get("/api/v1/statements/", {"q": latin, "count": "true"}).json()
    assert body["count"] >= 1
    assert any(s["language"] in ("sr-Cyrl", "mk") for s in body["results"])
