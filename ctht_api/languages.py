"""The client's language: which rendering of a statement's text or a topic's name it reads.

The record keeps the original words (a statement's `text` and `language`; a topic's
`name` and `description`, written in English); translations sit beside them. A
client says which languages it reads with `?lang=` or `Accept-Language`, and each
statement or topic then also carries `display`: the rendering that suits it best,
marked with its `kind`. The original fields never change.

**What the client asks for** (`requested_languages`, read once per request):

- `?lang=sr-Latn,en`: a priority list of BCP 47 tags, comma-separated (one tag is a
  list of one), case-insensitive. A malformed or unknown tag is a 400 naming `lang`.
  `lang=` (empty) asks for no `display`, whatever the header says.
- else `Accept-Language`, parsed by Django (`parse_accept_lang_header`): ranges in
  order of quality (ties in the order sent), `q=0` excluded, `*` ignored, tags that
  are not valid BCP 47 skipped. A malformed header is ignored, not a 400: browsers
  send it unasked.
- neither: no `display` key at all (the representation is as it always was).

**Which rendering** (`choose`): each requested range in turn, the first that finds
one wins (RFC 4647 §3.4 lookup, case-insensitive):

1. the range, then the range truncated from the right (`sr-Latn-RS` → `sr-Latn` →
   `sr`), each compared with the available tags: an exact match first, then an
   available tag that extends it (`sr` finds `sr-Latn` or `sr-Cyrl`, as the API
   contract says; so `en-GB` finds `en-US` when neither `en-GB` nor `en` exists).
   A range that names a script takes only renderings in that script: a tag's own
   script subtag, else the script its text is written in (Serbian tagged plain `sr`
   may be either), so `sr-Latn` never finds Cyrillic words.
2. failing that, when the range names Latin or Cyrillic and a rendering in the same
   language is in the other script, that rendering transliterated on the fly with
   cyrtranslit, `"kind": "machine"`, tagged `<language>-<script>` (`sr-Latn`).
   Cyrillic → Latin for Serbian, Macedonian, Bulgarian, Russian, Ukrainian and
   Belarusian; Latin → Cyrillic for Serbian and Macedonian only, whose Latin
   alphabets map back letter for letter (the others' romanisations do not).
   This comes before the next range: a reader of `sr-Latn, en` gets the Serbian
   words in Latin letters rather than an English translation.

Where several renderings match one range equally, the original wins (the source's
own words), then official, editorial and machine translations, then tag order (so
`sr` with both `sr-Cyrl` and `sr-Latn` translated, and neither original, shows
`sr-Cyrl`). Nothing matches: the original, `"kind": "original"`.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cyrtranslit
import langcodes
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from ctht_api.csv_export import wants_csv
from ctht_api.models import canonical_case

LANG_PARAMETER = "lang"
ORIGINAL = "original"
MACHINE = "machine"
# A statement translation's kinds (events.models.StatementTranslation.Kind), best first.
KIND_RANK = {ORIGINAL: 0, "official": 1, "editorial": 2, MACHINE: 3}
MAX_LANGUAGES = 20
MAX_TAG_LENGTH = 35
# A language range as the API reads it: a 2-3 letter language, then subtags.
RANGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
SCRIPT_SUBTAG = re.compile(r"[A-Za-z]{4}")
# cyrtranslit's name for each language it transliterates.
CYRILLIC_TO_LATIN = {"sr": "sr", "mk": "mk", "bg": "bg", "ru": "ru", "uk": "ua", "be": "by"}
LATIN_TO_CYRILLIC = {"sr": "sr", "mk": "mk"}
LATIN, CYRILLIC = "Latn", "Cyrl"


@dataclass(frozen=True)
class Rendering:
    """The words of a record in one language: the original, a translation, or a machine
    transliteration. `values` are the words themselves (`{"text": …}` for a statement,
    `{"name": …, "description": …}` for a topic)."""

    language: str
    kind: str
    values: Mapping[str, str]

    def as_display(self) -> dict:
        return {"language": self.language, **self.values, "kind": self.kind}


def standard_tag(raw: str) -> str | None:
    """`raw` in its conventional case (`SR-latn` → `sr-Latn`), or None if it is not a valid tag.

    Codes are kept as given (`cnr` stays Montenegrin), as the stored tags are."""
    if len(raw) > MAX_TAG_LENGTH or not RANGE.fullmatch(raw):
        return None
    try:
        if not langcodes.tag_is_valid(raw):
            return None
        return canonical_case(raw)
    except (ValueError, langcodes.LanguageTagError):
        return None


def parse_lang_parameter(raw: str) -> tuple[str, ...]:
    """`?lang=`'s tags, in order, each once; a 400 naming `lang` for anything else."""
    given = [part.strip() for part in raw.split(",")]
    if not raw.strip():
        return ()
    if len(given) > MAX_LANGUAGES or not all(given):
        raise ValidationError(
            {
                LANG_PARAMETER: [
                    f"Give one to {MAX_LANGUAGES} BCP 47 language tags, comma-separated, "
                    "most wanted first (e.g. lang=sr-Latn,en)."
                ]
            }
        )
    tags = []
    for part in given:
        tag = standard_tag(part)
        if tag is None:
            raise ValidationError(
                {
                    LANG_PARAMETER: [
                        f"{part[:MAX_TAG_LENGTH]!r} is not a valid BCP 47 language tag "
                        "(e.g. en, fr, sr-Latn, sr-Cyrl, mk)."
                    ]
                }
            )
        if tag not in tags:
            tags.append(tag)
    return tuple(tags)


