"""`load_demo` turns the founding document into exactly its entities, once, in its words."""

import pytest
from django.core.management import call_command

from changes.models import Change
from ctht_api.models import Status
from events.models import (
    Document,
    Event,
    EventOtherName,
    Programme,
    ProgrammeOtherName,
    Statement,
    StatementTranslation,
    Topic,
    TopicTranslation,
)
from people.models import (
    Institution,
    InstitutionIdentifier,
    InstitutionOtherName,
    Person,
    PersonOtherName,
    Position,
    PositionOtherName,
)

pytestmark = pytest.mark.django_db

MODELS = [
    Institution,
    InstitutionOtherName,
    InstitutionIdentifier,
    Person,
    PersonOtherName,
    Position,
    PositionOtherName,
    Event,
    EventOtherName,
    Statement,
    StatementTranslation,
    Topic,
    TopicTranslation,
    Programme,
    ProgrammeOtherName,
    Document,
]


def snapshot():
    """Every row's id, version and time, every history record, and the change feed."""
    return {
        **{
            model.__name__: sorted(model.objects.values_list("pk", "version", "updated_at"))
            for model in MODELS
        },
        **{
            f"history of {model.__name__}": model.history.count()
            for model in MODELS
            if hasattr(model, "history")
        },
        "feed": sorted(Change.objects.values_list("seq", "resource", "object_id")),
    }


def test_load_demo_twice_changes_nothing(capsys):
    call_command("load_demo")
    first = snapshot()
    call_command("load_demo")
    assert snapshot() == first
    assert "Demo data: 0 created" in capsys.readouterr().out.splitlines()[-1]


def test_demo_has_the_four_quoted_statements_in_french(demo):
    statements = Statement.objects.select_related("speaker", "position__institution")
    assert {
        (s.speaker.full_name, s.position.title, s.position.institution.name, s.language, s.status)
        for s in statements
    } == {
        (
            "Bojana Urumova",
            "cheffe du bureau du Conseil de l'Europe à Sarajevo",
            "bureau du Conseil de l'Europe à Sarajevo",
            "fr",
            Status.PUBLISHED,
        ),
        (
            "Stanislava Tanić",
            "chef du département de lutte contre la traite des êtres humains"
            " et l'immigration clandestine",
            "département de lutte contre la traite des êtres humains et l'immigration clandestine",
            "fr",
            Status.PUBLISHED,
        ),
        (
            "Nenad Simić",
            "coordinateur national pour la lutte contre la traite des êtres humains",
            "ministère de l'Intérieur de la République de Serbie",
            "fr",
            Status.PUBLISHED,
        ),
        (
            "Biljana Lalova",
            "cheffe de l'unité de lutte contre la traite des êtres humains",
            "unité de lutte contre la traite des êtres humains",
            "fr",
            Status.PUBLISHED,
        ),
    }


def test_demo_statements_are_verbatim_and_sourced_from_the_article(demo):
    seed_text = "ce crime odieux"
    lalova = Statement.objects.get(speaker__slug="biljana-lalova")
    assert lalova.text.startswith("La prévention des nouvelles formes de traite")
    assert lalova.text.endswith(seed_text)
    assert {s.source.kind for s in Statement.objects.select_related("source")} == {"article"}


def test_demo_countries_are_ba_mk_rs_by_speaker_institution(demo):
    by_speaker = {
        s.speaker.full_name: sorted(c.code for c in s.countries.all())
        for s in Statement.objects.select_related("speaker").prefetch_related("countries")
    }
    assert by_speaker == {
        "Bojana Urumova": ["BA"],
        "Stanislava Tanić": ["BA"],
        "Nenad Simić": ["RS"],
        "Biljana Lalova": ["MK"],
    }
    codes = set(Statement.objects.values_list("countries__code", flat=True))
    assert codes == {"BA", "MK", "RS"}


