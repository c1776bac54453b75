"""The founding document as data: the Council of Europe conference in Sarajevo.

Source: ``docs/sources/sarajevo-conference.fr.txt``, a French news article. Every
entity below is named in it.

**Words as the source gives them** (DOMAIN.md, "Trust of the record"): the
event's title, the programmes' names, the positions' titles and the
institutions' names are stored in the article's French, as it writes them; the
statements are verbatim. English renderings sit beside them as other names
(``language="en"``), each with a note saying whose they are: an editorial
translation, or the body's official English name; neither is the source's words.

Choices made where the article is silent, or where its words are not a name:

- **The title keeps the source's two typos** ("L'impactde", "dont réagissons",
  and no space before the colon): it is what the article says. The editors'
  correction is an other name of the event (``fr``, noted as a correction), and
  an English title another (``en``, an editorial translation).
- **Programmes.** The Bosnian project and the Horizontal Facility carry the names
  the article quotes. The Facility's phase, which the article writes after the
  quoted name (``"Facilité horizontale …" (phase III)``), stays in the name in
  the same words and order, so that the record's programme is phase III as its
  slug says. The Serbian and North Macedonian projects are not named in the
  article ("des projets de lutte contre la traite en Serbie et en Macédoine du
  Nord"): each is recorded under a description made of those words, lower-case
  like the article's, and its description says that it is not an official name.
  No official name is invented.
- **Institutions are named as the article names them**, word for word and
  case for case: "ministère de la Sécurité de Bosnie-Herzégovine", "bureau du
  Conseil de l'Europe à Sarajevo", "ministère de l'intérieur de la Macédoine du
  Nord" (lower-case "intérieur", as written, where the Serbian ministry has
  "l'Intérieur"). The first letter is not capitalised: the article writes these
  names mid-sentence, and French typography writes "ministère", "bureau",
  "département" and "unité" in lower case there too; the positions and the
  unnamed projects are kept lower-case the same way. A client that wants a
  capital at the start of a line adds it on display. GRETA is named as the
  article names it, "GRETA" (its short name too); its official French and
  English names are other names. The English names the earlier versions stored
  are other names (``en``): "Official English name" for the Council of Europe,
  the European Union, GRETA and the Council of Europe Office in Sarajevo, whose
  working languages include English; an editorial translation for the
  ministries and their units, whose own names are in their languages. The
  ministries' official names in their own languages are added where the
  editors are sure of them: the Serbian ministry in Serbian Cyrillic and Latin,
  the North Macedonian one in Macedonian, the Bosnian one in Bosnian, Croatian
  and Serbian (both scripts). The two units' own names are not known to the
  editors and are left out. No institution the article does not name is
  recorded.
- **Positions** are titled as the article states them, in French, grammatical
  gender included ("chef du département" for Stanislava Tanić, as written).
- **Names in Cyrillic** where the person's own institution writes in it:
  Nenad Simić (Serbian ministry, ``sr-Cyrl`` Ненад Симић), Biljana Lalova
  (North Macedonian ministry, ``mk`` Биљана Лалова: Macedonian writes "lj" as
  љ) and Stanislava Tanić (the Bosnian Ministry of Security publishes in Latin
  and Cyrillic, ``sr-Cyrl`` Станислава Танић). The article gives them in Latin
  only: each Cyrillic spelling is the editors' transliteration, and its note
  says so. Bojana Urumova speaks for the Council of Europe Office, which writes
  in Latin: no Cyrillic name.
- **Topics** are the record's own vocabulary, in English (the original), with
  translations in French, Bosnian, Serbian (Latin and Cyrillic), Macedonian and
  Albanian. The Serbian Cyrillic is made from the Serbian Latin by cyrtranslit.
- **Wikidata identifiers** only where the editors could confirm them from
  references (never guessed): the Council of Europe (Q8908) and the European
  Union (Q458), each given so by two independent public datasets that map names
  to Wikidata items (confirmordeny/supraverden, data/general_list.yaml and
  dist/ALL_BODIES.md; SpocWiki/_Standards, Earth/Continent/Europe). GRETA and the
  Convention on Cybercrime have none: no reference at hand confirmed theirs.
- **Sources.** Every institution, programme, person and position is taken from
  the article, so each has it as its source (`sources`), as the statements and
  the event do.
- The article gives no date: the event, the statements and the documents have
  none ("unknown"), not an invented one.
- Statement countries are left to the default (the speaker's institution's
  country), which gives BA, BA, RS and MK.

**Loading is idempotent and upgrades the previous version's data.** An entity
is found by its slug (a position by its statement, or by its person and title;
a statement by its speaker and event) and created when missing. Slugs never
change, so partners' URLs keep working. On an entity already there, a field is
rewritten only while it still holds exactly the value the previous version of
this module wrote (``PREVIOUS``, which covers both earlier versions): the
English names and titles and the corrected event title become the source's
words; any other value is an editor's and is kept. The version before this one
had the article's French institution names as other names (``fr``, "As named
in the source"); where such an other name is still exactly as written and is
now the institution's name, the upgrade deletes it (a recorded write of the
institution, in the same changeset), so that the name is not repeated beside
itself. An other name or a topic translation is added only when
its owner has never had one in that language (its history included), an
identifier only when its owner has never had one in that scheme and no other
entry holds it, and the article is made the source of an entry that has never
had a source, so an editor's correction or deletion of it stands. What is added to an entity that
was there already is a write of that entity: its version goes up once and the
change feed sees it; running the command again writes nothing. Everything is
written in one transaction and one audit changeset, whose reason is
`DEMO_REASON` for a first load and `UPGRADE_REASON` when an earlier load is
brought to the source's wording.
"""

