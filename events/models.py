"""What happens and what is said: events, statements and what they rely on.

Topics, programmes and documents live here because events and statements are
what they describe.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, JSONObject
from django.utils import timezone

from ctht_api.aggregates import json_array
from ctht_api.audit import audit_trail, current_changeset, snapshot_history
from ctht_api.identifiers import IdentifiersHistory, with_identifiers
from ctht_api.models import (
    URL_MAX_LENGTH,
    IdentifierBase,
    LanguageTagField,
    OtherNameBase,
    PublishableModel,
    PublishableQuerySet,
    SluggedModel,
    Status,
    TimestampedModel,
    clean_date_range,
    clean_parent_chain,
    date_range_constraint,
    embargo_over,
    identifier_constraints,
    language_constraint,
    not_blank_constraint,
    other_name_constraints,
    validate_not_blank,
)
from ctht_api.other_names import OtherNamesHistory, with_other_names
from ctht_api.search import statement_search_document
from events.statement_json import Precompiled, StatementJSON, StatementJSONIterable
from people.models import Country, Institution, Person, Position

# A statement's place in date order: unknown dates count as the oldest.
SORT_DATE = Coalesce("date", Value(datetime.date.min))


def topic_translation_rows(topic: "Topic") -> list[dict]:
    """A topic's translations as the API shows them: language, name, description, by language."""
    if topic.pk is None:
        return []
    rows = TopicTranslation.objects.filter(topic=topic.pk).order_by()
    return sorted(rows.values("language", "name", "description"), key=lambda row: row["language"])


# A topic's history records its translations with each version (ctht_api.audit).
TopicHistory = snapshot_history("translations", topic_translation_rows, what="translations")


class Topic(SluggedModel):
    """A term of the small controlled vocabulary that events and statements are tagged with."""

    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[validate_not_blank],
        help_text="Display name, e.g. 'Online recruitment'.",
    )
    description = models.TextField(blank=True, help_text="What the topic covers.")

    history = audit_trail(bases=[TopicHistory])

    class Meta:
        ordering = ["name"]
        constraints = [not_blank_constraint("name", "topic")]

    def __str__(self) -> str:
        return self.name


class Programme(SluggedModel):
    """A funding programme or project that events belong to, possibly part of a larger one."""

    name = models.CharField(
        max_length=300,
        validators=[validate_not_blank],
        help_text=(
            "Full name, e.g. 'Horizontal Facility for the Western Balkans and Turkey, phase III'."
        ),
    )
    short_name = models.CharField(max_length=50, blank=True, help_text="Acronym or short name.")
    description = models.TextField(blank=True, help_text="What the programme does.")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The programme this project is part of.",
    )
    funders = models.ManyToManyField(
        Institution,
        blank=True,
        related_name="funded_programmes",
        help_text="Institutions that fund the programme.",
    )
    start_date = models.DateField(null=True, blank=True, help_text="Start; empty if unknown.")
    end_date = models.DateField(null=True, blank=True, help_text="End; empty if unknown.")
    website = models.URLField(max_length=URL_MAX_LENGTH, blank=True, help_text="Official page.")

    sources = models.ManyToManyField(
        "Document",
        blank=True,
        related_name="sourced_programmes",
        help_text="Documents this record of the programme was taken from.",
    )

    history = audit_trail(
        m2m_fields=["funders", "sources"], bases=[OtherNamesHistory, IdentifiersHistory]
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            not_blank_constraint("name", "programme"),
            date_range_constraint("programme"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        clean_date_range(self)
        clean_parent_chain(self, message="A programme cannot be its own ancestor.")


class Document(SluggedModel):
    """A study, report, convention or article that events and statements rely on or come from."""

    class Kind(models.TextChoices):
        STUDY = "study", "Study"
        REPORT = "report", "Report"
        CONVENTION = "convention", "Convention or treaty"
        ARTICLE = "article", "News article"
        PRESS_RELEASE = "press_release", "Press release"
        GUIDELINE = "guideline", "Guideline or manual"
        OTHER = "other", "Other"

    slug_source = "title"

    title = models.CharField(
        max_length=500, validators=[validate_not_blank], help_text="Title as published."
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.OTHER,
        db_index=True,
        help_text="What sort of document this is.",
    )
    publisher = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        help_text="Institution that published it; empty if the source does not say.",
    )
    reference = models.CharField(
        max_length=200,
        blank=True,
        help_text="Official reference or identifier, e.g. 'ETS No. 185'.",
    )
    language = LanguageTagField(
        blank=True, help_text="Language of the document (BCP 47), if it has one."
    )
    date = models.DateField(null=True, blank=True, help_text="Publication date; empty if unknown.")
    url = models.URLField(
        max_length=URL_MAX_LENGTH, blank=True, help_text="Where the document can be read."
    )

    history = audit_trail(bases=[IdentifiersHistory])

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            not_blank_constraint("title", "document"),
            language_constraint("language", "document", optional=True),
        ]

    def __str__(self) -> str:
        return self.title