def test_demo_event_is_the_sarajevo_conference_with_unknown_dates(demo):
    event = Event.objects.get()
    assert (event.kind, event.city, event.country_id, event.status) == (
        "conference",
        "Sarajevo",
        "BA",
        Status.PUBLISHED,
    )
    assert (event.start_date, event.end_date) == (None, None)
    assert (event.participant_count, event.participant_count_is_approximate) == (60, True)
    assert sorted(event.countries.values_list("code", flat=True)) == ["BA", "MK", "RS"]
    assert [i.short_name for i in event.organisers.all()] == ["CoE"]
    assert set(event.documents.values_list("kind", flat=True)) == {"study", "convention"}
    assert "Facilité horizontale pour les Balkans occidentaux et la Turquie (phase III)" in set(
        event.programmes.values_list("name", flat=True)
    )
    assert Statement.objects.filter(date__isnull=False).count() == 0


def test_demo_institutions_have_their_parents(demo):
    parents = dict(
        Institution.objects.filter(parent__isnull=False).values_list("name", "parent__name")
    )
    assert parents == {
        "bureau du Conseil de l'Europe à Sarajevo": "Conseil de l'Europe",
        "GRETA": "Conseil de l'Europe",
        "département de lutte contre la traite des êtres humains et l'immigration clandestine": (
            "ministère de la Sécurité de Bosnie-Herzégovine"
        ),
        "unité de lutte contre la traite des êtres humains": (
            "ministère de l'intérieur de la Macédoine du Nord"
        ),
    }
    assert Institution.objects.get(short_name="CoE").country is None


def test_demo_programmes_sit_under_the_horizontal_facility(demo):
    facility = Programme.objects.get(parent__isnull=True)
    assert facility.name == (
        "Facilité horizontale pour les Balkans occidentaux et la Turquie (phase III)"
    )
    assert sorted(facility.funders.values_list("short_name", flat=True)) == ["CoE", "EU"]
    assert facility.children.count() == 3


def test_demo_documents_are_the_study_the_convention_and_the_article(demo):
    assert dict(Document.objects.values_list("kind", "publisher__short_name")) == {
        "study": "GRETA",
        "convention": "CoE",
        "article": None,
    }
    assert Document.objects.get(kind="convention").reference == "ETS No. 185"


# The source's words, and what sits beside them (DOMAIN.md, "Trust of the record")

SOURCE = "docs/sources/sarajevo-conference.fr.txt"


def source_text() -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parents[2] / SOURCE).read_text(encoding="utf-8")


def other_names(owner) -> list[tuple[str, str, str]]:
    return [(o.language, o.name, o.note) for o in owner.other_names.all()]


def test_event_title_is_the_source_spelling_with_the_correction_beside_it(demo, client):
    event = Event.objects.get()
    body = client.get(f"/api/v1/events/{event.pk}/").json()
    title = (
        "L'impactde la technologie numérique sur la traite des êtres humains: "
        "changer la façon dont réagissons"
    )
    assert body["title"] == title
    assert f'intitulée "{title}"' in source_text()
    names = {language: (name, note) for language, name, note in other_names(event)}
    assert names["fr"] == (
        "L'impact de la technologie numérique sur la traite des êtres humains : "
        "changer la façon dont nous réagissons",
        "Title as corrected by the editors; the source has two typos "
        '("L\'impactde", "dont réagissons")',
    )
    assert names["en"][0].startswith("The impact of digital technology")
    assert "Editorial translation" in names["en"][1]
    assert set(names) == {"fr", "en"}


