"""Settings of the benchmark servers: the app's own, plus the baseline and peer routes
(bench/urls.py).

Everything else (database, DEBUG, CONN_MAX_AGE, middleware) comes from
ctht_api.settings and the environment, exactly as in production.
"""

from ctht_api.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
