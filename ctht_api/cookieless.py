"""A request without a `Cookie` header skips the session, sign-in and message work.

Such a request cannot name a session, so its user is anonymous and it has no
stored messages: nearly every API read (anonymous or by token) is one. Django's
middleware would still build a session store, look the user up through it
(loading the authentication backend) and build the message storage on every
request; these thin subclasses answer at once instead:

- `SessionMiddleware`: the request still gets an (empty) session, so a view that
  starts one (none reachable without a CSRF cookie writes, see below) works as
  before, and its response still says `Vary: Cookie` whenever the user was asked
  for, exactly as Django's says it: a shared cache must never serve an anonymous
  answer to an editor's session.
- `AuthenticationMiddleware`: `request.user` is `AnonymousUser`, without a
  look-up; asking for it marks the session accessed, as Django's look-up does.
- `MessageMiddleware`: no message storage. The views that add messages (the
  admin's) are reached with a session cookie only.

A request that carries any cookie takes Django's own path, unchanged. CSRF
protection is untouched: `CsrfViewMiddleware` does no work for a cookieless
safe request (it has no token to read), and it must still refuse a cookieless
POST to a form (the admin's login, where it prevents login CSRF).
"""

from functools import partial

from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as sessions_middleware
from django.utils.functional import SimpleLazyObject


def carries_cookies(request) -> bool:
    """Whether the request sent a non-empty `Cookie` header (and so may name a session)."""
    return bool(request.META.get("HTTP_COOKIE"))


def _anonymous(request) -> AnonymousUser:
    request.session.accessed = True  # as Django's look-up does: the answer varies on Cookie
    return AnonymousUser()


async def _aanonymous(request) -> AnonymousUser:
    return _anonymous(request)


class SessionMiddleware(sessions_middleware.SessionMiddleware):
    """Django's, but a cookieless request's session is a fresh one without a cookie look-up."""

    def process_request(self, request):
        if carries_cookies(request):
            return super().process_request(request)
        request.session = self.SessionStore(None)
        return None


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, but a cookieless request's user is `AnonymousUser` with no look-up."""

    def process_request(self, request):
        if carries_cookies(request):
            return super().process_request(request)
        request.user = SimpleLazyObject(partial(_anonymous, request))
        request.auser = partial(_aanonymous, request)
        return None


class MessageMiddleware(messages_middleware.MessageMiddleware):
    """Django's, but a cookieless request gets no message storage (it has no messages)."""

    def process_request(self, request):
        if carries_cookies(request):
            return super().process_request(request)
        return None