def test_programmes_are_named_as_the_source_names_them(demo, client):
    body = client.get("/api/v1/programmes/", {"page_size": 10}).json()
    by_slug = {p["slug"]: p["name"] for p in body["results"]}
    assert by_slug == {
        "horizontal-facility-western-balkans-turkey-phase-iii": (
            "Facilité horizontale pour les Balkans occidentaux et la Turquie (phase III)"
        ),
        "strengthening-the-fight-against-thb-in-bih": (
            "Renforcer la lutte contre la traite en Bosnie-Herzégovine"
        ),
        "action-against-thb-in-serbia": "projet de lutte contre la traite en Serbie",
        "action-against-thb-in-north-macedonia": (
            "projet de lutte contre la traite en Macédoine du Nord"
        ),
    }
    text = source_text()
    assert '"Renforcer la lutte contre la traite en Bosnie-Herzégovine"' in text
    assert '"Facilité horizontale pour les Balkans occidentaux et la Turquie" (phase III)' in text
    assert "des projets de lutte contre la traite en Serbie et en Macédoine du Nord" in text
    for programme in Programme.objects.all():
        [(language, _, note)] = other_names(programme)
        assert language == "en" and "not in the source" in note, programme.slug
    unnamed = Programme.objects.get(slug="action-against-thb-in-serbia")
    assert "not an official name" in unnamed.description
    english = Programme.objects.get(parent=None).other_names.get().name
    assert english == "Horizontal Facility for the Western Balkans and Turkey, phase III"


def test_positions_are_titled_as_the_source_states_them_with_english_beside(demo):
    text = source_text()
    for position in Position.objects.select_related("person"):
        assert f"{position.person.full_name}, {position.title}" in text, position.title
        [(language, name, note)] = other_names(position)
        assert language == "en" and name.startswith(("Head of", "National Coordinator"))
        assert note == "Editorial translation; not in the source"


def test_institutions_are_named_as_the_source_names_them_with_english_beside(demo, client):
    body = client.get("/api/v1/institutions/", {"page_size": 20}).json()
    by_slug = {i["slug"]: i for i in body["results"]}
    assert {slug: i["name"] for slug, i in by_slug.items()} == {
        "council-of-europe": "Conseil de l'Europe",
        "european-union": "Union européenne",
        "greta": "GRETA",
        "council-of-europe-office-in-sarajevo": "bureau du Conseil de l'Europe à Sarajevo",
        "ministry-of-security-of-bosnia-and-herzegovina": (
            "ministère de la Sécurité de Bosnie-Herzégovine"
        ),
        "department-for-combating-thb-and-illegal-migration": (
            "département de lutte contre la traite des êtres humains et l'immigration clandestine"
        ),
        "ministry-of-interior-of-the-republic-of-serbia": (
            "ministère de l'Intérieur de la République de Serbie"
        ),
        "ministry-of-interior-of-north-macedonia": (
            "ministère de l'intérieur de la Macédoine du Nord"
        ),
        "unit-for-combating-thb-north-macedonia": (
            "unité de lutte contre la traite des êtres humains"
        ),
    }
    text = source_text()
    for slug, institution in by_slug.items():
        # Word for word and case for case, as the article writes it.
        assert institution["name"] in text, slug
        names = {o["language"]: o for o in institution["other_names"]}
        # The English name beside it, flagged as not the source's.
        assert names["en"]["note"] in (
            "Official English name; not in the source",
            "Editorial translation; not in the source",
        ), slug
        # The name is not repeated as an other name.
        assert institution["name"] not in {o["name"] for o in institution["other_names"]}, slug
    assert {s: i["short_name"] for s, i in by_slug.items() if i["short_name"]} == {
        "council-of-europe": "CoE",
        "european-union": "EU",
        "greta": "GRETA",
    }
    english = {s: {o["language"]: o["name"] for o in i["other_names"]} for s, i in by_slug.items()}
    assert english["council-of-europe"]["en"] == "Council of Europe"
    assert english["greta"] == {
        "en": "Group of Experts on Action against Trafficking in Human Beings",
        "fr": "Groupe d'experts sur la lutte contre la traite des êtres humains",
    }
    assert "l'étude du GRETA" in text
    assert english["ministry-of-interior-of-the-republic-of-serbia"]["sr-Cyrl"] == (
        "Министарство унутрашњих послова Републике Србије"
    )
    assert english["ministry-of-interior-of-north-macedonia"]["mk"] == (
        "Министерство за внатрешни работи"
    )
    assert set(english["ministry-of-security-of-bosnia-and-herzegovina"]) == {
        "en",
        "bs",
        "hr",
        "sr-Latn",
        "sr-Cyrl",
    }
    # Found by their English names too.
    found = client.get("/api/v1/institutions/", {"q": "Ministry of Interior"}).json()
    assert sorted(i["slug"] for i in found["results"]) == [
        "ministry-of-interior-of-north-macedonia",
        "ministry-of-interior-of-the-republic-of-serbia",
    ]


