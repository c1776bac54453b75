"""Rate limits: a budget per client and scope, 429 with Retry-After, shared by every process."""

import json
import os
import random
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key
from accounts.services import issue_token
from ctht_api.throttling import DatabaseRateCounter, parse_rate
from tests.api.conftest import token_client
from tests.api.helpers import assert_problem

ROOT = Path(__file__).resolve().parent.parent
OFF = {"anon": "off", "read": "off", "write": "off"}


@pytest.fixture
def limits(settings):
    """Set some budgets (the others off); rates are read on each request."""

    def set_limits(**rates: str) -> None:
        settings.RATE_LIMITS = {**OFF, **rates}
        # Counters outlive transactional tests (the table is not a model's, so no
        # flush empties it): start from zero.
        caches["ratelimit"].clear()

    return set_limits


def statuses(client, n: int, url: str = "/api/v1/topics/") -> list[int]:
    return [client.get(url).status_code for _ in range(n)]


def test_anonymous_client_gets_429_with_retry_after_once_its_budget_is_spent(db, limits):
    limits(anon="3/min")
    client = APIClient()

    assert statuses(client, 3) == [200, 200, 200]
    response = client.get("/api/v1/topics/")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    retry_after = response["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    body = response.json()
    assert body["status"] == 429
    assert body["title"] == "Too Many Requests"
    assert body["type"].endswith("/too-many-requests")
    assert f"{retry_after} second" in body["detail"]


def test_a_new_window_gives_a_new_budget(db, limits):
    limits(anon="1/s")
    client = APIClient()
    assert client.get("/api/v1/topics/").status_code == 200
    refused = client.get("/api/v1/topics/")
    if refused.status_code == 200:  # the second ticked over between the two requests
        refused = client.get("/api/v1/topics/")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"

    time.sleep(1.05)

    assert client.get("/api/v1/topics/").status_code == 200


def test_read_and_write_tokens_have_their_own_budgets(db, limits):
    limits(anon="1/min", read="2/min", write="4/min")
    reader = token_client("partner", write=False)
    writer = token_client("editor", write=True)

    assert statuses(reader, 3) == [200, 200, 429]
    assert statuses(writer, 5) == [200, 200, 200, 200, 429]
    assert statuses(APIClient(), 2) == [200, 429]


def test_one_clients_exhaustion_leaves_others_alone(db, limits):
    limits(anon="2/min", read="2/min")
    first, second = APIClient(REMOTE_ADDR="192.0.2.1"), APIClient(REMOTE_ADDR="192.0.2.2")
    one, other = token_client("partner-one", write=False), token_client("partner-two", write=False)

    assert statuses(first, 3) == [200, 200, 429]
    assert statuses(one, 3) == [200, 200, 429]

    assert statuses(second, 2) == [200, 200]
    assert statuses(other, 2) == [200, 200]


def test_an_editor_session_counts_as_write(admin_client, limits):
    limits(read="1/min", write="2/min")

    assert statuses(admin_client, 3) == [200, 200, 429]


def test_x_forwarded_for_is_ignored_unless_num_proxies_is_set(db, limits, settings):
    limits(anon="1/min")
    spoofing = APIClient(REMOTE_ADDR="192.0.2.9")

    assert spoofing.get("/api/v1/topics/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert spoofing.get("/api/v1/topics/", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxied = APIClient(REMOTE_ADDR="10.0.0.1")
    assert proxied.get("/api/v1/topics/", HTTP_X_FORWARDED_FOR="198.51.100.3").status_code == 200
    assert proxied.get("/api/v1/topics/", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 200


def bad_key(kind: str) -> str:
    """An `Authorization` header the authentication refuses, of the given kind."""
    if kind == "malformed":
        return "Token two words"
    if kind == "unknown":
        return "Token ctht_not-a-real-key-0000000000000000000000000000000"
    key = issue_token(username=f"partner-{kind}", write=False)
    tokens = ApiToken.objects.filter(key_hash=hash_key(key))
    if kind == "revoked":
        tokens.update(revoked_at=timezone.now())
    else:
        tokens.update(expires_at=timezone.now() - timedelta(days=1))
    return f"Token {key}"


@pytest.mark.parametrize("kind", ["unknown", "revoked", "expired", "malformed"])
def test_bad_tokens_spend_the_anonymous_budget_then_get_429(db, limits, kind):
    limits(anon="2/min")
    guesser = APIClient(REMOTE_ADDR="192.0.2.20", HTTP_AUTHORIZATION=bad_key(kind))

    assert statuses(guesser, 2) == [401, 401]
    response = guesser.get("/api/v1/topics/")

    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60


def test_once_spent_even_a_valid_key_from_that_address_waits(db, limits):
    """Else 200 against 429 would tell a right guess from a wrong one at full speed."""
    limits(anon="1/min")
    key = issue_token(username="partner", write=False)
    guesser = APIClient(REMOTE_ADDR="192.0.2.21", HTTP_AUTHORIZATION=bad_key("unknown"))
    assert statuses(guesser, 2) == [401, 429]

    same_address = APIClient(REMOTE_ADDR="192.0.2.21", HTTP_AUTHORIZATION=f"Token {key}")
    other_address = APIClient(REMOTE_ADDR="192.0.2.22", HTTP_AUTHORIZATION=f"Token {key}")

    assert_problem(same_address.get("/api/v1/topics/"), 429)
    assert statuses(other_address, 3) == [200, 200, 200]


def test_anonymous_traffic_never_locks_out_the_valid_keys_of_its_address(db, limits):
    """Only bad keys decide whether keys from an address wait: a busy shared address
    (an office, a proxy) keeps its partners' keys working."""
    limits(anon="2/min")
    key = issue_token(username="partner", write=False)
    anonymous = APIClient(REMOTE_ADDR="192.0.2.24")
    partner = APIClient(REMOTE_ADDR="192.0.2.24", HTTP_AUTHORIZATION=f"Token {key}")

    assert statuses(anonymous, 3) == [200, 200, 429]
    assert statuses(partner, 3) == [200, 200, 200]


def test_bad_tokens_and_anonymous_requests_share_one_budget(db, limits):
    limits(anon="2/min")
    guesser = APIClient(REMOTE_ADDR="192.0.2.23", HTTP_AUTHORIZATION=bad_key("unknown"))
    anonymous = APIClient(REMOTE_ADDR="192.0.2.23")

    assert statuses(guesser, 1) == [401]
    assert statuses(anonymous, 2) == [200, 429]
    assert statuses(guesser, 1) == [429]


def test_a_valid_token_leaves_the_anonymous_budget_alone(db, limits):
    limits(anon="1/min")
    reader = token_client("partner", write=False)

    assert statuses(reader, 3) == [200, 200, 200]
    assert statuses(APIClient(), 1) == [200]


def test_health_probes_are_never_throttled(db, limits):
    limits(anon="1/min")
    client = Client()

    assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
    assert [client.get("/readyz").status_code for _ in range(3)] == [200, 200, 200]


def test_off_lifts_the_limit(db, limits):
    limits()

    assert set(statuses(APIClient(), 5)) == {200}


def test_counting_costs_one_query_per_request_on_the_database_cache(db, limits, settings):
    """The price of a shared counter: one upsert; a client's first request of a window
    also deletes the counters of clients gone quiet. Redis costs no query."""
    settings.API_RESPONSE_CACHE = False  # every answer built: only the counting differs
    limits(anon="100/min")
    client = APIClient()
    per_request = 1 if isinstance(caches["ratelimit"], DatabaseRateCounter) else 0

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/topics/").status_code == 200
        return len(captured)

    first, second = queries(), queries()
    limits()
    unlimited = queries()

    assert (first - unlimited, second - unlimited) == (2 * per_request, per_request)


def test_a_token_request_reads_its_addresss_anonymous_counter_once(db, limits):
    """The price of throttling key guessing: one read of the address's counter, no write."""
    limits(anon="100/min")
    reader = token_client("partner", write=False)
    reader.get("/api/v1/topics/")  # records the token's first use
    per_request = 1 if isinstance(caches["ratelimit"], DatabaseRateCounter) else 0

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reader.get("/api/v1/topics/").status_code == 200
        return len(captured)

    counted = queries()
    limits()

    assert counted - queries() == per_request


def test_a_cached_token_is_counted_and_checked_in_one_query(db, limits):
    """A key in the token cache is known valid: its count and its address's bad-key counter
    share one statement on the database cache (Redis: one round trip, no query)."""
    limits(anon="100/min", read="100/min")
    reader = token_client("partner", write=False)
    reader.get("/api/v1/topics/")  # looks the token up, records its first use
    per_request = 1 if isinstance(caches["ratelimit"], DatabaseRateCounter) else 0

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reader.get("/api/v1/topics/").status_code == 200
        return len(captured)

    counted = queries()
    limits()

    assert counted - queries() == per_request


def test_a_cached_token_still_spends_its_own_budget(db, limits):
    limits(anon="100/min", read="2/min")
    reader = token_client("partner", write=False)

    assert statuses(reader, 3) == [200, 200, 429]
    response = reader.get("/api/v1/topics/")
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_cached_valid_key_waits_once_bad_keys_spent_the_budget(db, limits):
    limits(anon="2/min", read="100/min")
    key = issue_token(username="partner", write=False)
    valid = APIClient(REMOTE_ADDR="192.0.2.25", HTTP_AUTHORIZATION=f"Token {key}")
    guesser = APIClient(REMOTE_ADDR="192.0.2.25", HTTP_AUTHORIZATION=bad_key("unknown"))
    assert statuses(valid, 2) == [200, 200]  # the second from the token cache

    assert statuses(guesser, 3) == [401, 401, 429]

    assert_problem(valid.get("/api/v1/topics/"), 429)
    elsewhere = APIClient(REMOTE_ADDR="192.0.2.26", HTTP_AUTHORIZATION=f"Token {key}")
    assert statuses(elsewhere, 1) == [200]


def test_an_unreachable_redis_lets_requests_through_and_is_logged(db, limits, settings, caplog):
    """Fail open: the counters' outage must not take the API down."""
    limits(anon="1/min")
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "ctht_api.throttling.RedisRateCounter",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        },
    }
    client = APIClient()

    assert statuses(client, 2) == [200, 200]
    assert "Rate-limit counters unreachable" in caplog.text


def test_every_operation_documents_429():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]

    assert operations
    for path, method, operation in operations:
        response = operation["responses"].get("429")
        assert response, f"{method.upper()} {path} does not document 429"
        assert "application/problem+json" in response["content"]


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("120/min", (120, 60)), ("5/s", (5, 1)), ("2/hour", (2, 3600)), ("1/day", (1, 86400))],
)
def test_rates_are_read_as_documented(rate, parsed):
    assert parse_rate(rate) == parsed
    assert parse_rate("off") is parse_rate("") is None