def parse_accept_language(header: str) -> tuple[str, ...]:
    """The header's ranges by quality, without `*`, `q=0` and invalid tags; () if malformed."""
    tags = []
    for raw, quality in parse_accept_lang_header(header):
        tag = standard_tag(raw) if quality > 0 and raw != "*" else None
        if tag is not None and tag not in tags:
            tags.append(tag)
    return tuple(tags[:MAX_LANGUAGES])


def requested_languages(request) -> tuple[str, ...] | None:
    """The languages the client reads, most wanted first; None when it named none.

    Read once per request and kept on it: the change feed's serializers and every
    row of a page use the same answer."""
    if hasattr(request, "_display_languages"):
        return request._display_languages
    params = getattr(request, "query_params", request.GET)
    if LANG_PARAMETER in params:
        languages = parse_lang_parameter(params[LANG_PARAMETER]) or None
    else:
        languages = parse_accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", "")) or None
    request._display_languages = languages
    return languages


def subtags(tag: str) -> list[str]:
    return tag.lower().split("-")


def script_subtag(tag: str) -> str | None:
    """The script a tag names (`sr-Latn` → `Latn`), or None."""
    for subtag in tag.split("-")[1:]:
        if SCRIPT_SUBTAG.fullmatch(subtag):
            return subtag.title()
    return None


def script_of_text(values: Mapping[str, str]) -> str | None:
    """Latin or Cyrillic, whichever has more letters in the words; None for neither."""
    cyrillic = latin = 0
    for text in values.values():
        for char in text or "":
            if "\u0400" <= char <= "\u04ff":
                cyrillic += 1
            elif char.isalpha() and char < "\u0250":
                latin += 1
    if not cyrillic and not latin:
        return None
    return CYRILLIC if cyrillic > latin else LATIN


def script_of(rendering: Rendering) -> str | None:
    return script_subtag(rendering.language) or script_of_text(rendering.values)


def truncations(tag: str) -> list[str]:
    """RFC 4647 §3.4's fallback: `sr-Latn-RS`, `sr-Latn`, `sr` (a single-letter subtag
    left at the end goes with the one after it)."""
    parts = subtags(tag)
    found = []
    while parts:
        found.append("-".join(parts))
        parts = parts[:-1]
        if parts and len(parts[-1]) == 1:
            parts = parts[:-1]
    return found


def _in_order(renderings: Sequence[Rendering]) -> list[Rendering]:
    return sorted(renderings, key=lambda r: (KIND_RANK.get(r.kind, len(KIND_RANK)), r.language))


