"""The benchmark's profile (bench/profile.py) gives each function's time to the innermost
frame whose module path names a layer."""

import pytest

from bench.profile import OTHER, attribute, layer_of


def function(path: str, name: str = "f") -> tuple:
    return (path, 1, name)


def test_profile_counts_a_builtin_for_the_layer_that_called_it():
    driver = function("/venv/site-packages/psycopg/cursor.py", "execute")
    builtin = ("~", 0, "<method 'execute' of 'psycopg_c.Cursor'>")
    serializer = function("/venv/site-packages/rest_framework/serializers.py", "data")
    helper = function("/usr/lib/python3.11/copy.py", "deepcopy")  # no layer of its own
    root = function("/work/bench/profile.py", "one")
    stats = {
        # func: (cc, nc, tottime, cumtime, {caller: (cc, nc, tottime, cumtime)})
        root: (1, 1, 0.5, 10.0, {}),
        driver: (1, 1, 1.0, 4.0, {root: (1, 1, 1.0, 4.0)}),
        builtin: (1, 1, 3.0, 3.0, {driver: (1, 1, 3.0, 3.0)}),
        serializer: (1, 1, 2.0, 5.5, {root: (1, 1, 2.0, 5.5)}),
        # deepcopy: 3 s under the serializer, 1 s under the driver → its 2 s split 3:1.
        helper: (2, 2, 2.0, 4.0, {serializer: (1, 1, 1.5, 3.0), driver: (1, 1, 0.5, 1.0)}),
    }
    totals = attribute(stats)
    assert totals["database"] == pytest.approx(1.0 + 3.0 + 0.5)
    assert totals["serialisation"] == pytest.approx(2.0 + 1.5)
    assert totals[OTHER] == pytest.approx(0.5)  # the top of the stack matches no rule
    assert sum(totals.values()) == pytest.approx(sum(s[2] for s in stats.values()))


def test_profile_layers_follow_the_module_path():
    assert layer_of("/x/django/db/models/sql/compiler.py") == "SQL compilation"
    assert layer_of("/x/django/db/models/query.py") == "ORM (querysets, model instances)"
    assert layer_of("/x/django_filters/filterset.py") == "filtering"
    assert layer_of("/work/events/filters.py") == "filtering"
    assert layer_of("/x/django/contrib/sessions/middleware.py") == "middleware"
    assert layer_of("/x/rest_framework/permissions.py").startswith("authentication")
    assert layer_of("/usr/lib/python3.11/copy.py") is None


def test_profile_gives_the_response_cache_its_own_layer():
    assert layer_of("/work/ctht_api/public_cache.py") == "response cache (key, Redis)"
    assert layer_of("/x/site-packages/redis/client.py") == "response cache (key, Redis)"
    assert layer_of("/work/changes/feed.py") is None  # its query: the driver's, *database*


def test_the_report_shows_the_warm_profile_beside_the_cold_one():
    from bench.report import profile_section

    def profile(ms: float) -> dict:
        return {
            "layers": ["database", OTHER],
            "endpoints": {
                "page_50": {
                    "layers_ms": {"database": ms, OTHER: 0.1},
                    "layers_share": {"database": 0.9, OTHER: 0.1},
                    "wall_ms": ms + 0.1,
                    "cpu_ms": ms,
                    "postgres_cpu_ms": None,
                    "requests": 10,
                }
            },
        }

    results = {
        "sizes": {
            "100000": {
                "endpoints": {"page_50": {"label": "page of 50"}},
                "profile": profile(4.0),
                "warm": {"profile": profile(0.5)},
            }
        }
    }
    cold, warm = profile_section(results), profile_section(results, warm=True)
    assert cold[0] == "## Where the time goes (API, cold)"
    assert warm[0] == "## Where the time goes (API, warm)"
    assert "| database | 4.00 (90%) |" in cold
    assert "| database | 0.50 (90%) |" in warm
    assert profile_section({"sizes": {"100000": {"profile": profile(4.0)}}}, warm=True) == []