from dataclasses import dataclass, field

import cyrtranslit
from django.db import models, transaction

from ctht_api.audit import changeset, current_changeset
from ctht_api.models import Status
from events.models import (
    Document,
    Event,
    EventOtherName,
    Programme,
    ProgrammeOtherName,
    Statement,
    Topic,
    TopicTranslation,
)
from events.services import write_statement
from people.models import (
    Institution,
    InstitutionIdentifier,
    InstitutionOtherName,
    Person,
    PersonOtherName,
    Position,
    PositionOtherName,
)

SOURCE_REFERENCE = "shared/seeds/000_8cfe726e4bde808f.txt"

EDITORIAL_TRANSLATION = "Editorial translation; not in the source"
AS_NAMED_IN_THE_SOURCE = "As named in the source"
OFFICIAL_ENGLISH_NAME = "Official English name; not in the source"
OFFICIAL_NAME = "Official name in the institution's language; not in the source"
TRANSLITERATED = "Cyrillic spelling, transliterated by the editors; the source writes it in Latin"


@dataclass(frozen=True)
class OtherName:
    name: str
    language: str
    note: str


TOPICS = {
    "online-recruitment": (
        "Online recruitment",
        "Traffickers recruiting victims through the internet and social networks.",
    ),
    "digital-evidence": ("Digital evidence", "Securing and sharing digital evidence in THB cases."),
    "prevention-and-awareness": (
        "Prevention and awareness",
        "Prevention campaigns and public education on online risks.",
    ),
    "victim-access-to-services": (
        "Victim access to services",
        "Using technology to improve victims' access to services.",
    ),
    "child-and-youth-protection": (
        "Child and youth protection",
        "Protecting children and young people, who are particularly vulnerable.",
    ),
    "cybercrime-convention": (
        "Cybercrime convention",
        "Better use of the Council of Europe Convention on Cybercrime.",
    ),
    "international-cooperation": (
        "International cooperation",
        "Sharing experience and procedures between institutions and countries.",
    ),
    "public-private-cooperation": (
        "Public-private cooperation",
        "Collaboration between public institutions, technology companies and civil society.",
    ),
}

