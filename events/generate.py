"""A synthetic, reproducible record for benchmarks and index tests.

`generate(statements=N, seed=S)` adds N statements with the people,
institutions, positions and events they need, shaped like the real record
will be: about 50 countries with a skewed (Zipf-like) distribution, texts of
100 to 600 characters in eight languages and two scripts (Latin with
diacritics, Cyrillic), 1 to 3 topics each, 5% drafts, 5% with a machine
translation, 3% of events with unknown dates. The same seed gives the same
data. On PostgreSQL rows go in with COPY (the search index is dropped during
the load and rebuilt after); on SQLite with executemany.

Names in both scripts, as the region writes them. Of the people whose position
is in Serbia, North Macedonia, Bosnia and Herzegovina or Montenegro, a third
have their name in Cyrillic as an other name (`sr-Cyrl`, or `mk` in North
Macedonia, made by cyrtranslit) and a sixth are recorded under their Cyrillic
name with the Latin one as an other name (`sr-Latn`, `mk-Latn`), save those
whose transliteration would keep a Latin letter (Hoxha; Simić in Macedonian,
which writes ќ for ć and so would search differently): with seed 1 and 1,000
people, 31% of the region's people have a Cyrillic other name and 4.4% of
all people a Cyrillic full name. Half of the institutions in those countries
have an other name in the local language, in Cyrillic. A statement's folded
search document is the same whichever script its speaker is recorded in, and
the choices come from a second random stream: a seed's statements, and so the
benchmark's answers, are what they were before names had two scripts.

Words the benchmark can rely on: "trafficking" is in nearly every English
text (a common word); "blockchain" is in about one statement in 2,000 (a
rare one).
"""

import datetime
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import cyrtranslit
from django.db import connection, transaction
from django.utils import timezone

from changes import feed
from ctht_api.audit import history_tables, insert_baseline_history
from ctht_api.search import statement_search_document
from events.models import Event, Statement, StatementTranslation, Topic
from events.record_version import record_changed
from people.models import Institution, InstitutionOtherName, Person, PersonOtherName, Position

COUNTRIES = (
    "RS BA MK AL ME XK TR UA MD GE AM AZ RO BG HR SI GR HU AT DE IT FR ES PT NL BE "
    "PL CZ SK LT LV EE FI SE NO DK IE GB CH CY MT LU IS LI AD MC SM NG US CA"
).split()

WORDS = {
    "en": "trafficking human beings digital technology online recruitment victims evidence "
    "prevention cooperation law enforcement platforms children protection investigation "
    "exploitation awareness services social networks internet response national".split(),
    "fr": "traite êtres humains numérique technologie recrutement victimes preuves prévention "
    "coopération enquêtes exploitation enfants protection réseaux sociaux réponse "
    "sensibilisation autorités collecte données".split(),
    "sr-Latn": "trgovina ljudima žrtve digitalna tehnologija regrutovanje dokazi prevencija "
    "saradnja istraga eksploatacija deca zaštita društvene mreže odgovor čuvanje "
    "đaci šema".split(),
    "sr-Cyrl": "трговина људима жртве дигитална технологија регрутовање докази превенција "
    "сарадња истрага експлоатација деца заштита друштвене мреже одговор".split(),
    "mk": "трговија луѓе жртви дигитална технологија регрутирање докази превенција "
    "соработка истрага експлоатација деца заштита социјални мрежи одговор".split(),
    "bs": "trgovina ljudima žrtve digitalna tehnologija regrutacija dokazi prevencija "
    "saradnja istraga eksploatacija djeca zaštita društvene mreže odgovor".split(),
    "sq": "trafikimi qenieve njerëzore viktimat teknologjia dixhitale rekrutimi provat "
    "parandalimi bashkëpunimi hetimi shfrytëzimi fëmijët mbrojtja rrjetet".split(),
    "de": "Menschenhandel Opfer digitale Technologie Anwerbung Beweise Prävention "
    "Zusammenarbeit Ermittlung Ausbeutung Kinder Schutz soziale Netzwerke Antwort".split(),
}
LANGUAGE_WEIGHTS = {
    "en": 30,
    "fr": 15,
    "sr-Latn": 12,
    "sr-Cyrl": 8,
    "mk": 8,
    "bs": 10,
    "sq": 8,
    "de": 9,
}
GIVEN = "Ana Marko Jelena Nenad Biljana Stanislava Bojana Elira Arben Ivana Dragan Mila Goran Sanja".split()
FAMILY = "Petrović Simić Tanić Urumova Lalova Hoxha Kovačević Novak Berisha Jovanović Ilić Popović".split()
TOPICS = (
    "Online recruitment",
    "Digital evidence",
    "Prevention and awareness",
    "Victim access to services",
    "Child and youth protection",
    "Cybercrime convention",
    "International cooperation",
    "Public-private cooperation",
    "Labour exploitation",
    "Financial investigations",
    "Platform accountability",
    "Data protection",
)
# The same index as migration events 0004 creates.
SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS statement_search_gin ON events_statement "
    "USING gin (to_tsvector('ctht_search'::regconfig, COALESCE(search_document, '')))"
)
# Countries whose institutions write (also) in Cyrillic: the language of a name's Cyrillic
# spelling there, and the tag of its Latin one.
CYRILLIC_COUNTRIES = {
    "RS": ("sr-Cyrl", "sr-Latn"),
    "BA": ("sr-Cyrl", "sr-Latn"),
    "ME": ("sr-Cyrl", "sr-Latn"),
    "MK": ("mk", "mk-Latn"),
}
CYRILLIC_PRIMARY = 0.16  # of the people of those countries: recorded under the Cyrillic name
CYRILLIC_OTHER = 0.34  # of the people of those countries: the Cyrillic as an other name
INSTITUTION_LOCAL_NAME = 0.5  # of their institutions: an other name in the local language
RARE_WORD = "blockchain"
RARE_EVERY = 2000


