"""Pieces every model of the record shares: timestamps, slugs, publication
status, language tags, and the database constraints that back the validators.

Each invariant lives twice on purpose: a validator, so the admin and the API
name the offending field, and a database constraint, so no code path (a shell,
a raw query, a future bug) can store what the validator would refuse.
"""

import datetime
import re

import langcodes
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from ctht_api.audit import current_changeset
from ctht_api.permissions import can_see_drafts

# Canonical BCP 47 shape: language, optional script, region and variants
# (`fr`, `en-GB`, `sr-Latn`, `es-419`, `de-CH-1996`). The validator checks the
# subtags against the IANA registry; the database checks this shape.
LANGUAGE_TAG_REGEX = (
    r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$"
)
URL_MAX_LENGTH = 2000


def validate_not_blank(value: str) -> None:
    """Refuse text that is empty once surrounding whitespace is removed."""
    if not value or not value.strip():
        raise ValidationError("This field cannot be blank.", code="blank")


def validate_language_tag(value: str) -> None:
    """Refuse anything that is not a registered BCP 47 tag in its standard form."""
    if not langcodes.tag_is_valid(value) or not re.fullmatch(LANGUAGE_TAG_REGEX, value):
        raise ValidationError(
            "'%(value)s' is not a valid BCP 47 language tag (e.g. fr, en, sr-Latn).",
            code="invalid_language",
            params={"value": value},
        )


def canonical_case(tag: str) -> str:
    """`tag` in BCP 47's conventional case, and nothing else changed (`sr-latn` → `sr-Latn`).

    Language and extensions lower case, a four-letter script title case, a
    two-letter region upper case (RFC 5646 §2.1.1). Deliberately not
    langcodes' `standardize_tag`, which also replaces codes: it would record
    Montenegrin (`cnr`) as Serbian of Montenegro (`sr-ME`), Serbo-Croatian
    (`sh`) as `sr-Latn`, Moldovan (`mo`) as `ro` — another language than the
    one the editor or the source named. The tag is stored as given.
    """
    first, *rest = tag.split("-")
    parts, extension = [first.lower()], False
    for part in rest:
        extension = extension or len(part) == 1
        if not extension and len(part) == 4 and part.isalpha():
            parts.append(part.title())
        elif not extension and len(part) == 2 and part.isalpha():
            parts.append(part.upper())
        else:
            parts.append(part.lower())
    return "-".join(parts)


def stored_tag(value):
    """A valid tag in its conventional case; anything else as given, for the validator to name."""
    if value and langcodes.tag_is_valid(value):
        return canonical_case(value)
    return value


class LanguageTagFormField(forms.CharField):
    """The admin's field for a tag: case made canonical before the form compares rows.

    So two inline rows `sr-latn` and `sr-Latn` are the duplicate they are, named
    on the form, instead of both passing and meeting the unique constraint.
    """

    def to_python(self, value):
        return stored_tag(super().to_python(value))


class LanguageTagField(models.CharField):
    """A BCP 47 language tag, stored in its conventional case (`sr-latn` → `sr-Latn`)."""

    default_validators = [validate_language_tag]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 35)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return stored_tag(super().to_python(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LanguageTagFormField, **kwargs})


def not_blank_constraint(field: str, model: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__regex": r"\S"}),
        name=f"{model}_{field}_not_blank",
        violation_error_message=f"{field} cannot be blank.",
    )


def language_constraint(
    field: str, model: str, *, optional: bool = False
) -> models.CheckConstraint:
    condition = Q(**{f"{field}__regex": LANGUAGE_TAG_REGEX})
    if optional:
        condition |= Q(**{field: ""})
    return models.CheckConstraint(
        condition=condition,
        name=f"{model}_{field}_bcp47",
        violation_error_message=f"{field} is not a valid BCP 47 language tag.",
    )


def date_range_constraint(model: str, start: str = "start_date", end: str = "end_date"):
    return models.CheckConstraint(
        condition=Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__isnull": True})
        | Q(**{f"{end}__gte": F(start)}),
        name=f"{model}_{end}_after_{start}",
        violation_error_message="The end date cannot be before the start date.",
    )


