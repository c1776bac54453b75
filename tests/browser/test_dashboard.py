"""The dashboard in a real browser: Debian's Chromium, driven by Selenium, on a live server.

Selenium rather than Playwright: a pure-Python package speaking WebDriver to Debian's
`chromium-driver`, which is built from the same sources as the `chromium` beside it, so
the two always match. Playwright ships a Node.js driver in its wheel and pins the
browser builds it downloads; Debian's Chromium would be a version it was not made for.
Nothing is downloaded at test time: with the driver's path given, Selenium Manager is
not run (and `SE_OFFLINE` forbids it to fetch anything were it run). `.ci/run` installs
both packages; without them these tests are skipped locally, with a message, and fail
under CI (`CI` set), where skipping would hide that the page was never opened.

What is expected comes from the API itself (the test client, anonymous like the
page), not from numbers written here, so the checks hold whatever the demo holds.
"""

import base64
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from ctht_api.models import Status
from events.models import Statement
from tests.browser.conftest import BROWSER_TESTS

SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "dashboard.png"

pytestmark = BROWSER_TESTS


def open_page(browser, url: str) -> None:
    """Load a page with an empty console log (the browser outlives a test)."""
    browser.get_log("browser")
    browser.get(url)


def wait(browser, condition, timeout: float = 10):
    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(lambda _: condition())


def loaded(browser) -> bool:
    """Every section has its answer (or its error message)."""
    sections = browser.find_elements(By.CSS_SELECTOR, "section[aria-busy]")
    return bool(sections) and all(s.get_attribute("aria-busy") == "false" for s in sections)


def bars(browser, section: str) -> dict[str, tuple[str, int]]:
    """A chart as {key: (label, count)}, read from the text a screen reader reads."""
    return {
        item.get_attribute("data-key"): (
            item.find_element(By.CLASS_NAME, "bar-label").text,
            int(item.find_element(By.CLASS_NAME, "bar-count").text),
        )
        for item in browser.find_elements(By.CSS_SELECTOR, f"#{section} li")
    }


def speakers(browser) -> list[str]:
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#latest li .speaker")]


def choose(browser, country: str, text: str = "") -> None:
    """Pick a country and search for a text, as a reader would, and wait for the answers."""
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys(text)
    Select(browser.find_element(By.ID, "country")).select_by_value(country)
    box.send_keys(Keys.ENTER)
    expected = f"Country: {country}" if country else "All countries"
    expected += f", matching “{text}”." if text else "."
    wait(browser, lambda: browser.find_element(By.ID, "latest-note").text == expected)
    wait(browser, lambda: loaded(browser))


def screenshot(browser) -> None:
    """The whole page, not only the window, as a PNG under var/ for people to look at."""
    width, height = browser.execute_script(
        "const page = document.documentElement;"
        "return [Math.max(page.scrollWidth, innerWidth), page.scrollHeight];"
    )
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))


def severe(log: list[dict]) -> list[str]:
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