# slug: {language: (name, description)}; English (TOPICS) is the original. The Serbian
# Cyrillic is added below from the Serbian Latin.
TOPIC_TRANSLATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "online-recruitment": {
        "fr": (
            "Recrutement en ligne",
            "Recrutement des victimes par les trafiquants au moyen d'Internet et des réseaux "
            "sociaux.",
        ),
        "bs": (
            "Vrbovanje putem interneta",
            "Trgovci ljudima vrbuju žrtve putem interneta i društvenih mreža.",
        ),
        "sr-Latn": (
            "Vrbovanje putem interneta",
            "Trgovci ljudima vrbuju žrtve putem interneta i društvenih mreža.",
        ),
        "mk": (
            "Регрутирање преку интернет",
            "Трговците со луѓе регрутираат жртви преку интернет и социјалните мрежи.",  # noqa: RUF001
        ),
        "sq": (
            "Rekrutimi në internet",
            "Trafikantët rekrutojnë viktima përmes internetit dhe rrjeteve sociale.",
        ),
    },
    "digital-evidence": {
        "fr": (
            "Preuves numériques",
            "Sécurisation et partage des preuves numériques dans les affaires de traite des "
            "êtres humains.",
        ),
        "bs": (
            "Digitalni dokazi",
            "Osiguravanje i razmjena digitalnih dokaza u predmetima trgovine ljudima.",
        ),
        "sr-Latn": (
            "Digitalni dokazi",
            "Obezbeđivanje i razmena digitalnih dokaza u predmetima trgovine ljudima.",
        ),
        "mk": (
            "Дигитални докази",
            "Обезбедување и споделување дигитални докази во случаи на трговија со луѓе.",  # noqa: RUF001
        ),
        "sq": (
            "Provat dixhitale",
            "Sigurimi dhe shkëmbimi i provave dixhitale në rastet e trafikimit të qenieve "
            "njerëzore.",
        ),
    },
    "prevention-and-awareness": {
        "fr": (
            "Prévention et sensibilisation",
            "Campagnes de prévention et éducation du grand public sur les risques d'Internet.",
        ),
        "bs": (
            "Prevencija i podizanje svijesti",
            "Preventivne kampanje i edukacija javnosti o rizicima na internetu.",
        ),
        "sr-Latn": (
            "Prevencija i podizanje svesti",
            "Preventivne kampanje i edukacija javnosti o rizicima na internetu.",
        ),
        "mk": (
            "Превенција и подигање на свеста",
            "Кампањи за превенција и едукација на јавноста за ризиците на интернет.",
        ),
        "sq": (
            "Parandalimi dhe ndërgjegjësimi",
            "Fushata parandalimi dhe edukimi i publikut për rreziqet në internet.",
        ),
    },
    "victim-access-to-services": {
        "fr": (
            "Accès des victimes aux services",
            "Utilisation des technologies pour améliorer l'accès des victimes aux services.",
        ),
        "bs": (
            "Pristup žrtava uslugama",
            "Korištenje tehnologije za bolji pristup žrtava uslugama.",
        ),
        "sr-Latn": (
            "Pristup žrtava uslugama",
            "Korišćenje tehnologije za bolji pristup žrtava uslugama.",
        ),
        "mk": (
            "Пристап на жртвите до услуги",
            "Користење технологија за подобар пристап на жртвите до услуги.",
        ),
        "sq": (
            "Qasja e viktimave në shërbime",
            "Përdorimi i teknologjisë për të përmirësuar qasjen e viktimave në shërbime.",
        ),
    },
    "child-and-youth-protection": {
        "fr": (
            "Protection des enfants et des jeunes",
            "Protection des enfants et des jeunes, particulièrement vulnérables.",
        ),
        "bs": ("Zaštita djece i mladih", "Zaštita djece i mladih, koji su posebno ranjivi."),
        "sr-Latn": ("Zaštita dece i mladih", "Zaštita dece i mladih, koji su posebno ranjivi."),
        "mk": (
            "Заштита на децата и младите",
            "Заштита на децата и младите, кои се особено ранливи.",  # noqa: RUF001
        ),
        "sq": (
            "Mbrojtja e fëmijëve dhe të rinjve",
            "Mbrojtja e fëmijëve dhe të rinjve, të cilët janë veçanërisht të cenueshëm.",
        ),
    },
    "cybercrime-convention": {
        "fr": (
            "Convention sur la cybercriminalité",
            "Meilleure utilisation de la Convention sur la cybercriminalité du Conseil de "
            "l'Europe.",
        ),
        "bs": (
            "Konvencija o kibernetičkom kriminalu",
            "Bolje korištenje Konvencije Vijeća Evrope o kibernetičkom kriminalu.",
        ),
        # Serbia ratified it as the "Konvencija o visokotehnološkom kriminalu".
        "sr-Latn": (
            "Konvencija o visokotehnološkom kriminalu",
            "Bolje korišćenje Konvencije Saveta Evrope o visokotehnološkom kriminalu.",
        ),
        "mk": (
            "Конвенција за компјутерски криминал",
            "Подобро користење на Конвенцијата на Советот на Европа за компјутерски криминал.",
        ),
        "sq": (
            "Konventa për krimin kibernetik",
            "Përdorimi më i mirë i Konventës së Këshillit të Evropës për krimin kibernetik.",
        ),
    },
    "international-cooperation": {
        "fr": (
            "Coopération internationale",
            "Partage des expériences et des procédures entre institutions et pays.",
        ),
        "bs": (
            "Međunarodna saradnja",
            "Razmjena iskustava i procedura između institucija i država.",
        ),
        "sr-Latn": (
            "Međunarodna saradnja",
            "Razmena iskustava i procedura između institucija i država.",
        ),
        "mk": (
            "Меѓународна соработка",
            "Споделување искуства и постапки меѓу институциите и државите.",
        ),
        "sq": (
            "Bashkëpunimi ndërkombëtar",
            "Shkëmbimi i përvojave dhe procedurave ndërmjet institucioneve dhe vendeve.",
        ),
    },
    "public-private-cooperation": {
        "fr": (
            "Coopération public-privé",
            "Collaboration entre institutions publiques, entreprises technologiques et société "
            "civile.",
        ),
        "bs": (
            "Javno-privatna saradnja",
            "Saradnja javnih institucija, tehnoloških kompanija i civilnog društva.",
        ),
        "sr-Latn": (
            "Javno-privatna saradnja",
            "Saradnja javnih institucija, tehnoloških kompanija i civilnog društva.",
        ),
        "mk": (
            "Јавно-приватна соработка",
            "Соработка меѓу јавните институции, технолошките компании и граѓанското општество.",
        ),
        "sq": (
            "Bashkëpunimi publik-privat",
            "Bashkëpunimi ndërmjet institucioneve publike, kompanive të teknologjisë dhe "
            "shoqërisë civile.",
        ),
    },
}


def serbian_cyrillic(text: str) -> str:
    """Serbian Latin in Serbian Cyrillic (cyrtranslit: one letter for one, lj → љ, dž → џ)."""
    return cyrtranslit.to_cyrillic(text, "sr")


for _languages in TOPIC_TRANSLATIONS.values():
    _name, _description = _languages["sr-Latn"]
    _languages["sr-Cyrl"] = (serbian_cyrillic(_name), serbian_cyrillic(_description))

