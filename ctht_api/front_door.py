"""`/`: the front door, a page naming the service with a link to each of its surfaces;
`/favicon.ico`, for the clients that ask for it by that name."""

from django.conf import settings
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView


class FrontDoorView(TemplateView):
    """What `runserver` prints and the admin's "View site" leads to. A static page (no
    query runs): the service's title and description are the OpenAPI document's."""

    template_name = "front_door.html"
    http_method_names = ["get", "head", "options"]

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": settings.SPECTACULAR_SETTINGS["TITLE"],
            "description": settings.SPECTACULAR_SETTINGS["DESCRIPTION"],
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
        }


@require_safe
def favicon(request):
    """A temporary redirect to the static icon: its hashed name changes with its content
    in production, and a permanent redirect would be cached pointing at an old one."""
    return redirect(static("ctht_api/favicon.ico"))
