"""The browsable API explains itself: labelled filters with help text, the service's name and
description at the root, rendered Markdown, the project's branding, a way to sign in.

Every filter of every list is walked from the router, so a filter added tomorrow is
checked the day it is added.
"""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from ctht_api.api import router
from ctht_api.models import Status
from events.models import Statement

HTML = {"HTTP_ACCEPT": "text/html"}
FILTERSETS = {
    (prefix, viewset.filterset_class)
    for prefix, viewset, _ in router.registry
    if getattr(viewset, "filterset_class", None)
}
FILTERS = sorted(
    (prefix, name, filter_)
    for prefix, filterset in FILTERSETS
    for name, filter_ in filterset.base_filters.items()
)
# Lists whose pages carry django-filter's form (`/stats/statements/` answers groups, not
# a page of entries, so DRF shows it no filter form).
FORM_PREFIXES = sorted(
    prefix for prefix, filterset in FILTERSETS if not prefix.startswith("stats/")
)


class FilterForm(HTMLParser):
    """The browsable page's filter form: each field's label, help text and input names."""

    def __init__(self, html: str):
        super().__init__()
        self.labels: dict[str, str] = {}  # field name: label text
        self.help: dict[str, str] = {}  # field name: help text
        self.fields: dict[str, bool] = {}  # input name: whether it takes several values
        self._in_form = False
        self._reading: tuple[dict, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "get":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "label":
            self._reading = (self.labels, attrs["for"].removeprefix("id_"))
        elif tag == "span" and "helptext" in attrs.get("class", ""):
            name = attrs["id"].removeprefix("id_").removesuffix("_helptext")
            self._reading = (self.help, name)
        elif tag in {"input", "select"} and attrs.get("name"):
            self.fields[attrs["name"]] = "multiple" in attrs

    def handle_data(self, data):
        if self._reading:
            texts, name = self._reading
            texts[name] = texts.get(name, "") + data

    def handle_endtag(self, tag):
        if tag in {"label", "span"}:
            self._reading = None
        elif tag == "form":
            self._in_form = False


@pytest.fixture
def list_urls(demo) -> dict[str, str]:
    """A URL per list, nested ones under a parent the demo holds."""
    said = Statement.objects.filter(status=Status.PUBLISHED).exclude(event=None).first()
    parents = {
        "country_code": "RS",
        "event_pk": said.event_id,
        "person_pk": said.speaker_id,
        "institution_pk": said.institution_id,
    }
    return {
        prefix: "/api/v1/"
        + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(parents[m[1]]), prefix)
        + "/"
        for prefix, _, _ in router.registry
    }


@pytest.mark.parametrize(
    ("prefix", "name", "filter_"),
    [pytest.param(*entry, id=f"{entry[0]}:{entry[1]}") for entry in FILTERS],
)
def test_every_filter_has_a_label_and_help_text(prefix, name, filter_):
    assert filter_.label and filter_.label != "[invalid name]", (prefix, name)
    assert filter_.extra.get("help_text", "").strip(), (prefix, name)


def test_a_filter_is_labelled_after_the_parameter_not_the_column():
    labels = {name: f.label for _, name, f in FILTERS if _ == "statements"}
    assert labels["q"] == "Search"
    assert labels["topic"] == "Topic"  # not django-filter's "Topics slug is in"
    assert labels["country"] == "Country"
    assert labels["speaker"] == "Speaker"  # the model field's verbose name
    assert labels["updated_since"] == "Updated since"


@pytest.mark.parametrize("prefix", FORM_PREFIXES)
def test_the_filter_form_labels_and_explains_every_filter(client: Client, list_urls, prefix):
    response = client.get(list_urls[prefix], **HTML)

    assert response.status_code == 200
    html = response.content.decode()
    assert "[invalid name]" not in html
    form = FilterForm(html)
    filterset = dict(FILTERSETS)[prefix]
    assert form.labels.keys() == filterset.base_filters.keys()
    for name, filter_ in filterset.base_filters.items():
        assert unescape(form.labels[name]).strip() == f"{filter_.label}:", name
        assert unescape(form.help[name]).strip() == filter_.extra["help_text"], name


@pytest.mark.parametrize("prefix", FORM_PREFIXES)
def test_the_filter_form_submits_to_a_page_the_strict_parameters_accept(
    client: Client, list_urls, prefix
):
    """A browser sends every text field of the form, empty ones included, and a select
    left empty as an empty value; a multiple select with nothing chosen is not sent."""
    form = FilterForm(client.get(list_urls[prefix], **HTML).content.decode())
    assert form.fields
    sent = {name: "" for name, multiple in form.fields.items() if not multiple}

    response = client.get(f"{list_urls[prefix]}?{urlencode(sent)}", **HTML)

    assert response.status_code == 200, response.content[:500]


