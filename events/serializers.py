"""How events, statements, topics, programmes and documents are written and read over HTTP."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from ctht_api.languages import ORIGINAL, DisplayField, DisplayMixin, Rendering
from ctht_api.serializers import (
    AnnotatedListSerializer,
    AnnotatedManyRelatedField,
    BriefRelatedField,
    OwnedListsMixin,
    RecordSerializer,
    SelfUrlField,
    absolute_url,
    identifiers_field,
    other_names_field,
)
from ctht_api.sources import ANNOTATION as SOURCES
from ctht_api.sources import sources_field
from events.models import (
    EVENT_ANNOTATIONS,
    TOPIC_LANGUAGE,
    Document,
    Event,
    Programme,
    Statement,
    StatementTranslation,
    Topic,
    TopicTranslation,
)
from events.services import write_statement, write_topic
from people.models import Position
from people.serializers import CountryCodesField, brief_institution, brief_person

TIMESTAMP = serializers.DateTimeField()  # DRF's timestamp format, for the fast path


def brief_event(**kwargs) -> BriefRelatedField:
    return BriefRelatedField(
        display="title", view_name="event-detail", queryset=Event.objects.all(), **kwargs
    )


def brief_document(**kwargs) -> BriefRelatedField:
    return BriefRelatedField(
        display="title", view_name="document-detail", queryset=Document.objects.all(), **kwargs
    )


def topic_slugs(**kwargs) -> AnnotatedManyRelatedField:
    return AnnotatedManyRelatedField(
        child_relation=serializers.SlugRelatedField(
            slug_field="slug", queryset=Topic.objects.all()
        ),
        annotation="topic_slugs",
        required=False,
        help_text="Topic slugs.",
        **kwargs,
    )


def country_codes(**kwargs) -> AnnotatedManyRelatedField:
    return AnnotatedManyRelatedField(
        child_relation=CountryCodesField(), annotation="country_codes", required=False, **kwargs
    )


DISPLAY_KINDS = [ORIGINAL, *StatementTranslation.Kind.values]
# One per language tag is the most a topic needs; a bound keeps a write's cost bounded.
MAX_TOPIC_TRANSLATIONS = 100


class TopicDisplaySerializer(serializers.Serializer):
    """The topic in the client's language (`lang` or `Accept-Language`); only then present."""

    language = serializers.CharField(help_text="BCP 47 tag of the language shown.")
    name = serializers.CharField(help_text="The topic's name in that language.")
    description = serializers.CharField(help_text="Its description in that language.")
    kind = serializers.ChoiceField(
        choices=[ORIGINAL, StatementTranslation.Kind.EDITORIAL, StatementTranslation.Kind.MACHINE],
        help_text="`original`: the topic's own (English) name, nothing matched better; "
        "`editorial`: a translation the editors stored; `machine`: transliterated on the fly.",
    )


class TopicDisplayField(DisplayField):
    shape = TopicDisplaySerializer


class TopicTranslationSerializer(serializers.ModelSerializer):
    serializer_field_mapping = RecordSerializer.serializer_field_mapping

    class Meta:
        model = TopicTranslation
        fields = ["language", "name", "description"]
        list_serializer_class = AnnotatedListSerializer
        annotation = "translation_list"
        sort_keys = ["language"]


class TopicSerializer(DisplayMixin, RecordSerializer):
    """A topic, with its name in other languages. With `lang` or `Accept-Language`,
    `display` holds the name and description in the client's language (see
    ctht_api.languages), from the English original and the stored translations,
    which are the editors' (`kind`: `editorial`).

    Topics embedded in statements and events are slugs, which no language changes."""

    url = SelfUrlField(view_name="topic-detail")
    translations = TopicTranslationSerializer(
        many=True,
        required=False,
        max_length=MAX_TOPIC_TRANSLATIONS,
        help_text="The name and description in other languages; replaced as a whole on write.",
    )
    display = TopicDisplayField(
        help_text="The topic in the client's language; present only when it named one "
        "(`lang` or `Accept-Language`)."
    )

    class Meta:
        model = Topic
        read_annotations = ("translation_list",)
        fields = [
            "id",
            "url",
            "name",
            "slug",
            "description",
            "translations",
            "display",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}}

    def renderings(self, topic: Topic) -> list[Rendering]:
        if hasattr(topic, "translation_list"):  # null when there is none: no query then
            rows = topic.translation_list or []
        else:
            rows = topic.translations.values("language", "name", "description")
        return [
            Rendering(
                TOPIC_LANGUAGE, ORIGINAL, {"name": topic.name, "description": topic.description}
            ),
            *(
                Rendering(
                    row["language"],
                    StatementTranslation.Kind.EDITORIAL,
                    {"name": row["name"], "description": row["description"]},
                )
                for row in rows
            ),
        ]

    def create(self, validated_data):
        translations = validated_data.pop("translations", None)
        return write_topic(values=validated_data, translations=translations)

    def update(self, instance, validated_data):
        self.drop_read_annotations(instance)
        translations = validated_data.pop("translations", None)
        return write_topic(topic=instance, values=validated_data, translations=translations)


