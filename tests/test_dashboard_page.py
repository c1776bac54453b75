"""The dashboard page as served: HTML under the CSP, every asset from this app.

What the page shows is tested in a real browser (tests/browser/test_dashboard.py);
these checks need none and run everywhere.
"""

import re
from urllib.parse import urlsplit

import pytest

from tests.test_openapi import references
from tests.test_security_headers import directives


@pytest.fixture
def page(db, client, settings):
    # Without DEBUG, WhiteNoise serves collected files only; let it look in the apps too
    # (set before the client's first request, when it builds its middleware).
    settings.WHITENOISE_USE_FINDERS = True
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response


def test_dashboard_is_html_under_the_projects_csp(page):
    assert page["Content-Type"] == "text/html; charset=utf-8"
    policy = directives(page)
    assert policy["default-src"] == {"'self'"}
    assert policy["connect-src"] == {"'self'"}
    assert {s for s in policy["script-src"] if not s.startswith("'nonce-")} == {"'self'"}
    html = page.content.decode()
    assert "<h1>CTHT dashboard</h1>" in html
    # No inline script or style: the page needs no nonce and no 'unsafe-inline'.
    assert re.findall(r"<script\b[^>]*>", html) == [re.search(r"<script src=[^>]*>", html)[0]]
    assert "<style" not in html and " style=" not in html


def test_dashboard_assets_are_served_by_the_app(page, client):
    html = page.content.decode()
    urls = references(html)
    assert {urlsplit(url).netloc for url in urls} == {""}
    assert set(re.findall(r"https?://[^/\"'\s<>]+", html)) == set()
    static = [url for url in urls if url.startswith("/static/")]
    assert {url.rsplit(".", 1)[-1] for url in static} == {"css", "js", "svg"}
    for url in static:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_dashboard_csv_link_starts_at_the_whole_record(page):
    assert 'id="csv" href="/api/v1/statements/?format=csv"' in page.content.decode()


def test_only_a_signed_in_browser_is_told_its_csv_holds_drafts(client, admin_user):
    assert b"signed-in-note" not in client.get("/dashboard/").content
    client.force_login(admin_user)
    assert b"drafts included" in client.get("/dashboard/").content
