"""The write cost of the change feed's fan-out, run by bench/run.py as a subprocess.

Renaming an institution changes every entry that shows it in brief form: the feed
replaces their rows (changes/feed.py: one `DELETE` and one `INSERT … SELECT` per
relation that embeds it). With Django set up on the bench database, this renames
the institution quoted by the most statements, in a changeset as an API write
does (history, version, feed rows), `--repeat` times, each inside a transaction
that is rolled back: the database is left as it was (less a few sequence
numbers), so reruns measure the same thing. The commit itself is not timed.

Reads `{"repeat": n}` on stdin, writes a JSON document on stdout: N (statements
showing the institution), feed rows written, the write's milliseconds (median and
each), the feed statements' share of it and their SQL and EXPLAIN.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from changes.models import Change  # noqa: E402
from ctht_api.audit import changeset  # noqa: E402
from people.models import Institution  # noqa: E402

FEED_TABLE = Change._meta.db_table


class Rollback(Exception):
    pass


def rename_once(pk: int) -> dict:
    """Rename the institution in a changeset; time it; count the feed rows; roll back."""
    result: dict = {}
    try:
        with transaction.atomic():
            before = Change.objects.aggregate(top=Max("seq"))["top"] or 0
            institution = Institution.objects.get(pk=pk)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                with changeset(reason="bench: rename"):
                    institution.name = f"{institution.name} (renamed)"
                    institution.save()
                result["ms"] = (time.perf_counter() - started) * 1000
            feed = [q for q in captured.captured_queries if FEED_TABLE in q["sql"]]
            result.update(
                queries=len(captured.captured_queries),
                feed_queries=len(feed),
                feed_ms=sum(float(q["time"]) for q in feed) * 1000,
                feed_rows=Change.objects.filter(seq__gt=before).count(),
                feed_sql=[q["sql"] for q in feed],
            )
            raise Rollback
    except Rollback:
        pass
    return result


def main() -> None:
    request = json.load(sys.stdin)
    top = (
        Institution.objects.annotate(n=Count("statements"))
        .order_by("-n", "id")
        .values("id", "n")
        .first()
    )
    runs = [rename_once(top["id"]) for _ in range(int(request.get("repeat", 3)))]
    plans = []
    with connection.cursor() as cursor:
        for sql in runs[-1]["feed_sql"]:
            if sql.lstrip().upper().startswith(("INSERT", "DELETE")):
                cursor.execute("EXPLAIN " + sql)
                plans.append({"sql": sql, "plan": "\n".join(r[0] for r in cursor.fetchall())})
    json.dump(
        {
            "institution_id": top["id"],
            "statements": top["n"],
            "feed_rows": runs[-1]["feed_rows"],
            "queries": runs[-1]["queries"],
            "feed_queries": runs[-1]["feed_queries"],
            "ms": statistics.median(r["ms"] for r in runs),
            "feed_ms": statistics.median(r["feed_ms"] for r in runs),
            "runs_ms": [round(r["ms"], 1) for r in runs],
            "repeat": len(runs),
            "plans": plans,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