@pytest.mark.parametrize("rate", ["lots", "5/fortnight", "-1/min", "1.5/min", "²/min", "/min"])
def test_a_malformed_rate_is_refused_by_the_one_parser(rate):
    with pytest.raises(ValueError, match="is not a rate"):
        parse_rate(rate)


def test_a_malformed_rate_stops_the_start():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ctht_api.settings",
        "SECRET_KEY": "x",
        "ALLOWED_HOSTS": "testserver",
        "RATE_LIMIT_ANON": "lots",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "RATE_LIMIT_ANON='lots' is not a rate" in result.stderr


# Each worker: set Django up, say it is ready, wait for the word, then send its requests.
WORKER = """
import json, sys, django
django.setup()
from django.test import Client
client = Client(REMOTE_ADDR=sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps([client.get("/api/v1/").status_code for _ in range(int(sys.argv[2]))]))
"""


def run_two_workers(env: dict, limit: int) -> list[list[int]]:
    """Two processes spending the same client's budget at once; each returns its statuses."""
    ip = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"  # one client, new each run
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ctht_api.settings",
        "SECRET_KEY": "rate-limit-test",
        "ALLOWED_HOSTS": "testserver",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",  # the test client speaks plain HTTP
        "LOG_LEVEL": "WARNING",
        # A day's budget: the window will not end while the two are counting.
        "RATE_LIMIT_ANON": f"{limit}/day",
        **env,
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, ip, str(limit)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        line = worker.stdout.readline()
        assert line.strip() == "ready", worker.communicate()[1]
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def assert_one_shared_budget(results: list[list[int]], limit: int) -> None:
    statuses = [status for result in results for status in result]
    assert set(statuses) == {200, 429}
    assert statuses.count(200) == limit  # not twice the limit: one counter for both processes


