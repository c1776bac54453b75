"""Full-text search (`q`), insensitive to script, case and accents on both backends.

Documents and queries are both folded to one form (`fold()`): the region's
Cyrillic transliterated to Latin, lower case, no accents, so "Симић", "Simić"
and "simic" find one another. A statement's stored `search_document` is folded
in Python; the other models' fields are folded in the database by `ctht_fold()`
(SQL on PostgreSQL, `fold()` itself on SQLite), the query in Python.

On PostgreSQL it is real full-text search: the `ctht_search` text-search
configuration (`simple` dictionary + `unaccent`, created by a migration) and
`websearch_to_tsquery`, so that "tanic" finds Tanić and "numeriques" finds
"numériques", and the documents can be indexed later. `simple` does not stem:
words match whole (across languages and scripts), which is what partners
searching names and terms expect.

On SQLite, a simpler equivalent: every word of the query must appear, accents
and case folded, as a substring of one of the fields. It gives the same answers
on the demo data; it is not meant for large data sets.

The admin's search boxes and autocompletes (`search_as_typed`) fold the same
way, with one difference made for typing: each word may be the start of a
word ("tan" finds Tanić while the editor is still typing), and the words inside
URLs, e-mails, dotted numbers and slashed names count as words (see
`search_as_typed`). Whatever changes how words fold changes `fold()` (and
then `ctht_fold()` and the stored documents, by a new migration), and the API
and the admin follow together.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence

import cyrtranslit
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.expressions import Func
from django.db.models.functions import Cast

SEARCH_CONFIG = "ctht_search"
FOLD_FUNCTION = "ctht_fold"
MAX_QUERY_LENGTH = 200


# The Cyrillic letters of the region's languages: U+0400-U+045F (Russian, Ukrainian,
# Belarusian, Bulgarian, Serbian, Macedonian) and Ukrainian Ґ/ґ: 98 letters.
CYRILLIC_LETTERS = [chr(code) for code in range(0x0400, 0x0460)] + ["Ґ", "ґ"]
# Where two languages write a letter differently in Latin, the first of these wins.
TRANSLITERATION_PRIORITY = ("sr", "mk", "ua", "bg", "ru", "by")


def _cyrillic_to_latin() -> dict[str, str]:
    """Each Cyrillic letter's Latin spelling, from cyrtranslit's tables (a maintained
    package rather than a hand table): Serbian's where Serbian has the letter (Ђ → Đ,
    Љ → Lj, Џ → Dž), else Macedonian's (Ѓ → Ǵ, Ќ → Ḱ), Ukrainian's (Є → Je, Ґ → G,
    Щ → Šč), Bulgarian's (Ъ → Ă), Russian's (Ё → Yo, Ы → Y'), Belarusian's (Ў → Ŭ).
    Apostrophes are dropped (the soft sign's ', Russian's Y' and E'), so that they
    never split a word."""
    table = {}
    for language in TRANSLITERATION_PRIORITY:
        for letter in CYRILLIC_LETTERS:
            latin = cyrtranslit.to_latin(letter, language)
            if latin != letter:
                table.setdefault(letter, latin.replace("'", ""))
    return table


CYRILLIC_TO_LATIN = _cyrillic_to_latin()
# The apostrophes `unaccent` reads as ' (Ukrainian writes U+02BC inside a name,
# Григор\u02bcєв), so that a name typed with either finds the other, on both databases.
# U+02BC modifier apostrophe, U+2019 and U+2018 quotation marks, U+02B9 modifier prime,
# U+02BB turned comma, U+2032 prime.
APOSTROPHES = dict.fromkeys("\u02bc\u2019\u02b9\u2018\u02bb\u2032", "'")
# Before NFKD: the Cyrillic, and the Latin letters NFKD would turn into something other
# than what PostgreSQL's `unaccent` gives (ŀ would keep a middle dot), so that
# `ctht_fold()` can agree with `fold()`.
_BEFORE_DECOMPOSITION = str.maketrans(
    {
        **CYRILLIC_TO_LATIN,
        **APOSTROPHES,
        "Ŀ": "l",
        "ŀ": "l",
        "ŉ": "'n",
        "ĸ": "q",
        "Ŋ": "n",
        "ŋ": "n",
    }
)
# After it: Latin letters NFKD leaves whole, folded as `unaccent` folds them.
_NO_DECOMPOSITION = str.maketrans(
    {
        "đ": "d",
        "ł": "l",
        "ø": "o",
        "ħ": "h",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "\u0131": "i",  # dotless i
        "þ": "th",
        "ð": "d",
    }
)
# Serbian Ђ/Đ and Macedonian Ѓ/Ќ written in ASCII: Djordjevic, Gjorge, Kjustendil.
_SOFT_CONSONANT = re.compile(r"([dgk])j+")


def fold(text: str) -> str:
    """One form for every script and spelling of the region: Latin, lower case, no
    accents. 'Симић', 'Simić' and 'SIMIC' → 'simic'; 'Ђорђевић', 'Đorđević',
    'Djordjevic' and 'Dordevic' → 'dordevic'; 'Ѓорѓе' and 'Gjorge' → 'gorge'.

    Steps: Cyrillic to Latin (`CYRILLIC_TO_LATIN`), NFKD and no combining marks,
    `casefold()`, the Latin letters NFKD leaves whole (đ → d, ø → o, æ → ae), then
    d, g or k followed by j loses the j. That last rule is what makes the ASCII
    habits (Dj for Đ, Gj for Ǵ, Kj for Ḱ) meet the letters. Its cost: a real d, g or k
    before j folds alike too ("adjust" and "adust", "nadjačati" and "nadačati"), rare
    false matches we accept so that names are found however they are typed (and
    ijekavian "odjeća" meets ekavian "odeća" on the way). Idempotent:
    fold(fold(x)) == fold(x), so a folded query meets a folded document.
    PostgreSQL's `ctht_fold()` (migration events 0008) is the same function in SQL;
    tests/test_script_folding.py holds the two equal.
    """
    folded = _fold_letters(text)
    if not folded.isascii():
        # A Cyrillic letter outside the table that NFKD or casefold() turns into one in
        # it (Ӣ → И and a mark, ᲀ → в) is folded by a second pass, so that folding twice
        # gives what folding once gave. Latin text is ASCII by now: one pass.
        folded = _fold_letters(folded)
    return _SOFT_CONSONANT.sub(r"\1", folded)


def _fold_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_BEFORE_DECOMPOSITION))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().translate(_NO_DECOMPOSITION)


def statement_search_document(
    *,
    text: str,
    speaker_name: str,
    event_title: str | None,
    translations: Iterable[tuple[str, str]] = (),
) -> str:
    """A statement's stored `search_document`: what `q` finds it by.

    Its text, its speaker's full name, its event's title (if any), then the
    texts of its translations in the order of their language tags, joined and
    folded. This is the one definition: the model (on save), `import_data`
    and `generate_data` all call it, so a statement searches the same however
    it was written. `translations` are (language, text) pairs; they are
    ordered here, in Python, so that the result does not depend on the
    database's collation.

    Not the speaker's other names nor the event's other titles (ctht_api.other_names):
    `q=Симић` finds "Nenad Simić"'s statements by folding, but a former name or an
    acronym would have to be copied into every statement of its owner, and copied
    again at each change of one. Such a name finds the person (`/people/?q=`), whose
    statements are a filter away (`/statements/?speaker=`).
    """
    parts = [text, speaker_name, event_title or ""]
    parts += [translated for _, translated in sorted(translations)]
    return fold(" ".join(part for part in parts if part))


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: SQLite's `ctht_fold()` is `fold()` itself
    (PostgreSQL's is SQL, created by migration events 0008)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            FOLD_FUNCTION, 1, lambda s: None if s is None else fold(s), deterministic=True
        )


class Fold(Func):
    """`ctht_fold(field)`: the field as `fold()` folds it, in the database."""

    function = FOLD_FUNCTION
    output_field = TextField()


def _folded(field: str) -> Fold:
    return Fold(Cast(F(field), TextField()))


def words(text: str) -> list[str]:
    return [w for w in re.split(r"\W+", fold(text)) if w]


def _quoted(token: str) -> str:
    """`token` as one quoted operand of a raw tsquery, whatever it contains."""
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _prefix_query(text: str, *, whole_tokens: bool) -> str:
    """The raw tsquery for typing: every folded word as the start of a word
    (`'tan':* & 'nen':*`). The words come from `words()`, letters, digits and
    underscores only, so what an editor types cannot break the syntax.

    With `whole_tokens`, a typed token that `words()` splits (`osce/odihr`,
    `2.0`, `help@coe.int`) may also match as one lexeme, quoted, since that is
    how PostgreSQL's parser indexes it in a stored document:
    `('osce/odihr':* | ('osce':* & 'odihr':*))`.
    """
    terms = []
    for token in fold(text).split():
        parts = words(token)
        if not parts:
            continue
        split = " & ".join(f"{word}:*" for word in parts)
        if whole_tokens and len(parts) > 1:
            split = f"({_quoted(token)}:* | ({split}))"
        terms.append(split)
    return " & ".join(terms)


def _query(text: str, *, prefix: bool, whole_tokens: bool = False) -> SearchQuery:
    """PostgreSQL's query for `text`, folded as the documents are: the API's web-search
    syntax (quotes, `or`, `-`, which folding keeps), or, with `prefix`, `_prefix_query()`."""
    if prefix:
        raw = _prefix_query(text, whole_tokens=whole_tokens)
        return SearchQuery(raw, config=SEARCH_CONFIG, search_type="raw")
    return SearchQuery(fold(text), config=SEARCH_CONFIG, search_type="websearch")


def _matches(fields: Sequence[str], text: str, *, prefix: bool = False) -> Q:
    if connection.vendor == "postgresql":
        return Q(_search_vector=_query(text, prefix=prefix))
    condition = Q()
    for word in words(text):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"_fold_{field}__contains": word})
        condition &= any_field
    return condition


def _split_like_words(document: Func) -> Func:
    """`document` with its punctuation turned into spaces, so that PostgreSQL's parser
    splits it into the words `words()` splits a query into: `OSCE/ODIHR` → `osce`,
    `odihr`; `17.05.2024` → `17`, `05`, `2024`; `anti-trafficking` → `anti`,
    `trafficking` (rather than one file, date, e-mail or URL token that no typed
    word could start).

    `[[:punct:]]` rather than `[^[:alnum:]_]` (or `\\W`): under the `C` collation
    PostgreSQL counts only ASCII letters as `[:alnum:]`, which would split Tanić
    and Симић too; ASCII punctuation is punctuation under every collation, and the
    parser already reads the rest of Unicode's punctuation as a space. A NULL stays
    NULL, and SearchVector coalesces it to ''.
    """
    return Func(
        document,
        Value(r"[[:punct:]]+"),
        Value(" "),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )


def _annotate(queryset: QuerySet, fields: Sequence[str], *, prefix: bool = False) -> QuerySet:
    """Each of `fields` folded by `ctht_fold()`: on PostgreSQL one text-search vector of
    them (for `prefix`, with their punctuation split off), on SQLite one alias each.

    Computed per row, unindexed, as before: `ctht_fold()` costs PostgreSQL about 10 µs
    a field (its `translate()` over 98 letters is most of it); `q` over 200 people took
    7 ms instead of 1.5 ms. It is IMMUTABLE, so an expression index can be added where
    a table grows large.
    """
    if connection.vendor == "postgresql":
        documents = [_folded(f) for f in fields]
        if prefix:
            documents = [_split_like_words(document) for document in documents]
        return queryset.alias(_search_vector=SearchVector(*documents, config=SEARCH_CONFIG))
    return queryset.alias(**{f"_fold_{f}": _folded(f) for f in fields})


def _other_names_match(model, relation: str, text: str, *, prefix: bool) -> Exists:
    """`EXISTS` an other name (ctht_api.models.OtherNameBase) reached by `relation` from
    the outer row (`other_names`, or `person__other_names` through a foreign key) that
    matches `text` on its own: a subquery, not a join, so that no row is repeated."""
    *path, last = relation.split("__")
    for step in path:
        model = model._meta.get_field(step).related_model
    reverse = model._meta.get_field(last)
    names = reverse.related_model._default_manager.filter(
        **{reverse.field.name: OuterRef("__".join(path) or "pk")}
    )
    names = _annotate(names, ["name"], prefix=prefix).filter(
        _matches(["name"], text, prefix=prefix)
    )
    return Exists(names)


def search(
    queryset: QuerySet,
    text: str,
    fields: Sequence[str],
    *,
    other_names: Sequence[str] = (),
    prefix: bool = False,
) -> QuerySet:
    """Rows any of whose `fields` match, or one of whose other names (each relation of
    `other_names`, e.g. `other_names`, `person__other_names`) matches on its own; for small
    tables (computed per row).

    The fields are one document (every word of `text` in one of them); an other name
    is a document of its own: "Ненад Симић" as an other name finds its person for
    `q=simic` or `q=ненад симић`, but a query mixing a word of the name with a
    word found only in an other name finds nothing."""
    if not words(text):
        return queryset.none()
    condition = _matches(fields, text, prefix=prefix)
    for relation in other_names:
        condition |= _other_names_match(queryset.model, relation, text, prefix=prefix)
    return _annotate(queryset, fields, prefix=prefix).filter(condition)


def search_stored(
    queryset: QuerySet, text: str, field: str = "search_document", *, prefix: bool = False
) -> QuerySet:
    """Rows whose stored, folded document matches: the indexed path for large tables.

    On PostgreSQL the expression `to_tsvector('ctht_search', COALESCE(field, ''))`
    is what the GIN index of migration events 0004 covers, so the planner uses it.
    """
    terms = words(text)
    if not terms:
        return queryset.none()
    if connection.vendor == "postgresql":
        return queryset.alias(_document=SearchVector(field, config=SEARCH_CONFIG)).filter(
            _document=_query(text, prefix=prefix, whole_tokens=True)
        )
    for term in terms:
        queryset = queryset.filter(**{f"{field}__contains": term})
    return queryset


def search_as_typed(
    queryset: QuerySet,
    text: str,
    *,
    fields: Sequence[str] = (),
    other_names: Sequence[str] = (),
    stored: str | None = None,
) -> QuerySet:
    """What an admin search box or autocomplete finds for `text`: the rows whose stored,
    folded document `stored` (indexed; a statement's `search_document`) or else whose
    `fields` contain every word, folded as the API's `q` folds, each word matching the
    start of a word on PostgreSQL (anywhere on SQLite). A text with no word finds
    nothing; only its first MAX_QUERY_LENGTH characters are read.

    Words are what `words()` splits, on PostgreSQL too: `fields` are read with their
    punctuation turned into spaces (`_split_like_words`), so "odihr" finds OSCE/ODIHR
    and "2.0" or "17.05.2024" find themselves, as Django's own `icontains` did. The
    stored document stays indexed as PostgreSQL's parser reads it, which keeps a URL,
    an e-mail, a slashed name or a dotted number whole (as the API's `q` finds them);
    there a typed token like "osce/odihr" also matches as one lexeme
    (`_prefix_query`), so the whole token or its start finds the statement, but a
    word from inside it ("odihr") does not on PostgreSQL (it does on SQLite).

    `other_names` are searched as `search` does (each other name a document of its own).
    The one search of the admin (ctht_api.admin.FoldedSearchMixin): a change to how
    words fold is made in `fold()` and here, never in an admin class.
    """
    text = text[:MAX_QUERY_LENGTH]
    if stored is not None:
        return search_stored(queryset, text, stored, prefix=True)
    return search(queryset, text, fields, other_names=other_names, prefix=True)
