"""Which institutions, people and positions a request sees."""

from ctht_api.identifiers import with_identifiers
from ctht_api.other_names import with_other_names
from ctht_api.sources import with_sources
from ctht_api.viewsets import RecordViewSet
from people.filters import InstitutionFilter, PersonFilter, PositionFilter
from people.models import Institution, Person, Position
from people.serializers import InstitutionSerializer, PersonSerializer, PositionSerializer


class InstitutionViewSet(RecordViewSet):
    """Public bodies, international organisations, NGOs and companies, with their parent."""

    queryset = with_identifiers(
        with_sources(
            with_other_names(Institution.objects.select_related("parent")).order_by("name", "id")
        )
    )
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilter


class PersonViewSet(RecordViewSet):
    """Public officials quoted in the record: public name and public roles only."""

    queryset = with_identifiers(
        with_sources(with_other_names(Person.objects.order_by("sort_name", "id")))
    )
    serializer_class = PersonSerializer
    filterset_class = PersonFilter


class PositionViewSet(RecordViewSet):
    """A person's role in an institution over time; either date may be unknown."""

    queryset = with_sources(
        with_other_names(Position.objects.select_related("person", "institution")).order_by(
            "person__sort_name", "-start_date", "id"
        )
    )
    serializer_class = PositionSerializer
    filterset_class = PositionFilter