def database_url_for_workers(tmp_path: Path) -> str:
    """The test database on PostgreSQL; on SQLite (an in-memory test database) a file."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{quote(db['USER'], safe='')}{password}@{host}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'workers.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x", "ALLOWED_HOSTS": "x"}
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    return url


def test_two_processes_share_one_counter_in_the_database_cache(
    django_db_setup, django_db_blocker, tmp_path
):
    limit = 30
    url = database_url_for_workers(tmp_path)

    results = run_two_workers({"DATABASE_URL": url, "REDIS_URL": ""}, limit)

    assert_one_shared_budget(results, limit)
    with django_db_blocker.unblock():
        caches["ratelimit"].clear()  # the workers committed their counters


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_bad_tokens_are_throttled_on_redis_too(db, limits, settings):
    limits(anon="2/min")
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "ctht_api.throttling.RedisRateCounter",
            "LOCATION": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"test-{random.randrange(10**9)}",  # counters outlive the test
        },
    }
    key = issue_token(username="partner", write=False)
    guesser = APIClient(REMOTE_ADDR="192.0.2.24", HTTP_AUTHORIZATION=bad_key("unknown"))
    valid = APIClient(REMOTE_ADDR="192.0.2.24", HTTP_AUTHORIZATION=f"Token {key}")

    assert statuses(valid, 1) == [200]
    assert statuses(guesser, 3) == [401, 401, 429]
    assert statuses(valid, 1) == [429]


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_a_cached_valid_key_waits_on_redis_too(db, limits, settings):
    limits(anon="2/min", read="100/min")
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "ctht_api.throttling.RedisRateCounter",
            "LOCATION": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"test-{random.randrange(10**9)}",  # counters outlive the test
        },
    }
    key = issue_token(username="partner", write=False)
    guesser = APIClient(REMOTE_ADDR="192.0.2.27", HTTP_AUTHORIZATION=bad_key("unknown"))
    valid = APIClient(REMOTE_ADDR="192.0.2.27", HTTP_AUTHORIZATION=f"Token {key}")

    assert statuses(valid, 2) == [200, 200]
    assert statuses(guesser, 3) == [401, 401, 429]
    assert statuses(valid, 1) == [429]


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_two_processes_share_one_counter_in_redis(tmp_path):
    limit = 30
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    env = {"REDIS_URL": redis_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}

    results = run_two_workers(env, limit)

    assert_one_shared_budget(results, limit)