def _lookup(wanted: str, renderings: list[Rendering]) -> Rendering | None:
    script = script_subtag(wanted)

    def fits(rendering: Rendering) -> bool:
        return script is None or script_of(rendering) in (None, script)

    for candidate in truncations(wanted):
        for rendering in renderings:
            if rendering.language.lower() == candidate and fits(rendering):
                return rendering
        for rendering in renderings:
            if rendering.language.lower().startswith(f"{candidate}-") and fits(rendering):
                return rendering
    return transliterated(wanted, script, renderings)


def transliterated(wanted: str, script: str | None, renderings: list[Rendering]):
    """A rendering in `wanted`'s language, turned into the script it names (see the module)."""
    language = subtags(wanted)[0]
    tables = {LATIN: CYRILLIC_TO_LATIN, CYRILLIC: LATIN_TO_CYRILLIC}.get(script or "", {})
    if language not in tables:
        return None
    convert = cyrtranslit.to_latin if script == LATIN else cyrtranslit.to_cyrillic
    for rendering in renderings:
        if subtags(rendering.language)[0] == language and script_of(rendering) not in (
            None,
            script,
        ):
            return Rendering(
                language=f"{language}-{script}",
                kind=MACHINE,
                values={
                    name: convert(text, tables[language]) if text else text
                    for name, text in rendering.values.items()
                },
            )
    return None


def choose(requested: Sequence[str], renderings: Sequence[Rendering]) -> Rendering:
    """The rendering to display (see the module); `renderings[0]` is the original."""
    ordered = _in_order(renderings)
    for wanted in requested:
        if (found := _lookup(wanted, ordered)) is not None:
            return found
    return renderings[0]


class DisplayLanguageMixin:
    """For a viewset whose serializer shows `display`: reads the client's languages once
    per request and hands them to the serializer (`display_languages` in its context).

    - `lang` is a query parameter of the actions that answer entries (ctht_api.params
      lists it; ctht_api.schema documents it with `Accept-Language`); a bad one is a 400
      before anything is read or written.
    - Every answer says `Vary: Accept-Language`, added to what is there (CORS's
      `Origin`), since the same URL answers differently by that header.
    - The ETag of an entry shown with `display` names its language (`"v12-sr-Latn"`,
      ctht_api.concurrency): each variant is its own representation.
    - CSV has no `display` (its rows are the record: the original and its translations).
    """

    display_actions = ("list", "retrieve", "create", "update", "partial_update")

    def shows_display(self) -> bool:
        return getattr(self, "action", None) in self.display_actions

    def accepted_query_params(self) -> set[str]:
        accepted = super().accepted_query_params()
        if self.shows_display():
            accepted.add(LANG_PARAMETER)
        return accepted

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.shows_display():
            requested_languages(request)  # a bad `lang` is a 400 here, before any work

    def get_serializer_context(self):
        context = super().get_serializer_context()
        request = context.get("request")
        if request is not None and self.shows_display() and not wants_csv(request):
            context["display_languages"] = requested_languages(request)
        return context

    def etag_variant(self, response) -> str | None:
        """The language of the `display` in the body, which its ETag names."""
        data = getattr(response, "data", None)
        display = data.get("display") if isinstance(data, dict) else None
        return display.get("language") if isinstance(display, dict) else None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Accept-Language",))
        return response


class DisplayField(serializers.Field):
    """`display`: the entry in the client's language, built by the parent serializer's
    `renderings(instance)` (original first). Left out of the answer when the client
    named no language (`DisplayMixin`), hence optional in the OpenAPI document, and not
    a CSV column (ctht_api.csv_export)."""

    omitted_unless_asked = True
    # Its shape in the OpenAPI document: a serializer class (ctht_api.schema_extensions).
    shape: type[serializers.Serializer] | None = None

    def __init__(self, **kwargs):
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, instance):
        return self.parent.display_of(instance)


class DisplayMixin:
    """For a serializer with a `DisplayField` named `display` and a `renderings()` method."""

    def display_of(self, instance) -> dict | None:
        languages = self.context.get("display_languages")
        if not languages:
            return None
        return choose(languages, self.renderings(instance)).as_display()

    def renderings(self, instance) -> list[Rendering]:
        raise NotImplementedError

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("display") is None:
            data.pop("display", None)
        return data
