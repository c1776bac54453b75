"""The one v1 router: every resource partners integrate against hangs off it."""

from textwrap import dedent

from django.conf import settings
from django.db import models
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import routers, serializers
from rest_framework.schemas import DefaultSchema
from rest_framework.utils.formatting import markup_description
from rest_framework.views import get_view_description

from changes import views as changes
from ctht_api.params import StrictQueryParamsMixin
from ctht_api.popolo import PopoloExportViewSet
from events import views as events
from people import views as people


def listed_model(viewset) -> type[models.Model]:
    queryset = getattr(viewset, "queryset", None)
    return queryset.model if queryset is not None else viewset.serializer_class.Meta.model


def link_description(viewset) -> str:
    """What a root link leads to: the viewset's `root_link` text, else its model's list."""
    described = getattr(viewset, "root_link", None)
    return described or f"The list of {listed_model(viewset)._meta.verbose_name_plural}."


def summary(viewset) -> str:
    """What a resource is: the first paragraph of its viewset's docstring, on one line."""
    first_paragraph = dedent(viewset.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(first_paragraph.split()) or link_description(viewset)


class ApiRootView(StrictQueryParamsMixin, routers.APIRootView):
    """The API's entry point: a link to the list of every top-level resource.

    Start here and follow links: every list links its entries and next page,
    and every entry its related entries. Lists under a parent
    (`/events/{event_pk}/statements/`) are reached from the parent.
    """

    # DRF leaves its root out of the schema; this one is an operation like any other.
    schema = DefaultSchema()
    # The browsable root's title: the service's, as in the OpenAPI document.
    name = settings.SPECTACULAR_SETTINGS["TITLE"]
    # {prefix: what the resource is}, for the description; the router fills it.
    resources: dict[str, str] = {}

    def get_view_description(self, html=False):
        """The browsable root's text (and OPTIONS'): what the service is, as the OpenAPI
        document says it, this docstring, each resource, and where the documentation is.
        Markdown, rendered by DRF for the browsable page."""
        resources = "\n".join(
            f"- `{prefix}/`: {described}" for prefix, described in self.resources.items()
        )
        documentation = (
            f"Documentation: [Swagger UI]({reverse('swagger-ui')}), "
            f"[ReDoc]({reverse('redoc')}), the OpenAPI document ([YAML]({reverse('schema')}), "
            f"[JSON]({reverse('schema')}?format=json)) and the [problem types]"
            f"({reverse('problem-types')}) that errors answer with."
        )
        text = "\n\n".join(
            [
                settings.SPECTACULAR_SETTINGS["DESCRIPTION"],
                get_view_description(self),
                f"The resources:\n\n{resources}",
                documentation,
            ]
        )
        return markup_description(text) if html else text


class ApiRouter(routers.DefaultRouter):
    """DefaultRouter whose root lists, and documents, the top-level resources only."""

    include_format_suffixes = False
    APIRootView = ApiRootView

    def get_api_root_view(self, api_urls=None):
        top_level = [
            (prefix, viewset, basename)
            for prefix, viewset, basename in self.registry
            if "(" not in prefix  # nested lists need their parent's key
        ]
        links = inline_serializer(
            "ApiRoot",
            fields={
                prefix: serializers.URLField(help_text=link_description(viewset))
                for prefix, viewset, _ in top_level
            },
        )
        view = extend_schema_view(
            get=extend_schema(
                operation_id="api_root", summary="List the resources", responses=links
            )
        )(self.APIRootView)
        list_name = self.routes[0].name
        return view.as_view(
            api_root_dict={
                prefix: list_name.format(basename=basename) for prefix, _, basename in top_level
            },
            resources={prefix: summary(viewset) for prefix, viewset, _ in top_level},
        )


router = ApiRouter()
router.register("institutions", people.InstitutionViewSet, basename="institution")
router.register("people", people.PersonViewSet, basename="person")
router.register("positions", people.PositionViewSet, basename="position")
router.register("events", events.EventViewSet, basename="event")
router.register("statements", events.StatementViewSet, basename="statement")
router.register("topics", events.TopicViewSet, basename="topic")
router.register("programmes", events.ProgrammeViewSet, basename="programme")
router.register("documents", events.DocumentViewSet, basename="document")
router.register("countries", events.CountryViewSet, basename="country")
router.register("stats/statements", events.StatementStatsViewSet, basename="stats-statements")
router.register("changes", changes.ChangeFeedViewSet, basename="change")
router.register(
    r"countries/(?P<country_code>[A-Za-z]{2})/statements",
    events.CountryStatementViewSet,
    basename="country-statements",
)
router.register(
    r"events/(?P<event_pk>[0-9]+)/statements",
    events.EventStatementViewSet,
    basename="event-statements",
)
router.register(
    r"people/(?P<person_pk>[0-9]+)/statements",
    events.PersonStatementViewSet,
    basename="person-statements",
)
router.register(
    r"institutions/(?P<institution_pk>[0-9]+)/statements",
    events.InstitutionStatementViewSet,
    basename="institution-statements",
)
router.register("export/popolo", PopoloExportViewSet, basename="popolo-export")
