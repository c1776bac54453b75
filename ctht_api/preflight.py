"""Refuse to start with unsafe settings, saying why in one line instead of a traceback.

The settings module raises `ImproperlyConfigured` for a missing `SECRET_KEY` or
`ALLOWED_HOSTS`; the entry points (manage.py, gunicorn, WSGI/ASGI) turn that
into one line on stderr and exit status 1. Before serving traffic with DEBUG
off they also refuse a weak `SECRET_KEY`, by the rule of Django's own deploy
check (security.W009): at least 50 characters, 5 distinct ones, and not a
generated `django-insecure-` development key. Management commands other than
`runserver` accept any key, so tests and one-off commands need no real secret.
"""

import os
import sys

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured


def weak_secret_key(key: str) -> bool:
    """Django's security.W009 rule: too short, too few distinct characters, or a dev key."""
    return (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith(SECRET_KEY_INSECURE_PREFIX)
    )


def settings_problem(*, serving: bool) -> str | None:
    """What keeps the service from starting, in one line, or None."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctht_api.settings")
    from django.conf import settings

    try:
        debug, key = settings.DEBUG, settings.SECRET_KEY
    except ImproperlyConfigured as error:
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    if serving and not debug and weak_secret_key(key):
        return (
            f"SECRET_KEY is too weak for production: use at least {SECRET_KEY_MIN_LENGTH} random "
            "characters (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    return None


def exit_if_misconfigured(*, serving: bool) -> None:
    """Print the problem as one line on stderr and exit 1, if there is one."""
    problem = settings_problem(serving=serving)
    if problem:
        print(f"ctht-api: refusing to start: {problem}", file=sys.stderr, flush=True)
        sys.exit(1)
