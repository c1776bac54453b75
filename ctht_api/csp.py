"""django-csp's middleware, its headers built once when the settings alone decide them.

django-csp builds the Content-Security-Policy from the settings for every response
(copying the directives, `dataclasses.asdict` of its parts, twice: the policy and the
report-only one): about 65 µs, 13 % of the CPU of a cached public answer in process.
A response whose policy is the settings' own gets the headers built once per value of
the settings (`CONTENT_SECURITY_POLICY`, `CONTENT_SECURITY_POLICY_REPORT_ONLY`): no
nonce was used while answering, no view set a policy of its own (csp.decorators),
no header is there yet, no URL prefix is excluded, and not a debug page. That is
every API answer. Any other response is django-csp's, unchanged: the docs pages,
whose inline script carries the request's nonce.
"""

import functools

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What csp.decorators set on a response to give it a policy of its own.
PER_RESPONSE = tuple(
    f"_csp_{name}{suffix}"
    for name in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)
POLICY_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
DEBUG_PAGES = (404, 500)  # django-csp leaves Django's debug pages without a policy


@functools.cache
def settings_headers() -> tuple[str, str] | None:
    """(policy, report-only policy) as django-csp builds them from the settings alone;
    None when a setting excludes URL prefixes (django-csp then decides per request)."""
    if any(
        (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES")
        for name in POLICY_SETTINGS
    ):
        return None
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _policy_changed(*, setting, **kwargs) -> None:
    if setting in POLICY_SETTINGS:
        settings_headers.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's `CSPMiddleware`, the settings' policy built once (see the module)."""

    def process_response(self, request, response):
        headers = settings_headers()
        if (
            headers is None
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in PER_RESPONSE)
            or HEADER in response
            or HEADER_REPORT_ONLY in response
            or (settings.DEBUG and response.status_code in DEBUG_PAGES)
        ):
            return super().process_response(request, response)
        policy, report_only = headers
        if policy:
            response[HEADER] = policy
        if report_only:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp does: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