class EventQuerySet(PublishableQuerySet):
    def for_api(self):
        """Everything an event's JSON shows, in one query (see ctht_api.aggregates)."""
        return with_identifiers(
            with_other_names(self.select_related("country", "source"))
        ).annotate(
            country_codes=json_array(
                Event.countries.through.objects.all(), "event_id", "country_id"
            ),
            topic_slugs=json_array(Event.topics.through.objects.all(), "event_id", "topic__slug"),
            organiser_briefs=json_array(
                Event.organisers.through.objects.all(),
                "event_id",
                JSONObject(
                    id="institution_id",
                    name="institution__name",
                    country_id="institution__country_id",
                ),
            ),
            programme_briefs=json_array(
                Event.programmes.through.objects.all(),
                "event_id",
                JSONObject(id="programme_id", name="programme__name"),
            ),
            document_briefs=json_array(
                Event.documents.through.objects.all(),
                "event_id",
                JSONObject(id="document_id", title="document__title"),
            ),
        )


EVENT_ANNOTATIONS = (
    "country_codes",
    "topic_slugs",
    "organiser_briefs",
    "programme_briefs",
    "document_briefs",
)


class Event(SluggedModel, PublishableModel):
    """A conference, workshop, training, meeting, campaign or press release."""

    class Kind(models.TextChoices):
        CONFERENCE = "conference", "Conference"
        WORKSHOP = "workshop", "Workshop"
        TRAINING = "training", "Training"
        MEETING = "meeting", "Meeting"
        CAMPAIGN = "campaign", "Campaign"
        PRESS_RELEASE = "press_release", "Press release"
        OTHER = "other", "Other"

    slug_source = "title"

    title = models.CharField(
        max_length=500,
        validators=[validate_not_blank],
        help_text="Title as announced, in its original language.",
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.OTHER,
        db_index=True,
        help_text="What sort of event this is.",
    )
    summary = models.TextField(blank=True, help_text="What happened, in a few sentences.")
    start_date = models.DateField(
        null=True, blank=True, db_index=True, help_text="First day; empty if unknown."
    )
    end_date = models.DateField(null=True, blank=True, help_text="Last day; empty if unknown.")
    city = models.CharField(max_length=100, blank=True, help_text="City where it was held.")
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events_held",
        help_text="Country where it was held; empty if online or unknown.",
    )
    countries = models.ManyToManyField(
        Country,
        blank=True,
        related_name="events",
        help_text="Countries the event is concerned with.",
    )
    organisers = models.ManyToManyField(
        Institution,
        blank=True,
        related_name="organised_events",
        help_text="Institutions that organised it.",
    )
    participant_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Number of participants; empty if unknown."
    )
    participant_count_is_approximate = models.BooleanField(
        default=False, help_text="Whether the count is approximate ('about sixty experts')."
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="events", help_text="What the event dealt with."
    )
    programmes = models.ManyToManyField(
        Programme,
        blank=True,
        related_name="events",
        help_text="Programmes or projects the event belongs to.",
    )
    documents = models.ManyToManyField(
        Document, blank=True, related_name="events", help_text="Documents the event relied on."
    )
    source = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sourced_events",
        help_text="Document this record of the event was taken from.",
    )

    objects = EventQuerySet.as_manager()

    history = audit_trail(
        m2m_fields=["countries", "organisers", "topics", "programmes", "documents"],
        bases=[OtherNamesHistory, IdentifiersHistory],
    )

    class Meta:
        ordering = [F("start_date").desc(nulls_last=True), "-id"]
        constraints = [
            not_blank_constraint("title", "event"),
            date_range_constraint("event"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        clean_date_range(self)


class StatementQuerySet(PublishableQuerySet):
    # What `public()` reads of related entries: a change of these changes which
    # statements a client sees (the change feed follows it, changes/feed.py).
    visibility_depends_on = {"event": ("status", "publish_at")}
    embargo_paths = ("", "event__")

    def public(self, now: datetime.datetime | None = None):
        """Published, out of embargo (at `now`, by default the present), and not made at
        a draft or embargoed event: neither leaks through the brief event embedded in a
        statement."""
        now = now or timezone.now()
        event_public = Q(event__status=Status.PUBLISHED) & embargo_over(now, "event__")
        return self.published().filter(embargo_over(now) & (Q(event__isnull=True) | event_public))

    json_urls: dict[str, tuple[str, str]] | None = None
    json_prepared = False

    def _clone(self):
        clone = super()._clone()
        clone.json_urls, clone.json_prepared = self.json_urls, self.json_prepared
        return clone

    def public_json(self, pk: int, urls: dict[str, tuple[str, str]]) -> StatementJSON | None:
        """The public statement `pk` as a JSON row (`as_json`), or None: what
        `public().as_json(urls).get(pk=pk)` reads, by SQL compiled once per process
        (`PUBLIC_STATEMENT`), the hot path of an anonymous detail."""
        rows = PUBLIC_STATEMENT.rows((timezone.now(), pk), urls, using=self.db)
        return rows[0] if rows else None

    def as_json(self, urls: dict[str, tuple[str, str]]):
        """Rows of the statement's JSON text written by PostgreSQL, with the id, version
        and sort key (events.statement_json); `urls` maps each view name a statement
        links to onto the absolute URL before and after the id."""
        clone = self._chain()
        clone.json_urls = urls
        clone._iterable_class = StatementJSONIterable
        return clone

    def prepared_json(self):
        """`as_json` rows read by a prepared statement (ctht_api.prepared): only for a
        query whose plan suits every value of its parameters, such as a page of the
        whole list (events.statement_json `StatementJSONIterable`)."""
        clone = self._chain()
        clone.json_prepared = True
        return clone

    def for_api(self):
        """Everything a statement's JSON shows, in one query: the brief related rows
        joined, the country codes, topic slugs and translations as JSON arrays.

        Only the columns the JSON shows are read: not the stored search document,
        and of each related row just what its brief form needs.
        """
        own = [f.name for f in Statement._meta.concrete_fields if f.name != "search_document"]
        brief = [
            "speaker__full_name",
            "position__title",
            "institution__name",
            "institution__country_id",
            "event__title",
            "source__title",
        ]
        return (
            self.select_related("speaker", "position", "institution", "event", "source")
            .only(*own, *brief)
            .annotate(
                country_codes=json_array(
                    Statement.countries.through.objects.all(), "statement_id", "country_id"
                ),
                topic_slugs=json_array(
                    Statement.topics.through.objects.all(), "statement_id", "topic__slug"
                ),
                translation_list=json_array(
                    StatementTranslation.objects.all(),
                    "statement_id",
                    JSONObject(language="language", text="text", kind="kind"),
                ),
            )
        )


# What a statement's history keeps beside its own columns: its translations, as the
# API lists them (ctht_api.audit.snapshot_history; null where not recorded).
StatementHistory = snapshot_history(
    "translations", lambda statement: statement.translation_rows(), what="translations"
)


# Where a write's changeset keeps the override reasons it used, by statement id.
SAFETY_OVERRIDES = "safety_overrides"


class SafetyOverrideHistory(models.Model):
    """A statement's history records when a write went past the personal-data check, and why.

    Filled in from the write's changeset (ctht_api.audit) by the check's override
    (events.safety); empty on every version written without one."""

    safety_override = models.TextField(
        blank=True,
        default="",
        db_default="",  # the history rows generate_data and the backup write in SQL
        editable=False,
        help_text=(
            "The reason given to publish despite the personal-data check's findings; "
            "empty when no override was used."
        ),
    )

    # Not a field of the statement but of the write, as the reason is: the history
    # shows it on the record, not among the changes (ctht_api.history).
    write_fields = ("safety_override",)

    class Meta:
        abstract = True

    def take_snapshot(self, instance: models.Model) -> None:
        current = current_changeset()
        overrides = current.parts.get(SAFETY_OVERRIDES, {}) if current is not None else {}
        self.safety_override = overrides.get(instance.pk, "")


class Statement(TimestampedModel, PublishableModel):
    """The exact words a person said, in the language they said them, with where and when."""

    text = models.TextField(
        validators=[validate_not_blank], help_text="The exact words said, verbatim."
    )
    language = LanguageTagField(
        db_index=True, help_text="Language of the text, as a BCP 47 tag (fr, en, sr-Latn)."
    )
    speaker = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="statements", help_text="Who said it."
    )
    position = models.ForeignKey(
        Position,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="The position the speaker held when speaking.",
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="Institution the speaker spoke for; taken from the position when empty.",
    )
    event = models.ForeignKey(
        Event,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="Where it was said; empty for a press release or interview.",
    )
    date = models.DateField(
        null=True,
        blank=True,
        help_text="When it was said; the event's start date when empty, empty if unknown.",
    )
    countries = models.ManyToManyField(
        Country,
        blank=True,
        related_name="statements",
        help_text=(
            "Countries the statement concerns. Left empty, they default to the "
            "institution's country, else the event's countries."
        ),
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="statements", help_text="What the statement is about."
    )
    source = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="Document the words were taken from.",
    )
    context = models.TextField(
        blank=True,
        help_text="What the source reports around the quote (reported speech, not verbatim).",
    )
    search_document = models.TextField(
        blank=True,
        editable=False,
        help_text=(
            "What `q` searches: the text, its translations, the speaker's name and "
            "the event's title, folded to one script (Latin), lower-cased, without "
            "accents; kept up to date on save."
        ),
    )

    objects = StatementQuerySet.as_manager()

    history = audit_trail(
        excluded_fields=["search_document"],
        m2m_fields=["countries", "topics"],
        bases=[StatementHistory, SafetyOverrideHistory],
    )

    class Meta:
        permissions = [
            (
                "override_personal_data_check",
                "Can publish a statement the personal-data check refuses, giving a reason",
            )
        ]
        ordering = [F("date").desc(nulls_last=True), "-id"]
        indexes = [
            models.Index(fields=["date", "id"], name="statement_date_id"),
            # The keys of keyset pagination (ctht_api/pagination.py): unknown dates sort
            # as the oldest, ties broken by id, so every page is one index range scan.
            models.Index(SORT_DATE, F("id"), name="statement_sort_date_id"),
            models.Index(fields=["updated_at", "id"], name="statement_updated_at_id"),
        ]
        constraints = [
            not_blank_constraint("text", "statement"),
            language_constraint("language", "statement"),
        ]

    def __str__(self) -> str:
        excerpt = self.text if len(self.text) <= 60 else f"{self.text[:59]}…"
        return f"{self.speaker}: {excerpt}"

    def clean(self) -> None:
        """Who spoke as what (DOMAIN.md, "Trust of the record"): the position must be the
        speaker's, held on the statement's date, and at the statement's institution.

        The date is the statement's own, else its event's start date (the default
        `save` stores). When neither is known the dates cannot be checked and the
        position is accepted; so is a position whose unknown start or end leaves the
        date possible (`Position.was_held_on`). The rule reads the statement as it
        would be stored: a change of only the speaker or the date that leaves the
        kept position another person's, or not held then, is refused on `position`
        too, so the editor chooses again (or empties it, to have it derived).
        """
        if self.position_id and self.speaker_id and self.position.person_id != self.speaker_id:
            raise ValidationError({"position": "This position is held by another person."})
        day = self.known_date()
        if self.position_id and day is not None and not self.position.was_held_on(day):
            raise ValidationError(
                {
                    "position": f"This position was not held on {day.isoformat()}, "
                    f"the statement's date ({self.position.dated_label()})."
                }
            )
        if (
            self.position_id
            and self.institution_id
            and self.position.institution_id != self.institution_id
        ):
            raise ValidationError({"institution": "The position belongs to another institution."})

    def known_date(self) -> datetime.date | None:
        """The statement's date, else its event's start date (`save` stores that default),
        else None. The event may be unsaved yet, given by the admin's page of a new event."""
        if self.date is not None:
            return self.date
        if self.event_id is not None or Statement.event.is_cached(self):
            return self.event.start_date if self.event is not None else None
        return None

    def held_position(self) -> Position | None:
        """The position the speaker held on the statement's date, when exactly one of
        theirs was (`Position.was_held_on`: unknown start or end dates do not exclude
        a day); None when none was, when two or more were (ambiguous: the editors
        choose), or when the speaker or the date is unknown. With an institution given,
        only the speaker's positions there count, so the default never contradicts it."""
        day = self.known_date()
        if self.speaker_id is None or day is None:
            return None
        positions = Position.objects.filter(person_id=self.speaker_id)
        if self.institution_id is not None:
            positions = positions.filter(institution_id=self.institution_id)
        held = [position for position in positions if position.was_held_on(day)]
        return held[0] if len(held) == 1 else None

    def save(self, *args, **kwargs):
        """Apply the defaults DOMAIN.md prescribes, in the order they depend on each other:
        the date from the event, then the position from the speaker and that date
        (`held_position`), then the institution from the position (given or derived);
        the countries follow from the institution (`apply_default_countries`). A save
        of named columns only (`update_fields`: publishing, the search document) derives
        nothing."""
        update_fields = kwargs.get("update_fields")
        if self.date is None and self.event_id is not None:
            self.date = self.event.start_date
        if self.position_id is None and update_fields is None:
            self.position = self.held_position()
        if self.institution_id is None and self.position_id is not None:
            self.institution_id = self.position.institution_id
        if update_fields is None or "text" in update_fields:
            self.search_document = self.build_search_document()
        super().save(*args, **kwargs)
        self.apply_default_countries()

    def build_search_document(self) -> str:
        """This statement's search document, from its stored translations."""
        translations = self.translations.values_list("language", "text") if self.pk else []
        return statement_search_document(
            text=self.text,
            speaker_name=self.speaker.full_name,
            event_title=self.event.title if self.event_id else None,
            translations=translations,
        )

    def refresh_search_document(self) -> None:
        """Recompute after a translation, the speaker's name or the event's title changed.

        `updated_at` and `version` move too: those appear in the statement's
        JSON, so a partner's mirror (`updated_since`) and cache (ETag) must
        fetch it again; and it is a save, so the audit trail sees it.
        """
        self.search_document = self.build_search_document()
        self.save(update_fields=["search_document", "updated_at"])

    def translation_rows(self) -> list[dict]:
        """The translations as the API shows them: language, text and kind, by language."""
        if self.pk is None:
            return []
        return list(
            StatementTranslation.objects.filter(statement=self)
            .order_by("language")
            .values("language", "text", "kind")
        )

    def default_countries(self) -> list[str]:
        """The codes DOMAIN.md prescribes when the editor gives none."""
        if self.institution_id and self.institution.country_id:
            return [self.institution.country_id]
        if self.event_id:
            return list(self.event.countries.values_list("code", flat=True))
        return []

    def apply_default_countries(self) -> None:
        """Fill in countries when none are set; called after every save and M2M write.

        The default is stored, not computed on read, so that filtering by
        country stays an indexed equality match on the join table.
        """
        if not self.countries.exists():
            codes = self.default_countries()
            if codes:
                self.countries.set(codes)


