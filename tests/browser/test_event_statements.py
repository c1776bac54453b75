"""The statement rows of an event's admin page, and a statement's own page, in a real
browser: the position is searched among the positions of the speaker chosen beside it.

The chosen speaker reaching the position search is the page's script
(events/static/events/speaker_positions.js); the server's part is tested in
tests/test_admin_event_statements.py and tests/test_admin_statement_positions.py. Same
browser and live server as the dashboard's tests (tests/browser/test_dashboard.py explains
the choice of Selenium).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import Client
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import BROWSER_TESTS
from tests.factories import (
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    StatementFactory,
)

pytestmark = BROWSER_TESTS

SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "event_statements.png"


def sign_in(driver, server) -> None:
    user = get_user_model().objects.create_superuser("editor", password="not used")
    client = Client()
    client.force_login(user)
    driver.get(f"{server.url}/admin/login/")
    driver.add_cookie({"name": "sessionid", "value": client.cookies["sessionid"].value})


def choose(driver, name: str, entry) -> None:
    """Choose `entry` in the select named `name` as select2 does once the editor picks it
    (the speaker's own search is Django's autocomplete, not what is tested here)."""
    driver.execute_script(
        "const select = document.getElementsByName(arguments[0])[0];"
        "select.add(new Option(arguments[2], arguments[1], true, true));"
        "django.jQuery(select).trigger('change');",
        name,
        str(entry.pk),
        str(entry),
    )


def offered_positions(driver, name: str) -> list[str]:
    """The entries select2 lists for the select named `name` once its search answered."""
    select = driver.find_element(By.NAME, name)
    select.find_element(By.XPATH, "following-sibling::span[contains(@class, 'select2')]").click()

    def answered(driver) -> list[str] | bool:
        try:
            options = driver.find_elements(By.CSS_SELECTOR, ".select2-results__option")
            texts = [option.text for option in options]
        except StaleElementReferenceException:  # redrawn as the answer arrived
            return False
        return texts if texts and not any(t.startswith("Searching") for t in texts) else False

    texts = WebDriverWait(driver, 10).until(answered)
    driver.find_element(By.CSS_SELECTOR, ".select2-container--open input").send_keys(Keys.ESCAPE)
    return texts


def test_a_row_position_is_searched_among_its_speaker_positions(browser, server):
    first, second = PersonFactory(full_name="Ana Marić"), PersonFactory(full_name="Ivo Kos")
    ministry = InstitutionFactory(name="Ministry of Justice")
    PositionFactory(person=first, title="Minister of Justice", institution=ministry)
    PositionFactory(person=second, title="National Coordinator", institution=ministry)
    PositionFactory(person=second, title="State Secretary", institution=ministry)
    event = EventFactory(title="Regional conference")
    StatementFactory(event=event, speaker=first, text="Words already entered.")
    sign_in(browser, server)
    browser.get(f"{server.url}/admin/events/event/{event.pk}/change/")
    SCREENSHOT.parent.mkdir(exist_ok=True)

    assert offered_positions(browser, "statements-1-position") == ["Choose the speaker first."]
    choose(browser, "statements-1-speaker", second)
    assert offered_positions(browser, "statements-1-position") == [
        "National Coordinator, Ministry of Justice (dates unknown)",
        "State Secretary, Ministry of Justice (dates unknown)",
    ]
    assert offered_positions(browser, "statements-0-position") == [
        "Minister of Justice, Ministry of Justice (dates unknown)"
    ]

    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_a_statement_position_is_searched_among_its_speaker_positions(browser, server):
    first, second = PersonFactory(full_name="Ana Marić"), PersonFactory(full_name="Ivo Kos")
    ministry = InstitutionFactory(name="Ministry of Justice")
    PositionFactory(person=first, title="Minister of Justice", institution=ministry)
    PositionFactory(person=second, title="State Secretary", institution=ministry)
    statement = StatementFactory(speaker=first, text="Words already entered.")
    sign_in(browser, server)

    browser.get(f"{server.url}/admin/events/statement/add/")
    assert offered_positions(browser, "position") == ["Choose the speaker first."]
    browser.get(f"{server.url}/admin/events/statement/{statement.pk}/change/")
    assert offered_positions(browser, "position") == [
        "Minister of Justice, Ministry of Justice (dates unknown)"
    ]
    choose(browser, "speaker", second)
    assert offered_positions(browser, "position") == [
        "State Secretary, Ministry of Justice (dates unknown)"
    ]

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
