"""Every list as CSV (`?format=csv`, `Accept: text/csv`): every row, streamed, as the JSON says.

The row-for-row comparisons read the JSON list page by page (two entries a
page, following `next`) and the CSV in chunks of two rows, so both cross
several pages and several chunks.
"""

import csv
import datetime
import gc
import io
import json
import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ctht_api.csv_export import brief, cell, columns_for, csv_response, flatten, plain
from ctht_api.models import Status
from events.models import Programme, Statement
from events.serializers import (
    DocumentSerializer,
    EventSerializer,
    ProgrammeSerializer,
    StatementSerializer,
    TopicSerializer,
)
from events.views import StatementJSONMixin
from people.models import Institution
from people.serializers import (
    CountrySerializer,
    InstitutionSerializer,
    PersonSerializer,
    PositionSerializer,
)
from tests.api.helpers import assert_problem, served
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PersonFactory,
    PositionFactory,
    ProgrammeFactory,
    StatementFactory,
    StatementTranslationFactory,
    TopicFactory,
)

API = "/api/v1/"
STATEMENTS = f"{API}statements/"
BOM = "\ufeff"


@pytest.fixture(autouse=True)
def small_chunks(settings):
    """Two rows a chunk, so every list below spans several."""
    settings.CSV_CHUNK_SIZE = 2


@pytest.fixture
def bosnian(demo) -> Institution:
    return Institution.objects.filter(country_id="BA").order_by("id").first()


@pytest.fixture
def record(demo, conference, simic, bosnian):
    """The demo, and more: dated statements, drafts, a draft event, programmes with funders."""
    bosnia = bosnian
    events = [
        EventFactory(start_date=datetime.date(2024, 5, day), country_id="BA") for day in (3, 4, 5)
    ]
    EventFactory(title="Draft workshop", status=Status.DRAFT)
    topic = TopicFactory()
    for day, event in zip((1, 2, 3), events, strict=True):
        statement = StatementFactory(
            date=datetime.date(2024, 6, day), event=event, institution=bosnia, speaker=simic
        )
        statement.countries.set(["BA", "RS"])
        statement.topics.set([topic])
        StatementTranslationFactory(statement=statement, language="sr-Latn", text="Tanić, Симић")
    StatementFactory(text="A draft statement", status=Status.DRAFT)
    StatementFactory(text="Said at a draft event", event=EventFactory(status=Status.DRAFT))
    for _ in range(3):
        ProgrammeFactory().funders.set([bosnia, InstitutionFactory()])


def download(client, url: str, params: dict | None = None, **headers):
    """The CSV a client downloads: the response and its rows as dicts."""
    response = client.get(url, params or {}, **headers)
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(BOM)
    return response, list(csv.DictReader(io.StringIO(text.removeprefix(BOM), newline="")))


def json_entries(client, url: str, params: dict | None = None) -> list[dict]:
    """Every entry of a JSON list, two a page, following `next`."""
    response = client.get(url, {**(params or {}), "page_size": 2})
    assert response.status_code == 200, response.content
    entries = response.json()["results"]
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        entries += response.json()["results"]
    return entries


def flattened(entries: list[dict], serializer) -> list[dict]:
    columns = columns_for(serializer)
    headers = [column.header for column in columns]
    return [dict(zip(headers, flatten(entry, columns), strict=True)) for entry in entries]


# Every list of the API, with the serializer of its rows; `{…}` are filled from fixtures.
LISTS = [
    ("institutions/", InstitutionSerializer),
    ("people/", PersonSerializer),
    ("positions/", PositionSerializer),
    ("events/", EventSerializer),
    ("statements/", StatementSerializer),
    ("topics/", TopicSerializer),
    ("programmes/", ProgrammeSerializer),
    ("documents/", DocumentSerializer),
    ("countries/", CountrySerializer),
    ("events/{conference}/statements/", StatementSerializer),
    ("people/{simic}/statements/", StatementSerializer),
    ("institutions/{bosnian}/statements/", StatementSerializer),
    ("countries/BA/statements/", StatementSerializer),
]


