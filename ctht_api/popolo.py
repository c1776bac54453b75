"""The record as one Popolo JSON document: `GET /api/v1/export/popolo/`.

`{"persons": [...], "organizations": [...], "memberships": [...], "events": [...],
"speeches": [...]}`, each item valid against the Popolo project's JSON schemas
(popoloproject.com; a copy is in tests/schemas/popolo/, and tests/api/test_popolo.py
validates every item of an export against it). Partners who already read Popolo
(EveryPolitician-style tools, Open Civic Data, django-popolo) load it as it is.

**What is exported** is what this client's lists show: every person, institution
and position (they have no drafts), and the events and statements of
`visible_to(request.user)` (ctht_api.models), so drafts (and embargoed entries)
only for clients that may see them. A statement at an event this client cannot
see is left out too, so every reference points at an item of the same document.

**Ids** are strings, the entry's path under `/api/v1/` without slashes around it:
`people/12`, `institutions/3`, `positions/7`, `events/5`, `statements/44`. They do
not depend on the host, and `/api/v1/<id>/` is the entry's JSON.

**Mapping** (a key without a value, an empty string or an empty list, is left
out, as Popolo's examples do):

- persons ← people: `name` (full name, as the source writes it), `sort_name`,
  `other_names`, `identifiers`, `sources`, `created_at`, `updated_at`.
- organizations ← institutions: `name`, `classification` (the kind's code:
  `ministry`, `international_organisation`, …), `parent_id`, `other_names` (the
  short name is one, noted `Short name`, unless the name or an other name spells it
  already),
  `identifiers`, `links` (the website), `sources`, `created_at`, `updated_at`.
  Institutions' countries have no place in the five lists (Popolo puts them in
  areas): the API has them.
- memberships ← positions: `person_id`, `organization_id`, `role` (the title),
  `start_date`, `end_date`, `sources`, `created_at`, `updated_at`.
- events ← events: `name` (the title), `description` (the summary),
  `classification` (the kind's code), `start_date`, `end_date`, `location` (city
  and country, `Sarajevo, Bosnia and Herzegovina`), `organization_id` (the
  organiser when there is exactly one: Popolo's event has a single organising
  organization, and naming one of several would misstate who organised it),
  `identifiers`, `sources` (the event's source document), `created_at`, `updated_at`.
- speeches ← statements: `creator_id` (the speaker), `role` (the title of the
  position held when speaking), `text` (the original words), `lang` (their
  language), `date`, `event_id`, `type` (`speech`), `sources` (the source
  document), `created_at`, `updated_at`. Translations are not exported (Popolo
  has no place for them): the API has them.

Formats: dates are ISO 8601 days (`2024-05-03`). A speech's `date` is a date-time
in Popolo's schema while the record holds the day, so it is that day at midnight
UTC (`2024-05-03T00:00:00Z`). Timestamps are as in the API (UTC, `Z`).

Other names carry their language as `lang` and their note as `note`: Popolo's
`other_name` has no language property, and `lang` is what EveryPolitician's Popolo
files write there; a speech's `lang` follows it. The schemas allow properties
beyond their own. A source is a Popolo link: the document's own `url`, or, when
it has none, its URL in this API; its title as `note`.

**Streamed, in constant memory, in a fixed number of queries**: one per list,
whatever the size of the record. Each list is read with `iterator(chunk_size)`
(`CSV_CHUNK_SIZE` rows at a time), its related lists (other names, identifiers,
sources, organisers) gathered into each row as JSON arrays by the database
(ctht_api.aggregates), and written out before the next chunk is read. The five
lists are read in one transaction, opened in the view and ended when the last
byte is sent or the download is abandoned, exactly as a CSV download is
(ctht_api.csv_export: `chunks`, `rows_in_one_transaction`, `closing_rows`); so
the document is one consistent snapshot, and a failing first query is still a
problem document.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import orjson
from django.conf import settings
from django.db import models
from django.db.models import Q, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.http import StreamingHttpResponse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.settings import api_settings

from ctht_api.aggregates import json_array
from ctht_api.csv_export import chunks, closing_rows, csv_filename, rows_in_one_transaction
from ctht_api.identifiers import IDENTIFIERS, with_identifiers
from ctht_api.other_names import OTHER_NAMES as OTHER_NAME_LIST
from ctht_api.other_names import with_other_names
from ctht_api.params import StrictQueryParamsMixin
from ctht_api.serializers import absolute_url
from events.models import Event, Statement
from people.models import Institution, Person, Position

POPOLO_CONTENT_TYPE = "application/json"
SECTIONS = ("persons", "organizations", "memberships", "events", "speeches")
SHORT_NAME_NOTE = "Short name"
WEBSITE_NOTE = "Website"
SPEECH_TYPE = "speech"

# Ids: the entry's path under /api/v1/ (the router's prefixes, ctht_api.api).
PERSON_ID = "people/{}"
ORGANIZATION_ID = "institutions/{}"
MEMBERSHIP_ID = "positions/{}"
EVENT_ID = "events/{}"
SPEECH_ID = "statements/{}"


def popolo_id(template: str, pk: int | None) -> str | None:
    return None if pk is None else template.format(pk)


def compact(item: dict) -> dict:
    """`item` without the keys that hold nothing (None, "", [])."""
    return {key: value for key, value in item.items() if value not in (None, "", [])}


def sources_of(model: type[models.Model]) -> Subquery:
    """`[{id, url, title}]` of the documents each row of `model` names as its sources."""
    through = model.sources.through
    return json_array(
        through.objects.all(),
        f"{model._meta.model_name}_id",
        JSONObject(id="document_id", url="document__url", title="document__title"),
    )


TIMESTAMPS = ("created_at", "updated_at")
# The JSON arrays `with_other_names` and `with_identifiers` add.
OTHER_NAMES = OTHER_NAME_LIST.annotation
IDENTIFIER_LIST = IDENTIFIERS.annotation


def person_rows() -> QuerySet:
    return (
        with_identifiers(with_other_names(Person.objects.order_by("id")))
        .annotate(source_list=sources_of(Person))
        .values(
            "id",
            "full_name",
            "sort_name",
            *TIMESTAMPS,
            OTHER_NAMES,
            IDENTIFIER_LIST,
            "source_list",
        )
    )


def organization_rows() -> QuerySet:
    return (
        with_identifiers(with_other_names(Institution.objects.order_by("id")))
        .annotate(source_list=sources_of(Institution))
        .values(
            "id",
            "name",
            "short_name",
            "kind",
            "parent_id",
            "website",
            *TIMESTAMPS,
            OTHER_NAMES,
            IDENTIFIER_LIST,
            "source_list",
        )
    )


def membership_rows() -> QuerySet:
    return (
        Position.objects.order_by("id")
        .annotate(source_list=sources_of(Position))
        .values(
            "id",
            "person_id",
            "institution_id",
            "title",
            "start_date",
            "end_date",
            *TIMESTAMPS,
            "source_list",
        )
    )


def visible_events(user) -> QuerySet:
    return Event.objects.visible_to(user)


def event_rows(user) -> QuerySet:
    return (
        with_identifiers(visible_events(user).order_by("id"))
        .annotate(
            organiser_ids=json_array(
                Event.organisers.through.objects.all(), "event_id", "institution_id"
            ),
        )
        .values(
            "id",
            "title",
            "summary",
            "kind",
            "start_date",
            "end_date",
            "city",
            "country__name",
            "source_id",
            "source__url",
            "source__title",
            *TIMESTAMPS,
            IDENTIFIER_LIST,
            "organiser_ids",
        )
    )


def speech_rows(user) -> QuerySet:
    """The statements this client sees, at no event or at one it sees: a client allowed
    to see draft statements but not draft events gets no speech whose event is missing."""
    return (
        Statement.objects.visible_to(user)
        .filter(Q(event__isnull=True) | Q(event__in=visible_events(user)))
        .order_by("id")
        .values(
            "id",
            "speaker_id",
            "position__title",
            "text",
            "language",
            "date",
            "event_id",
            "source_id",
            "source__url",
            "source__title",
            *TIMESTAMPS,
        )
    )


class Links:
    """Popolo links to documents: their own URL, else their URL in this API."""

    def __init__(self, request):
        self.context = {"request": request}  # absolute_url caches its template here

    def document(self, pk: int, url: str, title: str) -> dict:
        url = url or absolute_url(self.context, "document-detail", "pk", pk)
        return compact({"url": url, "note": title})

    def sources(self, rows: list[dict] | None) -> list[dict]:
        ordered = sorted(rows or [], key=lambda row: (row["title"], row["id"]))
        return [self.document(row["id"], row["url"], row["title"]) for row in ordered]


def other_names(rows: list[dict] | None) -> list[dict]:
    ordered = sorted(rows or [], key=lambda row: (row["language"], row["name"]))
    return [
        compact({"name": row["name"], "lang": row["language"], "note": row["note"]})
        for row in ordered
    ]


def identifiers(rows: list[dict] | None) -> list[dict]:
    return sorted(rows or [], key=lambda row: (row["scheme"], row["identifier"]))


def person(row: dict, links: Links) -> dict:
    return compact(
        {
            "id": popolo_id(PERSON_ID, row["id"]),
            "name": row["full_name"],
            "sort_name": row["sort_name"],
            "other_names": other_names(row[OTHER_NAMES]),
            "identifiers": identifiers(row[IDENTIFIER_LIST]),
            "sources": links.sources(row["source_list"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def organization(row: dict, links: Links) -> dict:
    names = other_names(row[OTHER_NAMES])
    known = [name["name"] for name in names]
    short_name = row["short_name"]
    if short_name and all(name != short_name for name in (row["name"], *known)):
        names.append({"name": short_name, "note": SHORT_NAME_NOTE})
    return compact(
        {
            "id": popolo_id(ORGANIZATION_ID, row["id"]),
            "name": row["name"],
            "classification": row["kind"],
            "parent_id": popolo_id(ORGANIZATION_ID, row["parent_id"]),
            "other_names": names,
            "identifiers": identifiers(row[IDENTIFIER_LIST]),
            "links": [{"url": row["website"], "note": WEBSITE_NOTE}] if row["website"] else [],
            "sources": links.sources(row["source_list"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def membership(row: dict, links: Links) -> dict:
    return compact(
        {
            "id": popolo_id(MEMBERSHIP_ID, row["id"]),
            "person_id": popolo_id(PERSON_ID, row["person_id"]),
            "organization_id": popolo_id(ORGANIZATION_ID, row["institution_id"]),
            "role": row["title"],
            "start_date": row["start_date"],
            "end_date": row["end_date"],
            "sources": links.sources(row["source_list"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def source_link(row: dict, links: Links) -> list[dict]:
    """A statement's or event's one source document, as a list of links."""
    if row["source_id"] is None:
        return []
    return [links.document(row["source_id"], row["source__url"], row["source__title"])]


def event(row: dict, links: Links) -> dict:
    organisers = row["organiser_ids"] or []
    return compact(
        {
            "id": popolo_id(EVENT_ID, row["id"]),
            "name": row["title"],
            "description": row["summary"],
            "classification": row["kind"],
            "start_date": row["start_date"],
            "end_date": row["end_date"],
            "location": ", ".join(filter(None, (row["city"], row["country__name"]))),
            "organization_id": (
                popolo_id(ORGANIZATION_ID, organisers[0]) if len(organisers) == 1 else None
            ),
            "identifiers": identifiers(row[IDENTIFIER_LIST]),
            "sources": source_link(row, links),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def day_as_date_time(day: datetime.date | None) -> str | None:
    """Popolo's speech `date` is a date-time; the record holds the day: midnight UTC."""
    return None if day is None else f"{day.isoformat()}T00:00:00Z"


