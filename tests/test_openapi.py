"""The OpenAPI document is a contract: valid, complete, and served by viewers that need no CDN."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.validation import validate_schema
from rest_framework.routers import SimpleRouter

from events.views import TopicViewSet

PROBLEM = "application/problem+json"
WRITES = {"post", "put", "patch", "delete"}
BODY_WRITES = {"post", "put", "patch"}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def generate(patterns=None) -> dict:
    return SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def schema() -> dict:
    return generate()


def operations(schema: dict):
    for route, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield route, method, operation


def component(schema: dict, name: str) -> dict:
    return schema["components"]["schemas"][name]


def ref_name(field_schema: dict) -> str:
    """The component a property points to, through drf-spectacular's `allOf` wrapper."""
    ref = field_schema.get("$ref") or field_schema["allOf"][0]["$ref"]
    return ref.rsplit("/", 1)[-1]


def test_schema_is_a_valid_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_schema_generates_without_warnings_or_errors():
    GENERATOR_STATS.reset()
    generate()
    assert not GENERATOR_STATS, "drf-spectacular warned; run `manage.py spectacular --validate`"


def test_every_operation_has_a_summary_and_a_description(schema):
    for route, method, operation in operations(schema):
        assert operation.get("summary", "").strip(), f"{method.upper()} {route}: no summary"
        assert operation.get("description", "").strip(), f"{method.upper()} {route}: no description"


@pytest.mark.parametrize(
    ("method", "route", "summary"),
    [
        ("get", "/api/v1/statements/", "List statements"),
        ("get", "/api/v1/statements/{id}/", "Retrieve a statement"),
        ("post", "/api/v1/statements/", "Create a statement"),
        ("put", "/api/v1/statements/{id}/", "Replace a statement"),
        ("patch", "/api/v1/statements/{id}/", "Update part of a statement"),
        ("delete", "/api/v1/statements/{id}/", "Delete a statement"),
        ("get", "/api/v1/events/{id}/", "Retrieve an event"),
        ("get", "/api/v1/people/", "List people"),
        ("get", "/api/v1/events/{event_pk}/statements/", "List statements of an event"),
        ("get", "/api/v1/people/{person_pk}/statements/", "List statements of a person"),
        (
            "get",
            "/api/v1/institutions/{institution_pk}/statements/",
            "List statements of an institution",
        ),
        (
            "get",
            "/api/v1/countries/{country_code}/statements/",
            "List statements concerning a country",
        ),
        ("get", "/api/v1/countries/", "List countries with data"),
    ],
)
def test_summary_names_the_action_and_the_resource(schema, method, route, summary):
    assert schema["paths"][route][method]["summary"] == summary


def test_description_is_the_viewset_docstring_plus_who_may_call(schema):
    statements = schema["paths"]["/api/v1/statements/"]
    assert statements["get"]["description"].startswith("The exact words officials said")
    assert "anonymous clients see published entries only" in statements["get"]["description"]
    assert "`Authorization: Token <key>`" in statements["post"]["description"]
    assert "`events.add_statement`" in statements["post"]["description"]


@extend_schema_view(
    list=extend_schema(summary="Browse the vocabulary", description="Written by hand.")
)
class AnnotatedTopicViewSet(TopicViewSet):
    pass


def test_explicit_extend_schema_summary_and_description_win():
    router = SimpleRouter()
    router.register("topics", AnnotatedTopicViewSet, basename="topic")
    annotated = generate(patterns=[path("api/v1/", include(router.urls))])
    topics = annotated["paths"]["/api/v1/topics/"]
    assert topics["get"]["summary"] == "Browse the vocabulary"
    assert topics["get"]["description"] == "Written by hand."
    assert topics["post"]["summary"] == "Create a topic"


def test_the_api_root_is_an_operation_listing_every_top_level_resource(schema, db, client):
    root = schema["paths"]["/api/v1/"]["get"]
    assert root["operationId"] == "api_root"
    assert root["summary"] == "List the resources"
    assert root["description"].startswith("The API's entry point")
    assert ref_name(root["responses"]["200"]["content"]["application/json"]["schema"]) == "ApiRoot"
    links = component(schema, "ApiRoot")
    answer = client.get("/api/v1/").json()
    assert set(links["properties"]) == set(links["required"]) == set(answer)
    assert {"statements", "events", "people", "countries"} <= set(answer)
    for name, link in links["properties"].items():
        assert (link["type"], link["format"]) == ("string", "uri"), name
        assert link["description"], name


def test_a_field_that_may_be_blank_accepts_the_empty_string_once(schema):
    """`oneOf` would reject "" when a validator ignores `format: uri` (most do)."""
    website = component(schema, "Institution")["properties"]["website"]
    assert "oneOf" not in website
    assert {"type": "string", "maxLength": 0} in website["anyOf"]
    assert {"type": "string", "format": "uri", "maxLength": 2000} in website["anyOf"]


