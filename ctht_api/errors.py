"""Every API error is `application/problem+json` (RFC 9457).

Shape: `type`, `title`, `status`, `detail`; validation errors add
`errors: [{"field", "code", "message"}]`, one entry per offending field or
query parameter, named as the client sent it (nested fields as
`translations.0.language`). Three places produce errors and all use
`problem()`: DRF's exception handler (views), Django's 404/500 handlers (URLs
no view matched), and the body-size middleware (before any view runs).

Deleting an entry that others still refer to (a person who has statements, an
institution with positions) is a 409 Conflict naming those entries, not a 500:
the models protect such references (`on_delete=PROTECT`) so the record never
loses a statement's speaker, and a client can fix the conflict by deleting or
changing the dependents first. 409 rather than 400 because the request itself
is well formed; it is the current state of the record that refuses it.

A database that cannot be reached is a 503 with `Retry-After`, not a 500: the
request was fine and will succeed once the database is back, which the
connection health checks notice by themselves on the next request. Views get
it from the exception handler; anything outside a view (a middleware reading
the session) reaches Django's 500 handler, which looks at the exception being
handled. No 500 ever carries a traceback or an exception message to the client:
those go to the server log.
"""

import logging
import sys
from collections import defaultdict
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://ctht-api.readthedocs.io/problems/"
# Seconds a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = (
    "The database is unreachable; the service resumes by itself when it is back. Retry later."
)

logger = logging.getLogger(__name__)


def problem(status: int, detail: str, *, errors: list[dict] | None = None, kind: str = "") -> dict:
    """The problem document for `status`; `kind` names its `type` (default: the status phrase)."""
    phrase = HTTPStatus(status).phrase
    body = {
        "type": PROBLEM_TYPE_BASE + (kind or phrase.lower().replace(" ", "-")),
        "title": phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def flatten_errors(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of `{field, code, message}`."""
    if isinstance(detail, dict):
        return [
            entry
            for key, value in detail.items()
            for entry in flatten_errors(value, f"{prefix}.{key}" if prefix else str(key))
        ]
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [
                {
                    "field": prefix or None,
                    "code": getattr(item, "code", "invalid"),
                    "message": str(item),
                }
                for item in detail
            ]
        return [
            entry
            for index, item in enumerate(detail)
            if item
            for entry in flatten_errors(item, f"{prefix}.{index}" if prefix else str(index))
        ]
    return [
        {
            "field": prefix or None,
            "code": getattr(detail, "code", "invalid"),
            "message": str(detail),
        }
    ]


class DatabaseUnavailable(exceptions.APIException):
    """503 for a connection failure: the request may be retried as it is."""

    status_code = 503
    default_detail = DATABASE_UNAVAILABLE
    default_code = "database_unavailable"


def is_connection_failure(exc: BaseException | None) -> bool:
    """A failure to reach the database, not an error in a query (those are bugs: 500)."""
    return isinstance(exc, OperationalError | InterfaceError)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state of the record."
    default_code = "conflict"


def dependents_conflict(error: ProtectedError | RestrictedError) -> Conflict:
    """A 409 naming the entries that still refer to the one being deleted."""
    if isinstance(error, ProtectedError):
        objects = error.protected_objects
    else:
        objects = error.restricted_objects
    ids_by_kind: dict[str, list] = defaultdict(list)
    for obj in objects:
        ids_by_kind[str(obj._meta.verbose_name_plural)].append(obj.pk)
    listed = "; ".join(
        f"{kind} {', '.join(str(pk) for pk in sorted(pks)[:20])}"
        + (f" and {len(pks) - 20} more" if len(pks) > 20 else "")
        for kind, pks in sorted(ids_by_kind.items())
    )
    return Conflict(
        f"This entry cannot be deleted while other entries refer to it ({listed}). "
        "Delete them or point them elsewhere first."
    )


def problem_exception_handler(exc, context):
    """DRF's handler, with its answer reshaped as a problem document."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = dependents_conflict(exc)
    elif is_connection_failure(exc):
        logger.error("Database unreachable: %s", exc)
        exc = DatabaseUnavailable()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
        detail = f"Invalid input: {fields}." if fields else "Invalid input."
        body = problem(response.status_code, detail, errors=errors, kind="validation-error")
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = problem(response.status_code, str(detail) or HTTPStatus(response.status_code).phrase)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    if isinstance(exc, DatabaseUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def problem_response(status: int, detail: str, **kwargs) -> JsonResponse:
    return JsonResponse(
        problem(status, detail, **kwargs),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None):
    if _is_api(request):
        return problem_response(404, "No resource at this URL. The API root is /api/v1/.")
    return defaults.page_not_found(request, exception or Http404())


def server_error(request: HttpRequest):
    """500 without details; 503 when the exception being handled is a lost database."""
    # Django calls this handler while handling the exception, so it is still current.
    if is_connection_failure(sys.exc_info()[1]) and _is_api(request):
        response = problem_response(503, DATABASE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if _is_api(request):
        return problem_response(500, "The server failed to answer; the error has been logged.")
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None):
    if _is_api(request):
        return problem_response(400, "The request could not be understood.")
    return defaults.bad_request(request, exception or PermissionDenied())


def permission_denied(request: HttpRequest, exception: Exception | None = None):
    if _is_api(request):
        return problem_response(403, "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception or PermissionDenied())


class ApiBodySizeLimitMiddleware:
    """Refuse API request bodies over `API_MAX_BODY_BYTES` with 413.

    DRF reads the request stream itself, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    never applies to JSON bodies, and where it does Django answers 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if _is_api(request):
            limit = settings.API_MAX_BODY_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return problem_response(400, "Content-Length is not a number.")
            if length > limit:
                return problem_response(
                    413, f"The request body is {length} bytes; the limit is {limit} bytes."
                )
        return self.get_response(request)