# `Statement.objects.public(now).filter(pk=pk)` compiled once per process, with values no
# request sends as placeholders (a date before the record, a negative id).
PUBLIC_STATEMENT = Precompiled(
    lambda now, pk: Statement.objects.public(now).filter(pk=pk),
    (datetime.datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.UTC), -8_765_432_109),
)


class StatementTranslation(TimestampedModel):
    """A statement's text in another language, and who translated it."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", "Official"
        EDITORIAL = "editorial", "Editorial"
        MACHINE = "machine", "Machine"

    statement = models.ForeignKey(
        Statement,
        on_delete=models.CASCADE,
        related_name="translations",
        help_text="The statement translated.",
    )
    language = LanguageTagField(help_text="Language of the translation (BCP 47).")
    text = models.TextField(validators=[validate_not_blank], help_text="The translated text.")
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.EDITORIAL,
        help_text="Who translated: an official translation, the editors, or a machine.",
    )

    history = audit_trail()

    class Meta:
        ordering = ["language"]
        constraints = [
            not_blank_constraint("text", "statementtranslation"),
            language_constraint("language", "statementtranslation"),
            models.UniqueConstraint(
                fields=["statement", "language"],
                name="statementtranslation_one_per_language",
                violation_error_message="A translation in this language exists already.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.language} ({self.get_kind_display()})"

    def clean(self) -> None:
        # The statement may be new and unsaved yet (the admin's add page): read the
        # object the form gave, not only a stored id.
        has_statement = self.statement_id or StatementTranslation.statement.is_cached(self)
        if has_statement and self.language == self.statement.language:
            raise ValidationError({"language": "A translation must be in another language."})

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.statement.refresh_search_document()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.statement.refresh_search_document()
        return result


class ProgrammeOtherName(OtherNameBase):
    """Another name of a programme: its name in another language, an acronym, a former name."""

    owner_field = "programme"

    programme = models.ForeignKey(
        Programme,
        on_delete=models.CASCADE,
        related_name="other_names",
        help_text="The programme so named.",
    )

    history = audit_trail()

    class Meta(OtherNameBase.Meta):
        constraints = [
            *other_name_constraints("programmeothername"),
            models.UniqueConstraint(
                fields=["programme", "name", "language"],
                name="programmeothername_unique",
                violation_error_message="This name in this language is recorded already.",
            ),
        ]


class EventOtherName(OtherNameBase):
    """Another title of an event: in another language, or as the editors corrected it.

    The title stays as the source spells it; a correction is an other name with a note.
    """

    owner_field = "event"

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="other_names",
        help_text="The event so titled.",
    )

    history = audit_trail()

    class Meta(OtherNameBase.Meta):
        constraints = [
            *other_name_constraints("eventothername"),
            models.UniqueConstraint(
                fields=["event", "name", "language"],
                name="eventothername_unique",
                violation_error_message="This name in this language is recorded already.",
            ),
        ]


# A topic's name and description are written in English: the original its translations
# are beside, and the original of the API's `display`.
TOPIC_LANGUAGE = "en"


class TopicTranslation(TimestampedModel):
    """A topic's name and description in another language, chosen by the client's `lang`."""

    topic = models.ForeignKey(
        Topic,
        on_delete=models.CASCADE,
        related_name="translations",
        help_text="The topic translated.",
    )
    language = LanguageTagField(help_text="Language (and script) of the translation, e.g. sr-Cyrl.")
    name = models.CharField(
        max_length=100, validators=[validate_not_blank], help_text="The topic's name."
    )
    description = models.TextField(blank=True, help_text="What the topic covers.")

    history = audit_trail()

    class Meta:
        ordering = ["language"]
        constraints = [
            not_blank_constraint("name", "topictranslation"),
            language_constraint("language", "topictranslation"),
            models.UniqueConstraint(
                fields=["topic", "language"],
                name="topictranslation_one_per_language",
                violation_error_message="A translation in this language exists already.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.name}"

    def clean(self) -> None:
        if self.language == TOPIC_LANGUAGE:
            raise ValidationError(
                {
                    "language": f"The topic's own name and description are in {TOPIC_LANGUAGE}: "
                    "a translation must be in another language."
                }
            )


class EventIdentifier(IdentifierBase):
    """An identifier of an event in another database (Wikidata, …)."""

    owner_field = "event"

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="identifiers",
        help_text="The event so identified.",
    )

    history = audit_trail()

    class Meta(IdentifierBase.Meta):
        constraints = identifier_constraints("eventidentifier")


class ProgrammeIdentifier(IdentifierBase):
    """An identifier of a programme in another database (Wikidata, …)."""

    owner_field = "programme"

    programme = models.ForeignKey(
        Programme,
        on_delete=models.CASCADE,
        related_name="identifiers",
        help_text="The programme so identified.",
    )

    history = audit_trail()

    class Meta(IdentifierBase.Meta):
        constraints = identifier_constraints("programmeidentifier")


class DocumentIdentifier(IdentifierBase):
    """An identifier of a document in another database (Wikidata, …)."""

    owner_field = "document"

    document = models.ForeignKey(
        Document,
        on_delete=models.CASCADE,
        related_name="identifiers",
        help_text="The document so identified.",
    )

    history = audit_trail()

    class Meta(IdentifierBase.Meta):
        constraints = identifier_constraints("documentidentifier")