@pytest.mark.parametrize(("path", "serializer_class"), LISTS)
def test_every_list_answers_every_json_entry_as_csv(
    anon, record, conference, simic, bosnian, path, serializer_class
):
    url = API + path.format(conference=conference.pk, simic=simic.pk, bosnian=bosnian.pk)
    entries = json_entries(anon, url)
    assert len(entries) > 2  # more than one page and one chunk
    _, rows = download(anon, url, {"format": "csv"})
    assert rows == flattened(entries, serializer_class())


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (STATEMENTS, {"country": "BA", "ordering": "date"}),
        (STATEMENTS, {"ordering": "-updated_at", "topic": "online-recruitment,digital-evidence"}),
        (STATEMENTS, {"date_after": "2024-06-02", "ordering": "id"}),
        (f"{API}events/", {"ordering": "title"}),
        (f"{API}events/", {"country": "BA"}),
        (f"{API}institutions/", {"country": "BA,RS", "ordering": "-name"}),
        (f"{API}programmes/", {"ordering": "-name"}),
        (f"{API}countries/", {"ordering": "-statement_count"}),
    ],
)
def test_csv_has_the_json_filters_and_order(anon, record, url, params):
    serializer = {
        STATEMENTS: StatementSerializer(),
        f"{API}events/": EventSerializer(),
        f"{API}institutions/": InstitutionSerializer(),
        f"{API}programmes/": ProgrammeSerializer(),
        f"{API}countries/": CountrySerializer(),
    }[url]
    entries = json_entries(anon, url, params)
    assert entries
    _, rows = download(anon, url, {**params, "format": "csv"})
    assert rows == flattened(entries, serializer)


def test_accept_header_chooses_csv(anon, record):
    response, rows = download(anon, STATEMENTS, HTTP_ACCEPT="text/csv")
    assert "Accept" in response["Vary"]  # a cache keeps the JSON and the CSV apart
    assert [int(row["id"]) for row in rows] == [e["id"] for e in json_entries(anon, STATEMENTS)]


def test_paging_parameters_do_not_cut_the_csv(anon, record):
    _, rows = download(anon, STATEMENTS, {"format": "csv", "page_size": 1})
    assert len(rows) == len(json_entries(anon, STATEMENTS))


def test_statement_columns_are_flat(anon, record, simic):
    statement = simic.statements.filter(date=datetime.date(2024, 6, 1)).get()
    _, rows = download(anon, STATEMENTS, {"format": "csv", "date_before": "2024-06-01"})
    assert list(rows[0]) == [
        "id",
        "url",
        "text",
        "language",
        "speaker_id",
        "speaker_full_name",
        "speaker_position",
        "position_id",
        "position_title",
        "institution_id",
        "institution_name",
        "institution_country",
        "event_id",
        "event_title",
        "date",
        "countries",
        "topics",
        "source_id",
        "source_title",
        "translations",
        "context",
        "status",
        "publish_at",
        "created_at",
        "updated_at",
    ]
    row = next(row for row in rows if row["id"] == str(statement.pk))
    assert row["url"] == f"http://testserver{STATEMENTS}{statement.pk}/"
    assert row["speaker_id"] == str(simic.pk)
    assert row["speaker_full_name"] == "Nenad Simić"
    assert row["institution_country"] == "BA"
    assert row["event_title"] == statement.event.title
    assert row["date"] == "2024-06-01"
    assert row["countries"] == "BA;RS"
    assert row["topics"] == statement.topics.get().slug
    assert row["source_id"] == row["source_title"] == ""  # null
    assert json.loads(row["translations"]) == [
        {"language": "sr-Latn", "text": "Tanić, Симић", "kind": "editorial"}
    ]


def test_event_lists_of_entries_are_their_ids_and_booleans_are_words(writer, record):
    event = EventFactory(participant_count=30, participant_count_is_approximate=True)
    first, second = InstitutionFactory(), InstitutionFactory()
    event.organisers.set([first, second])
    _, rows = download(writer, f"{API}events/", {"format": "csv", "q": event.title})
    (row,) = rows
    assert row["organisers"] == f"{first.pk};{second.pk}"
    assert row["participant_count_is_approximate"] == "true"
    assert row["programmes"] == ""  # an empty list


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("1 + 1 = 2", "1 + 1 = 2"),
    ],
)
def test_formula_injection_is_defused(anon, db, text, cell):
    StatementFactory(text=text)
    _, (row,) = download(anon, STATEMENTS, {"format": "csv"})
    assert row["text"] == cell


def test_drafts_are_absent_for_anonymous_and_listed_for_editors(anon, writer, record):
    _, public = download(anon, STATEMENTS, {"format": "csv"})
    texts = {row["text"] for row in public}
    assert "A draft statement" not in texts
    assert "Said at a draft event" not in texts
    _, events = download(anon, f"{API}events/", {"format": "csv"})
    assert "Draft workshop" not in {row["title"] for row in events}

    _, everything = download(writer, STATEMENTS, {"format": "csv"})
    assert {"A draft statement", "Said at a draft event"} <= {row["text"] for row in everything}