# slug: (name, short name, kind, country, parent slug); the name as the article writes it
INSTITUTIONS = {
    "council-of-europe": (
        "Conseil de l'Europe",
        "CoE",
        Institution.Kind.INTERNATIONAL_ORGANISATION,
        None,
        None,
    ),
    "european-union": (
        "Union européenne",
        "EU",
        Institution.Kind.INTERNATIONAL_ORGANISATION,
        None,
        None,
    ),
    "greta": (
        "GRETA",
        "GRETA",
        Institution.Kind.INTERNATIONAL_ORGANISATION,
        None,
        "council-of-europe",
    ),
    "council-of-europe-office-in-sarajevo": (
        "bureau du Conseil de l'Europe à Sarajevo",
        "",
        Institution.Kind.IO_OFFICE,
        "BA",
        "council-of-europe",
    ),
    "ministry-of-security-of-bosnia-and-herzegovina": (
        "ministère de la Sécurité de Bosnie-Herzégovine",
        "",
        Institution.Kind.MINISTRY,
        "BA",
        None,
    ),
    "department-for-combating-thb-and-illegal-migration": (
        "département de lutte contre la traite des êtres humains et l'immigration clandestine",
        "",
        Institution.Kind.MINISTRY,
        "BA",
        "ministry-of-security-of-bosnia-and-herzegovina",
    ),
    "ministry-of-interior-of-the-republic-of-serbia": (
        "ministère de l'Intérieur de la République de Serbie",
        "",
        Institution.Kind.MINISTRY,
        "RS",
        None,
    ),
    "ministry-of-interior-of-north-macedonia": (
        "ministère de l'intérieur de la Macédoine du Nord",
        "",
        Institution.Kind.MINISTRY,
        "MK",
        None,
    ),
    "unit-for-combating-thb-north-macedonia": (
        "unité de lutte contre la traite des êtres humains",
        "",
        Institution.Kind.LAW_ENFORCEMENT,
        "MK",
        "ministry-of-interior-of-north-macedonia",
    ),
}

# slug: (scheme, identifier), confirmed from references (see the module docstring). One per
# scheme: that is how a later load knows it added one.
INSTITUTION_IDENTIFIERS: dict[str, list[tuple[str, str]]] = {
    "council-of-europe": [("wikidata", "Q8908")],
    "european-union": [("wikidata", "Q458")],
}

# slug: other names. One per language: that is how a later load knows it added one.
INSTITUTION_OTHER_NAMES: dict[str, list[OtherName]] = {
    "council-of-europe": [OtherName("Council of Europe", "en", OFFICIAL_ENGLISH_NAME)],
    "european-union": [OtherName("European Union", "en", OFFICIAL_ENGLISH_NAME)],
    "greta": [
        OtherName(
            "Group of Experts on Action against Trafficking in Human Beings",
            "en",
            OFFICIAL_ENGLISH_NAME,
        ),
        OtherName(
            "Groupe d'experts sur la lutte contre la traite des êtres humains",
            "fr",
            "Official French name; the source says GRETA",
        ),
    ],
    "council-of-europe-office-in-sarajevo": [
        OtherName("Council of Europe Office in Sarajevo", "en", OFFICIAL_ENGLISH_NAME),
    ],
    "ministry-of-security-of-bosnia-and-herzegovina": [
        OtherName("Ministry of Security of Bosnia and Herzegovina", "en", EDITORIAL_TRANSLATION),
        OtherName("Ministarstvo sigurnosti Bosne i Hercegovine", "bs", OFFICIAL_NAME),
        OtherName("Ministarstvo sigurnosti Bosne i Hercegovine", "hr", OFFICIAL_NAME),
        OtherName("Ministarstvo bezbjednosti Bosne i Hercegovine", "sr-Latn", OFFICIAL_NAME),
        OtherName("Министарство безбједности Босне и Херцеговине", "sr-Cyrl", OFFICIAL_NAME),
    ],
    "department-for-combating-thb-and-illegal-migration": [
        OtherName(
            "Department for Combating Trafficking in Human Beings and Illegal Migration",
            "en",
            EDITORIAL_TRANSLATION,
        ),
    ],
    "ministry-of-interior-of-the-republic-of-serbia": [
        OtherName("Ministry of Interior of the Republic of Serbia", "en", EDITORIAL_TRANSLATION),
        OtherName("Министарство унутрашњих послова Републике Србије", "sr-Cyrl", OFFICIAL_NAME),
        OtherName("Ministarstvo unutrašnjih poslova Republike Srbije", "sr-Latn", OFFICIAL_NAME),
    ],
    "ministry-of-interior-of-north-macedonia": [
        OtherName("Ministry of Interior of North Macedonia", "en", EDITORIAL_TRANSLATION),
        OtherName("Министерство за внатрешни работи", "mk", OFFICIAL_NAME),
    ],
    "unit-for-combating-thb-north-macedonia": [
        OtherName("Unit for Combating Trafficking in Human Beings", "en", EDITORIAL_TRANSLATION),
    ],
}

UNNAMED_PROJECT = (
    'The article does not name this project; it speaks of "des projets de lutte contre la '
    'traite en Serbie et en Macédoine du Nord". The name is a description in its words, '
    "not an official name."
)


@dataclass(frozen=True)
class ProgrammeData:
    name: str
    parent: str | None
    funders: tuple[str, ...] = ()
    description: str = ""
    other_names: tuple[OtherName, ...] = ()


