"""Sources of people, institutions, positions and programmes: the documents their record
was taken from, as statements name their `source` and events their `documents`.

A many-to-many list of documents (`sources` on each model), written by id and read
as brief documents (`{"id", "url", "title"}`). Its changes are the entry's own
(ctht_api.audit tracks the field: the history shows `sources` as sorted ids), and
a document's title shown in it is followed by the change feed like every brief
form (changes.feed finds it from the serializer field).

- `with_sources` adds the briefs to a queryset as a JSON array (`source_briefs`,
  ctht_api.aggregates): a list page stays one query, whatever its size.
- `sources_field` is the serializer field, its help text the model's.
"""

from django.db import models
from django.db.models import QuerySet
from django.db.models.functions import JSONObject

from ctht_api.aggregates import json_array
from ctht_api.serializers import AnnotatedManyRelatedField, BriefRelatedField
from events.models import Document

ANNOTATION = "source_briefs"


def with_sources(queryset: QuerySet) -> QuerySet:
    """`queryset` with each entry's sources as `source_briefs`, a JSON array of
    `{"id", "title"}`."""
    field = queryset.model._meta.get_field("sources")
    through = field.remote_field.through
    document = field.m2m_reverse_field_name()
    return queryset.annotate(
        **{
            ANNOTATION: json_array(
                through.objects.all(),
                f"{field.m2m_field_name()}_id",
                JSONObject(id=f"{document}_id", title=f"{document}__title"),
            )
        }
    )


def sources_field(model: type[models.Model]) -> AnnotatedManyRelatedField:
    """`sources` of `model`'s serializer: document ids on write, brief documents on read."""
    return AnnotatedManyRelatedField(
        child_relation=BriefRelatedField(
            display="title", view_name="document-detail", queryset=Document.objects.all()
        ),
        annotation=ANNOTATION,
        required=False,
        help_text=f"{model._meta.get_field('sources').help_text} Document ids on write; "
        "replaced as a whole (left out: kept as they are).",
    )