def test_a_bad_filter_is_a_problem_document_not_a_csv(anon, record):
    response = anon.get(STATEMENTS, {"format": "csv", "country": "ZZ"})
    assert not response.streaming
    assert_problem(response, 400, "country")
    response = anon.get(f"{API}events/", {"ordering": "nonsense"}, HTTP_ACCEPT="text/csv")
    assert_problem(response, 400, "ordering")
    assert_problem(anon.get(STATEMENTS, {"format": "csv", "ordering": "text"}), 400, "ordering")


def test_a_hidden_parent_is_a_problem_document(anon, record):
    draft = EventFactory(status=Status.DRAFT)
    response = anon.get(f"{API}events/{draft.pk}/statements/", {"format": "csv"})
    assert_problem(response, 404)


def test_csv_is_for_lists_a_detail_or_a_history_refuses_it(writer, record, simic):
    """`format=csv` where no list is: a 400 naming `format` and the formats offered;
    `Accept: text/csv` there: 406."""
    body = assert_problem(writer.get(f"{API}people/{simic.pk}/", {"format": "csv"}), 400, "format")
    assert "api, json" in body["errors"][0]["message"]
    assert_problem(writer.get(f"{API}people/{simic.pk}/history/", {"format": "csv"}), 400, "format")
    assert_problem(writer.get(f"{API}people/{simic.pk}/", HTTP_ACCEPT="text/csv"), 406)
    body = assert_problem(writer.get(STATEMENTS, {"format": "xml"}), 400, "format")
    assert "api, csv, json" in body["errors"][0]["message"]


def test_the_download_is_named_after_the_list_and_the_day(anon, record, conference):
    today = timezone.localdate().isoformat()
    response, _ = download(anon, STATEMENTS, {"format": "csv"})
    assert response["Content-Disposition"] == f'attachment; filename="statements-{today}.csv"'
    response, _ = download(anon, f"{API}events/{conference.pk}/statements/", {"format": "csv"})
    assert response["Content-Disposition"] == (
        f'attachment; filename="events-{conference.pk}-statements-{today}.csv"'
    )


def test_the_bytes_are_utf8_with_a_bom_and_crlf_line_ends(anon, record):
    response = anon.get(f"{API}people/", {"format": "csv"})
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbfid,url,full_name,")
    assert "Nenad Simić".encode() in raw
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\r\n") == raw.count(b"\n")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert "Stanislava Tanić" in {row["full_name"] for row in rows}


def test_an_empty_list_is_its_header(anon, db):
    _, rows = download(anon, STATEMENTS, {"format": "csv"})
    response = anon.get(STATEMENTS, {"format": "csv"})
    assert rows == []
    assert (
        b"".join(response.streaming_content).decode()
        == BOM + ",".join(c.header for c in columns_for(StatementSerializer())) + "\r\n"
    )


def test_rows_are_read_chunk_by_chunk_as_the_client_reads(anon, record):
    """Programmes prefetch their funders once per chunk: the count of those queries shows
    how many chunks have been read. Before the client reads past the first, only one."""
    count = Programme.objects.count()
    assert count > 4
    with CaptureQueriesContext(connection) as queries:
        response = anon.get(f"{API}programmes/", {"format": "csv"})
        pieces = iter(response.streaming_content)

        def funder_queries() -> int:
            return sum('"events_programme_funders"' in q["sql"] for q in queries.captured_queries)

        assert funder_queries() == 1  # the first chunk, read by the view
        next(pieces)  # the header
        next(pieces)  # the first two rows
        assert funder_queries() == 1
        rest = list(pieces)
        assert funder_queries() == -(-count // 2)
    assert len(rest) == -(-count // 2) - 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL has server-side cursors"
)
def test_postgresql_streams_from_a_server_side_cursor(anon, record):
    response = anon.get(STATEMENTS, {"format": "csv"})
    pieces = iter(response.streaming_content)
    next(pieces)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        assert cursor.fetchall()  # open while the client reads
    list(pieces)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        assert cursor.fetchall() == []  # closed at the end


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL has server-side cursors"
)
def test_disable_server_side_cursors_is_honoured(anon, record, monkeypatch):
    """As `QuerySet.iterator()` does (pgbouncer in transaction mode without transactions
    around reads): a plain cursor, the same rows."""
    streamed = b"".join(anon.get(STATEMENTS, {"format": "csv"}).streaming_content)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    response = anon.get(STATEMENTS, {"format": "csv"})
    pieces = iter(response.streaming_content)
    first = next(pieces)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone() == (0,)
    assert first + b"".join(pieces) == streamed