def clean_date_range(instance, start: str = "start_date", end: str = "end_date") -> None:
    """Name the end date when it precedes the start (the constraint alone cannot)."""
    start_value, end_value = getattr(instance, start), getattr(instance, end)
    if start_value and end_value and end_value < start_value:
        raise ValidationError({end: "The end date cannot be before the start date."})


class TimestampedModel(models.Model):
    """Every row says when it was created, when it last changed, and its version.

    `version` starts at 1 and goes up by one with each write (one API request,
    one admin save: see ctht_api.audit), so a client's ETag names exactly the
    state it read, and a write based on an older state is refused (412) rather
    than silently overwriting a colleague's change.
    """

    created_at = models.DateTimeField(
        auto_now_add=True, help_text="When this entry was created (UTC)."
    )
    updated_at = models.DateTimeField(
        auto_now=True, db_index=True, help_text="When this entry was last changed (UTC)."
    )
    version = models.PositiveIntegerField(
        default=1,
        db_default=1,  # rows loaded by COPY (generate_data) start at 1 too
        editable=False,
        help_text="Starts at 1 and goes up by one with every change; the ETag is made from it.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        current = current_changeset()
        if self._state.adding:
            super().save(*args, **kwargs)
            if current is not None:
                # Created in this write: saved again in it (a statement after its
                # translations), it stays at version 1.
                current.claim_version(self)
            return
        if current is None or current.claim_version(self):
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version", "updated_at"}
        elif kwargs.get("update_fields") is None:
            # Saved again in the same write: the version went up already (maybe
            # through another Python object), so this save must not write it back.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "version"
            ]
        return super().save(*args, **kwargs)


class SluggedModel(TimestampedModel):
    """A model with a unique, URL-safe slug made from its display field when left empty."""

    slug_source = "name"

    slug = models.SlugField(
        max_length=120,
        unique=True,
        blank=True,
        help_text="Stable, URL-safe identifier; made from the name when left empty.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    def _unique_slug(self) -> str:
        base = slugify(str(getattr(self, self.slug_source)))[:100] or self._meta.model_name
        others = type(self)._default_manager.exclude(pk=self.pk)
        slug, n = base, 2
        while others.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class PartOfOwner(TimestampedModel):
    """A row of a list its owner's JSON shows (other names, identifiers): a write of one is
    a write of the owner. A concrete model names its owner's foreign key in `owner_field`."""

    # The owner's foreign key, named in each concrete model.
    owner_field: str = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.touch_owner()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.touch_owner()
        return result

    def touch_owner(self) -> None:
        """The owner's JSON shows this list, so a change of one row is a change of the
        owner: it is saved (its `updated_at` moves, its version goes up once per write,
        see ctht_api.audit; its history and the change feed see it), as a statement is
        after a change of its translations. A deletion cascading from the owner's own
        deletion does not come here (Django deletes those rows without `delete()`)."""
        getattr(self, self.owner_field).save(update_fields=["updated_at"])


class OtherNameBase(PartOfOwner):
    """Another name of a record: in another script or language, a former name, an acronym.

    Popolo's `other_name` with a language tag: the record's own name stays as its
    source gives it, and every other spelling a partner may look it up by sits
    here (``Ненад Симић`` beside ``Nenad Simić``; an English name beside the
    French one of the source, with a note saying whose it is). A concrete model
    adds the foreign key to its owner, ``related_name="other_names"``; the owner's
    API representation and search read them, and writing them is a write of the
    owner (its version goes up, the change feed sees it).
    """

    name = models.CharField(
        max_length=500,
        validators=[validate_not_blank],
        help_text="The other name (or title), e.g. 'Ненад Симић'.",
    )
    language = LanguageTagField(
        blank=True,
        help_text=(
            "BCP 47 tag of its language and script, e.g. sr-Cyrl, mk, en; "
            "empty when it has none (an acronym)."
        ),
    )
    note = models.CharField(
        max_length=300,
        blank=True,
        help_text="What it is, e.g. 'Former name', 'Acronym', 'Editorial translation'.",
    )

    class Meta:
        abstract = True
        ordering = ["language", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})" if self.language else self.name


def other_name_constraints(model: str) -> list:
    """The constraints every concrete other-name model carries."""
    return [
        not_blank_constraint("name", model),
        language_constraint("language", model, optional=True),
    ]