def test_the_filter_form_filters(client: Client, list_urls):
    everything = client.get("/api/v1/statements/").json()["results"]
    form = FilterForm(client.get("/api/v1/statements/", **HTML).content.decode())
    sent = {name: "" for name, multiple in form.fields.items() if not multiple}

    response = client.get(f"/api/v1/statements/?{urlencode({**sent, 'country': 'RS'})}")

    serbia = response.json()["results"]
    assert 0 < len(serbia) < len(everything)
    assert all("RS" in statement["countries"] for statement in serbia)


def test_every_query_parameter_of_the_openapi_document_is_described():
    document = SchemaGenerator().get_schema(request=None, public=True)
    for route, item in document["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            assert parameter.get("description", "").strip(), (route, parameter["name"])
            assert "[invalid name]" not in parameter["description"], (route, parameter["name"])


def test_the_root_has_the_service_title_and_describes_the_resources(client: Client, db):
    html = client.get("/api/v1/", **HTML).content.decode()

    assert "<title>CTHT API</title>" in html
    assert re.search(r"<h1>\s*CTHT API\s*</h1>", html)
    assert settings.SPECTACULAR_SETTINGS["DESCRIPTION"] in unescape(html)
    assert "<code>statements/</code>: The exact words officials said" in html
    assert "<code>changes/</code>: What changed in the record" in html
    assert '<a href="/api/docs/">Swagger UI</a>' in html
    assert "default basic root view" not in html
    assert "Api Root" not in html


def test_the_root_describes_itself_to_options_too(client: Client, db):
    answer = client.options("/api/v1/").json()
    assert answer["name"] == "CTHT API"
    assert "- `statements/`: The exact words officials said" in answer["description"]


def test_markdown_in_descriptions_is_rendered(client: Client, db):
    html = client.get("/api/v1/statements/", **HTML).content.decode()

    description = html.split('<div class="pull-left">', 1)[1].split("</div>", 1)[0]
    assert "<code>country</code>" in description
    assert "`" not in description


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v1/statements/", "/api/v1/topics/"])
def test_the_pages_carry_the_project_branding_not_drf(client: Client, db, url):
    html = client.get(url, **HTML).content.decode()

    assert "Django REST framework" not in html
    assert "django-rest-framework.org" not in html
    assert re.search(r'<a class="navbar-brand" href="/">.*?CTHT API\s*</a>', html, re.DOTALL)


def test_a_list_page_is_titled_after_the_list_and_the_service(client: Client, db):
    html = client.get("/api/v1/topics/", **HTML).content.decode()
    assert "<title>Topic List \N{EN DASH} CTHT API</title>" in html


def test_an_anonymous_visitor_is_offered_the_sign_in(client: Client, db):
    html = client.get("/api/v1/statements/?country=RS", **HTML).content.decode()

    sign_in = re.search(r'<a id="sign-in" href="([^"]+)">Sign in</a>', html)
    assert sign_in
    assert unescape(sign_in[1]) == "/admin/login/?next=/api/v1/statements/%3Fcountry%3DRS"
    assert client.get(unescape(sign_in[1])).status_code == 200


def test_signing_in_through_the_link_shows_drafts_and_signing_out_hides_them(client: Client, demo):
    draft = Statement.objects.filter(status=Status.PUBLISHED).first()
    draft.status = Status.DRAFT
    draft.save()
    get_user_model().objects.create_superuser("chief", password="x" * 20)
    drafts = "/api/v1/statements/?status=draft"
    assert client.get(drafts).json()["results"] == []

    signed_in = client.post(
        "/admin/login/?next=/api/v1/statements/%3Fstatus%3Ddraft",
        {"username": "chief", "password": "x" * 20, "next": drafts},
    )
    assert (signed_in.status_code, signed_in["Location"]) == (302, drafts)
    html = client.get(drafts, **HTML).content.decode()
    assert "Signed in as chief" in html
    assert re.search(r'<form class="navbar-form" method="post" action="/admin/logout/">', html)
    assert [s["id"] for s in client.get(drafts).json()["results"]] == [draft.pk]

    signed_out = client.post("/admin/logout/", {"next": drafts})
    assert (signed_out.status_code, signed_out["Location"]) == (302, drafts)
    assert client.get(drafts).json()["results"] == []
    assert 'id="sign-in"' in client.get(drafts, **HTML).content.decode()
