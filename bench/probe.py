"""In-process look at one benchmark database, run by bench/run.py as a subprocess.

With Django set up on the bench database (DATABASE_URL, bench.settings), it
1. picks what the endpoints need: the detail statement (the visible one in the
   middle by id) and the deep-page cursor (the visible row at 90% of the
   default `-date` order, encoded as ctht_api.pagination.KeysetPagination does);
2. computes each endpoint's expected number of rows;
3. requests every API, baseline and (for the statement endpoints) plain-DRF peer URL
   once through Django's test Client inside `CaptureQueriesContext`, checks that each
   answers the expected statements — the same ids in the same order as the baseline's
   page query; the peer's deep page is the page number holding the row at 90%, whose
   ids are those of that page of the same order, and its `count` the matching rows —
   and `EXPLAIN`s (without ANALYZE) every SELECT it ran, noting each `Seq Scan` and
   whether one is on the large tables. The stats endpoint of the API is requested
   twice: the first answer fills the cache (its queries are the ones explained), the
   second shows what a cached answer costs (its queries are counted: 0 when the
   cache works).

Reads a JSON document on stdin (`{"endpoints": …, "deep_fraction": …}`), writes one on stdout.

With `{"warm": [path, …]}` instead, it requests each path twice (the server's
environment: API_RESPONSE_CACHE=on, REDIS_URL set) and reports the queries, time and
caching headers of both answers: a second answer that runs as many queries as the
first was not served from a response cache.
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
PAGE_SIZE = 50
# The endpoints the plain-DRF peer (bench/peer.py) serves too.
PEER_KINDS = ("detail", "list", "deep")


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


def ids_of(body) -> list:
    if isinstance(body, dict) and "results" in body:
        return [row.get("id") for row in body["results"]]
    return [body.get("id")] if isinstance(body, dict) else []


# Response headers that tell whether and how an answer was cached.
CACHE_HEADERS = ("etag", "cache-control", "age", "x-cache", "vary", "last-modified")


def warm(paths: list[str]) -> dict:
    """Each path requested twice: does the second answer come from a response cache?"""
    client = Client()
    result = {}
    for path in paths:
        answers = []
        for _ in range(2):
            status, _body, queries, milliseconds = run_captured(client, path)
            answers.append(
                {"status": status, "queries": len(queries), "ms": round(milliseconds, 1)}
            )
        response = client.get(path)
        answers[-1]["headers"] = {
            name: response.headers[name] for name in CACHE_HEADERS if name in response.headers
        }
        result[path] = {
            "first": answers[0],
            "second": answers[1],
            "cached": answers[1]["queries"] < answers[0]["queries"],
        }
    return result


def main() -> None:
    request = json.load(sys.stdin)
    if "warm" in request:
        json.dump({"warm": warm(request["warm"])}, sys.stdout)
        return
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
        # The peer's page-number pagination has no cursor: the page that holds that row.
        "deep_peer_page": position // PAGE_SIZE + 1,
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
        expected_ids = peer_ids = peer_path = None
        if spec["kind"] == "detail":
            api_path = f"/api/v1/statements/{middle}/"
            base_path = f"/baseline/statements/{middle}/"
            peer_path = f"/peer/statements/{middle}/"
            expected = 1
            expected_ids = peer_ids = [middle]
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
            size = int(params.get("page_size", PAGE_SIZE))
            expected = min(size, matching)
            if expected == 0:
                raise SystemExit(f"probe: endpoint {name} ({api_path}) matches no statement")
            ordered = baseline.page_queryset(params).values_list("id", flat=True)
            expected_ids = list(ordered[:size])
            unpaged = {k: v for k, v in params.items() if k != "cursor"}
            peer_params = {**unpaged}
            peer_ids = expected_ids
            if spec["kind"] == "deep":
                page = chosen["deep_peer_page"]
                peer_params["page"] = str(page)
                everything = baseline.page_queryset(unpaged).values_list("id", flat=True)
                peer_ids = list(everything[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
                if chosen["deep_id"] not in peer_ids:
                    raise SystemExit(f"probe: page {page} does not hold the row at 90%")
            peer_path = "/peer/statements/" + (f"?{urlencode(peer_params)}" if peer_params else "")
            peer_count = baseline.page_queryset(unpaged).count()

        entry = {"api_path": api_path, "baseline_path": base_path, "expected_rows": expected}
        sides = [("api", api_path, expected_ids), ("baseline", base_path, expected_ids)]
        if spec["kind"] in PEER_KINDS:
            entry.update(peer_path=peer_path, peer_expected_rows=len(peer_ids))
            sides.append(("peer", peer_path, peer_ids))
        if spec["kind"] == "stats":
            entry["expected_total"] = expected_total
        for side, path, wanted in sides:
            status, body, queries, milliseconds = run_captured(client, path)
            if status == 404 and side == "api":
                raise SystemExit(missing(path, status))
            rows = len(wanted) if wanted is not None else expected
            if status != 200 or rows_of(body) != rows:
                raise SystemExit(
                    f"probe: {path} answered {status} with {rows_of(body)} rows; "
                    f"expected 200 with {rows}"
                )
            if wanted is not None and ids_of(body) != wanted:
                raise SystemExit(
                    f"probe: {path} answered statements {ids_of(body)[:10]}…; expected "
                    f"{wanted[:10]}… (the same rows in the same order as the baseline's query)"
                )
            if side == "peer" and spec["kind"] != "detail" and body.get("count") != peer_count:
                raise SystemExit(
                    f"probe: {path} counted {body.get('count')} statements; {peer_count} match"
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
