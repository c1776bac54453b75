"""Who takes part: countries, institutions, people, and the positions people hold.

Country lives here because institutions are the first to need it; the events
app, which already depends on people, reuses it.
"""

import datetime

from django.db import models
from django.db.models import F, Q

from ctht_api.audit import audit_trail
from ctht_api.identifiers import IdentifiersHistory
from ctht_api.models import (
    URL_MAX_LENGTH,
    IdentifierBase,
    OtherNameBase,
    SluggedModel,
    TimestampedModel,
    clean_date_range,
    clean_parent_chain,
    date_range_constraint,
    identifier_constraints,
    not_blank_constraint,
    other_name_constraints,
    validate_not_blank,
)
from ctht_api.other_names import OtherNamesHistory
from people.countries import COUNTRY_CODES


class Country(models.Model):
    """An ISO 3166-1 alpha-2 country (plus XK); reference data loaded by migrations."""

    code = models.CharField(
        max_length=2,
        primary_key=True,
        help_text="ISO 3166-1 alpha-2 code in upper case, e.g. RS; XK for Kosovo*.",
    )
    name = models.CharField(max_length=100, help_text="English short name.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"
        constraints = [
            models.CheckConstraint(
                condition=Q(code__in=COUNTRY_CODES),
                name="country_code_iso_3166_1",
                violation_error_message="Not an ISO 3166-1 alpha-2 code (or XK).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Institution(SluggedModel):
    """A public body, international organisation, NGO or company taking part in the work."""

    class Kind(models.TextChoices):
        MINISTRY = "ministry", "Ministry or government body"
        INTERNATIONAL_ORGANISATION = "international_organisation", "International organisation"
        IO_OFFICE = "io_office", "Office of an international organisation"
        LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
        JUDICIARY = "judiciary", "Judiciary or prosecution"
        NGO = "ngo", "NGO / civil society"
        TECH_COMPANY = "tech_company", "Technology company"
        ACADEMIA = "academia", "Academia"
        OTHER = "other", "Other"

    name = models.CharField(
        max_length=300,
        validators=[validate_not_blank],
        help_text="Full official name, e.g. 'Ministry of Security of Bosnia and Herzegovina'.",
    )
    short_name = models.CharField(
        max_length=50, blank=True, help_text="Acronym or short name, e.g. 'CoE', 'GRETA'."
    )
    kind = models.CharField(
        max_length=30,
        choices=Kind.choices,
        default=Kind.OTHER,
        db_index=True,
        help_text="What sort of institution this is.",
    )
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="institutions",
        help_text="Country the institution belongs to; empty for an international body.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The institution this one is part of (an office, department or unit).",
    )
    website = models.URLField(max_length=URL_MAX_LENGTH, blank=True, help_text="Official website.")

    sources = models.ManyToManyField(
        "events.Document",
        blank=True,
        related_name="sourced_institutions",
        help_text="Documents this record of the institution was taken from.",
    )

    history = audit_trail(m2m_fields=["sources"], bases=[OtherNamesHistory, IdentifiersHistory])

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            not_blank_constraint("name", "institution"),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="institution_not_own_parent",
                violation_error_message="An institution cannot be its own parent.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.short_name})" if self.short_name else self.name

    def clean(self) -> None:
        clean_parent_chain(self, message="An institution cannot be its own ancestor.")


class Person(SluggedModel):
    """A public official quoted in the record: a public name and public roles only."""

    slug_source = "full_name"

    full_name = models.CharField(
        max_length=200,
        validators=[validate_not_blank],
        help_text="Name as the person writes it, in Unicode (e.g. 'Stanislava Tanić').",
    )
    sort_name = models.CharField(
        max_length=200,
        blank=True,
        db_index=True,
        help_text="Name for sorting, e.g. 'Tanić, Stanislava'; made from the full name if empty.",
    )

    sources = models.ManyToManyField(
        "events.Document",
        blank=True,
        related_name="sourced_people",
        help_text="Documents this record of the person was taken from.",
    )

    history = audit_trail(m2m_fields=["sources"], bases=[OtherNamesHistory, IdentifiersHistory])

    class Meta:
        ordering = ["sort_name", "id"]
        verbose_name_plural = "people"
        constraints = [not_blank_constraint("full_name", "person")]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        if not self.sort_name:
            *given, family = self.full_name.split() or [""]
            self.sort_name = f"{family}, {' '.join(given)}" if given else family
        super().save(*args, **kwargs)


class Position(TimestampedModel):
    """A person's role in an institution over time; either date may be unknown."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="positions",
        help_text="Who holds the position.",
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="positions",
        help_text="Where the position is held.",
    )
    title = models.CharField(
        max_length=300,
        validators=[validate_not_blank],
        help_text="Public title, e.g. 'Head of the Council of Europe Office in Sarajevo'.",
    )
    start_date = models.DateField(null=True, blank=True, help_text="First day; empty if unknown.")
    end_date = models.DateField(
        null=True, blank=True, help_text="Last day; empty if unknown or still held."
    )

    sources = models.ManyToManyField(
        "events.Document",
        blank=True,
        related_name="sourced_positions",
        help_text="Documents this record of the position was taken from.",
    )

    history = audit_trail(m2m_fields=["sources"], bases=[OtherNamesHistory])

    class Meta:
        ordering = ["person__sort_name", "-start_date", "id"]
        constraints = [
            not_blank_constraint("title", "position"),
            date_range_constraint("position"),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.title}"

    def clean(self) -> None:
        clean_date_range(self)

    def was_held_on(self, day: datetime.date) -> bool:
        """Whether the position was held on `day` as far as its dates tell (both days
        included): an unknown start counts as held since ever, an unknown end as still
        held, so only a known date can exclude a day. The one home of the rule: the
        statement's check and derivation (events.models.Statement) and the admin's
        position picker all ask this."""
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or day <= self.end_date
        )

    def dated_label(self) -> str:
        """Title, institution and dates, which tell one person's positions apart (the
        admin's position picker of a statement, where the person is known)."""
        start = self.start_date.isoformat() if self.start_date else None
        end = self.end_date.isoformat() if self.end_date else None
        if start and end:
            dates = f"{start} to {end}"
        elif start:
            dates = f"since {start}"
        elif end:
            dates = f"until {end}"
        else:
            dates = "dates unknown"
        return f"{self.title}, {self.institution} ({dates})"


class InstitutionOtherName(OtherNameBase):
    """Another name of an institution: another language or script, an acronym, a former name."""

    owner_field = "institution"

    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="other_names",
        help_text="The institution so named.",
    )

    history = audit_trail()

    class Meta(OtherNameBase.Meta):
        constraints = [
            *other_name_constraints("institutionothername"),
            models.UniqueConstraint(
                fields=["institution", "name", "language"],
                name="institutionothername_unique",
                violation_error_message="This name in this language is recorded already.",
            ),
        ]


class PersonOtherName(OtherNameBase):
    """Another name of a person: the same name in another script, a former name."""

    owner_field = "person"

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="other_names",
        help_text="The person so named.",
    )

    history = audit_trail()

    class Meta(OtherNameBase.Meta):
        constraints = [
            *other_name_constraints("personothername"),
            models.UniqueConstraint(
                fields=["person", "name", "language"],
                name="personothername_unique",
                violation_error_message="This name in this language is recorded already.",
            ),
        ]


class PositionOtherName(OtherNameBase):
    """Another title of a position: in another language or script (the English of a French one)."""

    owner_field = "position"

    position = models.ForeignKey(
        Position,
        on_delete=models.CASCADE,
        related_name="other_names",
        help_text="The position so titled.",
    )

    history = audit_trail()

    class Meta(OtherNameBase.Meta):
        constraints = [
            *other_name_constraints("positionothername"),
            models.UniqueConstraint(
                fields=["position", "name", "language"],
                name="positionothername_unique",
                violation_error_message="This name in this language is recorded already.",
            ),
        ]


class InstitutionIdentifier(IdentifierBase):
    """An identifier of an institution in another database (Wikidata, ISNI, …)."""

    owner_field = "institution"

    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="identifiers",
        help_text="The institution so identified.",
    )

    history = audit_trail()

    class Meta(IdentifierBase.Meta):
        constraints = identifier_constraints("institutionidentifier")


class PersonIdentifier(IdentifierBase):
    """An identifier of a person in another database (Wikidata, ISNI, …)."""

    owner_field = "person"

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="identifiers",
        help_text="The person so identified.",
    )

    history = audit_trail()

    class Meta(IdentifierBase.Meta):
        constraints = identifier_constraints("personidentifier")
