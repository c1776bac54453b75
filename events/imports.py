"""Statements imported from a file in the admin (ctht_api.imports says how)."""

from ctht_api.imports import SerializerResource
from events.models import Statement
from events.serializers import StatementSerializer


class StatementResource(SerializerResource):
    """Statements, one a row, validated by the API's `StatementSerializer` and written by
    `events.services.write_statement`, as a `POST` or `PATCH` of the API would.

    Columns (the CSV export's, `/api/v1/statements/?format=csv`, import back):

    - `id`: empty or absent for a new statement; a statement's id to update it
      (only the columns present change); `version`, optional, refuses the row if
      the statement changed since;
    - `text`, `language` (a BCP 47 tag: `fr`, `sr-Latn`), `speaker` or `speaker_id`
      (the person's id or slug): required for a new statement;
    - `position` or `position_id` (an id; a position of the speaker),
      `institution`/`institution_id`, `event`/`event_id`, `source`/`source_id`
      (an id or a slug); `date` (`2024-05-17`, or a date cell);
    - `countries` (ISO codes, `BA;RS`) and `topics` (slugs), `;`-joined; left
      empty on a new statement, the countries default to the institution's or
      the event's;
    - `translations` (JSON: `[{"language": "en", "text": "…", "kind": "editorial"}]`),
      `context`, `status` (`draft` or `published`; default draft).
    """

    serializer_class = StatementSerializer

    class Meta:
        model = Statement
        name = "Statements"