@dataclass
class Generated:
    institutions: int = 0
    people: int = 0
    events: int = 0
    statements: int = 0
    translations: int = 0
    other_names: int = 0


class Writer:
    """Appends rows to a table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, table: str, columns: list[str]):
        self.table, self.columns = table, columns

    def write(self, rows: Iterable[tuple]) -> int:
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cols = ", ".join(self.columns)
                with cursor.cursor.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})"
                batch = []
                for row in rows:
                    batch.append(_sqlite_row(row))
                    count += 1
                    if len(batch) == 5000:
                        cursor.executemany(sql, batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
        return count


def _sqlite_row(row: tuple) -> tuple:
    return tuple(
        v.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(v, datetime.datetime)
        else v.isoformat()
        if isinstance(v, datetime.date)
        else v
        for v in row
    )


def cyrillic_spelling(name: str, language: str) -> str | None:
    """`name` in the Cyrillic of `language` (sr-Cyrl or mk), or None if a letter has none."""
    spelled = cyrtranslit.to_cyrillic(name, "mk" if language == "mk" else "sr")
    cyrillic = all("\u0400" <= c <= "\u04ff" for c in spelled if c.isalpha())
    return spelled if cyrillic else None


def _local_institution_name(seed: int, i: int, language: str) -> str:
    if language == "mk":
        return f"Институција {seed}-{i} за борба против трговијата со луѓе"  # noqa: RUF001
    return cyrtranslit.to_cyrillic(f"Institucija {seed}-{i} za borbu protiv trgovine ljudima", "sr")


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _skewed(rng: random.Random, items: list, exponent: float = 1.1):
    weights = [1 / (rank + 1) ** exponent for rank in range(len(items))]
    return lambda: rng.choices(items, weights)[0]


def _text(rng: random.Random, language: str, low: int = 100, high: int = 600) -> str:
    words, target, parts, size = WORDS[language], rng.randint(low, high), [], 0
    if language == "en":
        parts.append("trafficking")
        size = 11
    while size < target:
        word = rng.choice(words)
        parts.append(word)
        size += len(word) + 1
    text = " ".join(parts)
    return (text[0].upper() + text[1:])[:high].rstrip() + "."


@transaction.atomic
def generate(*, statements: int, seed: int = 1) -> Generated:
    """Add `statements` statements (and what they need) to the record."""
    rng = random.Random(seed)
    # The choices of scripts come from their own stream: the rest stays as the seed gave it.
    names_rng = random.Random(f"names-{seed}")
    now = timezone.now()
    result = Generated()
    country = _skewed(rng, COUNTRIES)
    languages = list(LANGUAGE_WEIGHTS)
    language = lambda: rng.choices(languages, list(LANGUAGE_WEIGHTS.values()))[0]  # noqa: E731

    topics = [Topic.objects.get_or_create(name=name)[0].pk for name in TOPICS]

    n_institutions = max(20, statements // 250)
    first = _next_id(Institution)
    institutions = []  # (id, country)
    rows = []
    for i in range(n_institutions):
        pk, code = first + i, (country() if rng.random() > 0.1 else None)
        institutions.append((pk, code))
        name = f"Institution {seed}-{i} for combating trafficking"
        rows.append((pk, now, now, f"inst-{seed}-{pk}", name, "", "ministry", code, None, ""))
    institution_names = []  # (institution, name, language, note)
    for i, (pk, code) in enumerate(institutions):
        if code in CYRILLIC_COUNTRIES and names_rng.random() < INSTITUTION_LOCAL_NAME:
            tag = CYRILLIC_COUNTRIES[code][0]
            institution_names.append((pk, _local_institution_name(seed, i, tag), tag, "Local name"))
    result.institutions = Writer(
        "people_institution",
        [
            "id",
            "created_at",
            "updated_at",
            "slug",
            "name",
            "short_name",
            "kind",
            "country_id",
            "parent_id",
            "website",
        ],
    ).write(rows)

    n_people = max(50, statements // 100)
    first_person, first_position = _next_id(Person), _next_id(Position)
    people, positions = [], []  # people: (id, name); positions: (id, person, institution)
    person_names = []  # (person, name, language, note)
    institution_country = dict(institutions)
    for i in range(n_people):
        pk = first_person + i
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        name, sort = f"{given} {family}", f"{family}, {given}"
        institution = rng.choice(institutions)[0]
        positions.append((first_position + i, pk, institution))
        code = institution_country[institution]
        if code in CYRILLIC_COUNTRIES:
            cyrillic_tag, latin_tag = CYRILLIC_COUNTRIES[code]
            draw = names_rng.random()
            cyrillic = cyrillic_spelling(name, cyrillic_tag)
            if cyrillic is not None and draw < CYRILLIC_PRIMARY:
                person_names.append((pk, name, latin_tag, "Latin spelling"))
                name, sort = cyrillic, ", ".join(reversed(cyrillic.split(" ", 1)))
            elif cyrillic is not None and draw < CYRILLIC_PRIMARY + CYRILLIC_OTHER:
                person_names.append((pk, cyrillic, cyrillic_tag, "Cyrillic spelling"))
        people.append((pk, name, sort))
    result.people = Writer(
        "people_person", ["id", "created_at", "updated_at", "slug", "full_name", "sort_name"]
    ).write((pk, now, now, f"person-{seed}-{pk}", name, sort) for pk, name, sort in people)
    Writer(
        "people_position",
        [
            "id",
            "created_at",
            "updated_at",
            "person_id",
            "institution_id",
            "title",
            "start_date",
            "end_date",
        ],
    ).write(
        (pk, now, now, person, inst, "Head of unit", None, None) for pk, person, inst in positions
    )

    n_events = max(20, statements // 200)
    first_event = _next_id(Event)
    events = []  # (id, title, start, codes, published)
    start = datetime.date(2015, 1, 1)
    for i in range(n_events):
        pk = first_event + i
        day = None if rng.random() < 0.03 else start + datetime.timedelta(days=rng.randint(0, 4300))
        codes = sorted({country() for _ in range(rng.randint(1, 3))})
        events.append(
            (
                pk,
                f"Regional conference {seed}-{i} on digital technology",
                day,
                codes,
                rng.random() > 0.05,
            )
        )
    result.events = Writer(
        "events_event",
        [
            "id",
            "created_at",
            "updated_at",
            "slug",
            "status",
            "title",
            "kind",
            "summary",
            "start_date",
            "end_date",
            "city",
            "country_id",
            "participant_count",
            "participant_count_is_approximate",
            "source_id",
        ],
    ).write(
        (
            pk,
            now,
            now,
            f"event-{seed}-{pk}",
            "published" if pub else "draft",
            title,
            "conference",
            "",
            day,
            day,
            "",
            codes[0],
            None,
            False,
            None,
        )
        for pk, title, day, codes, pub in events
    )
    Writer("events_event_countries", ["event_id", "country_id"]).write(
        (pk, code) for pk, _, _, codes, _ in events for code in codes
    )
    Writer("events_event_topics", ["event_id", "topic_id"]).write(
        (pk, rng.choice(topics)) for pk, *_ in events
    )

    result.other_names = _write_other_names(PersonOtherName, "person_id", person_names, now)
    result.other_names += _write_other_names(
        InstitutionOtherName, "institution_id", institution_names, now
    )

    first_statement = _next_id(Statement)
    countries_of, topics_of, translated = [], [], []
    pick_event = _skewed(rng, events, 0.5)

    def statement_rows() -> Iterator[tuple]:
        for i in range(statements):
            pk = first_statement + i
            position_pk, person_pk, institution_pk = rng.choice(positions)
            name = people[person_pk - first_person][1]
            event = pick_event() if rng.random() > 0.1 else None
            lang = language()
            text = _text(rng, lang)
            if i % RARE_EVERY == RARE_EVERY // 2:
                text = f"{text[:-1]} {RARE_WORD}."
            day = event[2] if event else start + datetime.timedelta(days=rng.randint(0, 4300))
            codes = {institution_country[institution_pk] or country()}
            if rng.random() < 0.1:
                codes.add(country())
            countries_of.append((pk, codes))
            topics_of.append((pk, rng.sample(topics, rng.randint(1, 3))))
            translations = []  # (language, text), as statement_search_document takes them
            if rng.random() < 0.05 and lang != "en":
                translations = [("en", _text(rng, "en", 100, 300))]
            translated.extend((pk, tag, translation) for tag, translation in translations)
            yield (
                pk,
                now,
                now,
                "published" if rng.random() > 0.05 else "draft",
                text,
                lang,
                person_pk,
                position_pk,
                institution_pk,
                event[0] if event else None,
                day,
                None,
                "",
                statement_search_document(
                    text=text,
                    speaker_name=name,
                    event_title=event[1] if event else None,
                    translations=translations,
                ),
            )

    with _search_index_dropped():
        result.statements = Writer(
            "events_statement",
            [
                "id",
                "created_at",
                "updated_at",
                "status",
                "text",
                "language",
                "speaker_id",
                "position_id",
                "institution_id",
                "event_id",
                "date",
                "source_id",
                "context",
                "search_document",
            ],
        ).write(statement_rows())
        Writer("events_statement_countries", ["statement_id", "country_id"]).write(
            (pk, code) for pk, codes in countries_of for code in sorted(codes)
        )
        Writer("events_statement_topics", ["statement_id", "topic_id"]).write(
            (pk, topic) for pk, chosen in topics_of for topic in chosen
        )
        first_translation = _next_id(StatementTranslation)
        result.translations = Writer(
            "events_statementtranslation",
            ["id", "created_at", "updated_at", "statement_id", "language", "text", "kind"],
        ).write(
            (first_translation + i, now, now, pk, tag, text, "machine")
            for i, (pk, tag, text) in enumerate(translated)
        )
    _reset_sequences()
    _record_history()
    feed.record_unrecorded()  # rows went in without signals: into the change feed, in bulk
    record_changed()  # and retire the cached counts
    return result


def _write_other_names(model, owner_column: str, rows: list[tuple], now) -> int:
    first = _next_id(model)
    return Writer(
        model._meta.db_table,
        ["id", "created_at", "updated_at", owner_column, "name", "language", "note"],
    ).write(
        (first + i, now, now, owner, name, language, note)
        for i, (owner, name, language, note) in enumerate(rows)
    )


def _record_history() -> None:
    """Every generated entry gets its first history record, as if saved one by one."""
    for model in (
        Institution,
        InstitutionOtherName,
        Person,
        PersonOtherName,
        Position,
        Event,
        Statement,
        StatementTranslation,
    ):
        history_model, m2m = history_tables(model)
        insert_baseline_history(
            model, history_model, m2m, reason="generate_data", connection=connection
        )


class _search_index_dropped:
    """Drop the GIN search index during a PostgreSQL bulk load; build it once after."""

    def __enter__(self):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX IF EXISTS statement_search_gin")

    def __exit__(self, *exc):
        if connection.vendor == "postgresql" and exc[0] is None:
            with connection.cursor() as cursor:
                # Check the deferred foreign keys now: an index cannot be built over
                # rows with pending constraint triggers.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                cursor.execute(SEARCH_INDEX)


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    tables = [
        "people_institution",
        "people_institutionothername",
        "people_person",
        "people_personothername",
        "people_position",
        "events_event",
        "events_statement",
        "events_statementtranslation",
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
