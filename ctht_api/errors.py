"""Every API error is `application/problem+json` (RFC 9457).

Shape: `type`, `title`, `status`, `detail`; validation errors add
`errors: [{"field", "code", "message"}]`, one entry per offending field or
query parameter, named as the client sent it (nested fields as
`translations.0.language`). Four places produce errors and all use
`problem()`: DRF's exception handler (views), Django's 404/500 handlers (URLs
no view matched), the body-size middleware (before any view runs), and the
not-found middleware (Django's debug 404 page, which bypasses `handler404`).

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
handled; pages outside the API (the admin) get an HTML page saying so. Only a
failure to reach the database counts: any other `OperationalError` (SQLite's
"no such table", a PostgreSQL lock or statement timeout) is a bug or a load
problem on the server's side, so it is a 500 and Django logs it with its
traceback. No 500 ever carries a traceback or an exception message to the
client: those go to the server log.

Each problem's `type` is the absolute URI of a page describing it, served by
the app itself (`ctht_api.problems`).
"""

import logging
import sqlite3
import sys
from collections import defaultdict
from http import HTTPStatus

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views import defaults
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from ctht_api.problems import STATUS_TYPES, type_uri

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Seconds a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = (
    "The database is unreachable; the service resumes by itself when it is back. Retry later."
)

logger = logging.getLogger(__name__)


def problem(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    errors: list[dict] | None = None,
    kind: str = "",
) -> dict:
    """The problem document for `status`; `kind` names its `type` (default: by its status)."""
    body = {
        "type": type_uri(request, kind or STATUS_TYPES.get(status)),
        "title": HTTPStatus(status).phrase,
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


# PostgreSQL's own codes for a server that is going away or not yet taking connections.
SERVER_GOING_AWAY = {"57P01", "57P02", "57P03"}


def is_connection_failure(exc: BaseException | None) -> bool:
    """A failure to reach the database, not an error in a query (those are bugs: 500).

    Told by the driver's error, which Django's wrapper keeps as `__cause__`:
    psycopg gives no SQLSTATE for a connection it could not open or lost, and
    class 08 (connection exception) or 57P01-03 for a server shutting down or
    starting; SQLite's equivalent is a file it cannot open. Anything else,
    including an `OperationalError` without a driver error behind it, is not.
    """
    if isinstance(exc, InterfaceError):
        return True  # a connection already closed
    if not isinstance(exc, OperationalError):
        return False
    driver_error = exc.__cause__
    if hasattr(driver_error, "sqlstate"):  # psycopg
        state = driver_error.sqlstate
        return state is None or state.startswith("08") or state in SERVER_GOING_AWAY
    if isinstance(driver_error, sqlite3.Error):
        return getattr(driver_error, "sqlite_errorcode", None) == sqlite3.SQLITE_CANTOPEN
    return False


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state of the record."
    default_code = "conflict"


class ProblemWithErrors(exceptions.APIException):
    """A refusal that lists what it refuses as `errors`, like a validation error, with a
    status and a problem type of its own (`kind`, ctht_api.problems)."""

    kind = ""

    def __init__(self, detail: str, errors: list[dict]):
        super().__init__(detail)
        self.errors = errors


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
    request = context["request"]
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
        detail = f"Invalid input: {fields}." if fields else "Invalid input."
        body = problem(
            request, response.status_code, detail, errors=errors, kind="validation-error"
        )
    elif isinstance(exc, ProblemWithErrors):
        body = problem(
            request, response.status_code, str(exc.detail), errors=exc.errors, kind=exc.kind
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        status = response.status_code
        body = problem(request, status, str(detail) or HTTPStatus(status).phrase)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    if isinstance(exc, DatabaseUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def problem_response(request: HttpRequest, status: int, detail: str, **kwargs) -> JsonResponse:
    return JsonResponse(
        problem(request, status, detail, **kwargs),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_not_found(request: HttpRequest) -> JsonResponse:
    return problem_response(request, 404, "No resource at this URL. The API root is /api/v1/.")


def not_found(request: HttpRequest, exception: Exception | None = None):
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception or Http404())


def server_error(request: HttpRequest):
    """500 without details; 503 when the exception being handled is a lost database."""
    # Django calls this handler while handling the exception, so it is still current.
    if is_connection_failure(sys.exc_info()[1]):
        response = (
            problem_response(request, 503, DATABASE_UNAVAILABLE)
            if _is_api(request)
            else database_unavailable_page()
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if _is_api(request):
        return problem_response(
            request, 500, "The server failed to answer; the error has been logged."
        )
    return defaults.server_error(request)


def database_unavailable_page() -> HttpResponse:
    """The admin's 503, in the admin's look.

    Rendered without the request, so that no context processor reaches for
    the database (the signed-in user is read from the session table).
    """
    try:
        stylesheet = static("admin/css/base.css")
    except ValueError:  # no collectstatic manifest: the page goes plain rather than fail
        stylesheet = None
    html = render_to_string(
        "database_unavailable.html",
        {
            "site_header": admin.site.site_header,
            "site_title": admin.site.site_title,
            "stylesheet": stylesheet,
        },
    )
    return HttpResponse(html, status=503)


def bad_request(request: HttpRequest, exception: Exception | None = None):
    if _is_api(request):
        return problem_response(request, 400, "The request could not be understood.")
    return defaults.bad_request(request, exception or PermissionDenied())


def permission_denied(request: HttpRequest, exception: Exception | None = None):
    if _is_api(request):
        return problem_response(request, 403, "You do not have permission to perform this action.")
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
                return problem_response(request, 400, "Content-Length is not a number.")
            if length > limit:
                return problem_response(
                    request, 413, f"The request body is {length} bytes; the limit is {limit} bytes."
                )
        return self.get_response(request)


class ApiNotFoundMiddleware:
    """Every 404 under `/api/` is a problem document, with `DEBUG` on as well.

    With `DEBUG` on, Django answers a path no URL matches with its technical
    HTML page instead of calling `handler404`. Listed before CommonMiddleware,
    so that its redirect of `/api/v1/statements` to `/api/v1/statements/`
    still happens first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and _is_api(request)
            and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return api_not_found(request)
        return response
