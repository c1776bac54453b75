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
