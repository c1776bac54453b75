"""The hot statement queries can be answered from indexes (PostgreSQL plans).

Checked on a small generated record with sequential scans disabled: if a plan
still scans the statement table or a join table sequentially, no index can
serve the query. SQLite's `q` is a LIKE over the stored document (documented
as unindexed), so these plans are PostgreSQL's; the country filter's plan is
checked on both backends.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.generate import RARE_WORD, generate
from events.models import Statement

pytestmark = pytest.mark.django_db

TABLES = ("events_statement", "events_statement_countries", "events_statement_topics")


@pytest.fixture
def record():
    generate(statements=3000, seed=3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# What the plans of a large record look like, on a few thousand rows: no sequential scan
# (a small table is read whole more cheaply than through an index).
LARGE_RECORD = ("SET LOCAL enable_seqscan = off",)
# And, for a few ids found by index (`pk IN (...)` of the per-branch UNIONs), lookups by
# primary key: on a fresh table of 3,000 statements, a hash join against every published
# row costs less than 150 lookups, so the planner took it when a test ran first on its
# table, and the lookups after earlier tests had left dead rows (the plan followed test
# order). At 100,000 statements (the bench database) it takes the lookups by itself.
LARGE_RECORD_LOOKUPS = (
    *LARGE_RECORD,
    "SET LOCAL enable_hashjoin = off",
    "SET LOCAL enable_mergejoin = off",
)


def plans_of(
    client, params: dict, path: str = "/api/v1/statements/", planner: tuple = LARGE_RECORD
) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    plans = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for setting in planner:
                cursor.execute(setting)
        for query in queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or "events_statement" not in sql:
                continue
            prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            cursor.execute(prefix + sql)
            plans.append("\n".join(" ".join(map(str, row)) for row in cursor.fetchall()))
    return plans


def sequential_scans(plan: str) -> list[str]:
    table = re.compile(rf"\b({'|'.join(TABLES)})\b")
    lines = [line for line in plan.splitlines() if table.search(line)]
    if connection.vendor == "postgresql":
        return [line for line in lines if "Seq Scan" in line]
    return [line for line in lines if "SCAN" in line and "USING" not in line]


@pytest.mark.parametrize(
    "params",
    [
        {"country": "RS"},
        {"country": "RS,BA", "page_size": 500},
        {"country": "RS", "topic": "digital-evidence", "date_after": "2020-01-01"},
    ],
    ids=["country", "countries-500", "country-topic-date"],
)
def test_country_filter_uses_indexes(client, record, params):
    plans = plans_of(client, params)
    assert plans
    for plan in plans:
        assert not sequential_scans(plan), plan


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's q is an unindexed LIKE (README)"
)
def test_rare_word_search_uses_the_gin_index(client, record):
    plans = plans_of(client, {"q": RARE_WORD})
    assert any("statement_search_gin" in plan for plan in plans), plans
    for plan in plans:
        assert not sequential_scans(plan), plan


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's q is an unindexed LIKE (README)"
)
def test_common_word_search_scans_no_table(client, record):
    # For a word in most rows the planner may rather walk the date index and
    # stop after one page; either way no table is read in full.
    for plan in plans_of(client, {"q": "trafficking"}):
        assert not sequential_scans(plan), plan


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's q is an unindexed LIKE (README)"
)
def test_the_admin_search_for_a_slashed_token_uses_the_gin_index(admin_client, record):
    # "osce/odihr" is searched as one lexeme or as its two words, either way indexed.
    plans = plans_of(
        admin_client, {"q": f"osce/odihr {RARE_WORD[:-1]}"}, "/admin/events/statement/"
    )
    assert any("statement_search_gin" in plan for plan in plans), plans


SELECTIVE = re.compile(r"\b(id|updated_at|publish_at|event_id|statement_id)\b")


def unbounded_scans(plan: str) -> list[str]:
    """Scans of a statement table with no selective index condition: a sequential scan,
    a walk of a whole index filtering every row, or a bitmap of every published row
    (what `enable_seqscan = off` leaves of a sequential scan)."""
    table = re.compile(rf"\bon ({'|'.join(TABLES)})\b")
    lines = plan.splitlines()
    found = []
    for at, line in enumerate(lines):
        if "Scan" not in line or not table.search(line):
            continue
        depth = len(line) - len(line.lstrip(" ->"))
        details = []
        for below in lines[at + 1 :]:
            if below.lstrip().startswith("->") or len(below) - len(below.lstrip()) <= depth:
                break
            details.append(below)
        if not any(SELECTIVE.search(d) for d in details if "Cond:" in d):
            found.append(line)
    return found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_updated_since_for_the_public_uses_an_index_per_branch(client, record):
    # Changed, or appeared since (an embargo of the statement or of its event ended):
    # an OR across the event's LEFT JOIN would read every statement.
    moment = timezone.now().isoformat()  # after the record was made: few rows match
    plans = plans_of(client, {"updated_since": moment}, planner=LARGE_RECORD_LOOKUPS)
    assert plans
    for plan in plans:
        assert not unbounded_scans(plan), plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_feeds_ended_embargoes_use_an_index_per_branch(record):
    # Run under the feed writers' lock (changes/feed.py): it must not read every statement.
    now = timezone.now()
    ended = Statement.objects.embargo_ended(now - datetime.timedelta(minutes=5), now)
    with connection.cursor() as cursor:
        for setting in LARGE_RECORD_LOOKUPS:
            cursor.execute(setting)
        plan = ended.order_by().values("pk").explain()
    assert not unbounded_scans(plan), plan