def test_the_browsable_api_still_answers(anon, record):
    response = anon.get(STATEMENTS, {"format": "api"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_the_json_list_is_unchanged(anon, record):
    response = anon.get(STATEMENTS)
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"next", "previous", "results"}


def test_the_schema_documents_the_csv_columns(anon, db):
    document = anon.get("/api/schema/", {"format": "json"}).json()
    listed = document["paths"]["/api/v1/statements/"]["get"]
    csv_answer = listed["responses"]["200"]["content"]["text/csv"]["schema"]
    assert csv_answer["type"] == "string"
    assert "`speaker_full_name`" in csv_answer["description"]
    assert "`institution_country`" in csv_answer["description"]
    assert "406" in listed["responses"]
    detail = document["paths"]["/api/v1/statements/{id}/"]["get"]
    assert "text/csv" not in detail["responses"]["200"]["content"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL has server-side cursors"
)
@pytest.mark.django_db(transaction=True)
def test_postgresql_streams_from_a_cursor_in_one_transaction(anon, countries, demo):
    """As in production, outside any test transaction: the download is read in one
    transaction, so its cursor is not WITH HOLD (which PostgreSQL would fill with the
    whole result before the first row), and autocommit is back once it is sent."""
    for day in range(1, 6):
        StatementFactory(date=datetime.date(2024, 6, day))
    assert connection.get_autocommit()
    response = anon.get(STATEMENTS, {"format": "csv", "ordering": "date"})
    pieces = iter(response.streaming_content)
    next(pieces)
    assert not connection.get_autocommit()
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_holdable FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        assert cursor.fetchall() == [(False,)]
    text = b"".join(pieces).decode()
    assert text.count("\r\n") == 9  # every statement: the demo's four and these five
    assert connection.get_autocommit()


@pytest.mark.django_db(transaction=True)
def test_an_abandoned_download_ends_its_transaction(anon, countries, demo):
    """A client that hangs up mid-download: closing the response (as the server does)
    ends the read and its transaction; the connection serves the next request."""
    for day in range(1, 6):
        StatementFactory(date=datetime.date(2024, 6, day))
    response = anon.get(STATEMENTS, {"format": "csv"})
    pieces = iter(response.streaming_content)
    next(pieces)
    assert not connection.get_autocommit()
    opened = connection.connection
    response.close()
    assert connection.get_autocommit()
    if connection.vendor == "postgresql":  # persistent connections (CONN_MAX_AGE)
        from psycopg.pq import TransactionStatus

        # The same connection, still open: the transaction was ended, not the
        # connection thrown away with it.
        assert connection.connection is opened and not opened.closed
        assert opened.info.transaction_status == TransactionStatus.IDLE
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_cursors")
            assert cursor.fetchone() == (0,)
    assert anon.get(STATEMENTS).status_code == 200


def dropped_unclosed(client, path: str) -> list:
    """A CSV download begun (its first chunk read, its transaction open), then left
    unclosed: its server gone, or the test client's HEAD. Its only references, in the
    list returned: `finalised_in_a_new_transaction` drops them."""
    for day in range(1, 6):
        StatementFactory(date=datetime.date(2024, 6, day))
        ProgrammeFactory()
    response = client.get(API + path, {"format": "csv"})
    pieces = iter(response.streaming_content)
    next(pieces)
    assert not connection.get_autocommit()
    return [response, pieces]


def finalised_in_a_new_transaction(client, held: list) -> None:
    """The download in `held` finalised by the garbage collector inside a new transaction,
    which must keep working (neither aborted nor committed under it); then the next
    request is answered."""
    with transaction.atomic():
        Statement.objects.update(context="before")
        held.clear()
        gc.collect()
        assert Statement.objects.filter(context="before").count() == Statement.objects.count()
    assert connection.get_autocommit()
    assert client.get(STATEMENTS).status_code == 200


# SQLite: a dropped download's read keeps the database file locked until the garbage
# collector finalises its cursor, whatever the code around it (the write below waits, then
# fails "database is locked"): with the embedded default, a download left unclosed blocks
# writers until then. Servers close every response (WSGI), so this is the test client's case.
DROPPED_UNCLOSED_POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite locks the file until finalised (above)"
)


