"""Strict query parameters: a parameter an endpoint does not read is a 400 naming it.

DRF and django-filter ignore what they do not know, so `?contry=RS` (a typo)
would answer the whole record as if it were the filtered list, and a partner
would never learn why the numbers are wrong. Here it is a 400 problem whose
`errors` entry names the parameter as sent (code `unknown_parameter`) and
lists, sorted, the parameters that endpoint accepts.

What an endpoint accepts is derived from what it reads, so that it cannot
drift from the code, nor from the OpenAPI document, which drf-spectacular
builds from the same sources (tests/api/test_query_parameters.py holds them
equal, operation by operation):

- `format` everywhere (DRF's content negotiation). Its value must name one of
  the view's renderers: DRF answers an unknown one with a 404, as if the
  resource did not exist; here it is a 400 naming `format`. Empty means the
  default, as in DRF.
- On an action that answers a page of entries (`list`, or an extra action
  with a paginator of its own, such as `{id}/history/`): the filters of its
  filter backends (a django-filter filterset's filters, under the names
  django-filter reads, `_min`/`_max` and the like for range widgets; a plain
  ViewSet without filter backends that declares a `filterset_class` and runs
  it by itself gets that filterset's) and the
  paginator's parameters (`page`, `page_size`; `cursor`, `page_size`,
  `ordering`, `count` for the keyset statement lists), as the paginator
  itself lists them for the schema.
- `extra_query_params`: what a view reads by itself (`/countries/` sorts with
  `ordering` without a filterset), on each of its actions.

A parameter given twice (`country=RS&country=BA`) is a 400 too (code
`repeated_parameter`): django-filter would read the last value only, and a
partner sending values the way `URLSearchParams.append` does would get a
plausible, wrong answer. Several values go comma-separated (`country=RS,BA`);
only filters whose widget reads a list (`kind=conference&kind=workshop`) and
a view's `repeatable_query_params` (`group_by`) may be repeated.

A detail, a write or an `OPTIONS` accepts `format` and the extras only: DRF's
`get_object()` runs the list's filters too, so `/statements/7/?country=BA`
used to answer 404 for a statement about Serbia, a behaviour nobody
documented or asked for.

The check runs first in `initial()`, before authentication, throttling and
content negotiation: it reads nothing but the query string, so a malformed
request costs no query and opens no transaction. A CORS preflight never
reaches it (django-cors-headers answers preflights in its middleware).
"""

from difflib import get_close_matches

from django_filters import rest_framework as django_filters
from django_filters.widgets import SuffixedMultiWidget
from rest_framework import mixins
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

REPEATED_PARAMETER = "repeated_parameter"
UNKNOWN_PARAMETER = "unknown_parameter"


def format_parameter() -> str | None:
    """DRF's name for the format override (`format`), or None where it is turned off."""
    return api_settings.URL_FORMAT_OVERRIDE


def filterset_parameters(filterset_class) -> set[str]:
    """The query parameters a django-filter FilterSet reads: each filter's name, or its
    suffixed names for a multi-value widget (`price_min`, `price_max`)."""
    names = set()
    for name, filter_ in filterset_class.base_filters.items():
        widget = filter_.field_class.widget
        if isinstance(widget, type) and issubclass(widget, SuffixedMultiWidget):
            names |= {"_".join([name, suffix]) if suffix else name for suffix in widget.suffixes}
        else:
            names.add(name)
    return names


def backend_parameters(backend, view) -> set[str]:
    """The query parameters one filter backend reads on `view`."""
    if isinstance(backend, django_filters.DjangoFilterBackend):
        filterset_class = backend.get_filterset_class(view)  # no queryset: no query to run
        return filterset_parameters(filterset_class) if filterset_class else set()
    return {p["name"] for p in backend.get_schema_operation_parameters(view) if p["in"] == "query"}


def unknown_parameter_message(name: str, accepted: list[str]) -> str:
    guess = get_close_matches(name, accepted, n=1)
    hint = f" Did you mean {guess[0]!r}?" if guess else ""
    return f"Unknown query parameter {name!r}.{hint} This endpoint accepts: {', '.join(accepted)}."


class StrictQueryParamsMixin:
    """For any DRF view: refuse a query parameter it does not read (see the module)."""

    # Parameters the view reads by itself, on every action (`("group_by", "ordering")`).
    extra_query_params: tuple[str, ...] = ()
    # Those of them it reads as a list when repeated (`group_by=country&group_by=month`).
    repeatable_query_params: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        self.check_query_params(request)
        super().initial(request, *args, **kwargs)

    def answers_a_page(self) -> bool:
        """Whether this action lists entries: `list`, or an extra action declared with a
        paginator of its own (`{id}/history/`). A view without actions lists when it is
        a ListModelMixin (a ListAPIView)."""
        action = getattr(self, "action", None)
        if action is None:
            return isinstance(self, mixins.ListModelMixin)
        if action == "list":
            return True
        handler = getattr(type(self), action, None)
        return "pagination_class" in getattr(handler, "kwargs", {})

    def accepted_query_params(self) -> set[str]:
        """Every query parameter this action reads."""
        accepted = set(self.extra_query_params)
        if format_parameter():
            accepted.add(format_parameter())
        if self.answers_a_page():
            backends = getattr(self, "filter_backends", None)
            filterset_class = getattr(self, "filterset_class", None)
            if backends is None and filterset_class is not None:
                # A plain ViewSet that runs its filterset by itself (no filter backends).
                accepted |= filterset_parameters(filterset_class)
            for backend in backends or ():
                accepted |= backend_parameters(backend(), self)
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                accepted |= {
                    p["name"]
                    for p in paginator.get_schema_operation_parameters(self)
                    if p["in"] == "query"
                }
        return accepted

    def repeatable(self) -> set[str]:
        """Parameters read as a list when repeated: the view's own, and filters whose
        form widget takes several values (django-filter's `MultipleChoiceFilter`:
        `kind=conference&kind=workshop`). Any other is read once, by its last value."""
        names = set(self.repeatable_query_params)
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None and self.answers_a_page():
            for name, filter_ in filterset_class.base_filters.items():
                widget = getattr(filter_.field_class, "widget", None)
                if getattr(widget, "allow_multiple_selected", False):
                    names.add(name)
        return names

    def accepted_formats(self) -> list[str]:
        """The values `format` may take: one per renderer (`json`, and `api` for the
        browsable pages)."""
        return sorted({renderer.format for renderer in self.get_renderers()})

    def check_query_params(self, request) -> None:
        accepted = sorted(self.accepted_query_params())
        errors = {
            name: [ErrorDetail(unknown_parameter_message(name, accepted), UNKNOWN_PARAMETER)]
            for name in sorted(request.query_params)
            if name not in accepted
        }
        repeatable = self.repeatable()
        for name, values in sorted(request.query_params.lists()):
            if len(values) > 1 and name in accepted and name not in repeatable:
                errors[name] = [
                    ErrorDetail(
                        f"Given {len(values)} times: give it once, with several values "
                        f"comma-separated ({name}=a,b); otherwise only the last would count.",
                        REPEATED_PARAMETER,
                    )
                ]
        format_param = format_parameter()
        wanted = request.query_params.get(format_param) if format_param else None
        if wanted and wanted not in self.accepted_formats():
            formats = ", ".join(self.accepted_formats())
            errors[format_param] = [
                ErrorDetail(f"Must be one of {formats}; got {wanted!r}.", "invalid_choice")
            ]
        if errors:
            raise ValidationError(errors)
