"""Cached answers for the public record: ETags from the record's version, 304s, and bytes.

Most reads are of the public record by clients who see only it: anonymous
clients and read-only tokens. What they are answered changes only when the
record does, so their lists and details carry an `ETag` naming the record's
version, answer `If-None-Match` with 304 before anything is built, and keep
the rendered bytes of each answer in the `responses` cache alias with that
version: a repeated request costs the version query and one cache read.

**The version** is the change feed's position (changes/feed.py), read from
the database in one query (`read_state(with_last_seq=True)`): the feed's
`epoch`, `pruned_through` and the highest committed row's number. Every write
of the record (saves, deletions, many-to-many changes, fan-outs to entries
that embed a renamed one, events whose statements follow their visibility)
leaves a row numbered above every number taken before, so the version after a
write was never seen before it; pruning can lower the highest number, but
then raises `pruned_through`; a restored record has a new epoch. Rows are
numbered in commit order and only committed rows are read (never the
sequence, which counts uncommitted writes), so the version is right as soon as
a write commits, the same in every worker, and moves only with what readers
can see. An embargo that ends changes the public record without a write: the
same query says when one is due (`embargoes_due`), and then
`record_ended_embargoes()` writes its rows first, which moves the version, so
the entry appears on the very next read. The version is read from the
database that serves the request, before the answer is built: an answer is
never older than the version it is stored under (with replicas, read both
from the same one; a replica shows an ended embargo's rows, written on the
primary, once it has caught up, so for that lag it may still serve answers
stored before the embargo ended). The query is compiled once per process
(changes/feed.py `_state_sql`): a hit pays its round trip, not the ORM.

Not in the version, so not cached: `/countries/` and `/stats/` (counts cached
by events/record_version.py), the change feed (its answers depend on the
cursor's state), CSV (streamed), the browsable API (HTML), answers other than
200.

**Who shares the public answers** (`reads_public_record`): a client that
cannot see drafts of any publishable model (ctht_api.permissions
`can_see_drafts`) and cannot write (ctht_api.throttling `can_write`):
anonymous clients, read-only tokens, read-only users. Anyone else (editors,
write tokens, drafts-scoped tokens) bypasses the cache both ways: never served
a public answer, never storing one, and gets entry-version tags (`"v12"`,
ctht_api.concurrency) that `If-Match` accepts.

**The key** holds all the answer depends on besides the version: the code that
built it (`code_version`, a digest of the project's sources: a release that
changes a representation retires every entry and tag, though the record did
not move), the full
URL as sent (scheme, host, path and query string, not normalised: `next`
links repeat the query in the order it was sent), the negotiated media type
with its parameters (only JSON renderers are cached), and the display
languages for views that show `display` (`lang`/`Accept-Language`, as
ctht_api.languages resolves them). `Vary` says `Accept` and `Accept-Language`
(and CORS adds `Origin` outside the view, on hits too).

**The tag** is `"r<epoch>.<seq>.<pruned>.<variant>"`, `<variant>` a digest of
the key without the version: the same for a URL and representation as long
as the record stands, another after any write, even one that changed only an
embedded brief form (a person renamed changes every statement detail that
names them, whose entry version does not move). A public tag names no entry
version: `If-Match` refuses it (412); a writer reads with its own key.

**The bytes** are stored after rendering, one entry per key (the key holds
no version: a newer answer replaces the older one): the version they were
built at, status, body, and the headers the view set (content type, `Vary`,
`Allow`, `ETag`, `Cache-Control`); never cookies, and nothing middleware adds
(security headers, CORS), which runs on hits as on misses. An entry is served
only while its version is the current one. Entries live
`API_RESPONSE_CACHE_TTL` seconds: a bound on memory only, since an entry of
an older version is never served. With
`REDIS_URL` all workers share them; else each process keeps its own, bounded
(`API_RESPONSE_CACHE_ENTRIES`), still correct. A cache that cannot be reached
is logged and answered around.

**Where a hit is served.** A request without credentials (no
`Authorization`, no session cookie) is answered by `PublicAnswerMiddleware`,
before DRF: the last middleware but django-axes, so every response header the
others add (security, CORS, `Vary: Origin`) is added to hits too. It reads one
cache entry, then the version (one query), keyed by what such a request's
answer depends on as sent: the URL and `Accept` (the same headers give the
same negotiated format; `?format=` other than `json` goes straight to DRF).
Requests with an `Accept-Language` are not stored under such a key (each
invented header would be one more copy of the same answer): DRF resolves
their languages and they are served from the entry keyed by those. An answer
over `MAX_STORED_BYTES` is not stored. In Redis the entries expire and may be
evicted (the compose file caps Redis' memory, evicting the least recently
used keys that expire). A hit adds `Vary: Cookie`, as the session
middleware does to a miss. Only answers that DRF
built for a request without credentials are stored under that key too, so
only URLs that were answered 200 are ever found there: a bad parameter never
has an entry and reaches DRF for its 400, and the version is read only once
an entry was found (a refused request runs no query). The anonymous rate limit is spent
on a hit as on any request (ctht_api.throttling); over budget, the request
goes on to DRF, which counts it again and answers the 429 (only a refused
request is counted twice). A miss hands the version it read to
DRF, so a miss costs one version query, not two. A read-only key's hit is
served inside DRF, after authentication, permissions and throttling, and
after `lang` and the format are checked. Either way a hit costs the version
query and one cache read (a nested list in DRF also its parent's check); an
`If-None-Match` naming the tag is a 304.

`API_RESPONSE_CACHE=off` turns all of this off: answers are built every time
and tagged as before (the cold path the benchmark measures).
"""