class ProgrammeSerializer(OwnedListsMixin, RecordSerializer):
    """A programme; its `other_names` (its name in other languages, an acronym) in its
    detail and in `/programmes/`, not in the brief form events embed."""

    url = SelfUrlField(view_name="programme-detail")
    parent = BriefRelatedField(
        display="name",
        view_name="programme-detail",
        queryset=Programme.objects.all(),
        required=False,
        allow_null=True,
        help_text="The programme this one is part of.",
    )
    funders = brief_institution(many=True, required=False, help_text="Funding institutions.")
    sources = sources_field(Programme)
    other_names = other_names_field()
    identifiers = identifiers_field()

    class Meta:
        model = Programme
        read_annotations = (SOURCES,)
        fields = [
            "id",
            "url",
            "name",
            "short_name",
            "slug",
            "description",
            "parent",
            "funders",
            "start_date",
            "end_date",
            "website",
            "sources",
            "other_names",
            "identifiers",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}}


class DocumentSerializer(OwnedListsMixin, RecordSerializer):
    url = SelfUrlField(view_name="document-detail")
    link = serializers.URLField(
        source="url",
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Where the document can be read (`url` is this resource's own address).",
    )
    publisher = brief_institution(required=False, allow_null=True, help_text="Publisher.")
    identifiers = identifiers_field()

    class Meta:
        model = Document
        fields = [
            "id",
            "url",
            "title",
            "slug",
            "kind",
            "publisher",
            "reference",
            "language",
            "date",
            "link",
            "identifiers",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}}


class EventSerializer(OwnedListsMixin, RecordSerializer):
    """An event; its `other_names` (other titles: translations, an editorial correction of
    the source's title) in its detail and in `/events/`, not in the brief form statements
    embed."""

    url = SelfUrlField(view_name="event-detail")
    country = CountryCodesField(
        required=False, allow_null=True, help_text="Country where it was held (ISO code)."
    )
    countries = country_codes(help_text="Countries concerned (ISO codes).")
    organisers = AnnotatedManyRelatedField(
        child_relation=brief_institution(),
        annotation="organiser_briefs",
        required=False,
        help_text="Organisers.",
    )
    topics = topic_slugs()
    programmes = AnnotatedManyRelatedField(
        child_relation=BriefRelatedField(
            display="name", view_name="programme-detail", queryset=Programme.objects.all()
        ),
        annotation="programme_briefs",
        required=False,
        help_text="Programmes or projects it belongs to.",
    )
    documents = AnnotatedManyRelatedField(
        child_relation=brief_document(),
        annotation="document_briefs",
        required=False,
        help_text="Documents it relied on.",
    )
    source = brief_document(
        required=False, allow_null=True, help_text="Where this record comes from."
    )
    statements_url = SelfUrlField(
        view_name="event-statements-list",
        lookup_url_kwarg="event_pk",
        help_text="The statements made at this event.",
    )
    other_names = other_names_field()
    identifiers = identifiers_field()

    class Meta:
        model = Event
        read_annotations = EVENT_ANNOTATIONS
        fields = [
            "id",
            "url",
            "title",
            "slug",
            "kind",
            "status",
            "publish_at",
            "summary",
            "start_date",
            "end_date",
            "city",
            "country",
            "countries",
            "organisers",
            "participant_count",
            "participant_count_is_approximate",
            "topics",
            "programmes",
            "documents",
            "source",
            "statements_url",
            "other_names",
            "identifiers",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}}


