"""Real answers validate against the OpenAPI document, on data where everything optional is empty.

A client generated from the document rejects a page whose entry carries a
`null` the document does not allow, so every GET operation is called with the
ids of entries whose optional relations and values are all empty (and, beside
them, of fully filled demo entries), and each 200 answer is validated against
the operation's declared response schema.
"""

import json
import re

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from ctht_api.models import Status
from events.models import Document, Event, Programme, Statement, Topic
from people.models import Institution, Person, Position
from tests.factories import PersonFactory

JSON = "application/json"


def json_schema(node):
    """OpenAPI 3.0 schema → JSON Schema: `nullable: true` becomes a `null` alternative."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.fixture(scope="module")
def document() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def empty_entries(db) -> dict[str, object]:
    """One entry of each resource with every optional relation and value left empty."""
    institution = Institution.objects.create(name="Bare institution", country=None)
    person = PersonFactory(full_name="Person without positions")
    position = Position.objects.create(person=PersonFactory(), institution=institution, title="X")
    event = Event.objects.create(title="Bare event", status=Status.PUBLISHED)
    statement = Statement.objects.create(
        text="Words without a position, an institution, an event, a date or a source.",
        language="en",
        speaker=person,
        status=Status.PUBLISHED,
    )
    return {
        "institution": institution,
        "person": person,
        "position": position,
        "event": event,
        "statement": statement,
        "topic": Topic.objects.create(name="Bare topic"),
        "programme": Programme.objects.create(name="Bare programme"),
        "document": Document.objects.create(title="Bare document"),
    }


def response_schema(document: dict, route: str) -> dict:
    operation = document["paths"][route]["get"]
    schema = operation["responses"]["200"]["content"][JSON]["schema"]
    return {**json_schema(schema), "components": json_schema(document["components"])}


def path_values(writer, empty_entries) -> dict[str, list]:
    """The values each path variable takes: every entry of the resource it names."""
    ids = {
        name: sorted(model.objects.values_list("pk", flat=True))
        for name, model in [
            ("statements", Statement),
            ("events", Event),
            ("people", Person),
            ("institutions", Institution),
            ("positions", Position),
            ("topics", Topic),
            ("programmes", Programme),
            ("documents", Document),
        ]
    }
    countries = [c["code"] for c in writer.get("/api/v1/countries/").json()["results"]]
    return {
        "event_pk": ids["events"],
        "person_pk": ids["people"],
        "institution_pk": ids["institutions"],
        "country_code": countries,
        **{f"{resource}/{{id}}": pks for resource, pks in ids.items()},
    }


# Operations whose answer depends on a required parameter: each is called with every value.
REQUIRED_QUERIES = {
    "/api/v1/stats/statements/": [
        f"?group_by={key}"
        for key in ("country", "topic", "language", "speaker", "institution", "event", "year")
    ]
    + ["?group_by=month,event"],
}


def concrete_urls(route: str, values: dict[str, list]) -> list[str]:
    if route in REQUIRED_QUERIES:
        return [route + query for query in REQUIRED_QUERIES[route]]
    match = re.search(r"/api/v1/(\w+)/\{id\}/", route)
    if match:
        return [route.replace("{id}", str(pk)) for pk in values[f"{match[1]}/{{id}}"]]
    variables = re.findall(r"\{(\w+)\}", route)
    if not variables:
        return [route]
    (variable,) = variables
    return [route.replace(f"{{{variable}}}", str(value)) for value in values[variable]]


def body(response):
    """The JSON of an answer, streamed (the Popolo export) or not."""
    if response.streaming:
        return json.loads(b"".join(response.streaming_content))
    return response.json()


def test_every_get_answer_matches_the_document(writer, demo, empty_entries, document):
    values = path_values(writer, empty_entries)
    checked, failures = 0, []
    for route, item in document["paths"].items():
        if "get" not in item:
            continue
        schema = response_schema(document, route)
        for url in concrete_urls(route, values):
            paged = url.endswith("s/") and route not in REQUIRED_QUERIES
            response = writer.get(url, {"page_size": 500} if paged else {})
            assert response.status_code == 200, (url, response.content)
            assert response["Content-Type"].startswith(JSON), url
            validator = jsonschema.Draft202012Validator(schema)
            failures += [
                f"GET {url}: {error.message} at {list(error.absolute_path)}"
                for error in validator.iter_errors(body(response))
            ]
            checked += 1
    assert not failures, "\n".join(failures)
    assert checked > 50


def test_an_entry_with_nothing_optional_answers_nulls(writer, empty_entries):
    """The data above really exercises the nulls the document must allow."""
    statement = writer.get(f"/api/v1/statements/{empty_entries['statement'].pk}/").json()
    assert {statement[k] for k in ("position", "institution", "event", "date", "source")} == {None}
    event = writer.get(f"/api/v1/events/{empty_entries['event'].pk}/").json()
    assert (event["country"], event["start_date"], event["source"]) == (None, None, None)