FACILITY = "horizontal-facility-western-balkans-turkey-phase-iii"
PROGRAMMES = {
    FACILITY: ProgrammeData(
        "Facilité horizontale pour les Balkans occidentaux et la Turquie (phase III)",
        None,
        ("european-union", "council-of-europe"),
        other_names=(
            OtherName(
                "Horizontal Facility for the Western Balkans and Turkey, phase III",
                "en",
                EDITORIAL_TRANSLATION,
            ),
        ),
    ),
    "strengthening-the-fight-against-thb-in-bih": ProgrammeData(
        "Renforcer la lutte contre la traite en Bosnie-Herzégovine",
        FACILITY,
        other_names=(
            OtherName(
                "Strengthening the fight against trafficking in human beings in Bosnia and "
                "Herzegovina",
                "en",
                EDITORIAL_TRANSLATION,
            ),
        ),
    ),
    "action-against-thb-in-serbia": ProgrammeData(
        "projet de lutte contre la traite en Serbie",
        FACILITY,
        description=UNNAMED_PROJECT,
        other_names=(
            OtherName(
                "Action against trafficking in human beings in Serbia",
                "en",
                "Editorial description, not an official name; not in the source",
            ),
        ),
    ),
    "action-against-thb-in-north-macedonia": ProgrammeData(
        "projet de lutte contre la traite en Macédoine du Nord",
        FACILITY,
        description=UNNAMED_PROJECT,
        other_names=(
            OtherName(
                "Action against trafficking in human beings in North Macedonia",
                "en",
                "Editorial description, not an official name; not in the source",
            ),
        ),
    ),
}

# slug: (title, kind, publisher slug, reference, language)
ARTICLE_SLUG = "article-sarajevo-conference-digital-technology-thb"
DOCUMENTS = {
    "greta-study-online-and-technology-facilitated-thb": (
        "Online and technology-facilitated trafficking in human beings (GRETA study)",
        Document.Kind.STUDY,
        "greta",
        "",
        "",
    ),
    "convention-on-cybercrime": (
        "Convention on Cybercrime",
        Document.Kind.CONVENTION,
        "council-of-europe",
        "ETS No. 185",
        "",
    ),
    "article-sarajevo-conference-digital-technology-thb": (
        "Conférence de deux jours à Sarajevo sur l'impact de la technologie numérique "
        "sur la traite des êtres humains (article)",
        Document.Kind.ARTICLE,
        None,
        SOURCE_REFERENCE,
        "fr",
    ),
}

EVENT_SLUG = "sarajevo-conference-digital-technology-thb"
# As the source spells it, typos included.
EVENT_TITLE = (
    "L'impactde la technologie numérique sur la traite des êtres humains: "
    "changer la façon dont réagissons"
)
EVENT_CORRECTED_TITLE = (
    "L'impact de la technologie numérique sur la traite des êtres humains : "
    "changer la façon dont nous réagissons"
)
EVENT_OTHER_NAMES = (
    OtherName(
        EVENT_CORRECTED_TITLE,
        "fr",
        "Title as corrected by the editors; the source has two typos "
        '("L\'impactde", "dont réagissons")',
    ),
    OtherName(
        "The impact of digital technology on trafficking in human beings: "
        "changing the way we respond",
        "en",
        EDITORIAL_TRANSLATION,
    ),
)
EVENT_SUMMARY = (
    "Une conférence de deux jours organisée par le Conseil de l'Europe à Sarajevo a exploré "
    "l'impact des technologies de l'information et de la communication sur la traite des êtres "
    "humains et les moyens d'y remédier grâce à la collaboration entre institutions publiques, "
    "entreprises technologiques et société civile. Elle a réuni une soixantaine d'experts "
    "nationaux et internationaux dans le but d'aider la Bosnie-et-Herzégovine, la Macédoine du "
    "Nord et la Serbie à prendre de nouvelles mesures. Les participants ont examiné la "
    "sécurisation et le partage des preuves numériques dans les affaires de traite des êtres "
    "humains, l'utilisation des technologies pour renforcer la prévention et améliorer l'accès "
    "des victimes aux services, ainsi qu'une meilleure utilisation de la Convention sur la "
    "cybercriminalité du Conseil de l'Europe. La conférence s'est appuyée sur les résultats de "
    "l'étude du GRETA sur la traite des êtres humains en ligne et facilitée par les technologies, "
    "ainsi que sur les conclusions des études, séminaires et ateliers organisés par le Conseil de "
    "l'Europe en Bosnie-Herzégovine, en Macédoine du Nord et en Serbie."
)
EVENT_TOPICS = [
    "online-recruitment",
    "digital-evidence",
    "prevention-and-awareness",
    "victim-access-to-services",
    "cybercrime-convention",
    "public-private-cooperation",
]


@dataclass(frozen=True)
class Quote:
    person_slug: str
    full_name: str
    position_title: str  # as the article states it
    position_title_en: str  # the editors' translation, an other name of the position
    institution_slug: str
    text: str
    topics: tuple[str, ...]
    context: str = ""
    person_other_names: tuple[OtherName, ...] = field(default=())