def speech(row: dict, links: Links) -> dict:
    return compact(
        {
            "id": popolo_id(SPEECH_ID, row["id"]),
            "creator_id": popolo_id(PERSON_ID, row["speaker_id"]),
            "role": row["position__title"],
            "text": row["text"],
            "lang": row["language"],
            "date": day_as_date_time(row["date"]),
            "event_id": popolo_id(EVENT_ID, row["event_id"]),
            "type": SPEECH_TYPE,
            "sources": source_link(row, links),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


@dataclass(frozen=True)
class Section:
    """One list of the document: its rows (a `values()` queryset) and how a row is written."""

    name: str
    rows: QuerySet
    item: Callable[[dict, Links], dict]


def sections(user) -> list[Section]:
    """The five lists as `user` sees them, in the document's order (no query is run yet)."""
    return [
        Section("persons", person_rows(), person),
        Section("organizations", organization_rows(), organization),
        Section("memberships", membership_rows(), membership),
        Section("events", event_rows(user), event),
        Section("speeches", speech_rows(user), speech),
    ]


def tagged_batches(parts: Iterable[Section], size: int) -> Iterator[list[tuple[Section, dict]]]:
    """Every row of every section, `size` at a time, each with its section."""
    for section in parts:
        for batch in chunks(section.rows, size):
            yield [(section, row) for row in batch]


def dumps(item: dict) -> bytes:
    # OPT_UTC_Z: timestamps end in `Z`, as the API writes them.
    return orjson.dumps(item, option=orjson.OPT_UTC_Z)


def document_pieces(items: Iterator[tuple[str, dict]], items_per_piece: int) -> Iterator[bytes]:
    """The document as UTF-8 pieces of about `items_per_piece` items each; every list is
    present, empty or not, in the order of SECTIONS."""
    unopened = list(SECTIONS)
    current: str | None = None
    buffer: list[bytes] = [b"{"]
    first = True

    def open_until(name: str | None) -> None:
        """Close the current list and open the next ones up to `name` (None: all)."""
        nonlocal current, first
        while unopened and (name is None or current != name):
            following = unopened.pop(0)
            buffer.append(b"%s%s:[" % (b"]," if current else b"", dumps(following)))
            current, first = following, True

    while batch := list(islice(items, items_per_piece)):
        for name, item in batch:
            open_until(name)
            buffer.append(dumps(item) if first else b"," + dumps(item))
            first = False
        yield b"".join(buffer)
        buffer.clear()
    open_until(None)
    buffer.append(b"]}")
    yield b"".join(buffer)


def popolo_response(request) -> StreamingHttpResponse:
    """The streamed document for `request`'s client (see the module docstring)."""
    size = settings.CSV_CHUNK_SIZE
    links = Links(request)
    items = rows_in_one_transaction(
        tagged_batches(sections(request.user), size),
        lambda batch: [(section.name, section.item(row, links)) for section, row in batch],
    )
    # The first chunk is read here, inside the view: a failing query is still a
    # problem document rather than a download cut short.
    next(items)
    response = StreamingHttpResponse(
        closing_rows(document_pieces(items, size), items), content_type=POPOLO_CONTENT_TYPE
    )
    filename = csv_filename(request, extension="json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The OpenAPI document's description of the answer: serializers for the schema only (the
# items are written by the functions above).


def _text(help_text: str, *, required: bool = False, **kwargs) -> serializers.Field:
    return serializers.CharField(help_text=help_text, required=required, **kwargs)


def _day(help_text: str) -> serializers.Field:
    return serializers.DateField(help_text=help_text, required=False)


def _id(example: str) -> serializers.Field:
    return _text(f"The entry's path under `/api/v1/`, e.g. `{example}`.", required=True)


def _reference(what: str, example: str, *, required: bool = False) -> serializers.Field:
    return _text(
        f"The id of {what}, an item of this document, e.g. `{example}`.", required=required
    )


class PopoloLinkSerializer(serializers.Serializer):
    """A Popolo link: a URL and what it is."""

    url = serializers.URLField(help_text="The URL.")
    note = _text("What it is: a document's title, or `Website`.")


class PopoloOtherNameSerializer(serializers.Serializer):
    """A Popolo other name: another script or language, a former name, the short name."""

    name = _text("The other name.", required=True)
    lang = _text("Its language (BCP 47), when it has one.")
    note = _text("What it is ('Former name', 'Short name', …).")


class PopoloIdentifierSerializer(serializers.Serializer):
    """A Popolo identifier: the entry's identifier in another database."""

    scheme = _text("The issuing database, e.g. `wikidata`.", required=True)
    identifier = _text("The identifier in it, e.g. `Q8908`.", required=True)


def _sources() -> serializers.Serializer:
    return PopoloLinkSerializer(
        many=True,
        required=False,
        help_text="Documents this entry was taken from: each document's own URL, else its "
        "URL in this API; its title as `note`.",
    )


def _other_names() -> serializers.Serializer:
    return PopoloOtherNameSerializer(many=True, required=False, help_text="Other names.")


def _identifiers() -> serializers.Serializer:
    return PopoloIdentifierSerializer(
        many=True, required=False, help_text="Identifiers in other databases."
    )


class TimestampsSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(help_text="When the entry was created (UTC).")
    updated_at = serializers.DateTimeField(help_text="When the entry last changed (UTC).")


class PopoloPersonSerializer(TimestampsSerializer):
    """A Popolo person: a person of the record."""

    id = _id("people/12")
    name = _text("The full name, as the source writes it.", required=True)
    sort_name = _text("The name for sorting.")
    other_names = _other_names()
    identifiers = _identifiers()
    sources = _sources()


class PopoloOrganizationSerializer(TimestampsSerializer):
    """A Popolo organization: an institution."""

    id = _id("institutions/3")
    name = _text("The full official name.", required=True)
    classification = _text("The kind of institution (`ministry`, `ngo`, …).", required=True)
    parent_id = _reference("the institution it is part of", "institutions/1")
    other_names = _other_names()
    identifiers = _identifiers()
    links = PopoloLinkSerializer(
        many=True, required=False, help_text="The official website (`note`: `Website`)."
    )
    sources = _sources()


class PopoloMembershipSerializer(TimestampsSerializer):
    """A Popolo membership: a position a person holds in an institution."""

    id = _id("positions/7")
    person_id = _reference("who holds it", "people/12", required=True)
    organization_id = _reference(
        "the institution where it is held", "institutions/3", required=True
    )
    role = _text("The public title.", required=True)
    start_date = _day("The first day, when known.")
    end_date = _day("The last day, when known.")
    sources = _sources()


class PopoloEventSerializer(TimestampsSerializer):
    """A Popolo event: a conference, workshop, meeting, campaign or press release."""

    id = _id("events/5")
    name = _text("The title as announced.", required=True)
    description = _text("What happened.")
    classification = _text("The kind of event (`conference`, `workshop`, …).", required=True)
    start_date = _day("The first day, when known.")
    end_date = _day("The last day, when known.")
    location = _text("City and country where it was held.")
    organization_id = _reference("its organiser, when it has exactly one", "institutions/3")
    identifiers = _identifiers()
    sources = _sources()


class PopoloSpeechSerializer(TimestampsSerializer):
    """A Popolo speech: a statement, in its original words."""

    id = _id("statements/44")
    creator_id = _reference("the speaker", "people/12", required=True)
    role = _text("The title of the position the speaker held when speaking.")
    text = _text("The exact words said, in their original language.", required=True)
    lang = _text("The language of `text` (BCP 47).", required=True)
    date = serializers.DateTimeField(
        required=False,
        help_text="The day it was said, as midnight UTC (Popolo's `date` is a date-time).",
    )
    event_id = _reference("the event where it was said", "events/5")
    type = serializers.ChoiceField(choices=[SPEECH_TYPE], help_text="Always `speech`.")
    sources = _sources()


@extend_schema_serializer(many=False)  # one document, although the route is a list's
class PopoloExportSerializer(serializers.Serializer):
    """The record as one Popolo document; each item is valid against Popolo's JSON schemas."""

    persons = PopoloPersonSerializer(many=True, help_text="Every person.")
    organizations = PopoloOrganizationSerializer(many=True, help_text="Every institution.")
    memberships = PopoloMembershipSerializer(many=True, help_text="Every position.")
    events = PopoloEventSerializer(
        many=True, help_text="The events this client sees (published ones for anonymous clients)."
    )
    speeches = PopoloSpeechSerializer(
        many=True,
        help_text="The statements this client sees, at no event or at an event it sees.",
    )


class PopoloExportViewSet(StrictQueryParamsMixin, viewsets.GenericViewSet):
    """The whole record as one Popolo JSON document, for partners who join it with theirs.

    `persons`, `organizations`, `memberships`, `events` and `speeches`: every person,
    institution and position, and the events and statements this client sees (published
    ones for anonymous clients), each item valid against the Popolo JSON schemas
    (popoloproject.com). Ids are the entries' paths under `/api/v1/` (`people/12`), and
    every reference (`person_id`, `organization_id`, `parent_id`, `creator_id`,
    `event_id`) names an item of the same document. Other names and speeches carry
    their language as `lang`; a speech's `date` is its day at midnight UTC.

    The document is streamed as it is read, in one consistent snapshot; it is not paged.
    """

    queryset = Statement.objects.none()  # for the permission check; rows are read below
    pagination_class = None
    filter_backends: list = []
    renderer_classes = api_settings.DEFAULT_RENDERER_CLASSES[:1]  # JSON, and problems in it
    root_link = "The whole record as one Popolo JSON document (persons, organizations, …)."

    @extend_schema(
        summary="Export the record as Popolo",
        responses={
            200: OpenApiResponse(
                PopoloExportSerializer,
                description="The document, streamed, with `Content-Disposition: attachment; "
                'filename="export-popolo-<date>.json"`.',
            )
        },
    )
    def list(self, request, *args, **kwargs):
        return popolo_response(request)
