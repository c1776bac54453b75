"""Hostile input is a 4xx problem, never a 500; stored markup comes back verbatim and escaped.

Each case is what a careless or malicious client could send: NUL bytes, numbers
beyond any column, overlong strings, absurd page sizes, forged cursors, JSON
that is deep, broken or not an object, bytes that are not UTF-8, the wrong
content type, a body over the limit or whose length lies.
"""

import base64
import json
import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.api.helpers import assert_problem
from tests.factories import PersonFactory

LISTS = [
    "institutions",
    "people",
    "positions",
    "events",
    "statements",
    "topics",
    "programmes",
    "documents",
    "countries",
    "countries/RS/statements",
    "events/1/statements",
    "people/1/statements",
    "institutions/1/statements",
]
WRITABLE = [
    "institutions",
    "people",
    "positions",
    "events",
    "statements",
    "topics",
    "programmes",
    "documents",
]
HUGE = "99999999999999999999999"


def junk_cursor(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


QUERIES = {
    "q-nul": {"q": "\x00"},
    "q-nul-inside": {"q": "traf\x00ficking"},
    "q-overlong": {"q": "x" * 10_000},
    "speaker-huge": {"speaker": HUGE},
    "speaker-nul": {"speaker": "\x00"},
    "institution-huge": {"institution": HUGE},
    "event-huge": {"event": HUGE},
    "parent-huge": {"parent": HUGE},
    "person-huge": {"person": HUGE},
    "programme-huge": {"programme": HUGE},
    "organiser-huge": {"organiser": HUGE},
    "funder-huge": {"funder": HUGE},
    "publisher-huge": {"publisher": HUGE},
    "page-huge": {"page": HUGE},
    "page-nul": {"page": "\x00"},
    "page-size-huge": {"page_size": "10000000"},
    "page-size-beyond-int64": {"page_size": HUGE},
    "cursor-garbage": {"cursor": "!!!not-base64!!!"},
    "cursor-nul": {"cursor": "\x00"},
    "cursor-junk-json": {"cursor": junk_cursor(b"\x00\xff\xfe junk")},
    "cursor-list": {"cursor": junk_cursor(b"[1,2,3]")},
    "cursor-huge-id": {"cursor": junk_cursor(b'{"k":"2020-01-01","i":1e400,"r":false}')},
    "cursor-huge-int": {
        "cursor": junk_cursor(b'{"k":"2020-01-01","i":' + HUGE.encode() + b',"r":0}')
    },
    "cursor-nul-key": {"cursor": junk_cursor(b'{"k":"\\u0000","i":1,"r":false}')},
    "country-nul": {"country": "\x00"},
    "language-nul": {"language": "\x00"},
    "topic-nul": {"topic": "\x00"},
    "kind-nul": {"kind": "\x00"},
    "status-nul": {"status": "\x00"},
    "date-after-nul": {"date_after": "\x00"},
    "date-before-year-0": {"date_before": "0000-01-01"},
    "date-after-far": {"date_after": "99999-01-01"},
    "updated-since-nul": {"updated_since": "\x00"},
    "updated-since-garbage": {"updated_since": "2024-13-45T99:99:99"},
    "updated-since-huge-year": {"updated_since": "99999-01-01T00:00:00Z"},
    "ordering-nul": {"ordering": "\x00"},
    "count-nul": {"count": "\x00"},
}


@pytest.fixture(scope="module")
def documented_parameters() -> dict[str, set[str]]:
    """The query parameters the OpenAPI document gives each list, by path template."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        path: {p["name"] for p in item["get"].get("parameters", []) if p["in"] == "query"}
        for path, item in schema["paths"].items()
        if "get" in item
    }


def path_template(resource: str) -> str:
    """`countries/RS/statements` → `/api/v1/countries/{…}/statements/`, as in the document."""
    return "/api/v1/" + re.sub(r"/(RS|1)/", "/{…}/", resource) + "/"


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
@pytest.mark.parametrize("resource", LISTS)
def test_hostile_query_parameters_are_never_a_500(
    anon, demo, documented_parameters, resource: str, query: dict
):
    """A parameter the list documents is a 400 naming it (a page past the last: 404); one it
    does not document is refused as unknown, a 400 naming it too (ctht_api.params)."""
    (parameter,) = query
    documented = next(
        names
        for path, names in documented_parameters.items()
        if re.sub(r"\{[^}]+\}", "{…}", path) == path_template(resource)
    )
    scope, _, nested = resource.partition("/1/")
    if nested:  # ids differ from test to test: take one that exists
        resource = f"{scope}/{anon.get(f'/api/v1/{scope}/').json()['results'][0]['id']}/{nested}"
    response = anon.get(f"/api/v1/{resource}/", query)
    if parameter not in documented:
        body = assert_problem(response, 400, parameter)
        assert [e["code"] for e in body["errors"]] == ["unknown_parameter"]
    elif query == QUERIES["page-huge"]:
        assert "no page" in assert_problem(response, 404)["detail"]
    else:
        assert_problem(response, 400, parameter)


@pytest.mark.parametrize("resource", WRITABLE)
@pytest.mark.parametrize("pk", [HUGE, "9223372036854775808", "-1", "0"])
def test_out_of_range_ids_in_the_path_are_404(writer, resource: str, pk: str):
    for method in ("get", "put", "patch", "delete"):
        response = getattr(writer, method)(f"/api/v1/{resource}/{pk}/", {}, format="json")
        assert_problem(response, 404)


@pytest.mark.parametrize("nested", ["events", "people", "institutions"])
def test_out_of_range_ids_in_a_nested_path_are_404(anon, db, nested: str):
    assert_problem(anon.get(f"/api/v1/{nested}/{HUGE}/statements/"), 404)


def body_for(resource: str) -> dict:
    """A valid create body, to spoil one field of."""
    from tests.api.test_crud import RESOURCES

    return next(r for r in RESOURCES if r.path == resource).create()


# A field with a max_length in each resource (a statement's text has none: any
# length up to the body limit is stored).
TEXT_FIELD = {
    "institutions": "name",
    "people": "full_name",
    "positions": "title",
    "events": "title",
    "statements": "language",
    "topics": "name",
    "programmes": "name",
    "documents": "title",
}


def send(client, method: str, url: str, data: bytes, content_type: str = "application/json"):
    return client.generic(method, url, data, content_type=content_type)


@pytest.mark.parametrize("resource", WRITABLE)
@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda v: "a\x00b", id="nul"),
        pytest.param(lambda v: "x" * 1_000_000, id="one-megabyte"),
        pytest.param(lambda v: "x" * 100_000, id="overlong"),
        pytest.param(lambda v: ["nested"], id="list"),
        pytest.param(lambda v: {"a": 1}, id="object"),
    ],
)
def test_a_spoiled_text_field_is_a_400_naming_it(writer, resource: str, spoil):
    body = body_for(resource)
    field = TEXT_FIELD[resource]
    body[field] = spoil(body.get(field))
    response = writer.post(f"/api/v1/{resource}/", body, format="json")
    assert_problem(response, 400, field)


@pytest.mark.parametrize("resource", WRITABLE)
def test_every_reference_beyond_int64_is_a_400(writer, resource: str):
    from tests.api.test_crud import RESOURCES

    body = next(r for r in RESOURCES if r.path == resource).create()
    references = [k for k, v in body.items() if isinstance(v, int) and not isinstance(v, bool)]
    for field in references:
        for value in (2**63, 2**64, -(2**63) - 1, 10**30):
            response = writer.post(f"/api/v1/{resource}/", {**body, field: value}, format="json")
            assert_problem(response, 400, field)


DEEP_ARRAY = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
BODIES = {
    "malformed": (b'{"name": ', "application/json"),
    "trailing-garbage": (b'{"name": "x"} junk', "application/json"),
    "empty": (b"", "application/json"),
    "list": (b"[1, 2, 3]", "application/json"),
    "number": (b"42", "application/json"),
    "null": (b"null", "application/json"),
    "string": (b'"text"', "application/json"),
    "deep-array": (DEEP_ARRAY, "application/json"),
    "deep-object": (DEEP_OBJECT, "application/json"),
    "deep-in-field": (b'{"name": ' + DEEP_ARRAY + b"}", "application/json"),
    "invalid-utf8": (b'{"name": "\xff\xfe\xc3\x28"}', "application/json"),
    "nan": (b'{"name": NaN}', "application/json"),
    "huge-number": (b'{"name": 1' + b"0" * 5000 + b"}", "application/json"),
    "text-plain": (b'{"name": "x"}', "text/plain"),
    "form-encoded": (b"name=x", "application/x-www-form-urlencoded"),
    "multipart": (
        b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--B--\r\n',
        "multipart/form-data; boundary=B",
    ),
    "xml": (b"<name>x</name>", "application/xml"),
}


# Bodies in a media type the API does not read: 415; every other hostile body: 400.
UNSUPPORTED_MEDIA_TYPES = {"text-plain", "form-encoded", "multipart", "xml"}


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("resource", WRITABLE)
def test_a_hostile_body_is_a_4xx_problem(writer, demo, resource, method, body):
    data, content_type = BODIES[body]
    url = f"/api/v1/{resource}/"
    if method != "POST":  # an entry that exists, so the body is what gets judged
        url += f"{writer.get(url).json()['results'][0]['id']}/"
    response = send(writer, method, url, data, content_type)
    if method == "PATCH" and not data:
        # An empty PATCH changes nothing: a valid request.
        assert response.status_code == 200, response.content[:500]
        return
    assert_problem(response, 415 if body in UNSUPPORTED_MEDIA_TYPES else 400)


@pytest.mark.parametrize("resource", WRITABLE)
def test_a_three_megabyte_body_is_413(writer, resource: str):
    body = json.dumps({TEXT_FIELD[resource]: "x" * 3_000_000}).encode()
    response = send(writer, "POST", f"/api/v1/{resource}/", body)
    body = assert_problem(response, 413)
    assert "limit" in body["detail"]


@pytest.mark.parametrize(
    ("length", "status"), [("abc", 400), ("-5", 400), (HUGE, 413), ("1" + "0" * 30, 413)]
)
def test_a_lying_content_length_is_a_4xx_problem(writer, length: str, status: int):
    """Not a length: 400; a length beyond the limit: 413, before any of the body is read."""
    response = writer.generic(
        "POST",
        "/api/v1/people/",
        b'{"full_name": "x"}',
        content_type="application/json",
        CONTENT_LENGTH=length,
    )
    assert_problem(response, status)


def test_a_content_length_shorter_than_the_body_is_a_400(writer):
    response = writer.generic(
        "POST",
        "/api/v1/people/",
        b'{"full_name": "Ana Petrovi\xc4\x87"}',
        content_type="application/json",
        CONTENT_LENGTH="10",
    )
    assert_problem(response, 400)


MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)"> & "quotes" \'too\''


@pytest.mark.parametrize(
    ("resource", "field", "admin"),
    [
        ("statements", "text", "events/statement"),
        ("people", "full_name", "people/person"),
    ],
)
def test_markup_is_stored_verbatim_and_escaped_in_the_admin(
    writer, admin_client, resource, field, admin
):
    body = body_for(resource)
    body[field] = MARKUP
    created = writer.post(f"/api/v1/{resource}/", body, format="json")
    assert created.status_code == 201, created.content
    fetched = writer.get(created["Location"])
    assert fetched.json()[field] == MARKUP
    pk = created.json()["id"]

    page = admin_client.get(f"/admin/{admin}/{pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    listing = admin_client.get(f"/admin/{admin}/").content.decode()
    assert "<script>alert(1)</script>" not in listing


def test_markup_is_escaped_in_the_browsable_api(writer, db):
    person = PersonFactory(full_name=MARKUP)
    page = writer.get(f"/api/v1/people/{person.pk}/", HTTP_ACCEPT="text/html").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markup_in_a_query_is_not_reflected_unescaped(db):
    response = Client().get("/api/v1/statements/", {"ordering": "<script>alert(1)</script>"})
    assert_problem(response, 400, "ordering")
    assert response["Content-Type"] == "application/problem+json"
