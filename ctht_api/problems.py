"""The kinds of problem the API answers with, each described on a page of its own.

RFC 9457 lets a problem's `type` be a URI that a developer can open to learn
what the problem means. Ours point at pages this service serves itself
(`/api/problems/<slug>`), made from `PROBLEM_TYPES` below, so the link works
on every deployment, offline and behind a firewall alike, and cannot drift
from the code that emits the problem: `ctht_api.errors.problem()` takes the
type from this catalogue, and a status without an entry here gets
`about:blank` (RFC 9457: nothing more to say than the status phrase).

Slugs are the status phrases in kebab case, except `validation-error`, as they
were when `type` pointed at an outside documentation host; clients matching
on the last path segment keep working.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

BLANK = "about:blank"


def inline_code(text: str) -> str:
    """A description for a page: escaped, each `name` between backticks as <code>name</code>
    (the texts are written with Markdown's backticks; JSON clients read them as they are)."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)))


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    meaning: str
    what_to_do: str

    @property
    def meaning_html(self) -> str:
        return inline_code(self.meaning)

    @property
    def what_to_do_html(self) -> str:
        return inline_code(self.what_to_do)


PROBLEM_TYPES = {
    kind.slug: kind
    for kind in [
        ProblemType(
            "validation-error",
            400,
            "Validation error",
            "The request was understood, but some of its fields or query parameters hold "
            "values the record cannot accept: a missing required field, a value of the "
            "wrong type, an unknown country code or topic, a date range that ends before "
            "it starts; or it names a query parameter the endpoint does not read (code "
            "`unknown_parameter`, often a typo: the message lists the parameters that "
            "endpoint accepts). `errors` lists each one as `{field, code, message}`, with the "
            "field named as you sent it (`translations.0.language`); `field` is null when "
            "the error concerns the request as a whole.",
            "Correct each field named in `errors` and send the request again. Nothing was changed.",
        ),
        ProblemType(
            "bad-request",
            400,
            "Bad request",
            "The request could not be read at all: the body is not well-formed JSON, it is "
            "nested too deeply, or a header such as `Content-Length` is malformed.",
            "Check that the body is valid JSON sent as `application/json`, then retry.",
        ),
        ProblemType(
            "unauthorized",
            401,
            "Unauthorized",
            "The operation needs credentials and none were sent, or the key sent is "
            "unknown, expired or revoked. The answer carries `WWW-Authenticate: Token`.",
            "Send `Authorization: Token <key>` with a valid key; ask the project's "
            "administrators for one if you have none.",
        ),
        ProblemType(
            "forbidden",
            403,
            "Forbidden",
            "The credentials are valid but do not allow this operation: the key is "
            "read-only, or its user lacks the model permission the operation needs.",
            "Use a write-enabled key of a user holding the permission, or ask the "
            "administrators to grant it. Retrying as is will not help.",
        ),
        ProblemType(
            "not-found",
            404,
            "Not found",
            "Nothing is at this URL: no entry with this id, a draft hidden from your "
            "credentials, a page past the last one, or a path the API does not have.",
            "Check the id and the path (the API's root, `/api/v1/`, links to every "
            "resource). Entries you cannot see answer 404 as if they did not exist.",
        ),
        ProblemType(
            "method-not-allowed",
            405,
            "Method not allowed",
            "The URL exists but does not take this HTTP method, for instance `DELETE` on "
            "a list. The `Allow` header lists the methods it takes.",
            "Use one of the methods in `Allow`.",
        ),
        ProblemType(
            "not-acceptable",
            406,
            "Not acceptable",
            "The `Accept` header asks for a representation the API cannot produce.",
            "Accept `application/json` (or leave `Accept` out).",
        ),
        ProblemType(
            "conflict",
            409,
            "Conflict",
            "The request is well formed, but the current state of the record refuses "
            "it: for instance, deleting an entry other entries still refer to. `detail` "
            "names them.",
            "Delete the dependent entries, or point them elsewhere, then retry.",
        ),
        ProblemType(
            "gone",
            410,
            "Gone",
            "The change feed no longer covers the `since` cursor sent: it is older than the "
            "deletions the feed keeps (`CHANGES_RETENTION_DAYS`, 90 days by default), or it "
            "was given by another database (restored from a backup, or rebuilt). Resuming "
            "from it could miss a deletion.",
            "Re-sync from scratch: read `/api/v1/changes/` without `since` (or the lists), "
            "replace your copy with what it holds, then resume from the new `last`.",
        ),
        ProblemType(
            "precondition-failed",
            412,
            "Precondition failed",
            "`If-Match` named a version of the entry that is no longer the current one: "
            "someone changed it since you read it. Nothing was changed.",
            "Read the entry again (its `ETag` is the current version), reapply your "
            "change to what it now holds, and write with the new `If-Match`.",
        ),
        ProblemType(
            "request-entity-too-large",
            413,
            "Content too large",
            "The request body is larger than the service accepts; `detail` gives the "
            "limit in bytes.",
            "Send a smaller body, for instance by creating entries one at a time.",
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "Unsupported media type",
            "The request body is not `application/json`.",
            "Send the body as JSON with `Content-Type: application/json`.",
        ),
        ProblemType(
            "personal-data",
            422,
            "Personal data",
            "The statement is published (or being published), and its text, context or a "
            "translation holds what looks like personal data: an e-mail address, a phone "
            "number, a personal identity number (JMBG/EMBG) or an IBAN. `errors` lists each "
            "finding as `{field, code, kind, message}` (`code` is `personal_data`; the "
            "number is masked). Nothing was changed.",
            "Remove the personal data, or save the statement as a draft. If it must be "
            "published as it is, a user holding the `events.override_personal_data_check` "
            "permission sends the write again with `X-Safety-Override: <reason>`; the "
            "statement's history keeps the reason.",
        ),
        ProblemType(
            "precondition-required",
            428,
            "Precondition required",
            "This server refuses writes that do not say which version of the entry they "
            "change, so that no client overwrites a change it has not seen.",
            "Read the entry, then send its `ETag` in `If-Match` with your write.",
        ),
        ProblemType(
            "too-many-requests",
            429,
            "Too many requests",
            "You have used up your request budget for now. Budgets are per client: per "
            "IP address without a key, per key with one.",
            "Wait the number of seconds in `Retry-After`, then continue at a slower "
            "pace. Ask the administrators for a key if you need a larger budget.",
        ),
        ProblemType(
            "internal-server-error",
            500,
            "Internal server error",
            "The service failed to answer because of an error on its side; the error "
            "has been logged with its details, which the answer never shows.",
            "Retrying may not help. If it keeps happening, tell the project's "
            "administrators the time and the URL of the request.",
        ),
        ProblemType(
            "service-unavailable",
            503,
            "Service unavailable",
            "The service cannot reach its database for now. The request was fine; the "
            "service resumes by itself once the database is back.",
            "Wait the number of seconds in `Retry-After`, then send the same request again.",
        ),
    ]
}

# The type of a problem known only by its status (the status phrase in kebab case).
STATUS_TYPES = {
    kind.status: kind.slug for kind in PROBLEM_TYPES.values() if kind.slug != "validation-error"
}


def type_uri(request: HttpRequest, slug: str | None) -> str:
    """The absolute URI of the page describing `slug`, or `about:blank` without one."""
    if slug not in PROBLEM_TYPES:
        return BLANK
    try:
        path = reverse("problem-type", kwargs={"slug": slug})
    except NoReverseMatch:  # a URLconf without the pages (some tests run under one)
        return BLANK
    try:
        return request.build_absolute_uri(path)
    except DisallowedHost:
        # The Host header is not one of ours: answer with the path alone.
        return path


@require_safe
def problem_types(request: HttpRequest) -> HttpResponse:
    """Every kind of problem, with a link to its page."""
    return render(request, "problems/index.html", {"problem_types": PROBLEM_TYPES.values()})


@require_safe
def problem_type(request: HttpRequest, slug: str) -> HttpResponse:
    """What one kind of problem means and what a client should do about it."""
    try:
        kind = PROBLEM_TYPES[slug]
    except KeyError:
        raise Http404(f"No problem type {slug!r}.") from None
    return render(request, "problems/problem.html", {"problem": kind})