def test_officials_have_their_cyrillic_names_flagged_as_transliterations(demo, client):
    cyrillic = {
        p.full_name: [(language, name) for language, name, _ in other_names(p)]
        for p in Person.objects.prefetch_related("other_names")
    }
    assert cyrillic == {
        "Nenad Simić": [("sr-Cyrl", "Ненад Симић")],
        "Biljana Lalova": [("mk", "Биљана Лалова")],
        "Stanislava Tanić": [("sr-Cyrl", "Станислава Танић")],
        "Bojana Urumova": [],  # the Council of Europe Office writes in Latin
    }
    assert all("transliterated by the editors" in o.note for o in PersonOtherName.objects.all())
    # The names stay as the source writes them.
    body = client.get("/api/v1/people/", {"q": "simic"}).json()
    assert [p["full_name"] for p in body["results"]] == ["Nenad Simić"]


def test_topics_are_translated_into_the_region_s_languages(demo):
    from events.demo import TOPIC_TRANSLATIONS

    languages = {"fr", "bs", "sr-Latn", "sr-Cyrl", "mk", "sq"}
    for topic in Topic.objects.prefetch_related("translations"):
        translations = {t.language: t for t in topic.translations.all()}
        assert set(translations) == languages, topic.slug  # and the English original
        for translation in translations.values():
            assert translation.name and len(translation.name) <= 60
            assert translation.description.endswith(".")
            assert translation.description.count(".") == 1  # one sentence
        assert translations["sr-Cyrl"].name.isascii() is False
        assert not any("a" <= c.lower() <= "z" for c in translations["sr-Cyrl"].description)
        assert not any("a" <= c.lower() <= "z" for c in translations["mk"].description)
    assert set(TOPIC_TRANSLATIONS) == set(Topic.objects.values_list("slug", flat=True))


def test_history_says_why(demo):
    from events.demo import DEMO_REASON

    assert set(PersonOtherName.history.values_list("history_change_reason", flat=True)) == {
        DEMO_REASON
    }
    assert set(Person.objects.values_list("version", flat=True)) == {1}


def test_only_the_confirmed_wikidata_identifiers_are_loaded(demo, client):
    """The Council of Europe and the EU, whose Wikidata items the references confirm; GRETA
    and the Convention on Cybercrime have none rather than a guess."""
    found = client.get("/api/v1/institutions/", {"identifier": "wikidata:Q8908,wikidata:Q458"})

    assert sorted(
        (i["slug"], i["identifiers"][0]["identifier"]) for i in found.json()["results"]
    ) == [
        ("council-of-europe", "Q8908"),
        ("european-union", "Q458"),
    ]
    greta = Institution.objects.get(slug="greta")
    assert client.get(f"/api/v1/institutions/{greta.pk}/").json()["identifiers"] == []
    convention = Document.objects.get(slug="convention-on-cybercrime")
    assert client.get(f"/api/v1/documents/{convention.pk}/").json()["identifiers"] == []


def test_an_identifier_an_editor_deleted_is_not_put_back(demo):
    from events.demo import load_demo

    Institution.objects.get(slug="council-of-europe").identifiers.get().delete()

    result = load_demo()

    assert result.created == 0
    assert list(InstitutionIdentifier.objects.values_list("institution__slug", "identifier")) == [
        ("european-union", "Q458")
    ]


def test_an_identifier_another_entry_holds_is_left_to_it(db):
    from events.demo import load_demo

    other = Institution.objects.create(name="Conseil", kind="other")
    other.identifiers.create(scheme="wikidata", identifier="Q8908")

    load_demo()

    assert not Institution.objects.get(slug="council-of-europe").identifiers.exists()
    assert list(other.identifiers.values_list("identifier", flat=True)) == ["Q8908"]