import functools
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import Resolver404, get_urlconf, resolve
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags, quote_etag
from rest_framework import status
from rest_framework.response import Response

from changes import feed
from ctht_api.languages import requested_languages
from ctht_api.permissions import can_see_drafts
from ctht_api.throttling import ClientRateThrottle, can_write

CACHE_ALIAS = "responses"
# A larger answer (a page of 500 statements is about 0.7 MB) is built every time.
MAX_STORED_BYTES = 2_000_000
# The project's own code, so that a release that changes a representation never serves, nor
# answers 304 for, what the previous one built (the record's version would not move).
CODE_DIRECTORIES = ("accounts", "changes", "ctht_api", "events", "people")


@functools.cache
def code_version() -> str:
    """A digest of the project's Python sources, once per process (a few milliseconds)."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for directory in CODE_DIRECTORIES:
        for path in sorted((root / directory).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


CACHED_ACTIONS = ("list", "retrieve")
# Headers of the answer that are not the answer's own.
NOT_STORED = {"set-cookie"}

logger = logging.getLogger(__name__)


def record_version(request=None) -> str:
    """The public record's version (see the module): one query, and when an embargo ended
    since it was last recorded, that recording and one more. Given the request, the version
    `PublicAnswerMiddleware` read for it, if it did."""
    known = getattr(request, "_public_version", None)
    if known is not None:
        return known
    state = feed.read_state(with_last_seq=True)
    if state.embargoes_due:
        feed.record_ended_embargoes()
        state = feed.read_state(with_last_seq=True)
    return f"{state.epoch}.{state.last_seq}.{state.pruned_through}"


def reads_public_record(request) -> bool:
    """Whether the client sees exactly the public record (see the module)."""
    user = request.user
    if not user.is_authenticated:
        return True
    if can_write(request):
        return False
    return not any(can_see_drafts(user, model) for model in feed.publishable())


def _strip_weak(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def matches(request, tag: str, *, star: bool = True) -> bool:
    """Whether `If-None-Match` names `tag` (weak comparison, RFC 9110 §13.1.2), or is `*`
    (true only where a representation exists: `star=False` before that is known)."""
    wanted = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
    return (star and "*" in wanted) or tag in {_strip_weak(tag) for tag in wanted}


def without_credentials(request) -> bool:
    """A request that names no client: no `Authorization`, no session cookie."""
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def anonymous_key(request) -> str:
    """The key of an answer to a request without credentials, from the request as sent."""
    meta = request.META
    material = "\n".join(
        [
            code_version(),
            request.build_absolute_uri(),
            meta.get("HTTP_ACCEPT", ""),
            meta.get("HTTP_ACCEPT_LANGUAGE", ""),
        ]
    )
    return f"anonymous:{hashlib.sha256(material.encode()).hexdigest()}"


def _stored_response(stored) -> HttpResponse:
    _version, code, headers, body = stored
    response = HttpResponse(body, status=code)
    for name, value in headers:
        response[name] = value
    return response


def _cache_get(key: str):
    try:
        return caches[CACHE_ALIAS].get(key)
    except Exception:  # any backend's connection error: answer without the cache
        logger.exception("Response cache unreachable: answering afresh")
        return None


def cached_view(path: str) -> bool:
    """Whether the URL is a list or detail this module caches; kept per URLconf and path
    (the 1,024 most recent), so that a hit resolves no URL."""
    return _cached_view(get_urlconf() or settings.ROOT_URLCONF, path)


@receiver(setting_changed)
def _urls_changed(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":  # (tests) the same module may now mean other URLs
        _cached_view.cache_clear()


@functools.lru_cache(maxsize=1024)
def _cached_view(urlconf: str, path: str) -> bool:
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    view_class = getattr(match.func, "cls", None)
    actions = getattr(match.func, "actions", None) or {}
    return (
        view_class is not None
        and issubclass(view_class, PublicAnswerCacheMixin)
        and actions.get("get") in CACHED_ACTIONS
    )


class PublicAnswerMiddleware:
    """Cached public answers for requests without credentials, before DRF (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not settings.API_RESPONSE_CACHE
            or request.method not in ("GET", "HEAD")
            or not without_credentials(request)
            or request.GET.get("format", "json") != "json"  # CSV, the browsable API
            or not cached_view(request.path_info)
        ):
            return self.get_response(request)
        stored = _cache_get(anonymous_key(request))
        if stored is None:  # never answered 200 (a bad parameter, say): no query here
            return self.get_response(request)
        version = request._public_version = record_version()
        if stored[0] != version:
            return self.get_response(request)
        throttle = ClientRateThrottle()
        if not throttle.within_budget("anon", f"ip:{throttle.get_ident(request)}"):
            return self.get_response(request)  # DRF answers the 429
        response = _stored_response(stored)
        # As a miss says it (DRF's session authentication reads the session there).
        patch_vary_headers(response, ("Cookie",))
        if matches(request, response["ETag"]):
            not_modified = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
            for name in ("ETag", "Cache-Control", "Vary"):
                not_modified[name] = response[name]
            return not_modified
        return response


