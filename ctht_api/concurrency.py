"""No lost updates: ETags from row versions, conditional requests, one transaction per write.

Every detail response carries a strong `ETag` made from the entry's `version`
(ctht_api.models.TimestampedModel), which goes up by one with each write; it is
not a hash of the body, so compression or key order cannot weaken it.

- `GET` with `If-None-Match` holding the current tag → `304 Not Modified`.
- `PUT`, `PATCH`, `DELETE` lock the row (`SELECT … FOR UPDATE`) for the rest
  of the write, so concurrent writers to one entry queue. With `If-Match` its
  version is compared first, and a stale tag answered with `412 Precondition
  Failed`: nothing changes. With `API_REQUIRE_IF_MATCH` on, a write without
  `If-Match` is a `428 Precondition Required`.
- Every write runs in one database transaction and one audit changeset
  (ctht_api.audit): a failure midway leaves nothing half-written, and a
  success leaves one history record per entry, with the user and the reason
  sent in `X-Change-Reason`.

The lock and the version check are one function, `lock_and_check`, which the
admin's edit-conflict check (ctht_api.admin) calls too: the API and the admin
refuse a stale write by the same rule.

The tag names the version of the entry itself: the brief form of a related
entry (an institution's name inside a statement) is that entry's, with its own
URL and ETag.

Clients that see the public record only (anonymous clients, read-only keys)
get another tag on reads, the record's version (`"r…"`, ctht_api.public_cache),
which also moves when a related entry's brief form does; `If-Match` refuses it
(they do not write). Entry-version tags are what editors and write keys read,
and every client with `API_RESPONSE_CACHE=off`.

An entry shown in the client's language (`display`, ctht_api.languages) is
another representation of the same version: its tag adds the language shown,
`"v12-sr-Latn"` beside the plain `"v12"`, still strong (each variant is the same
bytes for as long as the version stands). `If-None-Match` compares the whole tag,
so a 304 answers only the variant the client holds; `If-Match` compares the
version alone, so a client that read with `lang=` writes with the tag it got.
"""

import re
from collections.abc import Collection
from contextlib import ExitStack

from django.conf import settings
from django.db import models, transaction
from django.http import Http404
from django.utils.http import parse_etags, quote_etag
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from ctht_api.audit import changeset

UNSAFE_ON_ENTRY = ("PUT", "PATCH", "DELETE")
REASON_MAX_LENGTH = 1000
# A strong tag as etag_for() writes it; 19 digits hold any 64-bit version; then the
# language of a `display` variant, if any.
VERSION_TAG = re.compile(r'"v(0|[1-9][0-9]{0,18})(?:-[A-Za-z0-9]{1,8})*"')


class VersionConflict(Exception):
    """The entry is no longer at the version the writer saw."""

    def __init__(self, instance: models.Model, seen_version):
        super().__init__(f"{instance!r} is at version {instance.version}, not {seen_version}")
        self.instance, self.seen_version = instance, seen_version


def lock_and_check(instance: models.Model, seen_version: int | Collection[int] | None) -> None:
    """Lock the entry's row until the transaction ends; refuse if it is not at the version seen.

    `seen_version` is the version the writer read (the admin form's hidden
    field), a collection of versions any of which will do (an `If-Match`
    list; empty when none of its tags can match), or None when the writer
    names no version: then the row is only locked. Once the row is locked no
    one else can change it before this write ends, so a version compared here
    is the one the write replaces.

    If a write committed between reading `instance` and locking its row,
    `instance` is reloaded first, so that what is saved (and what a conflict
    message reports) starts from the stored row. One query when nothing
    changed. Call it inside `transaction.atomic()`. Raises `VersionConflict`,
    or the model's `DoesNotExist` if the row was deleted meanwhile.
    """
    model = type(instance)
    stored = (
        model._default_manager.select_for_update()
        .filter(pk=instance.pk)
        .values_list("version", flat=True)
        .first()
    )
    if stored is None:
        raise model.DoesNotExist(f"{model._meta.object_name} {instance.pk} no longer exists.")
    if stored != instance.version:
        instance.refresh_from_db()
    if seen_version is None:
        return
    seen = {seen_version} if isinstance(seen_version, int) else set(seen_version)
    if stored not in seen:
        raise VersionConflict(instance, seen_version)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The entry has changed since you read it."
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        "This server requires If-Match on PUT, PATCH and DELETE: send the ETag of the "
        "version you read."
    )
    default_code = "precondition_required"


def etag_for(instance, variant: str | None = None) -> str:
    """`"v12"`, or `"v12-sr-Latn"` for the variant shown in a language (see the module)."""
    return quote_etag(f"v{instance.version}-{variant}" if variant else f"v{instance.version}")


