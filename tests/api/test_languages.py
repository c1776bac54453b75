"""The client's language: `display` chosen by `?lang=` or `Accept-Language` (ctht_api.languages).

A statement's `text` and `language` stay the original words; `display` is the best
matching translation (RFC 4647 lookup, `sr` finds `sr-Latn`), a transliteration made
on the fly (`kind` `machine`), or else the original. Topics get the same.
"""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from ctht_api.languages import (
    Rendering,
    choose,
    parse_accept_language,
    parse_lang_parameter,
    truncations,
)
from events.models import Statement, StatementTranslation, Topic, TopicTranslation
from tests.api.helpers import assert_problem, results
from tests.factories import (
    PersonFactory,
    StatementFactory,
    StatementTranslationFactory,
    TopicFactory,
)
from tests.test_audit import change_url, form_data, inline_prefix

CYRILLIC_TEXT = "Ненад Симић: технологија може бити део решења."
LATIN_TEXT = "Nenad Simić: tehnologija može biti deo rešenja."
ORIGINAL_TEXT = "Technology can also be part of the solution."
FRENCH_TEXT = "La technologie peut aussi faire partie de la solution."
SERBIAN_LATIN_TEXT = "Tehnologija takođe može biti deo rešenja."


@pytest.fixture
def translated(db) -> Statement:
    """An English statement translated into French (editors) and Serbian in Latin (official)."""
    statement = StatementFactory(text=ORIGINAL_TEXT, language="en")
    StatementTranslationFactory(statement=statement, language="fr", text=FRENCH_TEXT)
    StatementTranslationFactory(
        statement=statement,
        language="sr-Latn",
        text=SERBIAN_LATIN_TEXT,
        kind=StatementTranslation.Kind.OFFICIAL,
    )
    return statement


@pytest.fixture
def cyrillic(db) -> Statement:
    """Serbian words in Cyrillic, tagged plain `sr`, with an English translation."""
    statement = StatementFactory(text=CYRILLIC_TEXT, language="sr", speaker=PersonFactory())
    StatementTranslationFactory(statement=statement, language="en", text=ORIGINAL_TEXT)
    return statement


def detail(client, statement, **headers):
    return client.get(f"/api/v1/statements/{statement.pk}/", **headers)


