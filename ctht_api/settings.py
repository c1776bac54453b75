"""Settings, read from the environment (twelve-factor) with django-environ.

One module for every environment: what differs between a laptop, CI and
production is an environment variable, listed in the README. With nothing set,
the service runs on an embedded SQLite file under ``var/`` and refuses to start
without a real ``SECRET_KEY`` unless ``DEBUG`` is on.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from ctht_api.rates import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# A fixed key is fine for a developer's laptop and nowhere else: it is public.
_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: set SECRET_KEY (or DEBUG=1 for local development)."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set: list the host names this service answers to."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "csp",
    "rest_framework",
    "django_filters",
    "simple_history",
    "import_export",  # the admin's bulk import (ctht_api/imports.py)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The project package is an app too, for its record-wide commands
    # (export_data, import_data); it has abstract models only, so no migrations.
    "ctht_api",
    "accounts",
    "axes",
    "people",
    "events",
    "changes",
    "dashboard",
]

MIDDLEWARE = [
    # First, so that no query runs before the request's database is chosen, and a
    # write's pin is stored once every other layer has answered (ctht_api/db_router.py).
    # Not used (removed at start-up) without DATABASE_REPLICA_URLS.
    "ctht_api.db_router.ReplicaRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # django-csp's, the settings' policy built once rather than per response (ctht_api/csp.py).
    "ctht_api.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session, sign-in and message middleware, skipping their work for requests
    # without a Cookie header (ctht_api/cookieless.py).
    "ctht_api.cookieless.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "ctht_api.errors.ApiBodySizeLimitMiddleware",
    "ctht_api.errors.ApiNotFoundMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "ctht_api.cookieless.AuthenticationMiddleware",
    "ctht_api.cookieless.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ctht_api.public_cache.PublicAnswerMiddleware",  # cached public answers: after the headers
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ctht_api.urls"
WSGI_APPLICATION = "ctht_api.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ctht_api" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# The embedded default needs no server: a SQLite file under var/, created on
# demand. Production sets DATABASE_URL=postgres://… (psycopg 3).
_DEFAULT_SQLITE = VAR_DIR / "db.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{_DEFAULT_SQLITE}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _name = DATABASES["default"]["NAME"]
    if _name and _name != ":memory:":
        Path(_name).parent.mkdir(parents=True, exist_ok=True)
    # A write transaction takes SQLite's write lock when it begins, so that
    # concurrent writers queue (up to `timeout` seconds) instead of failing
    # with "database is locked" when a read turns into a write.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    if _name and _name != ":memory:":
        # Tests get a file too (not a shared in-memory database), so that a live
        # server's threads use connections of their own, as in production.
        _path = Path(_name)
        DATABASES["default"]["TEST"] = {"NAME": str(_path.with_name(f"test_{_path.name}"))}
else:
    # Connections live CONN_MAX_AGE seconds (one per worker thread, reused across its
    # requests) and are checked before reuse (Django's `SELECT 1`, or the request's first
    # read itself: ctht_api/first_read.py), so a database or pooler restart costs a
    # reconnection, not an error.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Statements whose plan suits every value, an anonymous statement detail
# (events.statement_json.Precompiled), the change feed's state (changes/feed.py) and
# pages of the statement list unfiltered or by country (events.statement_json
# StatementJSONIterable),
# are prepared once per connection (ctht_api/prepared.py): PostgreSQL then skips
# planning them, most of the first two's time. Django's own cursors bind on the client and prepare
# nothing, whatever psycopg's `prepare_threshold`. Behind pgbouncer in transaction mode
# this needs pgbouncer 1.22.1 or later with `max_prepared_statements` above 0; `off` for
# an older pooler.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # psycopg prepares nothing while it is None (Django's default).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if DATABASE_PREPARED_STATEMENTS else None
    )

# Read replicas (ctht_api/db_router.py): comma-separated URLs of PostgreSQL streaming
# replicas of DATABASE_URL, each an alias `replica_1`, `replica_2`, … with the primary's
# connection settings. Reads go to a replica, writes (and the reads of a client that
# wrote in the last REPLICA_PIN_SECONDS) to the primary. The pins live in the shared
# cache, so replicas need REDIS_URL. Tests see each replica as a mirror of `default`.
DATABASE_REPLICA_URLS = [url for url in env.list("DATABASE_REPLICA_URLS", default=[]) if url]
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)
if DATABASE_REPLICA_URLS:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL.")
    if not env.str("REDIS_URL", default=""):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs REDIS_URL: a client's read-your-writes pin must "
            "be seen by every worker."
        )
    if REPLICA_PIN_SECONDS < 1:
        raise ImproperlyConfigured("REPLICA_PIN_SECONDS must be at least 1.")
    for _number, _url in enumerate(DATABASE_REPLICA_URLS, 1):
        _replica = environ.Env.db_url_config(_url)
        if _replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
            # The URL itself is not repeated: it may hold a password.
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS entry {_number} is not a postgres:// URL like "
                "DATABASE_URL's."
            )
        _replica.setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
        _replica["CONN_HEALTH_CHECKS"] = True
        _replica.setdefault("OPTIONS", {})["prepare_threshold"] = DATABASES["default"]["OPTIONS"][
            "prepare_threshold"
        ]
        _replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica_{_number}"] = _replica
    DATABASE_ROUTERS = ["ctht_api.db_router.ReplicaRouter"]

# Behind pgbouncer in transaction mode (a server connection serves one transaction,
# then another client) these settings work unchanged, because nothing outlives a
# transaction but the prepared statements above, which pgbouncer 1.22.1+ carries
# (DATABASE_PREPARED_STATEMENTS): Django's cursors bind on the client and prepare
# nothing; advisory locks are transaction-level (changes/feed.py); nothing LISTENs,
# and every SET is SET LOCAL or SET TRANSACTION, bar Django's SET TIME ZONE at
# connect, a parameter pgbouncer tracks and restores per client. Server-side cursors
# stay on: every `.iterator()` of the project (CSV and Popolo exports, the backup) runs
# inside a transaction, where its cursor lives and dies and streams in constant memory.
# A new `.iterator()` must too: in autocommit Django declares its cursor WITH HOLD,
# which outlives the transaction (and DISABLE_SERVER_SIDE_CURSORS would make an export
# load whole into memory instead). CONN_MAX_AGE then keeps the cheap connection to
# pgbouncer, and pgbouncer's pool the dear ones to PostgreSQL.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password guessing at the admin login: after ADMIN_LOGIN_FAILURE_LIMIT failures for
# one username from one IP address, that pair is refused (429, even with the right
# password) for ADMIN_LOGIN_COOLOFF_MINUTES; a success resets the count. Attempts
# are rows in the database, so every worker sees them. The IP is the one the rate
# limits use (NUM_PROXIES aware).
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_VERBOSE = False  # no banner on every start; lockouts are still logged
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "ctht_api.throttling.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files in production (after collectstatic); plain files
    # while developing, so no collectstatic is needed before `make run`.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that a request without credentials gets 401 with
        # `WWW-Authenticate: Token`; sessions serve editors in the browsable API.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ctht_api.permissions.ModelPermissionsOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "ctht_api.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,  # every list's default page size (ctht_api.pagination reads it)
    "DEFAULT_FILTER_BACKENDS": ["ctht_api.filters.FilterBackend"],  # django-filter
    "DEFAULT_RENDERER_CLASSES": [
        # orjson: the same JSON as DRF's renderer, several times faster on list pages.
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["ctht_api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "ctht_api.schema.ProblemAwareAutoSchema",
    "EXCEPTION_HANDLER": "ctht_api.errors.problem_exception_handler",
    "ORDERING_PARAM": "ordering",
    # ISO 8601 via date.isoformat(): strftime("%Y") does not pad years before 1000.
    "DATE_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # One throttle for every view: budgets per client and scope, see ctht_api/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": ["ctht_api.throttling.ClientRateThrottle"],
    # How many proxies in front of the service append to X-Forwarded-For: the client
    # is then the address that many entries from the right. 0 (the default) uses
    # REMOTE_ADDR only. Never more than there are: the header would let any client
    # choose its own rate-limit identity. (DRF's own default, None, trusts the whole
    # header as sent, so it is not used.)
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

# Requests per client, as "N/s", "N/min", "N/hour" or "N/day"; "off" lifts a limit
# (benchmarks do). Anonymous clients are counted per IP address, tokens per token.
RATE_LIMITS = {
    "anon": env.str("RATE_LIMIT_ANON", default="120/min"),
    "read": env.str("RATE_LIMIT_READ", default="600/min"),
    "write": env.str("RATE_LIMIT_WRITE", default="1200/min"),
}
for _scope, _rate in RATE_LIMITS.items():
    try:
        parse_rate(_rate)  # the throttle's own parser: a typo stops the start
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"RATE_LIMIT_{_scope.upper()}={_rate!r} is not a rate such as '120/min', or 'off'."
        ) from _error

# Two caches. "default" holds what may lag (the /countries/ counts): Redis when
# REDIS_URL is set, else per-process memory, where a hit costs no query.
# "ratelimit" holds the rate-limit counters, which must be exact across workers, so
# it is never per-process: Redis, or the table ctht_ratelimit in the database
# (`manage.py createcachetable` creates it; `make run`, CI and the image run it).
# Both count atomically (ctht_api/throttling.py).
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": {"BACKEND": "ctht_api.redis_cache.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "ctht_api.throttling.RedisRateCounter",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ctht",
    }
    if REDIS_URL
    else {
        "BACKEND": "ctht_api.throttling.DatabaseRateCounter",
        "LOCATION": "ctht_ratelimit",
        # Rows of quiet clients are deleted as windows pass (throttling.py); Django's
        # own culling (a COUNT(*) per write) is never reached through hit().
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    },
    # A file uploaded to the admin's Import waits here between its preview and the
    # confirmed import (ctht_api.imports.UploadStorage), seen by every worker process.
    "imports": {
        "BACKEND": "ctht_api.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ctht-imports",
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ctht_imports"},
    # The rendered bytes of public answers, keyed by the record's version read from the
    # database (ctht_api/public_cache.py): correct whether shared (Redis) or per process.
    "responses": {
        "BACKEND": "ctht_api.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ctht-responses",
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ctht-responses",
        "OPTIONS": {"MAX_ENTRIES": env.int("API_RESPONSE_CACHE_ENTRIES", default=500)},
    },
}
# How long a token found valid is kept in the default cache with its user and their
# permissions (accounts/token_cache.py). Expiry stays exact; a revocation, a deactivated
# user or a lost permission takes effect within this many seconds (through the app: at
# once with REDIS_URL, else at once in the worker that made it). At most 60; 0: no cache.
TOKEN_CACHE_SECONDS = env.int("TOKEN_CACHE_SECONDS", default=30)
if not 0 <= TOKEN_CACHE_SECONDS <= 60:
    raise ImproperlyConfigured("TOKEN_CACHE_SECONDS must be between 0 and 60.")

# Public answers (anonymous and read-only clients): ETags from the record's version, 304s,
# and their bytes cached in the "responses" alias, for at most API_RESPONSE_CACHE_TTL
# seconds (a cap on memory, not on staleness: see ctht_api/public_cache.py). "off": every
# answer is built afresh and tagged with its entry's version, as for editors.
API_RESPONSE_CACHE = env.bool("API_RESPONSE_CACHE", default=True)
API_RESPONSE_CACHE_TTL = env.int("API_RESPONSE_CACHE_TTL", default=600)
# Longest time /countries/ counts may lag a change (see events/counts.py).
COUNTRY_COUNTS_TTL = env.int("COUNTRY_COUNTS_TTL", default=300)

# How long the change feed keeps deletions (tombstones), in days: a mirror that
# has not synced for longer must re-sync from scratch (410). `prune_changes`
# removes older ones (compose runs it daily).
CHANGES_RETENTION_DAYS = env.int("CHANGES_RETENTION_DAYS", default=90)
if CHANGES_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("CHANGES_RETENTION_DAYS must be at least 1.")

# Rows read, serialised and sent at a time by a CSV list (ctht_api/csv_export.py): the
# worker's memory holds about one chunk, whatever the length of the list.
CSV_CHUNK_SIZE = env.int("CSV_CHUNK_SIZE", default=1000)
if CSV_CHUNK_SIZE < 1:  # 0 would export a header and no row, silently
    raise ImproperlyConfigured(f"CSV_CHUNK_SIZE must be 1 or more; got {CSV_CHUNK_SIZE}.")

# Refuse PUT/PATCH/DELETE without If-Match (428): recommended for production, so
# that no client can overwrite a change it has not seen (ctht_api/concurrency.py).
API_REQUIRE_IF_MATCH = env.bool("API_REQUIRE_IF_MATCH", default=False)

# The audit trail (ctht_api/audit.py): history pages list an entry's versions by
# date, hence the (date, id) index.
SIMPLE_HISTORY_DATE_INDEX = "Composite"
SIMPLE_HISTORY_REVERT_DISABLED = True

# The admin's bulk import (ctht_api/imports.py): a file is one transaction, rolled
# back after the dry run and whenever a row is refused.
IMPORT_EXPORT_USE_TRANSACTIONS = True

# Largest request body the API accepts; a bigger one is refused with 413.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "CTHT API",
    "DESCRIPTION": (
        "The open record of the fight against trafficking in human beings (THB) in the "
        "digital age: events, institutions, people and their statements."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    # validatorUrl off: Swagger UI would otherwise load a badge from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The project's icon (a redirect to the static file), not Swagger's.
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ctht_api.schema.blank_or_format_as_any_of",
        "ctht_api.schema.describe_scope_parameters",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "ctht_api.models.Status",
        "InstitutionKindEnum": "people.models.Institution.Kind",
        "EventKindEnum": "events.models.Event.Kind",
        "DocumentKindEnum": "events.models.Document.Kind",
        "TranslationKindEnum": "events.models.StatementTranslation.Kind",
    },
}

# Partner dashboards calling from browsers: list their origins.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# What a dashboard's script may send: the headers the API reads (credentials, JSON
# bodies, conditional requests, the history's reason, the language of answers), and
# `Accept`, safelisted by browsers only while its value is short and plain. Not the
# library's other defaults: `X-CSRFToken` serves cookie sessions, which cross-origin
# requests never carry here (no CORS_ALLOW_CREDENTIALS); nothing reads
# `X-Requested-With` or a script-set `User-Agent`.
CORS_ALLOW_HEADERS = [
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "x-change-reason",
    "x-safety-override",
]
CORS_ALLOW_METHODS = ["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"]
# What it may read besides the safelisted headers: versions to send back, when to
# retry, where a new entry lives, the next page, a download's file name.
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "Location", "Link", "Content-Disposition"]

# Behind a TLS-terminating proxy, production sets these (see the README).
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Secure by default once DEBUG is off: HTTPS only, a year of HSTS, cookies over
# HTTPS only. A plain-HTTP deployment (docker-compose on localhost) turns each
# off explicitly. The probes stay reachable over HTTP for load balancers.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Preloading commits the whole registrable domain (every subdomain) to HTTPS in
# browsers' built-in lists, and is slow to undo: the domain's owner opts in with
# SECURE_HSTS_PRELOAD=1, so Django's reminder about it (W021) is silenced.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp). Scripts only from this origin, or inline
# with the per-request nonce (our ReDoc template); no 'unsafe-inline' script.
# Styles allow inline: Swagger UI's and the admin's pages carry <style> blocks
# and style attributes, and ReDoc injects its styles at run time. Images may be
# data: URIs (Swagger UI's icons); ReDoc runs its search index in a blob: worker.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Every record printed once. Django's default configuration gives its `django` logger a
# console handler of its own (under DEBUG) and `mail_admins` (no ADMINS here), and the
# record then reached the root's handler too: every warning printed twice. Here `django`
# has no handler and propagates to the root. Configuring `django` resets its children,
# so `django.server` (runserver's request lines) is given back Django's own format.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
