"""Where an API request's time goes, by layer: run by bench/run.py in-process on a bench database.

For each statement endpoint of the API (cold: API_RESPONSE_CACHE=off, no Redis; or,
for the warm runs, the environment with the cache on, in Redis, where every profiled
request is a repeat of the first), a
few unprofiled requests first (connection, caches, compiled patterns), then up to N
requests (`requests`, fewer when `seconds` runs out, at least 10) through Django's
WSGI handler — what gunicorn calls, with the whole middleware stack, anonymous, no
test client — under cProfile (its default clock: a CPU-time clock costs a system
call per function call and inflated the run six-fold, against two-fold). Then up to
10 requests without the profiler give the real time (wall) and worker CPU per
request; the layers split that time in the profile's proportions. cProfile's cost is
per function call, so call-heavy layers (SQL compilation, ORM) weigh a little more in
the shares than C-heavy ones (the driver, orjson): read them as where the time goes,
to within that. The *database* layer is the driver's calls including the wait for
PostgreSQL's answer; PostgreSQL's own CPU per request (the backend serving the
connection, `/proc/<pid>/stat`) is given beside.

**Attribution.** Each function's own time (cProfile's `tottime`) goes to the layer
of the innermost frame whose module path matches a rule of `LAYERS` (first rule
that matches the file wins): the function itself when its file matches; otherwise
its callers, in proportion to the time spent under each (cProfile's per-caller
cumulative time), and so on up the call graph until a matching frame is found
(cycles and the top of the stack: *other*). A builtin (`list.append`, `orjson.dumps`,
psycopg's C `execute`) thus counts for whoever called it. Per-caller shares are one
level of the graph, so a generic function called from several layers is split by
its overall callers' shares, not per stack: an approximation.

The layers: *response cache* (the public answers' cache: its key, the Redis read; the
record's version it reads is the *database*'s), *middleware*,
*authentication/permissions/throttling*, *filtering*
(django-filter and the app's filter sets and search), *SQL compilation* (building
and compiling the query: django/db/models/sql, expressions, lookups), *ORM* (querysets
and model instances), *database* (the driver: django/db/backends, psycopg, including
the wait for the answer), *serialisation*, *rendering*, *view* (DRF's dispatch,
negotiation, pagination, the viewsets), *Django handler* (request, URL resolving,
response), *other*.

Reads `{"paths": {name: path}, "requests": N, "seconds": S}` on stdin, writes JSON.
"""

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where this module would
# shadow the standard library's `profile`, which cProfile imports.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP = 3
UNPROFILED = 10

# (layer, fragments of a module's path): the first rule one fragment of which is in
# the file's path (with "/" separators) gives the function's layer.
LAYERS = (
    ("database", ("/psycopg/", "/psycopg_c/", "/psycopg_binary/", "/django/db/backends/")),
    (
        "SQL compilation",
        (
            "/django/db/models/sql/",
            "/django/db/models/expressions.py",
            "/django/db/models/lookups.py",
            "/django/db/models/functions/",
            "/django/db/models/aggregates.py",
            "/django/db/models/query_utils.py",
            "/django/contrib/postgres/search.py",
        ),
    ),
    ("ORM (querysets, model instances)", ("/django/db/models/",)),
    (
        # The warm path's own work: the cached answer's key, the Redis read, the headers.
        "response cache (key, Redis)",
        ("/ctht_api/public_cache.py", "/ctht_api/redis_cache.py", "/redis/", "/django/core/cache/"),
    ),
    (
        "middleware",
        (
            "/django/middleware/",
            "/middleware.py",
            "/django/utils/deprecation.py",  # MiddlewareMixin.__call__: the chain itself
            "/ctht_api/errors.py",
        ),
    ),
    (
        "authentication, permissions, throttling",
        (
            "/rest_framework/authentication.py",
            "/rest_framework/permissions.py",
            "/rest_framework/throttling.py",
            "/django/contrib/auth/",
            "/django/contrib/sessions/",
            "/accounts/",
            "/permissions.py",
            "/throttling.py",
        ),
    ),
    (
        "filtering",
        (
            "/django_filters/",
            "/rest_framework/filters.py",
            "/filters.py",
            "/ctht_api/params.py",
            "/ctht_api/search.py",
        ),
    ),
    (
        "serialisation",
        (
            "/rest_framework/serializers.py",
            "/rest_framework/fields.py",
            "/rest_framework/relations.py",
            "/rest_framework/utils/serializer_helpers.py",
            "/serializers.py",
        ),
    ),
    (
        "rendering",
        (
            "/rest_framework/renderers.py",
            "/rest_framework/utils/encoders.py",
            "/drf_orjson_renderer/",
            "/renderers.py",
            "/json/",
        ),
    ),
    (
        "view (DRF dispatch, negotiation, pagination)",
        ("/rest_framework/", "/viewsets.py", "/views.py", "/pagination.py"),
    ),
    (
        "Django handler (request, URLs, response)",
        ("/django/core/handlers/", "/django/urls/", "/django/http/"),
    ),
)
OTHER = "other"
ORDER = [name for name, _ in LAYERS] + [OTHER]