class StatementTranslationSerializer(serializers.ModelSerializer):
    serializer_field_mapping = RecordSerializer.serializer_field_mapping

    class Meta:
        model = StatementTranslation
        fields = ["language", "text", "kind"]
        list_serializer_class = AnnotatedListSerializer
        annotation = "translation_list"
        sort_keys = ["language"]


class StatementDisplaySerializer(serializers.Serializer):
    """The statement in the client's language (`lang` or `Accept-Language`); only then
    present."""

    language = serializers.CharField(help_text="BCP 47 tag of the language shown.")
    text = serializers.CharField(help_text="The words in that language.")
    kind = serializers.ChoiceField(
        choices=DISPLAY_KINDS,
        help_text="`original`: the statement's own words (nothing matched better, or the "
        "original is in the language asked for); `official`, `editorial`, `machine`: a "
        "stored translation of that kind, or `machine` for a transliteration made on the fly "
        "(`sr-Latn` asked, only Cyrillic stored).",
    )


class StatementDisplayField(DisplayField):
    shape = StatementDisplaySerializer


class StatementSerializer(DisplayMixin, RecordSerializer):
    """A statement. With `lang` or `Accept-Language`, `display` holds its words in the
    client's language (see ctht_api.languages); `text` and `language` stay the original."""

    url = SelfUrlField(view_name="statement-detail")
    speaker = brief_person(help_text="Who said it (person id on write).")
    speaker_position = serializers.SerializerMethodField(
        help_text="Title of the position the speaker held when speaking, or null."
    )
    position = BriefRelatedField(
        display="title",
        view_name="position-detail",
        queryset=Position.objects.all(),
        required=False,
        allow_null=True,
        help_text=(
            "The speaker's position when speaking (position id on write): one of the "
            "speaker's, held on the statement's date (its own, else the event's start "
            "date). Left empty, it is the one the speaker held on that date, when "
            "exactly one was."
        ),
    )
    institution = brief_institution(
        required=False,
        allow_null=True,
        help_text="Institution the speaker spoke for, with its country; default: the position's.",
    )
    event = brief_event(required=False, allow_null=True, help_text="Where it was said, or null.")
    countries = country_codes(
        help_text="Countries concerned (ISO codes). Left empty, they default to the "
        "institution's country, else the event's countries."
    )
    topics = topic_slugs()
    source = brief_document(required=False, allow_null=True, help_text="Where the words come from.")
    translations = StatementTranslationSerializer(
        many=True,
        required=False,
        help_text="The text in other languages; replaced as a whole on write.",
    )
    display = StatementDisplayField(
        help_text="The statement in the client's language; present only when it named one "
        "(`lang` or `Accept-Language`)."
    )

    class Meta:
        model = Statement
        read_annotations = ("country_codes", "topic_slugs", "translation_list")
        fields = [
            "id",
            "url",
            "text",
            "language",
            "speaker",
            "speaker_position",
            "position",
            "institution",
            "event",
            "date",
            "countries",
            "topics",
            "source",
            "translations",
            "display",
            "context",
            "status",
            "publish_at",
            "created_at",
            "updated_at",
        ]

    def renderings(self, statement: Statement) -> list[Rendering]:
        if hasattr(statement, "translation_list"):  # null when there is none: no query then
            rows = statement.translation_list or []
        else:
            rows = [
                {"language": t.language, "text": t.text, "kind": t.kind}
                for t in statement.translations.all()
            ]
        return [
            Rendering(statement.language, ORIGINAL, {"text": statement.text}),
            *(Rendering(row["language"], row["kind"], {"text": row["text"]}) for row in rows),
        ]

    def to_representation(self, statement: Statement) -> dict:
        """The Python read path: a statement loaded by `Statement.objects.for_api()` is
        written out directly (about four times faster than field by field, see
        docs/benchmarks.md); anything else goes through the declared fields. On
        PostgreSQL, JSON reads without `display` skip the serializer altogether
        (events.statement_json writes the same JSON in the database, and
        events.statement_csv the same CSV cells); this path serves SQLite, `display`,
        CSV on SQLite, the browsable API, the change feed and writes.
        tests/api/test_fast_representation.py holds all three to the same output."""
        if not hasattr(statement, "translation_list"):
            return super().to_representation(statement)
        context = self.context

        def brief(view_name: str, pk, **fields) -> dict | None:
            if pk is None:
                return None
            return {"id": pk, "url": absolute_url(context, view_name, "pk", pk), **fields}

        position, institution = statement.position, statement.institution
        event, source = statement.event, statement.source
        data = {
            "id": statement.pk,
            "url": absolute_url(context, "statement-detail", "pk", statement.pk),
            "text": statement.text,
            "language": statement.language,
            "speaker": brief(
                "person-detail", statement.speaker_id, full_name=statement.speaker.full_name
            ),
            "speaker_position": position.title if position else None,
            "position": brief("position-detail", statement.position_id, title=position.title)
            if position
            else None,
            "institution": brief(
                "institution-detail",
                statement.institution_id,
                name=institution.name,
                country=institution.country_id,
            )
            if institution
            else None,
            "event": brief("event-detail", statement.event_id, title=event.title)
            if event
            else None,
            "date": statement.date.isoformat() if statement.date else None,
            "countries": sorted(statement.country_codes or []),
            "topics": sorted(statement.topic_slugs or []),
            "source": brief("document-detail", statement.source_id, title=source.title)
            if source
            else None,
            "translations": [
                {"language": t["language"], "text": t["text"], "kind": t["kind"]}
                for t in sorted(statement.translation_list or [], key=lambda t: t["language"])
            ],
        }
        if context.get("display_languages"):
            data["display"] = self.display_of(statement)
        data.update(
            {
                "context": statement.context,
                "status": statement.status,
                "publish_at": TIMESTAMP.to_representation(statement.publish_at)
                if statement.publish_at
                else None,
                "created_at": TIMESTAMP.to_representation(statement.created_at),
                "updated_at": TIMESTAMP.to_representation(statement.updated_at),
            }
        )
        return data

    def get_speaker_position(self, statement: Statement) -> str | None:
        return statement.position.title if statement.position_id else None

    def create(self, validated_data):
        return write_statement(**self._write_arguments(validated_data))

    def update(self, instance, validated_data):
        self.drop_read_annotations(instance)
        return write_statement(statement=instance, **self._write_arguments(validated_data))

    @staticmethod
    def _write_arguments(validated_data: dict) -> dict:
        """The request's fields as the service takes them (events.services)."""
        values = dict(validated_data)
        return {
            "countries": values.pop("countries", None),
            "topics": values.pop("topics", None),
            "translations": values.pop("translations", None),
            "values": values,
        }


