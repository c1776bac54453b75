"""Script-insensitive search: PostgreSQL's `ctht_fold()`, and every statement's stored
`search_document` rebuilt with the new `fold()` (transliteration of the region's
Cyrillic, then lower case without accents).

Both are frozen copies of ctht_api/search.py as it was when this migration was
written, since a migration must do the same thing whenever it runs: `CTHT_FOLD` is
`fold()` in SQL (written out, not generated at run time), and `fold()` below is
that function's code with its Cyrillic table (`CYRILLIC_TO_LATIN`, taken from
cyrtranslit 1.2.0) spelled out. tests/test_script_folding.py holds them equal to
today's `fold()`; a later change of `fold()` needs a new migration that replaces the
function and rebuilds the documents again.

`ctht_fold()` is `translate()` and `replace()` for the Cyrillic (and ª º µ ς, which
NFKD and casefold fold and `unaccent` and `lower` do not), then `public.unaccent` with its dictionary
named (an IMMUTABLE function must not depend on the search path; the extension is
the one migration 0002 created, in the `public` schema), `lower()`, then the
d/g/k + j rule. SQL-standard body (`RETURN`), so PostgreSQL records its dependency
on `unaccent` and can inline it. SQLite's `ctht_fold` is `fold()` itself, registered
on each connection (ctht_api/search.py), and needs nothing here.

The rebuild reads the statements in chunks with their speakers, events and
translations (three queries a chunk) and writes only the documents that change,
with `bulk_update`: neither `updated_at` nor the audit trail moves, since the
document is not part of what a client sees. Backwards, the documents are folded
as before (accents and case only) and the function dropped.
"""

import re
import unicodedata

from django.db import migrations, models

CTHT_FOLD = r"""
CREATE OR REPLACE FUNCTION ctht_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, translate(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace($1, 'Ё', 'yo'), 'Є', 'je'), 'Ѕ', 'dz'), 'Ї', 'ji'), 'Љ', 'lj'), 'Њ', 'nj'), 'Џ', 'dz'), 'Щ', 'sc'), 'Ю', 'ju'), 'Я', 'ja'), 'щ', 'sc'), 'ю', 'ju'), 'я', 'ja'), 'ё', 'yo'), 'є', 'je'), 'ѕ', 'dz'), 'ї', 'ji'), 'љ', 'lj'), 'њ', 'nj'), 'џ', 'dz'), 'ЀЂЃІЈЋЌЍЎАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЪЫЭабвгдежзийклмнопрстуфхцчшъыэѐђѓіјћќѝўҐґªºµςЬь', 'edgijckiuabvgdezzijklmnoprstufhccsayeabvgdezzijklmnoprstufhccsayeedgijckiuggaoμσ'))), '([dgk])j+', '\1', 'g');
"""
DROP_CTHT_FOLD = "DROP FUNCTION IF EXISTS ctht_fold(text)"

CHUNK_SIZE = 2000

CYRILLIC_TO_LATIN = {
    "Ђ": "Đ",
    "Ј": "J",
    "Љ": "Lj",
    "Њ": "Nj",
    "Ћ": "Ć",
    "Џ": "Dž",
    "А": "A",
    "Б": "B",
    "В": "V",
    "Г": "G",
    "Д": "D",
    "Е": "E",
    "Ж": "Ž",
    "З": "Z",
    "И": "I",
    "К": "K",
    "Л": "L",
    "М": "M",
    "Н": "N",
    "О": "O",
    "П": "P",
    "Р": "R",
    "С": "S",
    "Т": "T",
    "У": "U",
    "Ф": "F",
    "Х": "H",
    "Ц": "C",
    "Ч": "Č",
    "Ш": "Š",
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "ž",
    "з": "z",
    "и": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "c",
    "ч": "č",
    "ш": "š",
    "ђ": "đ",
    "ј": "j",
    "љ": "lj",
    "њ": "nj",
    "ћ": "ć",
    "џ": "dž",
    "Ѐ": "E",
    "Ѓ": "Ǵ",
    "Ѕ": "Dz",
    "Ќ": "Ḱ",
    "Ѝ": "I",
    "ѐ": "e",
    "ѓ": "ǵ",
    "ѕ": "dz",
    "ќ": "ḱ",
    "ѝ": "i",
    "Є": "Je",
    "І": "I",
    "Ї": "Ji",
    "Й": "J",
    "Щ": "Šč",
    "Ь": "",
    "Ю": "Ju",
    "Я": "Ja",
    "й": "j",
    "щ": "šč",
    "ь": "",
    "ю": "ju",
    "я": "ja",
    "є": "je",
    "і": "i",
    "ї": "ji",
    "Ґ": "G",
    "ґ": "g",
    "Ъ": "Ă",
    "ъ": "ă",
    "Ё": "YO",
    "Ы": "Y",
    "Э": "E",
    "ы": "y",
    "э": "e",
    "ё": "yo",
    "Ў": "Ŭ",
    "ў": "ŭ",
}
# U+02BC modifier apostrophe, U+2019 and U+2018 quotation marks, U+02B9 modifier prime,
# U+02BB turned comma, U+2032 prime.
APOSTROPHES = dict.fromkeys("\u02bc\u2019\u02b9\u2018\u02bb\u2032", "'")
BEFORE_DECOMPOSITION = str.maketrans(
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
NO_DECOMPOSITION = str.maketrans(
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
SOFT_CONSONANT = re.compile(r"([dgk])j+")


def previous_fold(text: str) -> str:
    """ctht_api.search.fold() before this migration: accents and case only."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    """ctht_api.search.fold() as of this migration."""
    folded = fold_letters(text)
    if not folded.isascii():
        folded = fold_letters(folded)
    return SOFT_CONSONANT.sub(r"\1", folded)


def fold_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(BEFORE_DECOMPOSITION))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().translate(NO_DECOMPOSITION)


def search_document(statement, fold) -> str:
    """ctht_api.search.statement_search_document() as of this migration."""
    parts = [statement.text, statement.speaker.full_name]
    parts.append(statement.event.title if statement.event_id else "")
    translations = sorted((t.language, t.text) for t in statement.translations.all())
    parts += [text for _, text in translations]
    return fold(" ".join(part for part in parts if part))


def create_ctht_fold(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CTHT_FOLD)


def drop_ctht_fold(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CTHT_FOLD)


def rebuild_search_documents(apps, schema_editor, fold=fold):
    Statement = apps.get_model("events", "Statement")
    statements = Statement.objects.select_related("speaker", "event").prefetch_related(
        "translations"
    )
    changed = []
    for statement in statements.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        document = search_document(statement, fold)
        if document != statement.search_document:
            statement.search_document = document
            changed.append(statement)
        if len(changed) >= CHUNK_SIZE:
            Statement.objects.bulk_update(changed, ["search_document"])
            changed = []
    Statement.objects.bulk_update(changed, ["search_document"])


def restore_search_documents(apps, schema_editor):
    rebuild_search_documents(apps, schema_editor, fold=previous_fold)


class Migration(migrations.Migration):
    dependencies = [("events", "0007_statement_history_translations")]

    operations = [
        migrations.RunPython(create_ctht_fold, drop_ctht_fold),
        migrations.RunPython(rebuild_search_documents, restore_search_documents),
        migrations.AlterField(
            model_name="statement",
            name="search_document",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text=(
                    "What `q` searches: the text, its translations, the speaker's name and "
                    "the event's title, folded to one script (Latin), lower-cased, without "
                    "accents; kept up to date on save."
                ),
            ),
        ),
    ]