# Wikidata's item identifiers: Q and a number without leading zeros (Q8908).
WIKIDATA_ITEM_REGEX = r"^Q[1-9][0-9]*$"
# A scheme names a database or register: lower-case letters, digits, '.', '_', '-'.
IDENTIFIER_SCHEME_REGEX = r"^[a-z][a-z0-9._-]*$"
WIKIDATA = "wikidata"


class IdentifierBase(PartOfOwner):
    """The record's identifier in another database (Popolo's `identifier`): what partners
    join their data with ours by, e.g. `{"scheme": "wikidata", "identifier": "Q8908"}`.

    A concrete model adds the foreign key to its owner, `related_name="identifiers"`;
    one scheme and value names at most one record of a kind (a unique constraint).
    """

    scheme = models.CharField(
        max_length=40,
        help_text="The database or register that issued it, in lower case: 'wikidata', 'isni'.",
    )
    identifier = models.CharField(
        max_length=200,
        validators=[validate_not_blank],
        help_text="The identifier in that scheme, e.g. 'Q8908' for Wikidata.",
    )

    class Meta:
        abstract = True
        ordering = ["scheme", "identifier", "id"]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.identifier}"

    def clean(self) -> None:
        if not re.fullmatch(IDENTIFIER_SCHEME_REGEX, self.scheme or ""):
            raise ValidationError(
                {
                    "scheme": "A scheme is a lower-case name: letters, digits, '.', '_', '-' "
                    "(e.g. wikidata)."
                }
            )
        if self.scheme == WIKIDATA and not re.fullmatch(WIKIDATA_ITEM_REGEX, self.identifier):
            raise ValidationError(
                {"identifier": "A Wikidata identifier is Q followed by digits, e.g. Q8908."}
            )


def identifier_constraints(model: str) -> list:
    """The constraints every concrete identifier model carries."""
    return [
        not_blank_constraint("identifier", model),
        models.CheckConstraint(
            condition=Q(scheme__regex=IDENTIFIER_SCHEME_REGEX),
            name=f"{model}_scheme_format",
            violation_error_message="scheme is not a lower-case name.",
        ),
        models.CheckConstraint(
            condition=~Q(scheme=WIKIDATA) | Q(identifier__regex=WIKIDATA_ITEM_REGEX),
            name=f"{model}_wikidata_format",
            violation_error_message="A Wikidata identifier is Q followed by digits.",
        ),
        models.UniqueConstraint(
            fields=["scheme", "identifier"],
            name=f"{model}_unique",
            violation_error_message="This identifier names another entry already.",
        ),
    ]


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


def embargo_over(now, prefix: str = "") -> Q:
    """No embargo, or one that ended at or before `now` (of the entry at `prefix`, e.g.
    `event__`). `now` is Python's clock, sent as a parameter rather than the database's
    `NOW()`: the same instant for every condition of a query, the same on SQLite and
    PostgreSQL, and a test's frozen clock holds."""
    return Q(**{f"{prefix}publish_at__isnull": True}) | Q(**{f"{prefix}publish_at__lte": now})


def under_embargo(now) -> Q:
    """Published, but hidden from the public until `publish_at`, still ahead of `now`."""
    return Q(status=Status.PUBLISHED, publish_at__gt=now)


