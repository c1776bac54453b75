"""ASGI entry point, for servers that speak ASGI."""

import os

from django.core.asgi import get_asgi_application

from ctht_api.preflight import exit_if_misconfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctht_api.settings")
exit_if_misconfigured(serving=True)

application = get_asgi_application()