@DROPPED_UNCLOSED_POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["statements/", "programmes/"])
def test_a_download_dropped_unclosed_leaves_the_next_request_alone(anon, countries, demo, path):
    """The next request on the thread closes the connection left out of autocommit
    (Django's `close_old_connections`), which ends the download's transaction; when the
    garbage collector finalises the download later, inside the new connection's
    transaction, it touches neither."""
    held = dropped_unclosed(anon, path)
    close_old_connections()
    finalised_in_a_new_transaction(anon, held)


@DROPPED_UNCLOSED_POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_statement_download_dropped_unclosed_leaves_its_connections_next_transaction_alone(
    anon, countries, demo
):
    """The same connection, its download's transaction ended (rolled back, as a test's is)
    and another one begun: finalised there, the download neither commits nor closes its
    cursor (a `CLOSE` of a cursor that ended with its own transaction would abort this
    one: it did, at random, in the test suite). Statement lists only: other lists read
    through Django's `QuerySet.iterator()`, whose generator closes its cursor when
    finalised, wherever that is (outside tests, the next request closes the connection
    first: the test above)."""
    held = dropped_unclosed(anon, "statements/")
    connection.rollback()
    connection.set_autocommit(True)
    finalised_in_a_new_transaction(anon, held)


@DROPPED_UNCLOSED_POSTGRESQL_ONLY
@pytest.mark.django_db
def test_a_download_finalised_while_a_query_holds_its_connection_leaves_it_alone(
    anon, countries, demo
):
    """Finalised by the garbage collector while a query holds the connection (from inside
    that query, on its thread: psycopg holds the connection's lock while it sends it), a
    dropped download does not wait for the lock, which would wait forever (seen in the
    test suite: a worker hung). Here another thread holds the lock for two seconds."""
    held = dropped_unclosed(anon, "statements/")
    lock = connection.connection.lock
    lock.acquire()
    releaser = threading.Timer(2.0, lock.release)
    releaser.start()
    try:
        held.clear()
        gc.collect()
        assert lock.locked()  # the finaliser returned without waiting for it
    finally:
        releaser.join()
    assert anon.get(STATEMENTS).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "params"),
    [("statements/", {}), ("programmes/", {}), ("stats/statements/", {"group_by": "country"})],
)
def test_head_answers_the_headers_without_the_export(countries, demo, path, params):
    """A WSGI server reads a HEAD answer's whole body to throw it away (gunicorn logs a
    warning per piece): the download's headers, its first chunk read (a failing query
    is still a problem), no body."""
    for day in range(1, 6):
        StatementFactory(date=datetime.date(2024, 6, day))
        ProgrammeFactory()
    params = {**params, "format": "csv"}
    status, get_headers, content = served("GET", API + path, params)
    assert status.startswith("200") and content.count(b"\r\n") > 3
    status, headers, content = served("HEAD", API + path, params)
    assert status.startswith("200")
    assert content == b""
    assert {k: headers[k] for k in ("Content-Type", "Content-Disposition")} == {
        k: get_headers[k] for k in ("Content-Type", "Content-Disposition")
    }
    assert connection.get_autocommit()  # its transaction ended with the answer
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_cursors")
            assert cursor.fetchone() == (0,)
    status, _, _ = served("HEAD", STATEMENTS, {"format": "csv", "country": "ZZ"})
    assert status.startswith("400")


def test_csv_response_streams_any_rows_of_dicts():
    """The writer outside the lists (the statistics use it): brief objects, codes, counts."""
    rows = [
        {"country": "RS", "speaker": {"id": 7, "url": "…", "full_name": "Nenad Simić"}, "n": 2},
        {"country": None, "speaker": None, "n": 0},
    ]
    columns = [plain("country"), *brief("speaker", "full_name"), plain("n")]
    response = csv_response(iter(rows), columns, "stats-statements-2026-11-30.csv")
    assert response.streaming
    assert b"".join(response.streaming_content).decode() == (
        f"{BOM}country,speaker_id,speaker_full_name,n\r\nRS,7,Nenad Simić,2\r\n,,,0\r\n"
    )


def test_an_unflattened_structure_is_its_json_text():
    assert cell({"language": "en", "kind": "original"}) == '{"language":"en","kind":"original"}'
    assert cell(["=1"]) == '["=1"]'
    assert cell(False) == "false"