QUOTES = [
    Quote(
        "bojana-urumova",
        "Bojana Urumova",
        "cheffe du bureau du Conseil de l'Europe à Sarajevo",
        "Head of the Council of Europe Office in Sarajevo",
        "council-of-europe-office-in-sarajevo",
        "L'utilisation généralisée des technologies de l'information et de la communication dans "
        "le recrutement, le contrôle et l'exploitation des victimes de la traite des êtres "
        "humains - dont beaucoup sont des enfants - pose un défi majeur. Cependant, les outils "
        "technologiques peuvent également faire partie de la solution, en aidant les autorités "
        "chargées de l'application de la loi à détecter, enquêter et poursuivre les cas de traite "
        "des êtres humains",
        ("online-recruitment", "child-and-youth-protection", "digital-evidence"),
    ),
    Quote(
        "stanislava-tanic",
        "Stanislava Tanić",
        "chef du département de lutte contre la traite des êtres humains et l'immigration "
        "clandestine",
        "Head of the Department for Combating Trafficking in Human Beings and Illegal Migration",
        "department-for-combating-thb-and-illegal-migration",
        "C'est pourquoi il est crucial d'éduquer le grand public sur les risques d'Internet et "
        "les moyens de protection, afin qu'il puisse utiliser Internet en toute sécurité et qu'il "
        "soit capable de reconnaître les signes de recrutement",
        ("online-recruitment", "prevention-and-awareness"),
        context=(
            "Stanislava Tanić a souligné que l'utilisation accrue d'Internet a multiplié les "
            "opportunités pour les trafiquants qui utilisent les réseaux sociaux pour recruter "
            "des victimes et gagner leur confiance."
        ),
        person_other_names=(
            OtherName(
                "Станислава Танић",
                "sr-Cyrl",
                f"{TRANSLITERATED}; her ministry publishes in Latin and Cyrillic",
            ),
        ),
    ),
    Quote(
        "nenad-simic",
        "Nenad Simić",
        "coordinateur national pour la lutte contre la traite des êtres humains",
        "National Coordinator for Combating Trafficking in Human Beings",
        "ministry-of-interior-of-the-republic-of-serbia",
        "Compte tenu du nombre croissant de cas dans lesquels les technologies de l'information "
        "et de la communication sont utilisées par les trafiquants pour le recrutement et "
        "l'exploitation des victimes, une réponse conjointe globale et efficace est nécessaire, "
        "depuis les campagnes de prévention jusqu'aux enquêtes proactives et à la collecte de "
        "preuves numériques. Cela nécessite un meilleur partage des expériences et des procédures "
        "entre les institutions et les instruments juridiques du Conseil de l'Europe",
        (
            "online-recruitment",
            "prevention-and-awareness",
            "digital-evidence",
            "international-cooperation",
        ),
        person_other_names=(OtherName("Ненад Симић", "sr-Cyrl", TRANSLITERATED),),
    ),
    Quote(
        "biljana-lalova",
        "Biljana Lalova",
        "cheffe de l'unité de lutte contre la traite des êtres humains",
        "Head of the Unit for Combating Trafficking in Human Beings",
        "unit-for-combating-thb-north-macedonia",
        "La prévention des nouvelles formes de traite des êtres humains facilitées par les "
        "technologies doit également cibler la jeunesse, afin de protéger les jeunes et les "
        "enfants qui sont particulièrement vulnérables à ce crime odieux",
        ("prevention-and-awareness", "child-and-youth-protection"),
        person_other_names=(OtherName("Биљана Лалова", "mk", TRANSLITERATED),),
    ),
]

# What the previous version of this module wrote where this one writes the source's
# words: a field still holding exactly this value is rewritten; any other is an editor's.
PREVIOUS = {
    "event_title": EVENT_CORRECTED_TITLE,
    "programme_names": {
        FACILITY: "Horizontal Facility for the Western Balkans and Turkey, phase III",
        "strengthening-the-fight-against-thb-in-bih": (
            "Strengthening the fight against trafficking in human beings in Bosnia and Herzegovina"
        ),
        "action-against-thb-in-serbia": "Action against trafficking in human beings in Serbia",
        "action-against-thb-in-north-macedonia": (
            "Action against trafficking in human beings in North Macedonia"
        ),
    },
    "programme_description": "",
    "position_titles": {quote.person_slug: quote.position_title_en for quote in QUOTES},
    # The institutions' English names (both earlier versions wrote them).
    "institution_names": {
        "council-of-europe": "Council of Europe",
        "european-union": "European Union",
        "greta": "Group of Experts on Action against Trafficking in Human Beings",
        "council-of-europe-office-in-sarajevo": "Council of Europe Office in Sarajevo",
        "ministry-of-security-of-bosnia-and-herzegovina": (
            "Ministry of Security of Bosnia and Herzegovina"
        ),
        "department-for-combating-thb-and-illegal-migration": (
            "Department for Combating Trafficking in Human Beings and Illegal Migration"
        ),
        "ministry-of-interior-of-the-republic-of-serbia": (
            "Ministry of Interior of the Republic of Serbia"
        ),
        "ministry-of-interior-of-north-macedonia": "Ministry of Interior of North Macedonia",
        "unit-for-combating-thb-north-macedonia": "Unit for Combating Trafficking in Human Beings",
    },
    # The article's French names, which the version before this one added as other names
    # (language fr) and this one makes the names: (name, note). Such an other name, still
    # exactly as written and now the institution's name, would repeat it: it is deleted.
    "institution_french_other_names": {
        "council-of-europe": (
            "Conseil de l'Europe",
            "Official French name; as named in the source",
        ),
        "european-union": ("Union européenne", "Official French name; as named in the source"),
        **{
            slug: (INSTITUTIONS[slug][0], AS_NAMED_IN_THE_SOURCE)
            for slug in (
                "council-of-europe-office-in-sarajevo",
                "ministry-of-security-of-bosnia-and-herzegovina",
                "department-for-combating-thb-and-illegal-migration",
                "ministry-of-interior-of-the-republic-of-serbia",
                "ministry-of-interior-of-north-macedonia",
                "unit-for-combating-thb-north-macedonia",
            )
        },
    },
}