def display(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()["display"]


# What the client asks for


def test_accept_language_is_read_by_quality_without_star_or_q0():
    assert parse_accept_language("fr;q=0.3, sr;q=0.8, *;q=0.5, de;q=0") == ("sr", "fr")
    assert parse_accept_language("sr-latn-rs, en;q=0.9") == ("sr-Latn-RS", "en")


def test_a_malformed_accept_language_is_ignored():
    assert parse_accept_language("fr;q=abc;;") == ()
    assert parse_accept_language("x" * 1000) == ()


def test_lang_is_a_priority_list_in_any_case():
    assert parse_lang_parameter("SR-latn, en,fr,en") == ("sr-Latn", "en", "fr")
    assert parse_lang_parameter("") == ()


def test_lookup_truncates_from_the_right():
    assert truncations("sr-Latn-RS") == ["sr-latn-rs", "sr-latn", "sr"]
    assert truncations("de-DE-x-goethe") == ["de-de-x-goethe", "de-de", "de"]


def test_the_original_wins_over_a_translation_in_its_language():
    original = Rendering("en", "original", {"text": "a"})
    assert choose(["en"], [original, Rendering("en", "editorial", {"text": "b"})]) == original


def test_sr_prefers_cyrillic_when_both_scripts_are_translations():
    """The documented tie-break: kinds first, then tag order (`sr-Cyrl` before `sr-Latn`)."""
    renderings = [
        Rendering("en", "original", {"text": "a"}),
        Rendering("sr-Latn", "editorial", {"text": "b"}),
        Rendering("sr-Cyrl", "editorial", {"text": "c"}),
    ]
    assert choose(["sr"], renderings).language == "sr-Cyrl"
    renderings[1] = Rendering("sr-Latn", "official", {"text": "b"})
    assert choose(["sr"], renderings).language == "sr-Latn"


# Statements


def test_lang_picks_a_translation_and_keeps_the_original(anon, translated):
    response = anon.get(f"/api/v1/statements/{translated.pk}/", {"lang": "fr"})
    body = response.json()
    assert body["display"] == {"language": "fr", "text": FRENCH_TEXT, "kind": "editorial"}
    assert (body["text"], body["language"]) == (ORIGINAL_TEXT, "en")
    assert {t["language"] for t in body["translations"]} == {"fr", "sr-Latn"}


def test_accept_language_quality_values_choose(anon, translated):
    """`fr;q=0.3, sr;q=0.8`: Serbian is wanted more, and `sr` finds `sr-Latn`."""
    response = detail(anon, translated, HTTP_ACCEPT_LANGUAGE="fr;q=0.3, sr;q=0.8")
    assert display(response) == {
        "language": "sr-Latn",
        "text": SERBIAN_LATIN_TEXT,
        "kind": "official",
    }
    assert "Accept-Language" in response["Vary"]


def test_lang_wins_over_accept_language(anon, translated):
    response = anon.get(
        f"/api/v1/statements/{translated.pk}/", {"lang": "fr"}, HTTP_ACCEPT_LANGUAGE="sr"
    )
    assert display(response)["language"] == "fr"


def test_sr_latn_with_only_cyrillic_is_transliterated(anon, cyrillic):
    response = anon.get(f"/api/v1/statements/{cyrillic.pk}/", {"lang": "sr-Latn,en"})
    assert display(response) == {"language": "sr-Latn", "text": LATIN_TEXT, "kind": "machine"}
    assert response.json()["text"] == CYRILLIC_TEXT


def test_sr_cyrl_with_only_latin_is_transliterated(anon, db):
    statement = StatementFactory(text=LATIN_TEXT, language="sr-Latn")
    response = anon.get(f"/api/v1/statements/{statement.pk}/", {"lang": "sr-Cyrl"})
    assert display(response) == {"language": "sr-Cyrl", "text": CYRILLIC_TEXT, "kind": "machine"}


def test_sr_cyrl_finds_cyrillic_words_tagged_sr(anon, cyrillic):
    response = anon.get(f"/api/v1/statements/{cyrillic.pk}/", {"lang": "sr-Cyrl"})
    assert display(response) == {"language": "sr", "text": CYRILLIC_TEXT, "kind": "original"}


def test_nothing_matching_displays_the_original(anon, translated):
    response = anon.get(f"/api/v1/statements/{translated.pk}/", {"lang": "de,hu"})
    assert display(response) == {"language": "en", "text": ORIGINAL_TEXT, "kind": "original"}


def test_no_language_asked_means_no_display(anon, translated):
    response = detail(anon, translated)
    assert "display" not in response.json()
    assert "Accept-Language" in response["Vary"]


def test_empty_lang_turns_the_header_off(anon, translated):
    response = anon.get(
        f"/api/v1/statements/{translated.pk}/", {"lang": ""}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "display" not in response.json()


def test_a_malformed_header_is_no_error(anon, translated):
    response = detail(anon, translated, HTTP_ACCEPT_LANGUAGE="fr;q=abc;;,")
    assert response.status_code == 200
    assert "display" not in response.json()


@pytest.mark.parametrize("value", ["not a tag", "en,,fr", "x-private", "*", "e", "fr;q=1"])
def test_an_invalid_lang_is_a_400_naming_lang(anon, translated, value):
    assert_problem(anon.get("/api/v1/statements/", {"lang": value}), 400, "lang")


def test_an_invalid_lang_on_a_write_changes_nothing(writer, translated):
    version = translated.version
    response = writer.patch(
        f"/api/v1/statements/{translated.pk}/?lang=%25%25", {"context": "New."}, format="json"
    )
    assert_problem(response, 400, "lang")
    translated.refresh_from_db()
    assert (translated.version, translated.context) == (version, "")


def test_vary_keeps_what_cors_adds(anon, translated, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example"]
    response = detail(anon, translated, HTTP_ORIGIN="https://partner.example")
    vary = {value.strip().lower() for value in response["Vary"].split(",")}
    assert {"origin", "accept-language"} <= vary
    assert response["Access-Control-Allow-Origin"] == "https://partner.example"


def test_lists_nested_lists_and_search_carry_display(anon, translated):
    for url, params in [
        ("/api/v1/statements/", {"lang": "fr"}),
        ("/api/v1/statements/", {"lang": "fr", "q": "technology"}),
        (f"/api/v1/people/{translated.speaker_id}/statements/", {"lang": "fr"}),
    ]:
        response = anon.get(url, params)
        assert response.status_code == 200, response.content
        (entry,) = results(response)
        assert entry["display"]["text"] == FRENCH_TEXT, url
        assert "Accept-Language" in response["Vary"]


def test_list_query_count_is_unchanged_by_lang(anon, translated, topic, entry_version_tags):
    """The translations come with the rows (JSON arrays); the choice costs no query."""
    for _ in range(3):
        StatementTranslationFactory(statement=StatementFactory(), language="fr")
        TopicTranslation.objects.create(topic=TopicFactory(), language="fr", name="Sujet")
    for url in ("/api/v1/statements/", "/api/v1/topics/"):
        with CaptureQueriesContext(connection) as plain:
            anon.get(url, {"page_size": 50})
        with CaptureQueriesContext(connection) as displayed:
            response = anon.get(url, {"page_size": 50, "lang": "sr-Latn,fr"})
        assert len(displayed) == len(plain) <= 2, url
        assert all("display" in entry for entry in results(response))


def test_csv_has_no_display(anon, translated):
    response = anon.get("/api/v1/statements/", {"lang": "fr", "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert "text" in header
    assert not [column for column in header if column.startswith("display")]


def test_the_change_feed_carries_display(anon, translated):
    response = anon.get("/api/v1/changes/", {"resource": "statements", "lang": "fr"})
    (entry,) = [e for e in response.json()["results"] if e["id"] == translated.pk]
    assert entry["object"]["display"]["language"] == "fr"
    assert "Accept-Language" in response["Vary"]
    assert_problem(anon.get("/api/v1/changes/", {"lang": "??"}), 400, "lang")


# ETags: one per variant; If-Match compares the version


def test_each_language_variant_has_its_own_etag(anon, translated, entry_version_tags):
    v = translated.version
    plain = detail(anon, translated)["ETag"]
    french = anon.get(f"/api/v1/statements/{translated.pk}/", {"lang": "fr"})["ETag"]
    serbian = detail(anon, translated, HTTP_ACCEPT_LANGUAGE="sr")["ETag"]
    assert (plain, french, serbian) == (f'"v{v}"', f'"v{v}-fr"', f'"v{v}-sr-Latn"')


def test_if_none_match_answers_304_for_the_same_variant_only(anon, translated, entry_version_tags):
    url = f"/api/v1/statements/{translated.pk}/"
    french, plain = f'"v{translated.version}-fr"', f'"v{translated.version}"'
    same = anon.get(url, {"lang": "fr"}, HTTP_IF_NONE_MATCH=french)
    assert same.status_code == 304
    assert same["ETag"] == french
    assert "Accept-Language" in same["Vary"]
    assert anon.get(url, {"lang": "sr"}, HTTP_IF_NONE_MATCH=french).status_code == 200
    assert anon.get(url, HTTP_IF_NONE_MATCH=french).status_code == 200
    assert anon.get(url, {"lang": "fr"}, HTTP_IF_NONE_MATCH=plain).status_code == 200


def test_if_match_takes_the_tag_of_any_variant(writer, translated):
    url = f"/api/v1/statements/{translated.pk}/?lang=fr"
    etag = writer.get(url)["ETag"]
    assert etag == f'"v{translated.version}-fr"'
    response = writer.patch(url, {"context": "Said twice."}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"v{translated.version + 1}-fr"'
    assert response.json()["display"]["language"] == "fr"
    stale = writer.patch(url, {"context": "Again."}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


# Topics


@pytest.fixture
def topic(db) -> Topic:
    topic = TopicFactory(name="Online recruitment", description="Recruiting victims online.")
    TopicTranslation.objects.create(
        topic=topic, language="fr", name="Recrutement en ligne", description="En ligne."
    )
    TopicTranslation.objects.create(
        topic=topic,
        language="sr-Cyrl",
        name="Врбовање на интернету",
        description="",
    )
    return topic


def test_a_topic_is_displayed_in_the_clients_language(anon, topic, entry_version_tags):
    response = anon.get(f"/api/v1/topics/{topic.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    body = response.json()
    assert body["display"] == {
        "language": "fr",
        "name": "Recrutement en ligne",
        "description": "En ligne.",
        "kind": "editorial",
    }
    assert body["name"] == "Online recruitment"
    assert [t["language"] for t in body["translations"]] == ["fr", "sr-Cyrl"]
    assert response["ETag"] == '"v1-fr"'
    assert "Accept-Language" in response["Vary"]


def test_a_topic_in_latin_serbian_is_transliterated(anon, topic):
    response = anon.get("/api/v1/topics/", {"lang": "sr-Latn"})
    (entry,) = results(response)
    assert entry["display"] == {
        "language": "sr-Latn",
        "name": "Vrbovanje na internetu",
        "description": "",
        "kind": "machine",
    }


def test_a_topic_without_a_match_displays_its_english_name(anon, topic):
    response = anon.get(f"/api/v1/topics/{topic.pk}/", {"lang": "sq"})
    assert response.json()["display"] == {
        "language": "en",
        "name": "Online recruitment",
        "description": "Recruiting victims online.",
        "kind": "original",
    }


def test_topic_translations_are_replaced_as_a_whole(writer, topic):
    url = f"/api/v1/topics/{topic.pk}/"
    response = writer.patch(
        url,
        {"translations": [{"language": "fr", "name": "Recrutement sur internet"}]},
        format="json",
        HTTP_IF_MATCH='"v1"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["translations"] == [
        {"language": "fr", "name": "Recrutement sur internet", "description": ""}
    ]
    topic.refresh_from_db()
    assert topic.version == 2
    assert list(topic.translations.values_list("language", flat=True)) == ["fr"]


def test_a_topic_created_with_translations(writer, db):
    response = writer.post(
        "/api/v1/topics/?lang=mk",
        {"name": "Labour exploitation", "translations": [{"language": "MK", "name": "Труд"}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["translations"] == [{"language": "mk", "name": "Труд", "description": ""}]
    assert body["display"]["language"] == "mk"
    assert response["ETag"] == '"v1-mk"'


@pytest.mark.parametrize(
    "translations",
    [
        [{"language": "fr", "name": "A"}, {"language": "fr", "name": "B"}],
        [{"language": "not a tag", "name": "A"}],
        [{"language": "fr", "name": " "}],
        [{"language": "en", "name": "Online recruitment, again"}],
        [{"language": "fr", "name": "A"}, {"language": "FR", "name": "B"}],
        [{"language": "fr", "name": "A"}] * 101,
    ],
    ids=["twice", "bad tag", "blank name", "the original's language", "twice by case", "101"],
)
def test_bad_topic_translations_are_a_400_naming_translations(writer, topic, translations):
    response = writer.patch(
        f"/api/v1/topics/{topic.pk}/", {"translations": translations}, format="json"
    )
    body = assert_problem(response, 400)
    assert all(e["field"].startswith("translations") for e in body["errors"]), body
    topic.refresh_from_db()
    assert topic.version == 1


def test_a_topic_translation_write_upserts_the_topic_in_the_feed(writer, topic):
    last = writer.get("/api/v1/changes/", {"resource": "topics"}).json()["last"]
    writer.patch(
        f"/api/v1/topics/{topic.pk}/",
        {"translations": [{"language": "sq", "name": "Rekrutimi online"}]},
        format="json",
    )
    feed = writer.get("/api/v1/changes/", {"since": last, "lang": "sq"}).json()["results"]
    (entry,) = [e for e in feed if e["resource"] == "topics"]
    assert (entry["action"], entry["id"]) == ("upsert", topic.pk)
    assert entry["object"]["display"]["name"] == "Rekrutimi online"


def test_the_topic_admin_edits_translations(admin_client, topic):
    page = admin_client.get(change_url(topic))
    assert page.status_code == 200
    assert "Врбовање на интернету".encode() in page.content
    data = form_data(admin_client, topic)
    row = inline_prefix(data, topic.translations.get(language="fr").pk)
    data[f"{row}-name"] = "Recrutement par internet"
    data.update(
        {
            "translations-TOTAL_FORMS": str(int(data["translations-TOTAL_FORMS"]) + 1),
            "translations-2-language": "sq",
            "translations-2-name": "Rekrutimi online",
        }
    )
    response = admin_client.post(change_url(topic), data)
    assert response.status_code == 302, response.context["errors"]
    topic.refresh_from_db()
    assert topic.version == 2
    assert dict(topic.translations.values_list("language", "name")) == {
        "fr": "Recrutement par internet",
        "sq": "Rekrutimi online",
        "sr-Cyrl": "Врбовање на интернету",
    }


# OpenAPI


def test_the_document_describes_lang_and_display():
    document = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/statements/", "/api/v1/topics/{id}/", "/api/v1/changes/"):
        parameters = {p["name"]: p["in"] for p in document["paths"][path]["get"]["parameters"]}
        assert parameters["lang"] == "query", path
        assert parameters["Accept-Language"] == "header", path
    schemas = document["components"]["schemas"]
    for name in ("Statement", "Topic"):
        assert "display" in schemas[name]["properties"]
        assert "display" not in schemas[name]["required"]
        assert "display" not in schemas.get(f"{name}Request", {}).get("properties", {})
    assert set(schemas["StatementDisplay"]["properties"]) == {"language", "text", "kind"}
