"""The admin pages an editor works in, laid out in a real browser at 1,280 x 800.

Each changelist keeps the columns an editor reads (dates, countries, status, …)
inside the window and inside the table's own scrolling box, with no horizontal
scrollbar; the event page fits too; no page logs an error to the console. Each
page is saved as a PNG under var/screenshots/ for people to look at
(`make screenshots` copies two of them, reduced, to docs/screenshots/).
"""

import base64
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from events.models import Event
from tests.browser.conftest import BROWSER_TESTS

pytestmark = BROWSER_TESTS

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTH, HEIGHT = 1280, 800

# The columns that must stay in view on each changelist (their `column-`/`field-` classes).
CHANGELISTS = {
    "statements": ("events_statement", ["date", "language", "country_list", "status"]),
    "events": (
        "events_event",
        ["start_date", "end_date", "city", "country_name", "status", "statement_count"],
    ),
    "people": (
        "people_person",
        ["current_position", "current_institution", "current_country", "statement_count"],
    ),
    "institutions": ("people_institution", ["kind", "country", "parent_name"]),
}

# Each element's box, the window's width and the table's scrolling box, in one call.
LAYOUT = """
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.width]; };
const results = document.querySelector('.results');
return {
    width: window.innerWidth,
    pageWidth: document.documentElement.scrollWidth,
    results: results && [...box(results), results.scrollWidth, results.clientWidth],
    cells: Object.fromEntries(arguments[0].map(name => [name,
        [...document.querySelectorAll(`#result_list .column-${name}, #result_list .field-${name}`)]
            .map(box)])),
};
"""


@pytest.fixture
def editor_browser(browser, server):
    """The module's browser at 1,280 x 800, signed in as a superuser (a session cookie),
    with the demo data loaded."""
    call_command("load_demo", verbosity=0)
    user = get_user_model().objects.create_superuser("editor", "editor@example.org", None)
    client = Client()
    client.force_login(user)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.get(f"{server.url}/admin/login/")  # the cookie needs a page of its host
    browser.delete_all_cookies()
    browser.add_cookie(
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "path": "/",
        }
    )
    return browser


def open_admin_page(browser, url: str, name: str, *, scroll_to: str = "") -> None:
    """Open a page and save what the window shows: `name`.png at full size and
    `name`.small.png at three quarters (960 x 600), for the README; `scroll_to`, a CSS
    selector, brings a part of the page to the top of the window first."""
    browser.get_log("browser")  # the browser outlives a test: start with an empty console
    browser.get(url)
    assert "/login/" not in browser.current_url, "not signed in"
    if scroll_to:
        browser.execute_script("document.querySelector(arguments[0]).scrollIntoView()", scroll_to)
    top = browser.execute_script("return window.scrollY")  # a clip is placed on the page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for suffix, scale in (("", 1), (".small", 0.75)):
        clip = {"x": 0, "y": top, "width": WIDTH, "height": HEIGHT, "scale": scale}
        shot = browser.execute_cdp_cmd(
            "Page.captureScreenshot",
            {"format": "png", "clip": clip, "captureBeyondViewport": False},
        )
        (SCREENSHOTS / f"{name}{suffix}.png").write_bytes(base64.b64decode(shot["data"]))


def console_errors(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def changelist_problems(browser, columns: list[str]) -> list[str]:
    """What an editor would have to scroll sideways for, on the changelist open."""
    layout = browser.execute_script(LAYOUT, columns)
    width, problems = layout["width"], []
    assert width == WIDTH, "the window is not 1,280 pixels wide"
    if layout["pageWidth"] > width:
        problems.append(f"the page is {layout['pageWidth']} px wide")
    _, right, _, scroll_width, client_width = layout["results"]
    if scroll_width > client_width:
        problems.append(f"the table scrolls sideways ({scroll_width} > {client_width} px)")
    for column, cells in layout["cells"].items():
        if len(cells) < 2:  # its header and at least one row
            problems.append(f"no {column} column")
        if any(
            w <= 0 or cell_left < 0 or cell_right > min(width, right + 1)
            for cell_left, cell_right, w in cells
        ):
            problems.append(f"{column} is out of view")
    return problems


def test_the_editors_pages_fit_1280_pixels_without_errors(editor_browser, server):
    """One test for the five pages: the demo is loaded and the editor signed in once."""
    problems = {}
    for name, (url_name, columns) in CHANGELISTS.items():
        url = server.url + reverse(f"admin:{url_name}_changelist")
        open_admin_page(editor_browser, url, name)
        problems[name] = changelist_problems(editor_browser, columns) + console_errors(
            editor_browser
        )

    event = Event.objects.get()
    url = server.url + reverse("admin:events_event_change", args=[event.pk])
    open_admin_page(editor_browser, url, "event", scroll_to="#statements-group")
    # The statements are stacked blocks (events/admin.py): every field of every block,
    # select2 boxes included, must end inside the window, and no block scroll sideways.
    width, page_width, rightmost, scrolling, rows = editor_browser.execute_script(
        "const group = document.getElementById('statements-group');"
        "const blocks = [...group.querySelectorAll('.inline-related.has_original')];"
        "const edges = [...group.querySelectorAll('*')]"
        "  .map(e => e.getBoundingClientRect()).filter(r => r.width > 0).map(r => r.right);"
        "return [innerWidth, document.documentElement.scrollWidth, Math.max(...edges),"
        " blocks.filter(b => b.scrollWidth > b.clientWidth).length, blocks.length];"
    )
    problems["event"] = console_errors(editor_browser)
    if page_width > width:
        problems["event"].append(f"the page is {page_width} px wide")
    if rightmost > width:
        problems["event"].append(f"a statement's field ends at {rightmost:.0f} px")
    if scrolling:
        problems["event"].append(f"{scrolling} statement blocks scroll sideways")
    if rows != event.statements.count():
        problems["event"].append(f"{rows} statements shown of {event.statements.count()}")

    assert {page: found for page, found in problems.items() if found} == {}
