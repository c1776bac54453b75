"""Every resource's full life over HTTP with a write token: list, create, retrieve,
PUT, PATCH and DELETE, and the shape a client reads back."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from events.models import Statement
from tests.api.helpers import API, assert_problem, assert_timestamp, ids
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    ProgrammeFactory,
    StatementFactory,
    TopicFactory,
)


@dataclass
class Resource:
    """How to write one resource: a full body for POST, another for PUT, a PATCH."""

    path: str
    create: Callable[[], dict]
    replace: Callable[[], dict]
    patch: dict
    fields: set[str]

    def __str__(self) -> str:
        return self.path


def statement_body(**changes) -> dict:
    return {
        "text": "Technology can also be part of the solution.",
        "language": "en",
        "speaker": PersonFactory().pk,
        "status": "published",
        **changes,
    }


RESOURCES = [
    Resource(
        "institutions",
        create=lambda: {"name": "Ministry of Justice of Montenegro", "kind": "ministry"},
        replace=lambda: {"name": "Ministry of Justice", "kind": "judiciary", "country": "ME"},
        patch={"short_name": "MoJ"},
        fields={
            "name",
            "short_name",
            "slug",
            "kind",
            "country",
            "parent",
            "website",
            "sources",
            "other_names",
            "identifiers",
        },
    ),
    Resource(
        "people",
        create=lambda: {"full_name": "Ana Petrović"},
        replace=lambda: {
            "full_name": "Ana Marković",
            "sort_name": "Marković, Ana",
            "other_names": [  # as they are read back: by language tag, then name
                {"name": "Ana Petrović", "language": "", "note": "Former name"},
                {"name": "Ана Марковић", "language": "sr-Cyrl", "note": ""},
            ],
        },
        patch={"sort_name": "Petrović-Marković, Ana"},
        fields={"full_name", "sort_name", "slug", "sources", "other_names", "identifiers"},
    ),
    Resource(
        "positions",
        create=lambda: {
            "person": PersonFactory().pk,
            "institution": InstitutionFactory().pk,
            "title": "National Coordinator",
        },
        replace=lambda: {
            "person": PersonFactory().pk,
            "institution": InstitutionFactory().pk,
            "title": "Deputy National Coordinator",
            "start_date": "2023-01-01",
        },
        patch={"end_date": "2024-12-31"},
        fields={
            "person",
            "institution",
            "title",
            "start_date",
            "end_date",
            "sources",
            "other_names",
        },
    ),
    Resource(
        "events",
        create=lambda: {"title": "Workshop on digital evidence", "status": "published"},
        replace=lambda: {
            "title": "Training on digital evidence",
            "kind": "training",
            "status": "published",
            "start_date": "2024-03-04",
            "end_date": "2024-03-05",
            "city": "Belgrade",
            "country": "RS",
        },
        patch={"participant_count": 25},
        fields={
            "title",
            "slug",
            "kind",
            "status",
            "publish_at",
            "summary",
            "start_date",
            "end_date",
            "city",
            "country",
            "countries",
            "organisers",
            "participant_count",
            "participant_count_is_approximate",
            "topics",
            "programmes",
            "documents",
            "source",
            "statements_url",
            "other_names",
            "identifiers",
        },
    ),
    Resource(
        "statements",
        create=statement_body,
        replace=lambda: statement_body(text="Prevention must target young people.", language="fr"),
        patch={"context": "Said in the closing session."},
        fields={
            "text",
            "language",
            "speaker",
            "speaker_position",
            "position",
            "institution",
            "event",
            "date",
            "countries",
            "topics",
            "source",
            "translations",
            "context",
            "status",
            "publish_at",
        },
    ),
    Resource(
        "topics",
        create=lambda: {"name": "Sextortion"},
        replace=lambda: {"name": "Online sexual extortion", "description": "Coercion online."},
        patch={"description": "Extortion with intimate images."},
        fields={"name", "slug", "description", "translations"},
    ),
    Resource(
        "programmes",
        create=lambda: {"name": "Action against THB in Montenegro"},
        replace=lambda: {"name": "Action against THB in Albania", "short_name": "AL-THB"},
        patch={"website": "https://www.coe.int/"},
        fields={
            "name",
            "short_name",
            "slug",
            "description",
            "parent",
            "funders",
            "start_date",
            "end_date",
            "website",
            "sources",
            "other_names",
            "identifiers",
        },
    ),
    Resource(
        "documents",
        create=lambda: {"title": "Annual report 2023"},
        replace=lambda: {
            "title": "Annual report 2024",
            "kind": "report",
            "language": "en",
            "identifiers": [{"scheme": "wikidata", "identifier": "Q1"}],
        },
        patch={"link": "https://example.org/report.pdf"},
        fields={
            "title",
            "slug",
            "kind",
            "publisher",
            "reference",
            "language",
            "date",
            "link",
            "identifiers",
        },
    ),
]

every_resource = pytest.mark.parametrize("resource", RESOURCES, ids=str)


def as_written(value):
    """A value read back in the form it is written: a brief object as its id."""
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    if isinstance(value, list):
        return [as_written(item) for item in value]
    return value


def create(client, resource: Resource) -> dict:
    response = client.post(f"/api/v1/{resource.path}/", resource.create(), format="json")
    assert response.status_code == 201, response.content
    return response.json()


@every_resource
def test_create_answers_201_with_id_url_and_timestamps(writer, resource):
    body = create(writer, resource)

    assert isinstance(body["id"], int)
    assert body["url"] == f"{API}{resource.path}/{body['id']}/"
    assert assert_timestamp(body["created_at"]) <= assert_timestamp(body["updated_at"])
    assert set(body) == {"id", "url", "created_at", "updated_at"} | resource.fields


@every_resource
def test_create_answers_with_location_of_new_entry(writer, resource):
    response = writer.post(f"/api/v1/{resource.path}/", resource.create(), format="json")

    assert response.status_code == 201
    assert response["Location"] == response.json()["url"]


@every_resource
def test_retrieve_returns_what_create_returned(writer, resource):
    created = create(writer, resource)

    response = writer.get(created["url"])

    assert response.status_code == 200
    assert response.json() == created


@every_resource
def test_list_contains_created_entry(writer, resource):
    created = create(writer, resource)

    response = writer.get(f"/api/v1/{resource.path}/", {"page_size": 500})

    assert created["id"] in ids(response)
    assert set(response.json()) >= {"next", "previous", "results"}


@every_resource
def test_put_replaces_entry(writer, resource):
    created = create(writer, resource)
    replacement = resource.replace()

    response = writer.put(created["url"], replacement, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == created["id"]
    assert {field: as_written(body[field]) for field in replacement} == replacement
    assert writer.get(created["url"]).json() == body


@every_resource
def test_patch_changes_only_given_field(writer, resource):
    created = create(writer, resource)

    response = writer.patch(created["url"], resource.patch, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    for field, value in resource.patch.items():
        assert body[field] == value
    untouched = set(resource.fields) - set(resource.patch) - {"updated_at"}
    assert {f: body[f] for f in untouched} == {f: created[f] for f in untouched}


@every_resource
def test_change_moves_updated_at_and_keeps_created_at(writer, resource):
    created = create(writer, resource)

    body = writer.patch(created["url"], resource.patch, format="json").json()

    assert body["created_at"] == created["created_at"]
    assert assert_timestamp(body["updated_at"]) > assert_timestamp(created["updated_at"])


@every_resource
def test_delete_answers_204_then_detail_is_404(writer, resource):
    created = create(writer, resource)

    response = writer.delete(created["url"])

    assert response.status_code == 204
    assert_problem(writer.get(created["url"]), 404)


# Brief embedded objects


def test_statement_speaker_is_brief_person(anon, simic):
    statement = Statement.objects.get(speaker=simic)

    body = anon.get(f"/api/v1/statements/{statement.pk}/").json()

    assert body["speaker"] == {
        "id": simic.pk,
        "url": f"{API}people/{simic.pk}/",
        "full_name": "Nenad Simić",
    }


def test_statement_institution_brief_includes_country(anon, simic, serbian_ministry):
    statement = Statement.objects.get(speaker=simic)

    body = anon.get(f"/api/v1/statements/{statement.pk}/").json()

    assert body["institution"] == {
        "id": serbian_ministry.pk,
        "url": f"{API}institutions/{serbian_ministry.pk}/",
        "name": "ministère de l'Intérieur de la République de Serbie",
        "country": "RS",
    }


def test_statement_event_brief_has_title(anon, simic, conference):
    statement = Statement.objects.get(speaker=simic)

    body = anon.get(f"/api/v1/statements/{statement.pk}/").json()

    assert body["event"] == {
        "id": conference.pk,
        "url": f"{API}events/{conference.pk}/",
        "title": conference.title,
    }


def test_statement_source_brief_has_title(anon, simic):
    statement = Statement.objects.get(speaker=simic)

    body = anon.get(f"/api/v1/statements/{statement.pk}/").json()

    assert body["source"] == {
        "id": statement.source.pk,
        "url": f"{API}documents/{statement.source.pk}/",
        "title": statement.source.title,
    }


def test_statement_speaker_position_is_the_position_title(anon, simic):
    statement = Statement.objects.get(speaker=simic)

    body = anon.get(f"/api/v1/statements/{statement.pk}/").json()

    assert body["speaker_position"] == (
        "coordinateur national pour la lutte contre la traite des êtres humains"
    )


def test_statement_without_position_has_null_speaker_position(anon, db):
    statement = StatementFactory()

    body = anon.get(f"/api/v1/statements/{statement.pk}/").json()

    assert body["speaker_position"] is None
    assert body["event"] is None
    assert body["source"] is None


def test_position_embeds_brief_person_and_institution(writer, db):
    position = PositionFactory()

    body = writer.get(f"/api/v1/positions/{position.pk}/").json()

    assert body["person"] == {
        "id": position.person.pk,
        "url": f"{API}people/{position.person.pk}/",
        "full_name": position.person.full_name,
    }
    assert body["institution"]["name"] == position.institution.name
    assert body["institution"]["country"] == "RS"


def test_international_body_has_null_country(anon, demo):
    body = anon.get("/api/v1/institutions/", {"q": "GRETA"}).json()

    assert [(i["short_name"], i["country"]) for i in body["results"]] == [("GRETA", None)]
    assert body["results"][0]["parent"]["country"] is None


def test_institution_parent_is_brief_with_country(writer, db):
    parent = InstitutionFactory(country_id="BA")
    child = InstitutionFactory(parent=parent)

    body = writer.get(f"/api/v1/institutions/{child.pk}/").json()

    assert body["parent"] == {
        "id": parent.pk,
        "url": f"{API}institutions/{parent.pk}/",
        "name": parent.name,
        "country": "BA",
    }


def test_event_embeds_briefs_codes_and_slugs(anon, conference):
    body = anon.get(f"/api/v1/events/{conference.pk}/").json()

    assert body["countries"] == ["BA", "MK", "RS"]
    assert body["organisers"][0]["name"] == "Conseil de l'Europe"
    assert "digital-evidence" in body["topics"]
    assert {p["name"] for p in body["programmes"]} >= {
        "Facilité horizontale pour les Balkans occidentaux et la Turquie (phase III)"
    }
    assert body["source"]["title"].startswith("Conférence de deux jours à Sarajevo")
    assert body["statements_url"] == f"{API}events/{conference.pk}/statements/"


# Writing relations


def test_statement_relations_are_written_by_id(writer, db):
    speaker, event = PersonFactory(), EventFactory()
    institution, source = InstitutionFactory(), DocumentFactory()

    body = writer.post(
        "/api/v1/statements/",
        statement_body(
            speaker=speaker.pk, event=event.pk, institution=institution.pk, source=source.pk
        ),
        format="json",
    ).json()

    assert body["speaker"]["id"] == speaker.pk
    assert body["event"]["id"] == event.pk
    assert body["institution"]["id"] == institution.pk
    assert body["source"]["id"] == source.pk


def test_unknown_related_id_is_400_naming_field(writer, db):
    response = writer.post("/api/v1/statements/", statement_body(speaker=999999), format="json")

    assert_problem(response, 400, "speaker")


def test_countries_are_written_by_code_lower_case_accepted(writer, db):
    response = writer.post(
        "/api/v1/statements/", statement_body(countries=["rs", "BA"]), format="json"
    )

    assert response.status_code == 201, response.content
    assert sorted(response.json()["countries"]) == ["BA", "RS"]


def test_institution_country_is_written_by_code_lower_case_accepted(writer, db):
    response = writer.post(
        "/api/v1/institutions/", {"name": "Ministry of Interior", "country": "mk"}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["country"] == "MK"


def test_topics_are_written_by_slug(writer, db):
    topic = TopicFactory(name="Online recruitment")

    body = writer.post(
        "/api/v1/statements/", statement_body(topics=["online-recruitment"]), format="json"
    ).json()

    assert body["topics"] == [topic.slug] == ["online-recruitment"]


def test_unknown_topic_slug_is_400_naming_topics(writer, db):
    response = writer.post("/api/v1/statements/", statement_body(topics=["nope"]), format="json")

    assert_problem(response, 400, "topics")


def test_event_relations_are_written_by_id_code_and_slug(writer, db):
    organiser, programme, document = InstitutionFactory(), ProgrammeFactory(), DocumentFactory()
    topic = TopicFactory()

    response = writer.post(
        "/api/v1/events/",
        {
            "title": "Conference on online exploitation",
            "country": "ba",
            "countries": ["ba", "mk"],
            "organisers": [organiser.pk],
            "programmes": [programme.pk],
            "documents": [document.pk],
            "topics": [topic.slug],
            "source": document.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["country"] == "BA"
    assert body["countries"] == ["BA", "MK"]
    assert [o["id"] for o in body["organisers"]] == [organiser.pk]
    assert [p["id"] for p in body["programmes"]] == [programme.pk]
    assert [d["title"] for d in body["documents"]] == [document.title]
    assert body["topics"] == [topic.slug]
    assert body["source"]["id"] == document.pk


def test_programme_parent_and_funders_are_written_by_id(writer, db):
    parent, funder = ProgrammeFactory(), InstitutionFactory()

    body = writer.post(
        "/api/v1/programmes/",
        {"name": "Project in Serbia", "parent": parent.pk, "funders": [funder.pk]},
        format="json",
    ).json()

    assert body["parent"] == {
        "id": parent.pk,
        "url": f"{API}programmes/{parent.pk}/",
        "name": parent.name,
    }
    assert [f["id"] for f in body["funders"]] == [funder.pk]


def test_document_publisher_is_written_by_id_and_link_is_its_address(writer, db):
    publisher = InstitutionFactory()

    body = writer.post(
        "/api/v1/documents/",
        {"title": "Study", "publisher": publisher.pk, "link": "https://example.org/study.pdf"},
        format="json",
    ).json()

    assert body["publisher"]["id"] == publisher.pk
    assert body["link"] == "https://example.org/study.pdf"
    assert body["url"] == f"{API}documents/{body['id']}/"


def test_slug_is_made_from_display_field(writer, db):
    body = writer.post("/api/v1/topics/", {"name": "Online recruitment"}, format="json").json()

    assert body["slug"] == "online-recruitment"


# Translations


def test_statement_translations_are_written_as_a_list(writer, db):
    translations = [
        {"language": "fr", "text": "La technologie aussi.", "kind": "editorial"},
        {"language": "sr-latn", "text": "Tehnologija takođe.", "kind": "machine"},
    ]

    body = writer.post(
        "/api/v1/statements/", statement_body(translations=translations), format="json"
    ).json()

    assert body["translations"] == [
        {"language": "fr", "text": "La technologie aussi.", "kind": "editorial"},
        {"language": "sr-Latn", "text": "Tehnologija takođe.", "kind": "machine"},
    ]


def test_put_replaces_translations_as_a_whole(writer, db):
    created = writer.post(
        "/api/v1/statements/",
        statement_body(translations=[{"language": "fr", "text": "Aussi.", "kind": "official"}]),
        format="json",
    ).json()

    body = writer.put(
        created["url"],
        statement_body(translations=[{"language": "de", "text": "Auch.", "kind": "editorial"}]),
        format="json",
    ).json()

    assert body["translations"] == [{"language": "de", "text": "Auch.", "kind": "editorial"}]


def test_patch_without_translations_keeps_them(writer, db):
    created = writer.post(
        "/api/v1/statements/",
        statement_body(translations=[{"language": "fr", "text": "Aussi.", "kind": "official"}]),
        format="json",
    ).json()

    body = writer.patch(created["url"], {"context": "Closing remarks."}, format="json").json()

    assert body["translations"] == created["translations"]


def test_translation_in_the_statement_language_is_400(writer, db):
    response = writer.post(
        "/api/v1/statements/",
        statement_body(translations=[{"language": "en", "text": "Same.", "kind": "editorial"}]),
        format="json",
    )

    assert_problem(response, 400, "translations")


def test_two_translations_in_one_language_are_400(writer, db):
    twice = [{"language": "fr", "text": "Un.", "kind": "editorial"}] * 2

    response = writer.post("/api/v1/statements/", statement_body(translations=twice), format="json")

    assert_problem(response, 400, "translations")


# Statement defaults


def test_statement_countries_default_to_institution_country(writer, db):
    institution = InstitutionFactory(country_id="MK")

    body = writer.post(
        "/api/v1/statements/",
        statement_body(institution=institution.pk, countries=[]),
        format="json",
    ).json()

    assert body["countries"] == ["MK"]


def test_statement_countries_default_to_event_countries_without_institution(writer, db):
    event = EventFactory()
    event.countries.set(["BA", "RS"])

    body = writer.post("/api/v1/statements/", statement_body(event=event.pk), format="json").json()

    assert sorted(body["countries"]) == ["BA", "RS"]


def test_statement_institution_and_date_default_from_position_and_event(writer, db):
    position = PositionFactory()
    event = EventFactory(start_date="2024-05-06")

    body = writer.post(
        "/api/v1/statements/",
        statement_body(speaker=position.person.pk, position=position.pk, event=event.pk),
        format="json",
    ).json()

    assert body["institution"]["id"] == position.institution.pk
    assert body["date"] == "2024-05-06"
    assert body["speaker_position"] == position.title


def test_position_of_another_person_is_400_naming_position(writer, db):
    position = PositionFactory()

    response = writer.post(
        "/api/v1/statements/", statement_body(position=position.pk), format="json"
    )

    assert_problem(response, 400, "position")


# Deleting what others depend on


def test_deleting_person_with_statements_is_409_naming_them(writer, simic):
    response = writer.delete(f"/api/v1/people/{simic.pk}/")

    body = assert_problem(response, 409)
    assert f"statements {Statement.objects.get(speaker=simic).pk}" in body["detail"]
    assert writer.get(f"/api/v1/people/{simic.pk}/").status_code == 200


def test_deleting_institution_in_use_is_409(writer, serbian_ministry):
    response = writer.delete(f"/api/v1/institutions/{serbian_ministry.pk}/")

    assert_problem(response, 409)


def test_deleting_statement_deletes_its_translations(writer, db):
    created = writer.post(
        "/api/v1/statements/",
        statement_body(translations=[{"language": "fr", "text": "Aussi.", "kind": "official"}]),
        format="json",
    ).json()

    assert writer.delete(created["url"]).status_code == 204
    assert not Statement.objects.filter(pk=created["id"]).exists()