def _strip_weak(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def versions_seen(request) -> set[int] | None:
    """The versions `If-Match` accepts: None for any (`*`, or no header where that is allowed).

    Strong comparison (RFC 9110 §13.1.1): a weak tag never matches. The version
    alone is compared: a tag of any language variant of it will do.
    """
    header = request.META.get("HTTP_IF_MATCH")
    if header is None:
        if settings.API_REQUIRE_IF_MATCH:
            raise PreconditionRequired()
        return None
    tags = parse_etags(header)
    if "*" in tags:
        return None
    return {int(match[1]) for tag in tags if (match := VERSION_TAG.fullmatch(tag))}


def change_reason(request) -> str:
    """The `X-Change-Reason` header, as UTF-8 text; a 400 names what is wrong with it."""
    raw = request.META.get("HTTP_X_CHANGE_REASON", "")
    try:  # WSGI hands headers over as Latin-1: undo that to read UTF-8.
        reason = raw.encode("latin-1").decode("utf-8").strip()
    except UnicodeError:
        raise exceptions.ValidationError(
            {"X-Change-Reason": ["The header is not valid UTF-8 text."]}
        ) from None
    if len(reason) > REASON_MAX_LENGTH or "\x00" in reason:
        raise exceptions.ValidationError(
            {"X-Change-Reason": [f"At most {REASON_MAX_LENGTH} characters, without NUL."]}
        )
    return reason


class ConditionalWritesMixin:
    """For a ModelViewSet: ETags, conditional requests, and atomic, audited writes.

    Reached through DRF's hooks only, so that `create`, `update`, `destroy`
    and `retrieve` stay the framework's own:

    - `initial` (after authentication, permissions and throttling) opens the
      write of an unsafe method: one transaction and one audit changeset, with
      the user and the `X-Change-Reason`. Nothing is opened for a request that
      is refused there; a method the view lacks (405) opens one and rolls it back.
    - `get_object` locks the entry and checks `If-Match` (`lock_and_check`) on
      `PUT`, `PATCH` and `DELETE` (not for `OPTIONS`, which writes nothing).
    - `perform_create`/`perform_update`/`perform_destroy` write, build the
      response body, then close the write: the history is recorded and the
      transaction committed there, inside DRF's exception handling, so an error
      at commit (or while building the body) is answered like any other and
      leaves nothing stored.
    - `handle_exception` rolls the open write back, history included.
    - `finalize_response` adds the `ETag` of the entry read or written, and
      turns a `GET` whose `If-None-Match` holds that tag into a `304` (the body
      was built and is dropped: a 304 saves the transfer, not the work).
    """

    _write: ExitStack | None = None
    _tagged: models.Model | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in SAFE_METHODS:
            return
        reason = change_reason(request)
        self._write = ExitStack()
        self._write.enter_context(transaction.atomic())
        self._write.enter_context(changeset(user=request.user, reason=reason))

    def _end_write(self, error: BaseException | None = None) -> None:
        """Commit the open write (record its history), or roll it back on `error`."""
        write, self._write = self._write, None
        if write is not None:
            if error is None:
                write.close()
            else:
                write.__exit__(type(error), error, error.__traceback__)

    def get_object(self):
        instance = super().get_object()
        if self.request.method not in UNSAFE_ON_ENTRY:
            self._tagged = instance
            return instance
        if self._write is None:
            # DRF's OPTIONS metadata asks as a PUT to describe its form: nothing is
            # written, so nothing is locked (a lock outside a transaction is an error).
            return instance
        seen = versions_seen(self.request)
        try:
            lock_and_check(instance, seen)
        except VersionConflict:
            header = self.request.META["HTTP_IF_MATCH"].strip()
            raise PreconditionFailed(
                f"The entry has changed since you read it: If-Match was {header}, "
                f"the current ETag is {etag_for(instance)}. GET it again, reapply your change "
                "and send it with the new ETag."
            ) from None
        except instance.DoesNotExist:
            raise Http404 from None
        return instance

    def perform_create(self, serializer):
        super().perform_create(serializer)
        _ = serializer.data  # the body, built before the commit: if it fails, nothing is stored
        self._end_write()
        self._tagged = serializer.instance

    def perform_update(self, serializer):
        super().perform_update(serializer)
        _ = serializer.data  # the body, built before the commit: if it fails, nothing is stored
        self._end_write()
        self._tagged = serializer.instance

    def perform_destroy(self, instance):
        super().perform_destroy(instance)
        self._end_write()

    def etag_variant(self, response) -> str | None:
        """Which variant of the entry the body is, for its ETag: none here
        (ctht_api.languages names the language of a `display`)."""
        return None

    def handle_exception(self, exc):
        self._end_write(exc)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        self._end_write()  # a write that returned without a perform_* hook is kept too
        if self._tagged is not None and 200 <= response.status_code < 300:
            etag = etag_for(self._tagged, self.etag_variant(response))
            response["ETag"] = etag
            if request.method in ("GET", "HEAD"):
                response["Cache-Control"] = "no-cache"
                wanted = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
                if "*" in wanted or etag in {_strip_weak(tag) for tag in wanted}:
                    response = Response(
                        status=status.HTTP_304_NOT_MODIFIED,
                        headers={"ETag": etag, "Cache-Control": "no-cache"},
                    )
        return super().finalize_response(request, response, *args, **kwargs)
