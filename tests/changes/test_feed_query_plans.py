"""A feed page is an index range scan from the cursor (PostgreSQL plans).

Checked on the generated record tests/test_query_plans.py uses (3,000
statements and what they need: about 3,150 feed rows), analysed, with the
planner's default settings: unlike the statement plans, sequential scans are
*not* disabled here, because a page must be served from an index on its own
merits (a scan from the cursor that stops after `page_size + 1` rows), not
because the alternatives were forbidden.

The query is taken from what the view runs (captured from a real request),
so it cannot drift from the code.

- Without `resource` (every resource) or with a common one (`statements`):
  the primary key, from the cursor, in order; no Sort.
- With several resources (`statements,events`, `topics,events`): one range
  scan per resource (of `change_resource_seq`, or of the primary key with a
  filter for a resource most rows belong to), each stopping after
  `page_size + 1` rows (a `UNION ALL`, changes/views.py `page_of_changes`), and
  a Sort of at most that many rows per resource, never of the table; rows of
  other resources between the cursor and the page are not read.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from changes.models import Change, FeedState
from events.generate import generate

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL plans; SQLite has one writer and no planner choices worth pinning",
    ),
]


@pytest.fixture
def record():
    generate(statements=3000, seed=3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def feed_plan(params: dict) -> str:
    """The plan of the feed query the view ran for `params`."""
    with CaptureQueriesContext(connection) as queries:
        response = APIClient().get("/api/v1/changes/", params)
    assert response.status_code == 200, response.content
    # The page (not the MAX(seq) a read from the beginning takes first, for its floor).
    [sql] = [
        q["sql"]
        for q in queries
        if re.search(r'FROM "changes_change"', q["sql"]) and "MAX(" not in q["sql"]
    ]
    assert "ORDER BY" in sql and "LIMIT" in sql, sql
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def middle_cursor() -> str:
    seqs = list(Change.objects.order_by("seq").values_list("seq", flat=True))
    return f"{FeedState.current().epoch}-{seqs[len(seqs) // 2]}"


@pytest.mark.parametrize("resource", [None, "statements"])
@pytest.mark.parametrize("start", ["beginning", "middle"])
def test_a_page_is_an_index_range_scan_in_feed_order(record, resource, start):
    params = {"page_size": 50}
    if resource:
        params["resource"] = resource
    if start == "middle":
        params["since"] = middle_cursor()

    plan = feed_plan(params)

    assert "Seq Scan" not in plan, plan
    assert "Sort" not in plan, plan
    assert plan.splitlines()[0].startswith("Limit"), plan
    assert re.search(r"Index (Only )?Scan using (changes_change_pkey|change_resource_seq)", plan)
    assert "(actual rows=51 loops=1)" in plan.splitlines()[0], plan  # page_size + 1: stops


@pytest.mark.parametrize("resource", ["statements,events", "topics,events"])
@pytest.mark.parametrize("start", ["beginning", "middle"])
def test_several_resources_are_one_range_scan_each(record, resource, start):
    params = {"page_size": 50, "resource": resource}
    if start == "middle":
        params["since"] = middle_cursor()

    plan = feed_plan(params)

    assert "Seq Scan" not in plan, plan
    scans = re.findall(r"Index (?:Only )?Scan using (\w+)", plan)
    # Per resource: its index, or (for a resource most rows belong to) the primary key
    # from the cursor with a filter; either stops after page_size + 1 rows.
    assert len(scans) == len(resource.split(",")), plan
    # (or, for a rare resource, the unique index that begins with `resource`, its rows
    # then sorted: a few dozen here, never the feed)
    assert set(scans) <= {"change_resource_seq", "changes_change_pkey", "change_one_per_entry"}
    assert len(re.findall(r"->  Limit", plan)) >= len(scans), plan  # each scan stops early
    requested = Change.objects.filter(resource__in=resource.split(",")).count()
    for rows in re.findall(r"Sort \(actual rows=(\d+)", plan):
        assert int(rows) <= max(len(scans) * 51, requested), plan
    assert int(re.search(r"rows=(\d+)", plan.splitlines()[0])[1]) <= 51, plan


def test_pruning_reads_only_the_tombstones(record):
    """`prune_changes` finds old deletions through the partial index, not the live rows."""
    sql, params = (
        Change.objects.filter(deleted=True, at__lt="2026-01-01T00:00:00Z")
        .order_by()
        .values("seq")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "change_tombstone_at" in plan, plan
    assert "Seq Scan" not in plan, plan
