"""The browser harness every test here shares: Debian's Chromium, headless, driven by
Selenium, and a live server (see test_dashboard.py for why Selenium and Debian's build)."""

import os
import shutil

import pytest
from pytest_django.live_server_helper import LiveServer
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

# The marks of every browser test module (`pytestmark = BROWSER_TESTS`).
BROWSER_TESTS = [
    pytest.mark.browser,
    # CI never skips: there, a missing browser fails the run (see `browser` below).
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"),
        reason="no Chromium here: `apt-get install chromium chromium-driver` (CI does) "
        "to run the pages in a real browser",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module; a page load gives each test a fresh page."""
    assert CHROMIUM and CHROMEDRIVER, "CI runs the browser tests: .ci/run installs Chromium"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=en",
    ):
        options.add_argument(argument)
    # The console, and the network (test_docs_pages.py reads every request a page made).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look for a download
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def server(settings, countries):
    """A live server started after the test's settings apply (plain HTTP, no rate limits):
    the session-wide `live_server` builds its middleware before they do. `countries`:
    the flush after a transactional test removes the migrations' countries."""
    server = LiveServer("localhost")
    yield server
    server.stop()
