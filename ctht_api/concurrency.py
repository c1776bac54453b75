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

The tag names the version of the entry itself: the brief form of a related
entry (an institution's name inside a statement) is that entry's, with its own
URL and ETag.
"""

from contextlib import suppress

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.http import parse_etags, quote_etag
from rest_framework import exceptions, status
from rest_framework.response import Response

from ctht_api.audit import changeset

UNSAFE_ON_ENTRY = ("PUT", "PATCH", "DELETE")
REASON_MAX_LENGTH = 1000


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


def etag_for(instance) -> str:
    return quote_etag(f"v{instance.version}")


def _strip_weak(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


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
    """For a ModelViewSet: ETags, conditional requests, and atomic, audited writes."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        etag = etag_for(instance)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        wanted = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
        if "*" in wanted or etag in {_strip_weak(tag) for tag in wanted}:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(self.get_serializer(instance).data, headers=headers)

    def get_object(self):
        if self.request.method not in UNSAFE_ON_ENTRY:
            return super().get_object()
        # Lock the row first, so that the version compared below is the one the
        # write replaces; concurrent writers to the same entry queue here.
        model = self.get_queryset().model
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        # Not an id at all: nothing to lock, and get_object() answers 404.
        with suppress(TypeError, ValueError, DjangoValidationError, OverflowError):
            list(model._default_manager.select_for_update().filter(pk=pk).values_list("pk"))
        instance = super().get_object()
        self.check_preconditions(instance)
        return instance

    def check_preconditions(self, instance) -> None:
        header = self.request.META.get("HTTP_IF_MATCH")
        if header is None:
            if settings.API_REQUIRE_IF_MATCH:
                raise PreconditionRequired()
            return
        current = etag_for(instance)
        tags = parse_etags(header)
        # Strong comparison (RFC 9110 §13.1.1): a weak tag never matches.
        if "*" not in tags and current not in tags:
            raise PreconditionFailed(
                f"The entry has changed since you read it: If-Match was {header.strip()}, "
                f"the current ETag is {current}. GET it again, reapply your change and "
                "send it with the new ETag."
            )

    def _write(self, method, request, *args, **kwargs):
        """One transaction and one audit changeset around a write; the new ETag on success."""
        reason = change_reason(request)
        with transaction.atomic(), changeset(user=request.user, reason=reason):
            response = method(request, *args, **kwargs)
        instance = getattr(getattr(self, "_written", None), "instance", None)
        if instance is not None and response.status_code < 300:
            response["ETag"] = etag_for(instance)
        return response

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self._written = serializer

    def perform_update(self, serializer):
        super().perform_update(serializer)
        self._written = serializer

    def create(self, request, *args, **kwargs):
        return self._write(super().create, request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        return self._write(super().update, request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        return self._write(super().destroy, request, *args, **kwargs)