@pytest.mark.parametrize(
    ("group_by", "headers"),
    [
        ("country,month", ["country", "month", "count"]),
        ("speaker", ["speaker_id", "speaker_full_name", "count"]),
        ("event,topic", ["event_id", "event_title", "topic", "count"]),
        ("institution", ["institution_id", "institution_name", "institution_country", "count"]),
    ],
)
def test_the_stats_answer_one_row_per_group_as_csv(anon, record, group_by, headers):
    answer = anon.get(f"{API}stats/statements/", {"group_by": group_by}).json()
    response, rows = download(
        anon, f"{API}stats/statements/", {"group_by": group_by, "format": "csv"}
    )
    assert list(rows[0]) == headers
    keys = group_by.split(",")
    expected = []
    for group in answer["results"]:
        row = {}
        for key in keys:
            value = group[key]
            if isinstance(value, dict):
                for name, part in value.items():
                    if name != "url":
                        row[f"{key}_{name}"] = "" if part is None else str(part)
            else:
                row[key] = "" if value is None else str(value)
        row["count"] = str(group["count"])
        expected.append(row)
    assert [dict(row) for row in rows] == expected
    assert response["Content-Disposition"] == (
        f'attachment; filename="stats-statements-{timezone.localdate().isoformat()}.csv"'
    )


def test_the_stats_csv_is_chosen_by_accept_too_and_errors_stay_problems(anon, record):
    _, rows = download(
        anon, f"{API}stats/statements/", {"group_by": "country"}, HTTP_ACCEPT="text/csv"
    )
    assert {row["country"] for row in rows} >= {"BA", "MK", "RS"}
    refused = anon.get(f"{API}stats/statements/", {"group_by": "colour", "format": "csv"})
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "group_by"


# Texts that quoting, escaping, formula guarding, sorting and timestamps could get wrong.
AWKWARD = [
    'He said: "No!", then left',
    "two\nlines, and\r\na carriage return",
    "=1+2",
    "+381 11",
    "-minus first",
    "@mention",
    "\ttab first",
    "\rreturn first",
    "a back\\slash, a tab\t, \x01 \x1f controls, 😀 and Симић",
    "' already quoted",
    "",
]


@pytest.fixture
def awkward(record, simic):
    """Statements whose every text column holds one of AWKWARD, one relation missing each."""
    for index, text in enumerate(AWKWARD):
        other = AWKWARD[-1 - index]
        position = PositionFactory(
            person=PersonFactory(full_name=other or "x"),
            institution=InstitutionFactory(name=text or "y", country_id=None),
            title=other or "z",
        )
        statement = StatementFactory(
            text=text or "w",
            context=other,
            speaker=position.person,
            position=position if index % 3 else None,
            institution=position.institution if index % 2 else None,
            event=EventFactory(title=text or "v") if index % 4 else None,
            source=DocumentFactory(title=other or "u") if index % 5 else None,
            date=datetime.date(2023, 1, 1 + index) if index % 6 else None,
            publish_at=timezone.now().replace(microsecond=index * 7) - datetime.timedelta(days=1),
        )
        statement.countries.set(["RS", "BA", "AL"][: index % 4])
        statement.topics.set([TopicFactory(slug=f"-{index}"), TopicFactory(slug=f"a{index}")])
        for language in ("sr-Latn", "fr", "en")[: index % 4]:
            StatementTranslationFactory(statement=statement, language=language, text=text or "t")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL writes the cells itself"
)
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("statements/", {"ordering": "id"}),
        ("statements/", {}),
        ("statements/", {"country": "RS", "ordering": "-updated_at"}),
        ("statements/", {"q": "quoted"}),
        ("people/{simic}/statements/", {}),
        ("countries/BA/statements/", {"ordering": "date"}),
    ],
)
def test_statement_csv_written_by_postgresql_is_the_serializers_byte_for_byte(
    anon, writer, awkward, simic, monkeypatch, path, params
):
    """The CSV PostgreSQL writes (events.statement_csv) against the one the serializer's
    rows make (the path of every other list, and of SQLite): the same bytes, for anonymous
    clients and editors (drafts), with filters, search, orderings and nested lists."""
    url = API + path.format(simic=simic.pk)
    for client in (anon, writer):
        with CaptureQueriesContext(connection) as queries:
            written = b"".join(client.get(url, {**params, "format": "csv"}).streaming_content)
        assert any("string_agg" in query["sql"] for query in queries.captured_queries)
        with monkeypatch.context() as patched:
            patched.setattr(StatementJSONMixin, "csv_from_database", False)
            serialised = b"".join(client.get(url, {**params, "format": "csv"}).streaming_content)
        assert written.count(b"\r\n") > 3
        assert written == serialised