class PublicAnswerCacheMixin:
    """For a viewset: public lists (details: `PublicDetailCacheMixin`) tagged with the
    record's version, answered 304 or from the cache (see the module). First in the bases,
    so that it sees the answer the others finished."""

    _public_tag: str | None = None
    _public_checked = False

    def public_variant(self, request) -> str | None:
        """What the answer depends on besides the version, or None if it is not cached."""
        if not settings.API_RESPONSE_CACHE or getattr(self, "action", None) not in CACHED_ACTIONS:
            return None
        if getattr(getattr(request, "accepted_renderer", None), "format", None) != "json":
            return None  # CSV (streamed), the browsable API
        if not reads_public_record(request):
            return None
        shows_display = getattr(self, "shows_display", None)
        languages = requested_languages(request) if shows_display and shows_display() else None
        return "\n".join(
            [
                code_version(),
                request.build_absolute_uri(),
                request.accepted_media_type,
                ",".join(languages or ()),
            ]
        )

    def public_answer(self, request) -> HttpResponse | None:
        """A 304 or the cached bytes for a public client, or None to build the answer (and
        store it, `finalize_response`)."""
        if self._public_checked:  # asked once per request (a subclass's list may ask again)
            return None
        self._public_checked = True
        variant = self.public_variant(request)
        if variant is None:
            return None
        version = record_version(request._request)
        digest = hashlib.sha256(variant.encode()).hexdigest()
        self._public_tag = quote_etag(f"r{version}.{digest[:12]}")
        self._public_version = version
        self._public_keys = [f"answer:{digest}"]
        # Also found by the middleware next time; not for every `Accept-Language` a client
        # may invent, each of which would be another entry of the same answer (such a
        # request is served from the entry above, after DRF has resolved its languages).
        if without_credentials(request) and not request.META.get("HTTP_ACCEPT_LANGUAGE"):
            self._public_keys.append(anonymous_key(request._request))
        # `*` only once the answer is known to exist (`finalize_response`): a missing
        # entry or a refused parameter is a 404 or a 400, never "not modified".
        if matches(request, self._public_tag, star=False):
            return Response(status=status.HTTP_304_NOT_MODIFIED)
        stored = _cache_get(self._public_keys[0])
        if stored is None or stored[0] != version:
            return None
        if len(self._public_keys) > 1:  # built for a client with credentials or languages
            _set(self._public_keys[1:], stored)  # now found by the middleware too
        return _stored_response(stored)

    def list(self, request, *args, **kwargs):
        answer = self.public_answer(request)
        return answer if answer is not None else super().list(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        tag = self._public_tag
        if tag is not None:
            self._tagged = None  # the record's version, not the entry's (ctht_api.concurrency)
            if response.status_code == 200 and matches(request, tag):  # `If-None-Match: *`
                response = Response(status=status.HTTP_304_NOT_MODIFIED)
        response = super().finalize_response(request, response, *args, **kwargs)
        if tag is None or response.status_code not in (200, 304):
            return response
        response["ETag"] = tag
        response["Cache-Control"] = "no-cache"
        if response.status_code == 200 and isinstance(response, Response):
            keys, version = self._public_keys, self._public_version
            response.add_post_render_callback(lambda rendered: _store(keys, version, rendered))
        return response


def _store(keys: list[str], version: str, response) -> None:
    if len(response.content) > MAX_STORED_BYTES:
        return
    headers = [(name, value) for name, value in response.items() if name.lower() not in NOT_STORED]
    _set(keys, (version, response.status_code, headers, response.content))


def _set(keys: list[str], stored: tuple) -> None:
    try:
        caches[CACHE_ALIAS].set_many(dict.fromkeys(keys, stored), settings.API_RESPONSE_CACHE_TTL)
    except Exception:
        logger.exception("Response cache unreachable: the answer was not stored")


class PublicDetailCacheMixin(PublicAnswerCacheMixin):
    """`PublicAnswerCacheMixin` for a viewset with details too (a mixin of its own: the router
    makes a detail route for any viewset with `retrieve`)."""

    def retrieve(self, request, *args, **kwargs):
        answer = self.public_answer(request)
        return answer if answer is not None else super().retrieve(request, *args, **kwargs)