@dataclass
class LoadResult:
    created: int = 0
    existing: int = 0
    upgraded: int = 0  # entities already there that this load rewrote or added names to

    def count(self, created: bool) -> None:
        if created:
            self.created += 1
        else:
            self.existing += 1


DEMO_REASON = "load_demo: the founding document (Sarajevo conference)"
UPGRADE_REASON = (
    "load_demo: source wording (the founding document's own words; English and "
    "Cyrillic renderings as other names and translations)"
)


def load_demo() -> LoadResult:
    """Load the founding document; returns how many entities were created, already
    there, or brought up to this version's wording.

    One transaction, one audit changeset: each entry gets one history record.
    """
    with transaction.atomic(), changeset(reason=DEMO_REASON) as current:
        result = _load_demo()
        if result.upgraded:
            current.reason = UPGRADE_REASON
        return result


def _ever(model: type[models.Model], owner: dict, column: str) -> set[str]:
    """The values of `column` (languages, schemes) the owner has, or has ever had, a row
    of `model` with."""
    now = model.objects.filter(**owner).values_list(column, flat=True)
    before = model.history.model.objects.filter(**owner).values_list(column, flat=True)
    return {*now, *before}


def _add_other_names(
    owner: models.Model, model: type[models.Model], names, result: LoadResult
) -> bool:
    """Add each of `names` whose language the owner has never had an other name in.

    Its history counts: a name the editors corrected or deleted is not put back.
    True if anything was added.
    """
    owner_field = model.owner_field
    ever = _ever(model, {f"{owner_field}_id": owner.pk}, "language")
    added = False
    for other in names:
        if other.language in ever:
            result.count(False)
            continue
        model.objects.create(
            **{owner_field: owner}, name=other.name, language=other.language, note=other.note
        )
        ever.add(other.language)
        result.count(True)
        added = True
    return added


def _add_identifiers(
    owner: models.Model, model: type[models.Model], identifiers, result: LoadResult
) -> bool:
    """Add each (scheme, identifier) in a scheme the owner has never had one in (its
    history counts), unless another entry holds it (an editor's choice, and the unique
    constraint's). True if anything was added."""
    owner_field = model.owner_field
    ever = _ever(model, {f"{owner_field}_id": owner.pk}, "scheme")
    added = False
    for scheme, identifier in identifiers:
        if scheme in ever or model.objects.filter(scheme=scheme, identifier=identifier).exists():
            result.count(False)
            continue
        model.objects.create(**{owner_field: owner}, scheme=scheme, identifier=identifier)
        ever.add(scheme)
        result.count(True)
        added = True
    return added


def _add_topic_translations(topic: Topic, result: LoadResult) -> bool:
    ever = _ever(TopicTranslation, {"topic_id": topic.pk}, "language")
    added = False
    for language, (name, description) in TOPIC_TRANSLATIONS[topic.slug].items():
        if language in ever:
            result.count(False)
            continue
        TopicTranslation.objects.create(
            topic=topic, language=language, name=name, description=description
        )
        result.count(True)
        added = True
    return added


def _remove_repeated_name(institution: Institution, name: tuple[str, str]) -> bool:
    """Delete the French other name the previous version gave the institution if, still
    exactly as written, it is the name this load leaves it (`name`: previous, new); the
    name is then not repeated beside itself. An editor's other name is kept. True if
    one was deleted (a recorded write of the institution, in this load's changeset)."""
    previous, new = name
    final = new if institution.name == previous else institution.name
    repeated = PREVIOUS["institution_french_other_names"].get(institution.slug)
    if repeated is None or repeated[0] != final:
        return False
    deleted = False
    for other in institution.other_names.filter(name=repeated[0], language="fr", note=repeated[1]):
        # A deletion's history record takes the changeset's reason now, not at its end:
        # this load is an upgrade (the institution is saved below), so say so first.
        current_changeset().reason = UPGRADE_REASON
        other.delete()
        deleted = True
    return deleted


def _add_source(entry: models.Model, document: Document) -> bool:
    """Give the entry `document` as its source if it has never had a source (its history
    included), so that an editor's removal or choice stands. True if it was added."""
    ever = entry.history.model.sources.model.objects.filter(history__id=entry.pk)
    if entry.sources.exists() or ever.exists():
        return False
    entry.sources.add(document)
    return True


def _upgrade(instance: models.Model, created: bool, changes: dict, added: bool, result) -> None:
    """Bring an entity that was there already to this version: each field in `changes`
    (field: (previous value, new value)) is rewritten if it still holds the previous
    value; an entity rewritten or given other names is saved once (one version)."""
    if created:
        return
    changed = False
    for name, (previous, new) in changes.items():
        if getattr(instance, name) == previous and previous != new:
            setattr(instance, name, new)
            changed = True
    if changed or added:
        instance.save()
        result.upgraded += 1