def test_every_detail_path_declares_404(schema):
    for route, method, operation in operations(schema):
        if route.startswith("/api/v1/") and "{id}" in route:
            assert "404" in operation["responses"], f"{method.upper()} {route}"


def test_nested_lists_declare_404_for_an_unknown_parent(schema):
    nested = [r for r in schema["paths"] if re.search(r"\{\w+\}/statements/$", r)]
    assert len(nested) == 4
    for route in nested:
        assert "404" in schema["paths"][route]["get"]["responses"], route


def test_lists_declare_400_for_a_bad_filter_or_page_size(schema):
    for route, method, operation in operations(schema):
        # The API root is no list: it takes no filter and has no pages.
        if method == "get" and not route.endswith("{id}/") and route != "/api/v1/":
            assert "400" in operation["responses"], f"GET {route}"


def test_every_write_declares_401_and_403(schema):
    for route, method, operation in operations(schema):
        if method in WRITES:
            assert {"401", "403"} <= set(operation["responses"]), f"{method.upper()} {route}"


def test_every_write_with_a_body_declares_400_413_and_415(schema):
    for route, method, operation in operations(schema):
        if method in BODY_WRITES:
            assert {"400", "413", "415"} <= set(operation["responses"]), f"{method.upper()} {route}"


def test_deletes_refused_while_referred_to_declare_409(schema):
    """A DELETE answers 409 while PROTECT/RESTRICT relations point at the entry (fuzzing found)."""
    deletes = {
        route: operation for route, method, operation in operations(schema) if method == "delete"
    }
    assert "409" in deletes["/api/v1/people/{id}/"]["responses"]
    assert "409" in deletes["/api/v1/events/{id}/"]["responses"]
    # Nothing refers to a statement or a topic in a way that blocks deleting it.
    assert "409" not in deletes["/api/v1/statements/{id}/"]["responses"]
    assert "409" not in deletes["/api/v1/topics/{id}/"]["responses"]


def test_error_responses_are_problem_documents(schema):
    for route, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == [PROBLEM], f"{method.upper()} {route} {status}"
                # The personal-data check's 422 is a Problem whose errors say what was found.
                name = "PersonalDataProblem" if status == "422" else "Problem"
                assert response["content"][PROBLEM]["schema"] == {
                    "$ref": f"#/components/schemas/{name}"
                }
                assert response["description"]


def test_statement_writes_document_the_personal_data_check(schema):
    for method in ("post", "put", "patch"):
        route = "/api/v1/statements/" if method == "post" else "/api/v1/statements/{id}/"
        operation = schema["paths"][route][method]
        assert "X-Safety-Override" in {p["name"] for p in operation["parameters"]}, method
        assert "422" in operation["responses"], method
        assert str(201 if method == "post" else 200) in operation["responses"], method
    assert "422" not in schema["paths"]["/api/v1/statements/{id}/"]["delete"]["responses"]
    problem = component(schema, "PersonalDataProblem")
    assert set(component(schema, "Problem")["properties"]) <= set(problem["properties"])
    error = component(schema, ref_name(problem["properties"]["errors"]["items"]))
    assert set(error["properties"]) == {"field", "code", "message", "kind"}


def test_problem_component_matches_rfc_9457_with_field_errors(schema):
    problem = component(schema, "Problem")
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["status"]["type"] == "integer"
    assert "errors" not in problem["required"]
    error = component(schema, ref_name(problem["properties"]["errors"]["items"]))
    assert set(error["properties"]) == {"field", "code", "message"}
    assert error["properties"]["field"]["nullable"] is True


def test_reads_are_open_to_anonymous_clients_and_writes_need_a_token(schema):
    for route, method, operation in operations(schema):
        if method == "get":
            assert {} in operation["security"], f"GET {route}"
        else:
            assert {} not in operation["security"], f"{method.upper()} {route}"
            assert {"tokenAuth": []} in operation["security"]


def test_brief_related_objects_are_documented_as_objects_in_responses(schema):
    statement = component(schema, "Statement")["properties"]
    person = component(schema, ref_name(statement["speaker"]))
    assert person["properties"]["id"]["type"] == "integer"
    assert person["properties"]["url"] == {"type": "string", "format": "uri"}
    assert person["properties"]["full_name"]["type"] == "string"
    assert set(person["required"]) == {"id", "url", "full_name"}

    institution = component(schema, ref_name(statement["institution"]))
    assert statement["institution"]["nullable"] is True
    assert institution["properties"]["country"]["type"] == "string"
    assert institution["properties"]["country"]["nullable"] is True

    organisers = component(schema, "Event")["properties"]["organisers"]
    assert organisers["type"] == "array"
    assert ref_name(organisers["items"]) == "BriefInstitution"


