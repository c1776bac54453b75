"""Strict query parameters: an unknown one is a 400 naming it, on every endpoint.

The accepted set is derived from what each view reads (ctht_api.params); the
OpenAPI document is generated from the same sources. The first tests walk the
whole document, so an endpoint added tomorrow is covered the day it is added,
and the documented parameters cannot drift from the accepted ones.
"""

import re

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from ctht_api.api import router
from ctht_api.params import StrictQueryParamsMixin
from ctht_api.schema import scope_model
from ctht_api.schema_extensions import view_model
from events.filters import TopicFilter
from events.models import Statement, Topic
from events.views import TopicViewSet
from tests.api.helpers import assert_problem, results

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
ACCEPTS = re.compile(r"This endpoint accepts: (.*)\.$")
LIST_PREFIXES = [prefix for prefix, _, _ in router.registry]
# Lists answered in pages (`/stats/statements/` answers every group at once).
PAGED_PREFIXES = [p for p, viewset, _ in router.registry if viewset.pagination_class is not None]


@pytest.fixture(scope="module")
def document() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(document: dict):
    for route, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield route, method, operation


def view_of(route: str, method: str):
    """The view DRF builds for `METHOD route`, as its `as_view()` does, before it runs."""
    sample = re.sub(r"\{(\w+)\}", lambda m: "RS" if m[1].endswith("code") else "1", route)
    match = resolve(sample)
    callback = match.func
    view = callback.cls(**callback.initkwargs)
    view.action_map = getattr(callback, "actions", {})
    view.args, view.kwargs = (), match.kwargs
    view.request = view.initialize_request(APIRequestFactory().generic(method.upper(), sample))
    return view