def _load_demo() -> LoadResult:
    result = LoadResult()

    topics = {}
    for slug, (name, description) in TOPICS.items():
        topics[slug], created = Topic.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
        result.count(created)
        added = _add_topic_translations(topics[slug], result)
        _upgrade(topics[slug], created, {}, added, result)

    # First, so that every entry taken from it can name it as its source; it has no
    # publisher (the other documents are loaded below, after the institutions).
    title, kind, _, reference, language = DOCUMENTS[ARTICLE_SLUG]
    article, created = Document.objects.get_or_create(
        slug=ARTICLE_SLUG,
        defaults={"title": title, "kind": kind, "reference": reference, "language": language},
    )
    result.count(created)

    institutions: dict[str, Institution] = {}
    for slug, (name, short_name, kind, country, parent) in INSTITUTIONS.items():
        institutions[slug], created = Institution.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "short_name": short_name,
                "kind": kind,
                "country_id": country,
                "parent": institutions[parent] if parent else None,
            },
        )
        result.count(created)
        changes = {"name": (PREVIOUS["institution_names"][slug], name)}
        removed = not created and _remove_repeated_name(institutions[slug], changes["name"])
        added = _add_other_names(
            institutions[slug], InstitutionOtherName, INSTITUTION_OTHER_NAMES.get(slug, ()), result
        )
        identified = _add_identifiers(
            institutions[slug], InstitutionIdentifier, INSTITUTION_IDENTIFIERS.get(slug, ()), result
        )
        added = _add_source(institutions[slug], article) or added
        _upgrade(institutions[slug], created, changes, added or removed or identified, result)

    programmes: dict[str, Programme] = {}
    for slug, data in PROGRAMMES.items():
        programme, created = Programme.objects.get_or_create(
            slug=slug,
            defaults={
                "name": data.name,
                "description": data.description,
                "parent": programmes[data.parent] if data.parent else None,
            },
        )
        if created:
            programme.funders.set([institutions[f] for f in data.funders])
        result.count(created)
        added = _add_other_names(programme, ProgrammeOtherName, data.other_names, result)
        added = _add_source(programme, article) or added
        _upgrade(
            programme,
            created,
            {
                "name": (PREVIOUS["programme_names"][slug], data.name),
                "description": (PREVIOUS["programme_description"], data.description),
            },
            added,
            result,
        )
        programmes[slug] = programme

    documents = {ARTICLE_SLUG: article}
    for slug, (title, kind, publisher, reference, language) in DOCUMENTS.items():
        if slug in documents:
            continue
        documents[slug], created = Document.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "kind": kind,
                "reference": reference,
                "language": language,
                "publisher": institutions[publisher] if publisher else None,
            },
        )
        result.count(created)

    event, created = Event.objects.get_or_create(
        slug=EVENT_SLUG,
        defaults={
            "title": EVENT_TITLE,
            "kind": Event.Kind.CONFERENCE,
            "summary": EVENT_SUMMARY,
            "city": "Sarajevo",
            "country_id": "BA",
            "participant_count": 60,
            "participant_count_is_approximate": True,
            "source": article,
            "status": Status.PUBLISHED,
        },
    )
    if created:
        event.countries.set(["BA", "MK", "RS"])
        event.organisers.set([institutions["council-of-europe"]])
        event.topics.set([topics[t] for t in EVENT_TOPICS])
        event.programmes.set(programmes.values())
        event.documents.set(
            [
                documents["greta-study-online-and-technology-facilitated-thb"],
                documents["convention-on-cybercrime"],
            ]
        )
    result.count(created)
    added = _add_other_names(event, EventOtherName, EVENT_OTHER_NAMES, result)
    _upgrade(event, created, {"title": (PREVIOUS["event_title"], EVENT_TITLE)}, added, result)

    for quote in QUOTES:
        person, created = Person.objects.get_or_create(
            slug=quote.person_slug, defaults={"full_name": quote.full_name}
        )
        result.count(created)
        added = _add_other_names(person, PersonOtherName, quote.person_other_names, result)
        added = _add_source(person, article) or added
        _upgrade(person, created, {}, added, result)

        position, created = _position(person, event, quote, institutions)
        result.count(created)
        added = _add_other_names(
            position,
            PositionOtherName,
            [OtherName(quote.position_title_en, "en", EDITORIAL_TRANSLATION)],
            result,
        )
        added = _add_source(position, article) or added
        previous_title = PREVIOUS["position_titles"][quote.person_slug]
        _upgrade(
            position, created, {"title": (previous_title, quote.position_title)}, added, result
        )

        created = not Statement.objects.filter(speaker=person, event=event).exists()
        if created:
            write_statement(
                values={
                    "speaker": person,
                    "event": event,
                    "text": quote.text,
                    "language": "fr",
                    "position": position,
                    "source": article,
                    "context": quote.context,
                    "status": Status.PUBLISHED,
                },
                topics=[topics[t] for t in quote.topics],
            )
        result.count(created)

    return result


def _position(
    person: Person, event: Event, quote: Quote, institutions: dict[str, Institution]
) -> tuple[Position, bool]:
    """The position the person spoke in: their statement's at the event if there is one
    (whatever an editor retitled it to), else theirs under this or the previous title."""
    statement = (
        Statement.objects.filter(speaker=person, event=event, position__isnull=False)
        .select_related("position")
        .first()
    )
    if statement is not None:
        return statement.position, False
    titles = [quote.position_title, PREVIOUS["position_titles"][quote.person_slug]]
    position = Position.objects.filter(person=person, title__in=titles).order_by("pk").first()
    if position is not None:
        return position, False
    position = Position.objects.create(
        person=person, title=quote.position_title, institution=institutions[quote.institution_slug]
    )
    return position, True