def test_brief_related_objects_are_written_as_ids(schema):
    request = component(schema, "StatementRequest")["properties"]
    assert request["speaker"]["type"] == "integer"
    assert (request["event"]["type"], request["event"]["nullable"]) == ("integer", True)
    organisers = component(schema, "EventRequest")["properties"]["organisers"]
    assert organisers["type"] == "array"
    assert organisers["items"] == {"type": "integer"}


def test_country_codes_are_two_letter_strings(schema):
    for name in ("Institution", "InstitutionRequest", "Event"):
        country = component(schema, name)["properties"]["country"]
        assert (country["type"], country["minLength"], country["maxLength"]) == ("string", 2, 2)
    codes = component(schema, "Statement")["properties"]["countries"]
    assert codes["items"]["pattern"] == "^[A-Z]{2}$"


def test_language_tags_are_strings(schema):
    assert component(schema, "Statement")["properties"]["language"]["type"] == "string"
    assert component(schema, "StatementTranslation")["properties"]["language"]["type"] == "string"


def test_every_query_parameter_is_typed_and_ids_are_integers(schema):
    for route, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            where = f"{method.upper()} {route} ?{parameter['name']}"
            parameter_schema = parameter["schema"]
            item_schema = parameter_schema.get("items", parameter_schema)
            assert parameter_schema.get("type") in {"string", "integer", "boolean", "array"}, where
            assert item_schema.get("type") in {"string", "integer", "boolean"}, where


def test_comma_separated_filters_are_arrays_without_explode(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/statements/"]["get"]["parameters"]}
    assert parameters["country"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert parameters["speaker"]["schema"] == {"type": "array", "items": {"type": "integer"}}
    assert parameters["speaker"]["explode"] is False
    assert parameters["date_after"]["schema"] == {"type": "string", "format": "date"}
    assert parameters["updated_since"]["schema"]["format"] == "date-time"


def test_nested_statement_lists_document_the_same_filters(schema):
    def names(route):
        return {
            p["name"] for p in schema["paths"][route]["get"]["parameters"] if p["in"] == "query"
        }

    expected = names("/api/v1/statements/")
    assert {"country", "speaker", "q", "updated_since", "page_size"} <= expected
    for route in (
        "/api/v1/events/{event_pk}/statements/",
        "/api/v1/people/{person_pk}/statements/",
        "/api/v1/institutions/{institution_pk}/statements/",
        "/api/v1/countries/{country_code}/statements/",
    ):
        assert names(route) == expected, route


def test_nested_list_ids_are_integer_path_parameters(schema):
    parameters = schema["paths"]["/api/v1/events/{event_pk}/statements/"]["get"]["parameters"]
    event_pk = next(p for p in parameters if p["name"] == "event_pk")
    assert event_pk["in"] == "path"
    assert event_pk["schema"] == {"type": "integer"}


# `db` for the views of the schema and the docs: they are rate limited like the API, and
# the counters are in the database unless REDIS_URL is set.
def test_schema_endpoint_serves_yaml_by_default(db, client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "CTHT API"


def test_schema_endpoint_serves_json_with_format_json(db, client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    document = json.loads(response.content)
    assert "/api/v1/statements/" in document["paths"]


class References(HTMLParser):
    """Every `src` and `href` attribute of a page."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


DOC_PAGES = ["/api/docs/", "/api/redoc/"]


@pytest.mark.parametrize("page", DOC_PAGES)
def test_docs_page_references_no_external_host(db, client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    urls = references(html)
    assert any(url.endswith(".js") for url in urls)
    for url in urls:
        assert urlsplit(url).netloc in {"", "testserver"}, url
    hosts = set(re.findall(r"https?://([^/\"'\s<>)]+)", html))
    assert hosts <= {"testserver"}, hosts


@pytest.mark.parametrize("page", DOC_PAGES)
def test_docs_page_static_files_exist(db, client, page):
    html = client.get(page).content.decode()
    static = [urlsplit(url).path for url in references(html) if "/static/" in url]
    assert static
    for url in static:
        assert finders.find(url.removeprefix("/static/")), url


@pytest.mark.parametrize("page", DOC_PAGES)
def test_docs_page_static_files_are_served(db, client, settings, page):
    # Without DEBUG, WhiteNoise serves collected files only; let it look in the apps too.
    # (`db`: closing a streamed file response runs Django's close_old_connections.)
    settings.WHITENOISE_USE_FINDERS = True
    html = client.get(page).content.decode()
    for url in [u for u in references(html) if "/static/" in u]:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
