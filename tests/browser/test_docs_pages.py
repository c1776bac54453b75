"""The pages people open first, in a real browser: the front door, Swagger UI, ReDoc, the
browsable API's root and the admin's sign-in. Each renders with no error in the console
and without a request to any host but the server's own.

Every request the page makes is read from Chromium's performance log
(`Network.requestWillBeSent`), which lists a request the Content-Security-Policy then
blocks too: a page reaching for an outside host fails here even though the browser
refused it. ReDoc and Swagger UI draw the page after fetching the OpenAPI document, so
each page is read once an element they create is there and its network has been quiet
for a moment (ReDoc adds its sidebar's images after the first drawing).

The browser and live server are the shared ones of conftest.py, whose Chromium keeps
the performance log.
"""

import json
import time
from urllib.parse import urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import BROWSER_TESTS

pytestmark = BROWSER_TESTS

# Each page, and an element it shows once drawn.
PAGES = {
    "/": "main section",
    "/api/docs/": ".swagger-ui .opblock",  # an operation, drawn from the OpenAPI document
    "/api/redoc/": ".api-content h2",  # an operation's heading, likewise
    "/api/v1/": ".response-info",  # the browsable API's answer
    "/admin/login/": "#login-form",
}


def requested_urls(browser) -> list[str]:
    """Every URL the page asked for since the log was last read."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def quiet(browser, seconds: float = 0.5) -> None:
    """Wait until the page has started no new resource for `seconds` (10 s at most)."""
    count, since, deadline = -1, time.monotonic(), time.monotonic() + 10
    while time.monotonic() < deadline:
        now = browser.execute_script("return performance.getEntriesByType('resource').length")
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
        time.sleep(0.05)


def open_page(browser, url: str, drawn: str) -> list[str]:
    """Load a page, wait until it is drawn and quiet; the URLs it requested."""
    browser.get_log("browser")
    browser.get_log("performance")
    browser.get(url)
    WebDriverWait(browser, 15, poll_frequency=0.05).until(
        lambda _: browser.find_elements(By.CSS_SELECTOR, drawn)
    )
    quiet(browser)
    return requested_urls(browser)


def test_the_pages_render_offline_without_console_errors(server, browser):
    """One test for the five pages: a live server's database is emptied after each test,
    which costs more than opening a page."""
    own = urlsplit(server.url).netloc
    elsewhere, errors = {}, {}
    for path, drawn in PAGES.items():
        urls = open_page(browser, f"{server.url}{path}", drawn)

        assert f"{server.url}{path}" in urls
        elsewhere[path] = [
            url
            for url in urls
            if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != own
        ]
        log = browser.get_log("browser")
        errors[path] = [entry["message"] for entry in log if entry["level"] == "SEVERE"]
        if path == "/api/redoc/":
            # The credit stays, without the logo it would fetch from Redocly's servers.
            credit = browser.find_element(By.PARTIAL_LINK_TEXT, "API docs by Redocly")
            assert credit.find_elements(By.TAG_NAME, "img") == []
            assert browser.find_element(By.CSS_SELECTOR, ".api-content h1").text.startswith(
                "CTHT API"
            )

    assert elsewhere == {path: [] for path in PAGES}
    assert errors == {path: [] for path in PAGES}
