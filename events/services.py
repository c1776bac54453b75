"""How a statement (and a topic with its translations) is written: the one path for the
API, the admin and `load_demo`.

A statement is a row, its countries and topics, and its translations; a write
touches several tables and must leave them agreeing. `write_statement` is the
place where that happens, so that no caller can forget a step:

- the statement and every translation are validated by the models
  (`full_clean`: field validators, `clean()`, constraints) before anything is
  written, so every caller refuses the same data with the field named;
- a published statement is checked for personal data (events.safety) before
  anything is written, and refused unless the caller's changeset carries an
  override, whose reason goes to the statement's history record;
- the defaults DOMAIN.md prescribes are applied in the order they depend on
  each other (`Statement.save`): the date from the event; the position, when
  none is given, from the speaker's positions held on that date (the only one;
  none when two or more were, or none: `Statement.held_position`); the
  institution from the position, given or derived (a write that changes the
  position and not the institution lets one taken from the old position go:
  `_institution_follows_position`); then, once the editor's
  countries are known, the countries from that institution or the event
  (`Statement.apply_default_countries`). A position given is checked by
  `Statement.clean` (the speaker's, held on the date): a refused one is a 400
  naming `position`, an error on the admin form's `position`;
- translations are replaced as a whole, one language at a time, each save and
  delete through the model, so their own history and the statement's search
  document follow;
- it all runs in one transaction and one audit changeset (ctht_api.audit): one
  version and one history record for the statement however many rows changed
  (a new statement stays at version 1), with the caller's user and reason when
  the caller opened the changeset (an API request, an admin save).

A topic and its translations (`write_topic`) follow the same rules: validated
first, translations replaced as a whole one language at a time, one version and
one change-feed entry for the topic. The admin writes them with an inline,
whose page saves the topic too.

`import_data` restores rows as they were exported (restoring is not editing,
see ctht_api.backup) and so does not call it; `generate_data` writes with COPY
for speed. Both compute the search document with the same function.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from ctht_api.audit import changeset
from events.models import Statement, StatementTranslation, Topic, TopicTranslation
from events.safety import check_statement, record_override
from people.models import Country

TRANSLATION_FIELDS = ("language", "text", "kind")
TOPIC_TRANSLATION_FIELDS = ("language", "name", "description")
ONE_TRANSLATION_PER_LANGUAGE = "At most one translation per language."
LANGUAGE_OF_A_TRANSLATION = (
    "The statement has a translation in this language: send `translations` without it, "
    "or remove it first."
)


def validate_translations(*, statement: Statement, translations: Sequence[Mapping]) -> None:
    """Refuse a list of translations the models would refuse, naming `translations`:
    two in one language, one in the statement's language, a bad tag or blank text."""
    _validate_translation_rows(
        [StatementTranslation(statement=statement, **_translation_values(t)) for t in translations],
        owner_field="statement",
    )


def _validate_translation_rows(rows: Sequence[models.Model], *, owner_field: str) -> None:
    """Refuse translation rows (of a statement or a topic) the model would refuse, all named
    under `translations`: two in one language, or a row its `full_clean` refuses. The owner
    may be unsaved yet; one per language is checked here, not by the constraint."""
    languages = [row.language for row in rows]
    if len(languages) != len(set(languages)):
        raise ValidationError({"translations": ONE_TRANSLATION_PER_LANGUAGE})
    messages = []
    for row in rows:
        try:
            row.full_clean(exclude=[owner_field], validate_constraints=False)
        except ValidationError as error:
            messages += [
                f"{row.language}: {message}"
                for field_messages in error.message_dict.values()
                for message in field_messages
            ]
    if messages:
        raise ValidationError({"translations": messages})


def validate_kept_translations(*, statement_id: int | None, language: str) -> None:
    """Refuse a statement language that one of its stored translations, kept as it is by
    this write, already has (the language changed, the translations were not sent)."""
    kept = StatementTranslation.objects.filter(statement_id=statement_id, language=language)
    if statement_id is not None and kept.exists():
        raise ValidationError({"language": LANGUAGE_OF_A_TRANSLATION})


