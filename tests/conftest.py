"""Fixtures shared by every test, and a header saying which database the run used."""

import pytest
from django.conf import settings as django_settings


def pytest_report_header(config):
    db = django_settings.DATABASES["default"]
    vendor = "PostgreSQL" if "postgresql" in db["ENGINE"] else "SQLite"
    where = (
        f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
        if vendor == "PostgreSQL"
        else "file"
    )
    return f"database: {vendor} ({where}, {db['NAME']}); tests use a separate test database"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Serve static files without a collectstatic manifest, as in development."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def plain_http(settings):
    """The test client speaks HTTP; production's redirect to HTTPS is tested on its own."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """No budget runs out by accident: tests/test_rate_limits.py sets its own."""
    settings.RATE_LIMITS = {"anon": "off", "read": "off", "write": "off"}


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with empty caches (rolled-back rows fire no signals; on SQLite the
    feed's numbers, which key the public answers, are rolled back and taken again)."""
    from django.core.cache import cache, caches

    from ctht_api.vocabularies import forget_all

    cache.clear()
    forget_all()
    caches["responses"].clear()


@pytest.fixture
def demo(db):
    """The founding document loaded as data."""
    from events.demo import load_demo

    load_demo()


@pytest.fixture
def countries():
    """The migrations' countries, for a transactional test (`transaction=True`): the one
    before it may have ended by emptying every table, countries included."""
    from people.countries import country_names
    from people.models import Country

    for code, name in country_names().items():
        Country.objects.get_or_create(code=code, defaults={"name": name})
