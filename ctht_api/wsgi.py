"""WSGI entry point, used by gunicorn in production."""

import os

from django.core.wsgi import get_wsgi_application

from ctht_api.preflight import exit_if_misconfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctht_api.settings")
exit_if_misconfigured(serving=True)

application = get_wsgi_application()
