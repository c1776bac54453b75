"""Security headers, the Content-Security-Policy the docs run under, and no tracebacks."""

import re

import psycopg
import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from ctht_api.csp import CSPMiddleware
from tests.api.helpers import assert_problem


def directives(response) -> dict[str, set[str]]:
    """The response's Content-Security-Policy as {directive: {sources}}."""
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = set(sources)
    return parsed


def boom(request):
    """A view failing the way a bug would, with a secret in its message."""
    raise RuntimeError("secret-internal-detail")


def database_gone(request):
    """A plain Django view (no DRF handler) losing the database, as a middleware could."""
    # As Django's wrapper raises it: the driver's error is the cause.
    message = "connection to server at 127.0.0.1 failed: Connection refused"
    raise OperationalError(message) from psycopg.OperationalError(message)


urlpatterns = [path("api/v1/boom/", boom), path("api/v1/database-gone/", database_gone)]
handler500 = "ctht_api.errors.server_error"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/statements/", "/api/docs/", "/api/redoc/", "/admin/login/", "/dashboard/"]
)
def test_every_page_carries_the_security_headers(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = directives(response)
    assert policy["default-src"] == {"'self'"}
    assert policy["object-src"] == {"'none'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["base-uri"] == {"'self'"}
    assert policy["form-action"] == {"'self'"}
    assert policy["img-src"] == {"'self'", "data:"}
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert {s for s in scripts if not s.startswith("'nonce-")} == {"'self'"}


@pytest.mark.django_db
def test_hsts_is_sent_over_https(client: Client):
    response = client.get("/api/v1/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_the_probes(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    response = client.get("/api/v1/statements/")
    assert (response.status_code, response["Location"]) == (
        301,
        "https://testserver/api/v1/statements/",
    )
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/", "/api/v1/statements/?format=api"])
def test_docs_pages_run_no_inline_script_without_the_nonce(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    nonces = {s[len("'nonce-") : -1] for s in directives(response)["script-src"]}
    for attributes in INLINE_SCRIPT.findall(html):
        # Data blocks (type="application/json") are never run, so CSP ignores them.
        if 'type="application/json"' in attributes:
            continue
        nonce = re.search(r'nonce="([^"]+)"', attributes)
        assert nonce and nonce[1] in nonces, f"inline script without the nonce in {url}"


@pytest.mark.django_db
def test_swagger_ui_start_up_script_is_served_as_javascript(client: Client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', page)[1]
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.django_db
@pytest.mark.urls("tests.test_security_headers")
def test_an_unexpected_error_is_a_generic_problem_without_a_traceback(caplog):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/boom/")
    body = assert_problem(response, 500)
    assert body["detail"] == "The server failed to answer; the error has been logged."
    assert b"secret-internal-detail" not in response.content
    assert b"Traceback" not in response.content
    # The details stay in the server's log.
    assert any("secret-internal-detail" in str(r.exc_info) for r in caplog.records if r.exc_info)


@pytest.mark.urls("tests.test_security_headers")
def test_a_lost_database_outside_a_view_is_503_not_500():
    response = Client(raise_request_exception=False).get("/api/v1/database-gone/")
    body = assert_problem(response, 503)
    assert response["Retry-After"] == "5"
    assert "database is unreachable" in body["detail"]
    assert b"Connection refused" not in response.content


# The policy built once (ctht_api/csp.py): the same headers as django-csp's own middleware.

DJANGO_CSP = "csp.middleware.CSPMiddleware"


def with_django_csp(settings) -> None:
    settings.MIDDLEWARE = [
        DJANGO_CSP if name == "ctht_api.csp.CSPMiddleware" else name for name in settings.MIDDLEWARE
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/statements/", "/api/v1/", "/admin/login/", "/dashboard/"])
def test_the_policy_built_once_is_django_csps(client: Client, settings, url: str):
    ours = client.get(url)
    with_django_csp(settings)
    theirs = Client().get(url)  # a new handler: a client keeps the middleware it loaded
    assert ours.status_code == theirs.status_code == 200
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in ours


@pytest.mark.django_db
def test_a_changed_policy_setting_is_the_next_answers(client: Client, settings):
    assert "report-uri" not in client.get("/api/v1/")["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/csp-reports/"}
    }
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    response = client.get("/api/v1/")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Content-Security-Policy-Report-Only"] == (
        "default-src 'none'; report-uri /csp-reports/"
    )


def test_an_answer_using_the_nonce_gets_a_policy_naming_it_each_time(rf):
    """A page with an inline script (ReDoc's template, with settings) reads the nonce:
    its policy is django-csp's, built for that request."""
    middleware = CSPMiddleware(lambda request: HttpResponse(f"<script nonce={request.csp_nonce}>"))
    answers = [middleware(rf.get("/api/redoc/")) for _ in range(2)]
    nonces = [
        {s[len("'nonce-") : -1] for s in directives(r)["script-src"] if s.startswith("'nonce-")}
        for r in answers
    ]
    assert all(len(found) == 1 for found in nonces) and nonces[0] != nonces[1]
    for answer, found in zip(answers, nonces, strict=True):
        assert answer.content.decode() == f"<script nonce={next(iter(found))}>"


@pytest.mark.parametrize(
    ("attribute", "value", "policy"),
    [
        ("_csp_exempt", True, None),
        ("_csp_replace", {"img-src": ["https://example.org"]}, "img-src https://example.org"),
    ],
)
def test_a_response_with_a_policy_of_its_own_gets_it(rf, attribute, value, policy):
    """What csp.decorators set on a view's response is django-csp's to apply."""
    response = HttpResponse("x")
    setattr(response, attribute, value)
    answered = CSPMiddleware(lambda request: response)(rf.get("/api/v1/"))
    if policy is None:
        assert "Content-Security-Policy" not in answered
    else:
        assert policy in answered["Content-Security-Policy"].split("; ")