class PublishableQuerySet(models.QuerySet):
    """Entries with a publication status; `visible_to` is what a client may see.

    `visible_to(user)` is the one definition of visibility: views, nested
    lists, counts and feeds call it rather than filtering on `status`
    themselves, so a new rule (an embargo) is added in `public()` once.

    **Embargo.** A published entry whose `publish_at` is still ahead is hidden
    from `public()` until that moment: decided at query time, so the entry
    appears by itself, without a scheduler or a write. What is derived from
    visibility and kept elsewhere follows without a write too: the cached
    counts (events/record_version.py), the change feed (changes/feed.py) and
    `?updated_since=` (`changed_since`).
    """

    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def drafts(self):
        return self.filter(status=Status.DRAFT)

    def embargoed(self):
        """Published, but hidden until a `publish_at` still ahead: its own, or that of an
        entry its visibility depends on (`embargo_paths`: a statement at an embargoed event)."""
        now = timezone.now()
        return self.published().filter(
            pk__in=self._any_of({f"{path}publish_at__gt": now} for path in self.embargo_paths)
        )

    def public(self, now: datetime.datetime | None = None):
        """What anyone may see: published entries whose embargo, if any, is over at `now`
        (by default the present; a model adds its own conditions)."""
        return self.published().filter(embargo_over(now or timezone.now()))

    def embargoes_ahead(self, now):
        """The `publish_at` of every entry under embargo at `now` (`values_list`): when the
        public record will change by itself. An index range scan over few rows."""
        return self.filter(under_embargo(now)).order_by().values_list("publish_at", flat=True)

    def embargo_ended(self, since, now):
        """Published entries that appeared by themselves in (`since`, `now`]: their embargo,
        or that of an entry their visibility depends on (`embargo_paths`), ended then. The
        change feed writes them again (changes/feed.py)."""
        return self.published().filter(
            pk__in=self._any_of(
                {f"{path}publish_at__gt": since, f"{path}publish_at__lte": now}
                for path in self.embargo_paths
            )
        )

    def changed_since(self, moment, user):
        """`?updated_since=`: entries changed at or after `moment`; for a client who sees
        only the public record (as `visible_to` decides), also those whose embargo (or
        that of an entry their visibility depends on) ended since then: they appeared
        without a write, so `updated_at` did not move. (An editor saw them when written.)"""
        if self._sees_drafts(user):
            return self.filter(updated_at__gte=moment)
        now = timezone.now()  # an embargo still ahead hides the entry anyway
        conditions = [{"updated_at__gte": moment}] + [
            {f"{path}publish_at__gte": moment, f"{path}publish_at__lte": now}
            for path in self.embargo_paths
        ]
        return self.filter(pk__in=self._any_of(conditions))

    def _any_of(self, conditions):
        """The pks matching any of `conditions` (each a `filter()` keyword set), as one
        UNION: an OR across a LEFT JOIN (`event__publish_at`) can use no index and scans
        the whole table, while each branch alone is an index range scan
        (tests/test_query_plans.py)."""
        every = self.model._base_manager.order_by()
        branches = [every.filter(**condition).values("pk") for condition in conditions]
        return branches[0].union(*branches[1:])

    def visible_to(self, user, now: datetime.datetime | None = None):
        """Everything to those who may see drafts of this model, else `public(now)`."""
        if self._sees_drafts(user):
            return self
        return self.public(now)

    def _sees_drafts(self, user) -> bool:
        return user is not None and can_see_drafts(user, self.model)

    # Whose `publish_at` decides whether an entry is public: its own (""), and a model
    # adds the entries `public()` reads (a statement's event: "event__").
    embargo_paths: tuple[str, ...] = ("",)


class PublishableModel(models.Model):
    """An entry that editors prepare as a draft and publish when it is checked."""

    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        help_text="Drafts are visible to editors only; published entries are public.",
    )
    publish_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text=(
            "Embargo: a published entry stays hidden from the public until this moment, "
            "then appears everywhere at once. Empty: public as soon as published."
        ),
    )

    class Meta:
        abstract = True


def clean_parent_chain(instance: models.Model, *, message: str, field: str = "parent") -> None:
    """Refuse a parent that would close a loop: the entry itself, or one of its descendants.

    For every model whose parent is of its own kind (institutions, programmes),
    each giving its own `message`. A check constraint can refuse only "its own
    parent"; a longer loop (A→B→A) is found by walking up from the chosen
    parent, one query per level (chains are a few levels deep). A loop stored
    before this check, elsewhere in the chain, ends the walk instead of running
    it forever.
    """
    parent = getattr(instance, field)
    if parent is None or instance.pk is None:  # a new entry has no descendants yet
        return
    if parent.pk == instance.pk:
        raise ValidationError({field: message})
    ancestor, seen = getattr(parent, field), {parent.pk}
    while ancestor is not None and ancestor.pk not in seen:
        if ancestor.pk == instance.pk:
            raise ValidationError({field: f"{message} '{parent}' is part of it already."})
        seen.add(ancestor.pk)
        ancestor = getattr(ancestor, field)