def documented_query_parameters(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def concrete(route: str) -> str:
    """`route` with each path variable set to an entry that exists (the demo's)."""

    def value(match: re.Match) -> str:
        variable = match[1]
        if variable.endswith("code"):
            return Statement.objects.values_list("countries", flat=True).exclude(countries=None)[0]
        model = view_model(view_of(route, "get")) if variable == "id" else scope_model(variable)
        return str(model._default_manager.order_by("pk").values_list("pk", flat=True)[0])

    return re.sub(r"\{(\w+)\}", value, route)


def list_url(prefix: str) -> str:
    """A router prefix as a list URL, with the parent of a nested list set to a demo entry."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", prefix)
    return concrete(f"/api/v1/{route}/")


def unknown_parameter_error(response, name: str) -> dict:
    body = assert_problem(response, 400, name)
    (error,) = [e for e in body["errors"] if e["field"] == name]
    assert error["code"] == "unknown_parameter", body
    return error


def plausible_value(parameter: dict) -> str:
    """A well-formed value for a documented query parameter (it may still match nothing)."""
    schema = parameter["schema"]
    schema = schema.get("items", schema)
    if "enum" in schema:
        return str(schema["enum"][0])
    return {
        "integer": "1",
        "boolean": "true",
        "date": "2024-01-01",
        "date-time": "2024-01-01T00:00:00Z",
    }.get(schema.get("format") or schema["type"], "RS")


def test_documented_query_parameters_are_exactly_those_accepted(document):
    """Operation by operation, the document lists the parameters the view accepts, and
    `format` with values the view takes."""
    mismatches, checked = [], set()
    for route, method, operation in operations(document):
        view = view_of(route, method)
        documented = documented_query_parameters(operation)
        accepted = view.accepted_query_params()
        if documented != accepted:
            mismatches.append(
                f"{method.upper()} {route}: documented only {sorted(documented - accepted)}, "
                f"accepted only {sorted(accepted - documented)}"
            )
        (format_parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
        assert set(format_parameter["schema"]["enum"]) <= set(view.accepted_formats()), route
        assert "json" in format_parameter["schema"]["enum"], route
        checked.add(route)
    assert not mismatches, "\n".join(mismatches)
    assert {"/api/v1/", "/api/v1/countries/", "/api/v1/statements/{id}/history/"} <= checked
    assert len(checked) > 20


def test_every_get_operation_refuses_an_unknown_parameter(writer, demo, document):
    """`?contry=RS` on every GET of the document, with real ids: a 400 naming `contry`,
    whose message lists, sorted, what that endpoint accepts."""
    for route, method, _ in operations(document):
        if method != "get":
            continue
        response = writer.get(concrete(route), {"contry": "RS"})
        error = unknown_parameter_error(response, "contry")
        accepted = ACCEPTS.search(error["message"])[1].split(", ")
        assert accepted == sorted(view_of(route, "get").accepted_query_params()), route


@pytest.mark.parametrize("prefix", LIST_PREFIXES)
def test_every_list_refuses_a_misspelt_country(anon, demo, prefix):
    """The typo this rule exists for: without it, the whole record came back as the answer."""
    response = anon.get(list_url(prefix), {"contry": "RS"})
    error = unknown_parameter_error(response, "contry")
    assert "format" in error["message"]


@pytest.mark.parametrize("prefix", PAGED_PREFIXES)
def test_every_list_takes_page_size_and_format(writer, demo, prefix):
    response = writer.get(list_url(prefix), {"page_size": 5, "format": "json"})
    assert len(results(response)) <= 5


def test_no_accepted_parameter_is_refused_as_unknown(writer, demo, document):
    """Each documented parameter of each GET, sent alone with a well-formed value: never
    refused as unknown (a value may still be a 400 of its own: an unknown topic slug)."""
    refused = []
    for route, method, operation in operations(document):
        if method != "get":
            continue
        url = concrete(route)
        for parameter in operation["parameters"]:
            if parameter["in"] != "query":
                continue
            response = writer.get(url, {parameter["name"]: plausible_value(parameter)})
            assert response.status_code < 500, (url, parameter["name"])
            if response.status_code == 400:
                codes = {e["code"] for e in response.json()["errors"]}
                if "unknown_parameter" in codes:
                    refused.append(f"{url}?{parameter['name']}")
    assert not refused, refused


def test_a_typo_suggests_the_closest_parameter(anon, demo):
    error = unknown_parameter_error(anon.get("/api/v1/statements/", {"contry": "RS"}), "contry")
    assert "Did you mean 'country'?" in error["message"]


def test_each_unknown_parameter_is_named_in_its_own_entry(anon, db):
    response = anon.get("/api/v1/topics/", {"sort": "name", "limit": "5", "q": "cyber"})
    body = assert_problem(response, 400, "sort", "limit")
    assert [e["field"] for e in body["errors"]] == ["limit", "sort"]
    assert body["detail"] == "Invalid input: limit, sort."


def test_names_are_case_sensitive(anon, db):
    unknown_parameter_error(anon.get("/api/v1/topics/", {"Q": "cyber"}), "Q")


def test_an_unknown_format_is_a_400_naming_format(anon, db):
    """DRF answers 404, as if the resource did not exist."""
    body = assert_problem(anon.get("/api/v1/topics/", {"format": "xml"}), 400, "format")
    assert body["errors"][0]["message"] == "Must be one of api, csv, json; got 'xml'."


def test_the_browsable_format_is_accepted(anon, db):
    response = anon.get("/api/v1/topics/", {"format": "api"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_detail_refuses_list_filters(anon, demo):
    """A filter on a detail used to filter the lookup: a 404 for an entry that exists."""
    statement = Statement.objects.order_by("pk").first()
    response = anon.get(f"/api/v1/statements/{statement.pk}/", {"country": "BA"})
    error = unknown_parameter_error(response, "country")
    # `lang`: the statement's `display` in the client's language (ctht_api.languages).
    assert error["message"].endswith("This endpoint accepts: format, lang.")
    assert anon.get(f"/api/v1/statements/{statement.pk}/", {"format": "json"}).status_code == 200


def test_a_refused_request_runs_no_query(anon, db, django_assert_num_queries):
    """Checked before authentication, throttling and the view: it costs nothing."""
    with django_assert_num_queries(0):
        response = anon.get("/api/v1/statements/", {"contry": "RS"})
    assert response.status_code == 400


def test_a_write_with_an_unknown_parameter_changes_nothing(writer, db):
    topic = Topic.objects.create(name="Cyber grooming")
    versions = topic.history.count()
    response = writer.patch(
        f"/api/v1/topics/{topic.pk}/?reason=typo", {"name": "Grooming"}, format="json"
    )
    unknown_parameter_error(response, "reason")
    topic.refresh_from_db()
    assert (topic.name, topic.version) == ("Cyber grooming", 1)
    assert topic.history.count() == versions


def test_a_creation_refuses_list_filters(writer, db):
    response = writer.post("/api/v1/topics/?q=cyber", {"name": "Cyber grooming"}, format="json")
    unknown_parameter_error(response, "q")
    assert not Topic.objects.exists()


def test_history_takes_its_page_parameters_only(writer, demo):
    statement = Statement.objects.order_by("pk").first()
    url = f"/api/v1/statements/{statement.pk}/history/"
    assert writer.get(url, {"page": 1, "page_size": 1, "format": "json"}).status_code == 200
    error = unknown_parameter_error(writer.get(url, {"q": "x"}), "q")
    assert error["message"].endswith("This endpoint accepts: format, page, page_size.")


def test_countries_take_their_own_ordering(anon, demo):
    response = anon.get("/api/v1/countries/", {"ordering": "-statement_count", "page_size": 2})
    assert len(results(response)) <= 2
    unknown_parameter_error(anon.get("/api/v1/countries/", {"q": "Serbia"}), "q")


def test_the_schema_endpoint_takes_format_and_lang(db, client):
    assert client.get("/api/schema/", {"format": "json", "lang": "fr"}).status_code == 200
    assert client.get("/api/schema/", {"format": "yaml"}).status_code == 200


def test_the_schema_endpoint_refuses_version_in_json(db, client):
    """`?version=` would relabel the document; the problem is JSON although the document
    is YAML by default."""
    response = client.get("/api/schema/", {"version": "2"})
    error = unknown_parameter_error(response, "version")
    assert error["message"].endswith("This endpoint accepts: format, lang.")
    body = assert_problem(client.get("/api/schema/", {"format": "api"}), 400, "format")
    assert body["errors"][0]["message"] == "Must be one of json, yaml; got 'api'."


class GroupedTopicViewSet(TopicViewSet):
    """A view that reads a parameter of its own, as `/stats/statements/` reads `group_by`."""

    extra_query_params = ("group_by",)


def test_a_view_declares_the_parameters_it_reads_itself(db):
    view = GroupedTopicViewSet.as_view({"get": "list"})
    factory = APIRequestFactory()

    answered = view(factory.get("/api/v1/topics/", {"group_by": "name", "q": "x", "page": 1}))
    refused = view(factory.get("/api/v1/topics/", {"group_bye": "name"}))

    assert answered.status_code == 200
    assert refused.status_code == 400
    assert [e["field"] for e in refused.data["errors"]] == ["group_bye"]
    assert "group_by" in refused.data["errors"][0]["message"]


class TopicCountViewSet(StrictQueryParamsMixin, viewsets.ViewSet):
    """A plain ViewSet running a filterset by itself, as an aggregate endpoint may."""

    queryset = Topic.objects.all()  # for the model permissions
    filterset_class = TopicFilter
    extra_query_params = ("group_by",)

    def list(self, request):
        topics = TopicFilter(request.query_params, self.queryset).qs
        return Response({"count": topics.count()})


def test_a_plain_viewset_takes_the_filters_of_its_filterset(db):
    view = TopicCountViewSet.as_view({"get": "list"})
    factory = APIRequestFactory()

    answered = view(factory.get("/topic-counts/", {"q": "cyber", "group_by": "x"}))
    refused = view(factory.get("/topic-counts/", {"page": "2"}))

    assert answered.status_code == 200
    assert [e["field"] for e in refused.data["errors"]] == ["page"]
    assert refused.data["errors"][0]["message"].endswith(
        "This endpoint accepts: format, group_by, ordering, q, updated_since."
    )


@pytest.mark.parametrize("prefix", ["statements", "stats/statements", "events", "institutions"])
def test_a_repeated_filter_is_refused_rather_than_read_by_its_last_value(anon, demo, prefix):
    """`country=BA&country=RS` (as URLSearchParams.append sends it) would count Serbia
    only; several values go comma-separated."""
    params = "group_by=country&" if prefix.startswith("stats") else ""
    response = anon.get(f"/api/v1/{prefix}/?{params}country=BA&country=RS")
    body = assert_problem(response, 400, "country")
    (error,) = body["errors"]
    assert error["code"] == "repeated_parameter"
    assert "country=a,b" in error["message"]


def test_a_multiple_choice_filter_and_group_by_may_be_repeated(anon, demo):
    both = anon.get("/api/v1/events/?kind=conference&kind=workshop")
    assert both.status_code == 200, both.content
    grouped = anon.get("/api/v1/stats/statements/?group_by=country&group_by=month")
    assert grouped.status_code == 200, grouped.content
    assert grouped.json()["group_by"] == ["country", "month"]


def test_the_keyset_paginator_names_the_parameters_it_documents(db):
    """`query_parameters()` decides which statement pages run prepared (events.views): it
    is the set the paginator documents, read without building the documentation."""
    view = view_of("/api/v1/statements/", "get")
    paginator = view.paginator

    documented = {p["name"] for p in paginator.get_schema_operation_parameters(view)}

    assert documented == {"cursor", "ordering", "count", "page_size"}
    assert paginator.query_parameters() == documented
