"""`/`: the front door names the service and links every surface; `/favicon.ico` and the
icon links of the human-facing pages answer."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

SURFACES = {
    "/api/v1/": "API root",
    "/api/docs/": "Swagger UI",
    "/api/redoc/": "ReDoc",
    "/api/schema/": "OpenAPI document",
    "/dashboard/": "dashboard",
    "/admin/": "admin",
    "/healthz": "liveness probe",
    "/readyz": "readiness probe",
}


class Page(HTMLParser):
    """What a test reads from a page: its links, icons, scripts and styles."""

    def __init__(self, html: str):
        super().__init__()
        self.links: dict[str, str] = {}  # href: text
        self.icons: list[str] = []
        self.inline_scripts = self.style_blocks = self.style_attributes = 0
        self._href = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.style_attributes += 1
        if tag == "a" and attrs.get("href"):
            self._href = attrs["href"]
            self.links.setdefault(self._href, "")
        elif tag == "link" and attrs.get("rel") == "icon":
            self.icons.append(attrs["href"])
        elif tag == "script" and not attrs.get("src"):
            self.inline_scripts += 1
        elif tag == "style":
            self.style_blocks += 1

    def handle_data(self, data):
        if self._href is not None:
            self.links[self._href] += data

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


def test_the_front_door_names_the_service_and_links_every_surface(client: Client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>CTHT API</title>" in html
    assert "The open record of the fight against trafficking in human beings" in html
    links = Page(html).links
    assert SURFACES.keys() <= links.keys()
    assert "/api/schema/?format=json" in links


def test_the_front_door_runs_no_query(client: Client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_every_link_of_the_front_door_answers(client: Client):
    """The admin sends an anonymous visitor to its login page; every other link is a 200."""
    for url in Page(client.get("/").content.decode()).links:
        response = client.get(url)
        assert response.status_code == (302 if url == "/admin/" else 200), url


def test_the_front_door_has_no_inline_script_or_style(client: Client):
    """Under the Content-Security-Policy, inline scripts would not run: none is needed."""
    page = Page(client.get("/").content.decode())
    assert (page.inline_scripts, page.style_blocks, page.style_attributes) == (0, 0, 0)


def test_favicon_ico_redirects_to_the_static_icon(client: Client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from the apps, as test_openapi does
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    icon.close()


@pytest.mark.parametrize(
    "url", ["/", "/dashboard/", "/admin/login/", "/api/v1/", "/api/redoc/", "/api/docs/"]
)
def test_human_facing_pages_link_an_icon_that_is_served(client: Client, settings, url: str):
    settings.WHITENOISE_USE_FINDERS = True
    icons = Page(client.get(url, HTTP_ACCEPT="text/html").content.decode()).icons

    assert len(icons) == 1, icons
    response = client.get(icons[0], follow=True)
    assert response.status_code == 200
    response.close()


def test_the_admin_view_site_link_leads_to_the_front_door(client: Client):
    editor = get_user_model().objects.create_superuser("chief", password="x" * 20)
    client.force_login(editor)

    links = Page(client.get("/admin/").content.decode()).links

    assert links["/"].strip() == "View site"
