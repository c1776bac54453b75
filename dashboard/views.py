"""The dashboard's one page: a template with no data in it (the browser fetches the API)."""

from django.views.generic import TemplateView


class DashboardView(TemplateView):
    """`/dashboard/`: the shell the script fills; no query runs here. The script fetches
    without credentials, so the charts and lists show what an anonymous client gets,
    even in a browser signed in to the admin. The "Download CSV" link is a plain
    link (a download streams to disk; fetched into the page, a whole record would
    sit in the browser's memory), so it carries the session cookie: the template
    warns a signed-in editor that the file holds what they may see, drafts included."""

    template_name = "dashboard/index.html"
    http_method_names = ["get", "head", "options"]
