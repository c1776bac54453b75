"""The replica router in process: which database a read goes to, and when a client is pinned.

Over real HTTP against a streaming replica: tests/test_replicas.py.
"""

import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from accounts.models import ApiToken
from ctht_api.db_router import (
    ReplicaRouter,
    ReplicaRoutingMiddleware,
    primary_reads,
    reads_from,
    reads_on,
)
from people.models import Person
from tests.test_settings import ROOT, production

REPLICA = {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}}

router = ReplicaRouter()

# Django warns that connections made before the override keep their settings: none is
# made to the added alias here.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")


@pytest.fixture
def replicas():
    """A replica alias in settings (no connection is made to it: the reads are only routed)."""
    with override_settings(DATABASES={**settings.DATABASES, "replica_1": REPLICA}):
        cache.clear()
        yield
        cache.clear()


def answer(request, status=200):
    """Serve `request` through the middleware; where its reads went."""
    seen = {}

    def view(request):
        seen["reads"] = router.db_for_read(Person)
        return HttpResponse(status=status)

    ReplicaRoutingMiddleware(view)(request)
    return seen["reads"]


TOKEN = {"HTTP_AUTHORIZATION": "Token k3y-of-the-writer"}
OTHER_TOKEN = {"HTTP_AUTHORIZATION": "Token k3y-of-another-client"}


def test_reads_outside_a_request_go_to_the_primary():
    assert reads_from() == "default"
    assert router.db_for_read(Person) == "default"


def test_reads_in_an_unpinned_context_go_to_its_replica():
    with reads_on("replica_1"):
        assert router.db_for_read(Person) == "replica_1"
        with primary_reads():
            assert router.db_for_read(Person) == "default"
        assert router.db_for_read(Person) == "replica_1"


def test_credentials_are_always_read_on_the_primary():
    with reads_on("replica_1"):
        assert router.db_for_read(ApiToken) == "default"


def test_writes_and_migrations_go_to_the_primary_only():
    with reads_on("replica_1"):
        assert router.db_for_write(Person) == "default"
    assert router.allow_migrate("default", "people")
    assert not router.allow_migrate("replica_1", "people")


@pytest.mark.django_db(transaction=True)
def test_reads_inside_an_atomic_block_go_to_the_primary():
    with reads_on("replica_1"):
        with transaction.atomic():
            assert router.db_for_read(Person) == "default"
            assert reads_from() == "default"  # a streamed export's transaction too
        assert router.db_for_read(Person) == "replica_1"
        assert reads_from() == "replica_1"


def test_middleware_is_not_used_without_replicas():
    only_primary = {"default": settings.DATABASES["default"]}
    with override_settings(DATABASES=only_primary), pytest.raises(MiddlewareNotUsed):
        ReplicaRoutingMiddleware(lambda request: HttpResponse())


def test_safe_requests_read_a_replica(replicas):
    factory = RequestFactory()
    assert answer(factory.get("/api/v1/people/")) == "replica_1"
    assert answer(factory.get("/api/v1/people/", **TOKEN)) == "replica_1"
    assert reads_from() == "default"  # the context ends with the request


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_reads_the_primary_from_its_start(replicas, method):
    assert answer(getattr(RequestFactory(), method)("/api/v1/people/", **TOKEN)) == "default"


def test_a_client_that_wrote_reads_the_primary_for_the_pin_window(replicas):
    factory = RequestFactory()
    answer(factory.post("/api/v1/people/", **TOKEN), status=201)

    assert answer(factory.get("/api/v1/people/1/", **TOKEN)) == "default"
    assert answer(factory.get("/api/v1/people/1/", **OTHER_TOKEN)) == "replica_1"
    assert answer(factory.get("/api/v1/people/1/")) == "replica_1"

    cache.clear()  # the pin expired (REPLICA_PIN_SECONDS)
    assert answer(factory.get("/api/v1/people/1/", **TOKEN)) == "replica_1"


def test_a_refused_write_pins_nothing(replicas):
    factory = RequestFactory()
    answer(factory.post("/api/v1/people/", **TOKEN), status=400)
    assert answer(factory.get("/api/v1/people/", **TOKEN)) == "replica_1"


def test_sessions_and_the_admin_read_the_primary(replicas):
    factory = RequestFactory()
    with_session = factory.get("/api/v1/people/")
    with_session.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    assert answer(with_session) == "default"
    assert answer(factory.get("/admin/people/person/")) == "default"


def settings_with(**env):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(sorted(s.DATABASES), s.DATABASES['replica_1']['PORT'], "
        "s.DATABASES['replica_2']['TEST']['MIRROR'], s.DATABASE_ROUTERS)"
    )
    return production(sys.executable, "-c", code, SECRET_KEY="x" * 60, ALLOWED_HOSTS="a", **env)


def test_replica_urls_become_mirrored_aliases():
    result = settings_with(
        DATABASE_URL="postgres://u@primary:5432/ctht",
        DATABASE_REPLICA_URLS="postgres://u@r1:5433/ctht,postgres://u@r2:5434/ctht",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "['default', 'replica_1', 'replica_2'] 5433 default ['ctht_api.db_router.ReplicaRouter']"
    )


def test_replicas_without_redis_refuse_to_start():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "a",
            "DATABASE_URL": "postgres://u@primary:5432/ctht",
            "DATABASE_REPLICA_URLS": "postgres://u@r1:5433/ctht",
        },
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS needs REDIS_URL" in result.stderr


def test_a_replica_url_that_is_not_postgresql_is_refused_without_echoing_it():
    result = settings_with(
        DATABASE_URL="postgres://u@primary:5432/ctht",
        DATABASE_REPLICA_URLS="postgres://u@r1:5433/ctht,mysql://u:s3cret@r2/ctht",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS entry 2 is not a postgres:// URL" in result.stderr
    assert "s3cret" not in result.stderr
