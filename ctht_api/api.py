"""The one v1 router: every resource partners integrate against hangs off it."""

from rest_framework.routers import DefaultRouter

from events import views as events
from people import views as people


class ApiRouter(DefaultRouter):
    """DefaultRouter whose root lists the top-level resources only."""

    include_format_suffixes = False


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
router.register(
    r"countries/(?P<country_code>[A-Z]{2})/statements",
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
