"""People and institutions imported from a file in the admin (ctht_api.imports says how)."""

from ctht_api.imports import SerializerResource
from people.models import Institution, Person
from people.serializers import InstitutionSerializer, PersonSerializer


class PersonResource(SerializerResource):
    """People, one a row, validated and saved by the API's `PersonSerializer`.

    Columns (the CSV export's, `/api/v1/people/?format=csv`, import back): `id`
    (empty for a new person, an id to update one; `version` optional), `full_name`
    (required), `sort_name` (made from the full name when empty), `slug` (made
    from the name when empty), `other_names` and `identifiers` (JSON, as the
    export writes them; an empty cell empties the list).
    """

    serializer_class = PersonSerializer

    class Meta:
        model = Person
        name = "People"


class InstitutionResource(SerializerResource):
    """Institutions, one a row, validated and saved by the API's `InstitutionSerializer`.

    Columns (the CSV export's, `/api/v1/institutions/?format=csv`, import back):
    `id` (empty for a new institution, an id to update one; `version` optional),
    `name` (required), `short_name`, `slug` (made from the name when empty),
    `kind` (`ministry`, `ngo`, … as in the API), `country` (ISO code),
    `parent` or `parent_id` (an id or a slug), `website`, `other_names` and
    `identifiers` (JSON, as the export writes them; an empty cell empties the list).
    """

    serializer_class = InstitutionSerializer

    class Meta:
        model = Institution
        name = "Institutions"