class StatementStatsRowSerializer(serializers.Serializer):
    """One group: the value of each key named in `group_by` (only those), and its count."""

    country = serializers.RegexField(
        r"^[A-Z]{2}$",
        required=False,
        allow_null=True,
        help_text="ISO 3166-1 alpha-2 code; null for statements concerning no country.",
    )
    topic = serializers.CharField(
        required=False, allow_null=True, help_text="Topic slug; null for statements without one."
    )
    language = serializers.CharField(required=False, help_text="BCP 47 tag, as stored.")
    speaker = brief_person(required=False, help_text="The speaker, in brief.")
    institution = brief_institution(
        required=False, allow_null=True, help_text="The institution, in brief, or null."
    )
    event = brief_event(required=False, allow_null=True, help_text="The event, in brief, or null.")
    year = serializers.RegexField(
        r"^[0-9]{4}$",
        required=False,
        allow_null=True,
        help_text='Year of the statement\'s date ("2024"); null when the date is unknown.',
    )
    month = serializers.RegexField(
        r"^[0-9]{4}-[0-9]{2}$",
        required=False,
        allow_null=True,
        help_text='Month of the statement\'s date ("2024-05"); null when the date is unknown.',
    )
    count = serializers.IntegerField(help_text="Statements in this group.")

    def to_representation(self, row: dict) -> dict:
        """Only the keys of the row (those of `group_by`, then `count`), in its order."""
        fields = self.fields
        return {
            name: None if value is None else fields[name].to_representation(value)
            for name, value in row.items()
        }


@extend_schema_serializer(many=False)  # answered by the list action, but one object
class StatementStatsSerializer(serializers.Serializer):
    """Statement counts per group, with the number of distinct statements counted."""

    group_by = serializers.ListField(
        child=serializers.CharField(),
        help_text="The keys asked for, in the order asked: those of each result.",
    )
    total = serializers.IntegerField(
        help_text="Distinct statements counted: a statement in several groups (concerning "
        "BA and RS) counts once here, so `total` may be less than the sum of the counts."
    )
    results = StatementStatsRowSerializer(many=True, help_text="Every group, not a page.")