def layer_of(filename: str) -> str | None:
    path = filename.replace(os.sep, "/")
    for name, fragments in LAYERS:
        if any(fragment in path for fragment in fragments):
            return name
    return None


def attribute(stats: dict) -> dict[str, float]:
    """Seconds per layer from pstats' raw table {func: (cc, nc, tt, ct, callers)}:
    each function's own time to the innermost matching frame (see the module doc)."""
    shares: dict = {}

    def share(func, path: frozenset) -> dict[str, float]:
        if func in shares:
            return shares[func]
        own = layer_of(func[0])
        if own is not None:
            shares[func] = {own: 1.0}
            return shares[func]
        callers = stats.get(func, (0, 0, 0, 0, {}))[4]
        weights = {c: edge[3] for c, edge in callers.items() if c not in path and c in stats}
        total = sum(weights.values())
        if not total:
            result = {OTHER: 1.0}
        else:
            result: dict[str, float] = {}
            for caller, weight in weights.items():
                for layer, part in share(caller, path | {func}).items():
                    result[layer] = result.get(layer, 0) + part * weight / total
        if not path:  # a share computed inside a cycle depends on the path: not kept
            shares[func] = result
        return result

    totals = dict.fromkeys(ORDER, 0.0)
    for func, (_cc, _nc, tt, _ct, _callers) in stats.items():
        for layer, part in share(func, frozenset()).items():
            totals[layer] += tt * part
    return totals


def backend_ticks(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def profile_path(handler: WSGIHandler, path: str, requests: int, seconds: float) -> dict:
    split = urlsplit(path)
    environ = RequestFactory()._base_environ(
        PATH_INFO=split.path, QUERY_STRING=split.query, REQUEST_METHOD="GET"
    )

    def one() -> None:
        statuses = []
        body = handler(
            dict(environ, **{"wsgi.input": io.BytesIO()}), lambda s, h: statuses.append(s)
        )
        b"".join(body)
        body.close()
        if not statuses[0].startswith("200"):
            raise SystemExit(f"profile: {path} answered {statuses[0]}")

    for _ in range(WARM_UP):
        one()
    pid = backend_pid()
    ticks = backend_ticks(pid)
    profiler = cProfile.Profile()
    done = 0
    deadline = time.monotonic() + seconds
    while done < requests and (done < 10 or time.monotonic() < deadline):
        profiler.enable()
        one()
        profiler.disable()
        done += 1
    after = backend_ticks(pid)
    same_backend = backend_pid() == pid
    plain = min(UNPROFILED, done)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(plain):
        one()
    cpu_ms = (time.process_time() - cpu) / plain * 1000
    wall_ms = (time.perf_counter() - wall) / plain * 1000
    totals = attribute(pstats.Stats(profiler).stats)
    profiled = sum(totals.values())
    shares = {layer: totals[layer] / profiled if profiled else 0 for layer in ORDER}
    return {
        "path": path,
        "requests": done,
        "wall_ms": round(wall_ms, 3),
        "cpu_ms": round(cpu_ms, 3),
        "profiled_ms": round(profiled / done * 1000, 3),
        "layers_share": {layer: round(share, 4) for layer, share in shares.items()},
        # The request's unprofiled time, split in the profile's proportions.
        "layers_ms": {layer: round(share * wall_ms, 3) for layer, share in shares.items()},
        "postgres_cpu_ms": round((after - ticks) / CLOCK_TICKS / done * 1000, 3)
        if ticks is not None and after is not None and same_backend
        else None,
    }


def main() -> None:
    request = json.load(sys.stdin)
    handler = WSGIHandler()
    result = {
        name: profile_path(handler, path, request["requests"], request["seconds"])
        for name, path in request["paths"].items()
    }
    json.dump({"layers": ORDER, "endpoints": result}, sys.stdout)


if __name__ == "__main__":
    main()
