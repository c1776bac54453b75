"""The previous version of events/demo.py (as of d91c004), verbatim below this docstring.

A fixture: a database loaded by it is what `load_demo` must upgrade without
duplicates (tests/events/test_load_demo_upgrade.py). Frozen: do not edit it to
follow the current module; its English names and corrected title are the point.
Its own docstring said: names of institutions, positions, programmes and topics
in English; the conference title stored with its two typos corrected.
"""

from dataclasses import dataclass

from django.db import transaction

from ctht_api.audit import changeset
from ctht_api.models import Status
from events.models import Document, Event, Programme, Statement, Topic
from events.services import write_statement
from people.models import Institution, Person, Position

SOURCE_REFERENCE = "shared/seeds/000_8cfe726e4bde808f.txt"

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

# slug: (name, short name, kind, country, parent slug)
INSTITUTIONS = {
    "council-of-europe": (
        "Council of Europe",
        "CoE",
        Institution.Kind.INTERNATIONAL_ORGANISATION,
        None,
        None,
    ),
    "european-union": (
        "European Union",
        "EU",
        Institution.Kind.INTERNATIONAL_ORGANISATION,
        None,
        None,
    ),
    "greta": (
        "Group of Experts on Action against Trafficking in Human Beings",
        "GRETA",
        Institution.Kind.INTERNATIONAL_ORGANISATION,
        None,
        "council-of-europe",
    ),
    "council-of-europe-office-in-sarajevo": (
        "Council of Europe Office in Sarajevo",
        "",
        Institution.Kind.IO_OFFICE,
        "BA",
        "council-of-europe",
    ),
    "ministry-of-security-of-bosnia-and-herzegovina": (
        "Ministry of Security of Bosnia and Herzegovina",
        "",
        Institution.Kind.MINISTRY,
        "BA",
        None,
    ),
    "department-for-combating-thb-and-illegal-migration": (
        "Department for Combating Trafficking in Human Beings and Illegal Migration",
        "",
        Institution.Kind.MINISTRY,
        "BA",
        "ministry-of-security-of-bosnia-and-herzegovina",
    ),
    "ministry-of-interior-of-the-republic-of-serbia": (
        "Ministry of Interior of the Republic of Serbia",
        "",
        Institution.Kind.MINISTRY,
        "RS",
        None,
    ),
    "ministry-of-interior-of-north-macedonia": (
        "Ministry of Interior of North Macedonia",
        "",
        Institution.Kind.MINISTRY,
        "MK",
        None,
    ),
    "unit-for-combating-thb-north-macedonia": (
        "Unit for Combating Trafficking in Human Beings",
        "",
        Institution.Kind.LAW_ENFORCEMENT,
        "MK",
        "ministry-of-interior-of-north-macedonia",
    ),
}

# slug: (name, parent slug, funder slugs)
PROGRAMMES = {
    "horizontal-facility-western-balkans-turkey-phase-iii": (
        "Horizontal Facility for the Western Balkans and Turkey, phase III",
        None,
        ["european-union", "council-of-europe"],
    ),
    "strengthening-the-fight-against-thb-in-bih": (
        "Strengthening the fight against trafficking in human beings in Bosnia and Herzegovina",
        "horizontal-facility-western-balkans-turkey-phase-iii",
        [],
    ),
    "action-against-thb-in-serbia": (
        "Action against trafficking in human beings in Serbia",
        "horizontal-facility-western-balkans-turkey-phase-iii",
        [],
    ),
    "action-against-thb-in-north-macedonia": (
        "Action against trafficking in human beings in North Macedonia",
        "horizontal-facility-western-balkans-turkey-phase-iii",
        [],
    ),
}

# slug: (title, kind, publisher slug, reference, language)
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
EVENT_TITLE = (
    "L'impact de la technologie numérique sur la traite des êtres humains : "
    "changer la façon dont nous réagissons"
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
    position_title: str
    institution_slug: str
    text: str
    topics: tuple[str, ...]
    context: str = ""


QUOTES = [
    Quote(
        "bojana-urumova",
        "Bojana Urumova",
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
    ),
    Quote(
        "nenad-simic",
        "Nenad Simić",
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
    ),
    Quote(
        "biljana-lalova",
        "Biljana Lalova",
        "Head of the Unit for Combating Trafficking in Human Beings",
        "unit-for-combating-thb-north-macedonia",
        "La prévention des nouvelles formes de traite des êtres humains facilitées par les "
        "technologies doit également cibler la jeunesse, afin de protéger les jeunes et les "
        "enfants qui sont particulièrement vulnérables à ce crime odieux",
        ("prevention-and-awareness", "child-and-youth-protection"),
    ),
]


@dataclass
class LoadResult:
    created: int = 0
    existing: int = 0

    def count(self, created: bool) -> None:
        if created:
            self.created += 1
        else:
            self.existing += 1


def load_demo() -> LoadResult:
    """Load the founding document; returns how many entities were created or already there.

    One transaction, one audit changeset: each entry gets one history record.
    """
    with transaction.atomic(), changeset(reason=DEMO_REASON):
        return _load_demo()


DEMO_REASON = "load_demo: the founding document (Sarajevo conference)"


def _load_demo() -> LoadResult:
    result = LoadResult()

    topics = {}
    for slug, (name, description) in TOPICS.items():
        topics[slug], created = Topic.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
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

    programmes: dict[str, Programme] = {}
    for slug, (name, parent, funders) in PROGRAMMES.items():
        programmes[slug], created = Programme.objects.get_or_create(
            slug=slug, defaults={"name": name, "parent": programmes[parent] if parent else None}
        )
        if created:
            programmes[slug].funders.set([institutions[f] for f in funders])
        result.count(created)

    documents = {}
    for slug, (title, kind, publisher, reference, language) in DOCUMENTS.items():
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
    article = documents["article-sarajevo-conference-digital-technology-thb"]

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

    for quote in QUOTES:
        person, created = Person.objects.get_or_create(
            slug=quote.person_slug, defaults={"full_name": quote.full_name}
        )
        result.count(created)
        position, created = Position.objects.get_or_create(
            person=person,
            title=quote.position_title,
            defaults={"institution": institutions[quote.institution_slug]},
        )
        result.count(created)
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
