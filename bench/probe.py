"""In-process look at one benchmark database, run by bench/run.py as a subprocess.

With Django set up on the bench database (DATABASE_URL, bench.settings), it
1. picks what the endpoints need: the detail statement (the visible one in the
   middle by id) and the deep-page cursor (the visible row at 90% of the
   default `-date` order, encoded as ctht_api.pagination.KeysetPagination does);
2. computes each endpoint's expected number of rows;
3. requests every API and baseline URL once through Django's test Client inside
   `CaptureQueriesContext`, and `EXPLAIN`s (without ANALYZE) every SELECT it ran,
   noting each `Seq Scan` and whether one is on the large tables. The stats
   endpoint of the API is requested twice: the first answer fills the cache (its
   queries are the ones explained), the second shows what a cached answer costs
   (its queries are counted: 0 when the cache works).

Reads a JSON document on stdin (`{"endpoints": …, "deep_fraction": …}`), writes one on stdout.
"""

import base64
import json
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench import baseline  # noqa: E402
from changes.models import Change, FeedState  # noqa: E402
from events.models import Event, Statement, StatementTranslation, Topic  # noqa: E402
from people.models import (  # noqa: E402
    Institution,
    InstitutionOtherName,
    Person,
    PersonOtherName,
)

# A sequential scan of these is what the benchmark must not see: they grow with the record.
LARGE_TABLES = (
    "events_statement",
    "events_statement_countries",
    "events_statement_topics",
    "events_statementtranslation",
)
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def cursor_token(key, pk: int) -> str:
    """The `cursor` ctht_api.pagination.KeysetPagination.link puts in a `next` link."""
    token = json.dumps({"k": key.isoformat(), "i": pk, "r": False}, separators=(",", ":"))
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def explain(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scans = sorted(set(SEQ_SCAN.findall(plan)))
    return {
        "sql": sql,
        "plan": plan,
        "seq_scans": scans,
        "large_seq_scans": [t for t in scans if t in LARGE_TABLES],
    }


def run_captured(client: Client, path: str) -> tuple[int, object, list[str], float]:
    """Status, JSON body, the SQL run and the milliseconds the request took (in-process)."""
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    milliseconds = (time.perf_counter() - started) * 1000
    body = json.loads(response.content) if response.status_code == 200 else None
    queries = [q["sql"] for q in captured.captured_queries]
    return response.status_code, body, queries, milliseconds


def missing(path: str, status: int) -> str:
    """What to do when the API lacks an endpoint the harness measures (404)."""
    return (
        f"probe: {path} answered {status}: this checkout has no such endpoint. Merge the "
        "branch that adds it, or leave it out (bench/run.py --endpoints …)"
    )


def rows_of(body) -> int:
    if isinstance(body, dict) and "results" in body:
        return len(body["results"])
    return 1 if isinstance(body, dict) and "id" in body else 0


def main() -> None:
    request = json.load(sys.stdin)
    endpoints = request["endpoints"]
    visible = baseline.visible()
    n_visible = visible.count()
    if n_visible == 0:
        raise SystemExit("probe: no published statement in the database")

    middle = visible.order_by("id").values_list("id", flat=True)[n_visible // 2]
    position = min(int(n_visible * request["deep_fraction"]), n_visible - 1)
    key, pk = (
        visible.annotate(_key=baseline.SORT_KEY)
        .order_by("-_key", "-id")
        .values_list("_key", "id")[position]
    )
    chosen = {
        "detail_id": middle,
        "deep_position": position,
        "deep_key": key.isoformat(),
        "deep_id": pk,
        "deep_cursor": cursor_token(key, pk),
    }
    feed_rows = Change.objects.count()
    if any(spec["kind"] == "feed" for spec in endpoints.values()):
        if feed_rows == 0:
            raise SystemExit(
                "probe: the change feed is empty (a database generated before it existed?): "
                "rerun with --fresh"
            )
        # The feed's middle row by position: a mirror halfway through its first sync.
        seq = Change.objects.order_by("seq").values_list("seq", flat=True)[feed_rows // 2]
        chosen.update(feed_middle_seq=seq, feed_middle_cursor=f"{FeedState.current().epoch}-{seq}")

    client = Client()
    result = {
        "chosen": chosen,
        "corpus": {
            "statements": Statement.objects.count(),
            "visible_statements": n_visible,
            "translations": StatementTranslation.objects.count(),
            "events": Event.objects.count(),
            "people": Person.objects.count(),
            "institutions": Institution.objects.count(),
            # Names in the other script (generate_data): what the folded `q` also matches.
            "person_other_names": PersonOtherName.objects.count(),
            "institution_other_names": InstitutionOtherName.objects.count(),
            "topics": Topic.objects.count(),
            "countries_with_statements": Statement.countries.through.objects.values("country_id")
            .distinct()
            .count(),
            "change_feed_rows": feed_rows,
        },
        "endpoints": {},
    }
    for name, spec in endpoints.items():
        params = dict(spec.get("params", {}))
        if spec["kind"] == "deep":
            params["cursor"] = chosen["deep_cursor"]
        if spec["kind"] == "feed" and spec.get("from") == "middle":
            params["since"] = chosen["feed_middle_cursor"]
        query = f"?{urlencode(params)}" if params else ""
        if spec["kind"] == "detail":
            api_path = f"/api/v1/statements/{middle}/"
            base_path = f"/baseline/statements/{middle}/"
            expected = 1
        elif spec["kind"] == "countries":
            api_path, base_path = "/api/v1/countries/" + query, "/baseline/countries/" + query
            expected = min(50, baseline.countries_queryset().count())
        elif spec["kind"] == "feed":
            api_path, base_path = "/api/v1/changes/" + query, "/baseline/changes/" + query
            after = Change.objects.all()
            if spec.get("from") == "middle":
                after = after.filter(seq__gt=chosen["feed_middle_seq"])
            expected = min(int(params.get("page_size", 50)), after.count())
        elif spec["kind"] == "stats":
            api_path = "/api/v1/stats/statements/" + query
            base_path = "/baseline/stats/statements/" + query
            expected = len(baseline.stats_rows(params)[1])
            expected_total = baseline.filtered_queryset(params).count()
        else:
            api_path = "/api/v1/statements/" + query
            base_path = "/baseline/statements/" + query
            matching = baseline.page_queryset(params).count()
            expected = min(int(params.get("page_size", 50)), matching)
            if expected == 0:
                raise SystemExit(f"probe: endpoint {name} ({api_path}) matches no statement")

        entry = {"api_path": api_path, "baseline_path": base_path, "expected_rows": expected}
        if spec["kind"] == "stats":
            entry["expected_total"] = expected_total
        for side, path in (("api", api_path), ("baseline", base_path)):
            status, body, queries, milliseconds = run_captured(client, path)
            if status == 404 and side == "api":
                raise SystemExit(missing(path, status))
            if status != 200 or rows_of(body) != expected:
                raise SystemExit(
                    f"probe: {path} answered {status} with {rows_of(body)} rows; "
                    f"expected 200 with {expected}"
                )
            if spec["kind"] == "stats" and body.get("total") != expected_total:
                raise SystemExit(
                    f"probe: {path} answered total {body.get('total')}; expected "
                    f"{expected_total} (the distinct visible statements)"
                )
            plans = [explain(sql) for sql in queries if sql.lstrip().upper().startswith("SELECT")]
            entry[side] = {
                "queries": len(queries),
                "plans": plans,
                "index_ok": not any(p["large_seq_scans"] for p in plans),
                "first_ms": round(milliseconds, 1),
            }
            if spec["kind"] == "stats" and side == "api":
                # Again: the API answers from its cache (the baseline would count again).
                _, _, queries, milliseconds = run_captured(client, path)
                entry[side].update(again_queries=len(queries), again_ms=round(milliseconds, 1))
        result["endpoints"][name] = entry
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