def test_dashboard_draws_the_demo_from_the_api(server, browser, client):
    call_command("load_demo", verbosity=0)
    countries = client.get("/api/v1/countries/").json()["results"]
    months = client.get("/api/v1/stats/statements/?group_by=month").json()["results"]

    open_page(browser, f"{server.url}/dashboard/")
    wait(browser, lambda: loaded(browser))

    per_country = bars(browser, "per-country")
    assert {"BA", "MK", "RS"} <= per_country.keys()
    assert per_country == {
        c["code"]: (f"{c['name']} ({c['code']})", c["statement_count"]) for c in countries
    }
    options = {
        o.get_attribute("value"): o.text
        for o in browser.find_elements(By.CSS_SELECTOR, "#country option")
    }
    for country in countries:
        code, count = country["code"], country["statement_count"]
        assert re.fullmatch(rf".* \({code}\), {count} statements?", options[code])
    shown_months = {label: count for label, count in bars(browser, "per-month").values() if count}
    assert shown_months == {row["month"] or "date unknown": row["count"] for row in months}
    everything = speakers(browser)
    assert everything

    choose(browser, "RS")
    serbia = client.get("/api/v1/statements/?country=RS").json()["results"]
    assert speakers(browser) == [s["speaker"]["full_name"] for s in serbia]
    assert any("Simić" in name for name in speakers(browser))
    statement = browser.find_element(By.CSS_SELECTOR, "#latest li")
    assert statement.find_element(By.TAG_NAME, "blockquote").text == serbia[0]["text"]
    assert statement.find_element(By.CLASS_NAME, "event").text == serbia[0]["event"]["title"]
    assert statement.find_element(By.CLASS_NAME, "source").text == serbia[0]["source"]["title"]
    csv = urlsplit(browser.find_element(By.ID, "csv").get_attribute("href"))
    assert csv.path == "/api/v1/statements/"
    assert parse_qs(csv.query) == {"country": ["RS"], "format": ["csv"]}
    screenshot(browser)

    choose(browser, "", "jeunesse")
    matching = client.get("/api/v1/statements/?q=jeunesse").json()["results"]
    assert 0 < len(speakers(browser)) < len(everything)
    assert speakers(browser) == [s["speaker"]["full_name"] for s in matching]
    csv = urlsplit(browser.find_element(By.ID, "csv").get_attribute("href"))
    assert parse_qs(csv.query) == {"q": ["jeunesse"], "format": ["csv"]}
    assert urlsplit(browser.current_url).query == "q=jeunesse"

    log = browser.get_log("browser")
    assert severe(log) == []
    assert not [e for e in log if "Content Security Policy" in e["message"]]


def test_dashboard_says_what_the_api_refused(server, browser):
    open_page(browser, f"{server.url}/dashboard/?country=ZZ")
    wait(browser, lambda: loaded(browser))

    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "Latest statements: Bad Request (HTTP 400): Invalid input: country." in alert
    assert "Unknown country code(s): ZZ." in alert
    assert browser.find_elements(By.CSS_SELECTOR, "#latest li") == []
    # The browser reports each refused request itself; nothing else went wrong.
    assert all("status of 400" in message for message in severe(browser.get_log("browser")))


def test_dashboard_waits_as_long_as_retry_after_says(server, browser, client, settings):
    # Every anonymous request refused until midnight UTC: Retry-After is hours long, so
    # the page is still waiting to retry when it is read.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "anon": "0/day"}
    open_page(browser, f"{server.url}/dashboard/")

    status = browser.find_element(By.ID, "status")
    wait(browser, lambda: "retrying" in status.text)
    retry_after = int(client.get("/api/v1/countries/")["Retry-After"])
    retrying = r"The API is rate limiting this browser: retrying in (\d+) s\."
    waiting = re.fullmatch(retrying, status.text)
    assert waiting and retry_after <= int(waiting[1]) <= retry_after + 5
    assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").text == ""
    assert all("status of 429" in message for message in severe(browser.get_log("browser")))


def test_a_signed_in_editor_sees_the_public_record(server, browser, client, django_user_model):
    """The script fetches without credentials: an admin session's drafts stay off the
    charts and lists; the page says the CSV link is the signed-in view."""
    call_command("load_demo", verbosity=0)
    public = client.get("/api/v1/stats/statements/?group_by=month").json()
    draft = Statement.objects.order_by("pk").first()
    draft.pk = None
    draft.status = Status.DRAFT
    draft.text = "A draft only editors see"
    draft.save()
    editor = django_user_model.objects.create_superuser("chief", password="x" * 20)
    client.force_login(editor)
    assert client.get("/api/v1/stats/statements/?group_by=month").json()["total"] == (
        public["total"] + 1
    )

    open_page(browser, f"{server.url}/healthz")  # a page of the origin, to hold the cookie
    browser.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value})
    open_page(browser, f"{server.url}/dashboard/")
    wait(browser, lambda: loaded(browser))
    assert "drafts included" in browser.find_element(By.ID, "signed-in-note").text
    shown = {label: count for label, count in bars(browser, "per-month").values() if count}
    assert shown == {row["month"] or "date unknown": row["count"] for row in public["results"]}
    texts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#latest blockquote")]
    assert not [text for text in texts if "A draft only editors see" in text]