@transaction.atomic
def write_statement(
    *,
    statement: Statement | None = None,
    values: Mapping[str, Any] | None = None,
    countries: Iterable[Country | str] | None = None,
    topics: Iterable[Topic] | None = None,
    translations: Sequence[Mapping[str, Any]] | None = None,
) -> Statement:
    """Create (no `statement`) or update a statement with its countries, topics and
    translations. `None` leaves a relation as it is; a list replaces it as a whole.

    Raises `django.core.exceptions.ValidationError` (a 400 in the API) before
    writing anything when the models refuse the data, and its subclass
    `events.safety.PersonalDataFound` (a 422) when a published statement would carry
    personal data and the write has no override.
    """
    statement = statement if statement is not None else Statement()
    values = _institution_follows_position(statement, dict(values or {}))
    for name, value in values.items():
        setattr(statement, name, value)
    statement.full_clean(exclude=["search_document"])
    if translations is not None:
        validate_translations(statement=statement, translations=translations)
    else:
        validate_kept_translations(statement_id=statement.pk, language=statement.language)
    override = check_statement(statement, translations=translations)  # events.safety
    with changeset():  # joins the caller's changeset (its user and reason) if there is one
        statement.save()
        record_override(statement, override)
        if countries is not None:
            statement.countries.set(countries)
        if topics is not None:
            statement.topics.set(topics)
        statement.apply_default_countries()
        if translations is not None:
            _replace_translations(statement, translations)
    return statement


def _institution_follows_position(statement: Statement, values: dict[str, Any]) -> dict[str, Any]:
    """`values`, where a write that changes a stored position but says nothing of the
    institution lets the institution go with the old position (it is that position's:
    `Statement.clean`), so that the new position, given or derived, brings its own;
    otherwise the old institution would stay and narrow the derivation to itself
    (`Statement.held_position`). An institution without a position was the editor's
    choice, and stays."""
    if statement.pk is None or "institution" in values or "position" not in values:
        return values
    stored = Statement.objects.filter(pk=statement.pk).values_list("position_id", flat=True)
    old_position = next(iter(stored), None)
    new_position = values["position"].pk if values["position"] is not None else None
    if old_position is not None and new_position != old_position:
        values["institution"] = None
    return values


def _translation_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in TRANSLATION_FIELDS if name in values}


def _replace_translations(statement: Statement, translations: Sequence[Mapping]) -> None:
    """Make the stored translations equal to `translations`, one language at a time.

    A translation that did not change is left alone, so the history shows only
    what an edit really changed; each save and delete goes through the model,
    so the audit trail and the search document see it (no bulk queries).
    """
    stored = {t.language: t for t in statement.translations.all()}
    wanted = {t["language"]: _translation_values(t) for t in translations}
    for language, translation in stored.items():
        if language not in wanted:
            translation.delete()
    for language, values in wanted.items():
        translation = stored.get(language) or StatementTranslation(statement=statement)
        changed = [name for name, value in values.items() if getattr(translation, name) != value]
        if translation.pk is None or changed:
            for name in changed:
                setattr(translation, name, values[name])
            translation.statement = statement
            translation.save()


@transaction.atomic
def write_topic(
    *,
    topic: Topic | None = None,
    values: Mapping[str, Any] | None = None,
    translations: Sequence[Mapping[str, Any]] | None = None,
) -> Topic:
    """Create (no `topic`) or update a topic with its translations; `None` leaves them as
    they are, a list replaces them as a whole. The topic is saved even when only its
    translations change, so its version goes up once and the change feed shows it.

    Raises `django.core.exceptions.ValidationError` (a 400 in the API) before
    writing anything when the models refuse the data.
    """
    topic = topic if topic is not None else Topic()
    for name, value in (values or {}).items():
        setattr(topic, name, value)
    topic.full_clean(exclude=["slug"])
    if translations is not None:
        _validate_topic_translations(topic, translations)
    with changeset():
        topic.save()
        if translations is not None:
            _replace_topic_translations(topic, translations)
    return topic


def _topic_translation_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A translation as sent: a description left out is empty (the list replaces all)."""
    given = {name: values[name] for name in TOPIC_TRANSLATION_FIELDS if name in values}
    return {"description": "", **given}


def _validate_topic_translations(topic: Topic, translations: Sequence[Mapping]) -> None:
    _validate_translation_rows(
        [TopicTranslation(topic=topic, **_topic_translation_values(t)) for t in translations],
        owner_field="topic",
    )


def _replace_topic_translations(topic: Topic, translations: Sequence[Mapping]) -> None:
    """As `_replace_translations`: only what changed is written, row by row, audited."""
    stored = {t.language: t for t in topic.translations.all()}
    wanted = {t["language"]: _topic_translation_values(t) for t in translations}
    for language, translation in stored.items():
        if language not in wanted:
            translation.delete()
    for language, values in wanted.items():
        translation = stored.get(language) or TopicTranslation(topic=topic)
        changed = [name for name, value in values.items() if getattr(translation, name) != value]
        if translation.pk is None or changed:
            for name in changed:
                setattr(translation, name, values[name])
            translation.topic = topic
            translation.save()
