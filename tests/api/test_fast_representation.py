"""The statement fast paths write exactly what the declared fields would: the Python one
(`StatementSerializer.to_representation`) and, on PostgreSQL, the JSON PostgreSQL writes
(events.statement_json), on every statement endpoint that uses it."""

import base64
import datetime
import json

import orjson
import pytest
import time_machine
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from ctht_api.languages import DisplayMixin
from ctht_api.models import Status
from events import statement_json
from events.models import PUBLIC_STATEMENT, Statement
from events.serializers import StatementSerializer
from events.statement_json import LINKS, Precompiled, constants_inlined
from people.models import Country
from tests.factories import (
    DocumentFactory,
    EventFactory,
    InstitutionFactory,
    PositionFactory,
    StatementFactory,
    StatementTranslationFactory,
    TopicFactory,
)

# The cold path, built on every request (the cached path: tests/api/test_public_cache.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("entry_version_tags")]
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the JSON PostgreSQL writes (SQLite: the serializer)"
)


@pytest.fixture
def varied(demo):
    """Statements with and without each optional relation, translations and dates."""
    position = PositionFactory(institution=InstitutionFactory(country_id=None))
    full = StatementFactory(
        speaker=position.person,
        position=position,
        event=EventFactory(start_date="2025-03-04"),
        source=DocumentFactory(),
        language="sr-Latn",
    )
    full.countries.set(["RS", "BA"])
    StatementTranslationFactory(statement=full, language="fr")
    StatementTranslationFactory(statement=full, language="en", text="Also.")
    StatementFactory()  # no position, institution, event, source, country or date


@pytest.mark.parametrize(
    "languages",
    [None, ("fr",), ("sr-Cyrl", "en"), ("de",)],
    ids=["no display", "translation", "machine", "original"],
)
def test_fast_path_equals_the_declared_fields(varied, languages):
    request = Request(APIRequestFactory().get("/api/v1/statements/"))
    context = {"request": request, "display_languages": languages}
    statements = list(Statement.objects.for_api().order_by("pk"))
    assert len(statements) >= 6
    for statement in statements:
        fast = StatementSerializer(statement, context=context).data
        # DisplayMixin's, then the declared fields', bypassing the fast path.
        declared = DisplayMixin.to_representation(
            StatementSerializer(context=context), Statement.objects.get(pk=statement.pk)
        )
        assert ("display" in fast) == bool(languages)
        assert fast == dict(declared)
        assert list(fast) == list(declared)


@pytest.fixture
def awkward(varied):
    """What JSON escaping, date and timestamp formatting and sorting could get wrong."""
    event = EventFactory(start_date="2025-03-04")
    statement = StatementFactory(
        text='Он рекао: "Не!" \\ a back\\slash,\na new line, a tab\t, 😀 and a NUL-free end.',  # noqa: RUF001
        context="Quoted 'single' and \"double\" — in Zürich",
        language="sr-Cyrl",
        event=event,
        institution=InstitutionFactory(country_id="BA"),
        date=datetime.date(5, 1, 2),
        publish_at=timezone.now() - datetime.timedelta(days=1, microseconds=7),
    )
    statement.countries.set(["RS", "BA", "AL"])
    statement.topics.set([TopicFactory(name="Zeta"), TopicFactory(name="alpha")])
    for language in ("sr-Latn", "de", "en", "sq"):
        StatementTranslationFactory(statement=statement, language=language, text=f"«{language}»")
    StatementFactory(
        event=event,
        speaker=statement.speaker,
        institution=statement.institution,
        publish_at=timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1),
    )
    return statement


def declared(path: str, pk: int) -> dict:
    """The statement as the declared fields write it, for a request to `path`."""
    context = {"request": Request(APIRequestFactory().get(path)), "display_languages": None}
    return DisplayMixin.to_representation(
        StatementSerializer(context=context), Statement.objects.get(pk=pk)
    )


def assert_declared(path: str, entries: list[dict]) -> None:
    for entry in entries:
        expected = declared(path, entry["id"])
        assert entry == dict(expected)
        assert list(entry) == list(expected)


def from_database(response) -> bool:
    """Whether the answer is the JSON PostgreSQL wrote, passed through."""
    data = response.data
    return isinstance(data.get("results") if isinstance(data, dict) else data, orjson.Fragment)


def test_every_statement_list_writes_the_declared_representation(anon, awkward):
    paths = [
        "/api/v1/statements/?page_size=500",
        "/api/v1/statements/?page_size=500&ordering=date",
        "/api/v1/statements/?page_size=500&ordering=-updated_at",
        "/api/v1/statements/?q=technology&page_size=500",
        f"/api/v1/events/{awkward.event_id}/statements/",
        f"/api/v1/people/{awkward.speaker_id}/statements/",
        f"/api/v1/institutions/{awkward.institution_id}/statements/",
        "/api/v1/countries/ba/statements/",
    ]
    for path in paths:
        response = anon.get(path)
        assert response.status_code == 200, (path, response.content)
        assert from_database(response) == (connection.vendor == "postgresql")
        results = response.json()["results"]
        assert results, path
        assert_declared(path, results)
    listed = [e["id"] for e in anon.get(paths[0]).json()["results"]]
    assert awkward.pk in listed
    assert len(listed) == Statement.objects.public().count()


def test_statement_detail_writes_the_declared_representation(anon, awkward):
    for statement in Statement.objects.public():
        path = f"/api/v1/statements/{statement.pk}/"
        response = anon.get(path)
        assert response.status_code == 200
        assert from_database(response) == (connection.vendor == "postgresql")
        assert response["ETag"] == f'"v{statement.version}"'
        assert_declared(path, [response.json()])


def test_what_the_public_may_not_see_stays_hidden_on_the_compiled_detail(anon, writer, awkward):
    """An anonymous detail reads by SQL compiled once per process (`PUBLIC_STATEMENT`), run
    with each request's clock and id: drafts, embargoes and draft or embargoed events
    stay 404 (an editor's token reads them by the ORM's path), and an embargo that ends
    shows the statement, in the declared representation."""
    later = timezone.now() + datetime.timedelta(hours=1)
    hidden = [
        StatementFactory(status=Status.DRAFT),
        StatementFactory(publish_at=later),
        StatementFactory(event=EventFactory(status=Status.DRAFT)),
        StatementFactory(event=EventFactory(publish_at=later)),
    ]
    for statement in hidden:
        path = f"/api/v1/statements/{statement.pk}/"
        assert anon.get(path).status_code == 404, path
        assert writer.get(path).json()["id"] == statement.pk
    with time_machine.travel(later + datetime.timedelta(seconds=1)):
        for statement in hidden[1::2]:  # the embargoes ended
            path = f"/api/v1/statements/{statement.pk}/"
            response = anon.get(path)
            assert response.status_code == 200, path
            assert from_database(response) == (connection.vendor == "postgresql")
            assert_declared(path, [response.json()])
        for statement in hidden[::2]:  # drafts
            assert anon.get(f"/api/v1/statements/{statement.pk}/").status_code == 404


def test_links_follow_the_host_the_client_asked(anon, awkward):
    """The link templates are kept per scheme, host and script prefix, not per process."""
    path = f"/api/v1/statements/{awkward.pk}/"
    for host in ("localhost", "testserver", "localhost"):
        body = anon.get(path, HTTP_HOST=host).json()
        assert body["url"] == f"http://{host}{path}"
        assert body["event"]["url"] == f"http://{host}/api/v1/events/{awkward.event_id}/"


@POSTGRESQL_ONLY
def test_a_compiled_query_runs_with_each_call_s_values(awkward):
    urls = {name: (f"http://example.org/{name}/", "/") for name in LINKS}
    public = list(Statement.objects.public().order_by("pk"))
    assert len(public) >= 2
    for statement in public:
        (row,) = PUBLIC_STATEMENT.rows((timezone.now(), statement.pk), urls, using="default")
        assert (row.pk, row.version) == (statement.pk, statement.version)
        assert orjson.loads(row.json)["url"] == f"http://example.org/statement-detail/{row.pk}/"
    assert PUBLIC_STATEMENT.rows((timezone.now(), -1), urls, using="default") == []


@POSTGRESQL_ONLY
@pytest.mark.parametrize(
    "build",
    [
        lambda now, pk: Statement.objects.public(now).filter(pk=abs(pk)),
        lambda now, pk: Statement.objects.public(now).filter(
            pk=pk, created_at__gt=now - datetime.timedelta(days=36500)
        ),
    ],
    ids=["placeholder changed", "value derived from a placeholder"],
)
def test_a_query_whose_values_cannot_be_put_in_place_is_built_every_time(awkward, build):
    """A placeholder missing from the compiled parameters (the query reads `abs(pk)`), or
    a value computed from one (a century before the moment), which would stay in the
    compiled parameters as the placeholder's (a second build with other placeholders
    shows it): the values cannot be put in place, and the query is built every call."""
    compiled = Precompiled(build, (PUBLIC_STATEMENT.placeholders[0], -8_765_432_109))
    urls = {name: ("/", "/") for name in LINKS}
    for statement in Statement.objects.public():
        (row,) = compiled.rows((timezone.now(), statement.pk), urls, using="default")
        assert row.pk == statement.pk
    assert compiled._compiled[connection.vendor] is None


def test_compiled_pages_keep_the_most_recently_used_shapes(monkeypatch):
    """Beyond `PAGES_KEPT` shapes, the least recently used one is compiled again."""
    monkeypatch.setattr(statement_json, "_pages", statement_json.OrderedDict())
    monkeypatch.setattr(statement_json, "PAGES_KEPT", 2)
    builds = []

    def page(shape: str):
        return statement_json.compiled_page(shape, lambda: builds.append(shape) or shape)

    assert [page(s) for s in ("a", "b", "a", "c", "a", "b")] == ["a", "b", "a", "c", "a", "b"]
    assert builds == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came


@POSTGRESQL_ONLY
def test_the_anonymous_detail_is_prepared_once_per_connection(anon, awkward, settings):
    """PostgreSQL plans the compiled detail once per connection (a prepared statement),
    whatever the id; `DATABASE_PREPARED_STATEMENTS=off` prepares nothing."""

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%json_build_object%"],
            )
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # psycopg forgets its names too
    pks = Statement.objects.public().values_list("pk", flat=True)
    paths = [f"/api/v1/statements/{pk}/" for pk in pks]
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert all(anon.get(path).status_code == 200 for path in paths)
    assert prepared() == 0
    settings.DATABASE_PREPARED_STATEMENTS = True
    for path in paths * 2:
        response = anon.get(path)
        assert response.status_code == 200
        assert_declared(path, [response.json()])
    assert prepared() == 1


def prepared_pages() -> dict[str, int]:
    """The statement pages this connection holds prepared: their SQL → runs (custom and
    generic plans)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, custom_plans + generic_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s AND statement LIKE %s",
            ["%json_build_object%", "% LIMIT %"],
        )
        return dict(cursor.fetchall())


@POSTGRESQL_ONLY
def test_a_page_of_the_whole_list_is_prepared_and_a_filtered_page_is_not(
    anon, admin_client, awkward, settings
):
    """A page of every statement the client sees, in any ordering, by cursor or not, is one
    prepared statement per connection, run again with other values (its plan suits every
    value); a filtered or nested list is planned each time. Both answer the same pages, and
    `DATABASE_PREPARED_STATEMENTS=off` prepares nothing."""
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # psycopg forgets its names too
    statement = Statement.objects.public().filter(event__isnull=False).first()
    # Pages of two by default: only pages of the default size are prepared.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}
    unprepared = [
        "/api/v1/statements/?q=back",
        "/api/v1/statements/?language=fr",
        f"/api/v1/statements/?event={statement.event_id}",
        f"/api/v1/events/{statement.event_id}/statements/",
        # Each page size, each list of countries would be a statement of its own.
        "/api/v1/statements/?page_size=3",
        "/api/v1/statements/?country=RS,BA",
    ]
    orderings = ["-date", "date", "-updated_at", "updated_at", "-id", "id"]
    whole = [f"/api/v1/statements/?ordering={name}" for name in orderings] + [
        "/api/v1/statements/?page_size=2"  # the default size, named
    ]
    # Country codes are written into the SQL: each its own statement, planned for it.
    by_country = [
        "/api/v1/statements/?country=RS",
        "/api/v1/countries/BA/statements/",
    ]

    settings.DATABASE_PREPARED_STATEMENTS = False
    clients = [("anonymous", anon), ("editor", admin_client)]
    planned = {
        (name, url): walk(client, url)
        for url in whole + by_country + unprepared
        for name, client in clients
    }
    assert prepared_pages() == {}
    settings.DATABASE_PREPARED_STATEMENTS = True
    for url in unprepared:
        assert walk(anon, url) == planned["anonymous", url]
        assert walk(admin_client, url) == planned["editor", url]
    assert prepared_pages() == {}
    for name, client in clients:
        for url in whole:
            answers = walk(client, url)
            assert len(answers) > 2  # a first page, then pages by cursor
            assert answers == planned[name, url]
            for answer in answers:
                assert_declared(url, answer["results"])
    runs = prepared_pages()
    # Every page of the whole list ran prepared, and statements were run again: one per
    # client, ordering and cursor direction (and one more where a cursor's key is the
    # stand-in for a missing date, written into the SQL as the constant it is).
    pages_run = sum(len(planned[name, url]) for name, _ in clients for url in whole)
    assert sum(runs.values()) == pages_run
    assert 2 * len(orderings) * 2 <= len(runs) < pages_run
    for url in by_country:
        for name, client in clients:
            answers = walk(client, url)
            assert len(answers) >= 2
            assert answers == planned[name, url]
    by_code = {
        code: [sql for sql in prepared_pages() if f"'{code}'" in sql] for code in ("RS", "BA")
    }
    assert all(by_code.values())
    assert len(prepared_pages()) == len(runs) + sum(
        len(statements) for statements in by_code.values()
    )


@POSTGRESQL_ONLY
def test_constants_are_written_into_a_prepared_page_as_quoted_literals(db):
    """Strings and the missing date's stand-in become literals, quoted by psycopg (a quote,
    a backslash, a percent sign); other values stay parameters; `%%` stays a percent."""
    connection.ensure_connection()
    sql, kept = constants_inlined(
        "a = %s AND b LIKE '%%x' AND c = %s AND d = %s AND e = %s",
        ["it's 100% \\ done", 5, datetime.date.min, datetime.date(2025, 1, 2)],
        connection,
    )
    assert kept == [5, datetime.date(2025, 1, 2)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql.split(' AND ')[0].removeprefix('a = ')}, %s::int", [7])
        assert cursor.fetchone() == ("it's 100% \\ done", 7)
    assert " c = %s AND d = '0001-01-01'::date AND e = %s" in sql
    assert "b LIKE '%%x'" in sql


def test_keyset_pages_follow_on_from_database_rows(anon, awkward):
    """The cursor links come from the rows PostgreSQL wrote: paging by one meets every
    statement once, in the order of the full list."""
    everything = [e["id"] for e in anon.get("/api/v1/statements/?page_size=500").json()["results"]]
    seen, url, last = [], "/api/v1/statements/?page_size=2", None
    while url:
        body = anon.get(url).json()
        seen += [entry["id"] for entry in body["results"]]
        url, last = body["next"], body
    assert seen == everything
    back, url = [], last["previous"]
    while url:
        body = anon.get(url).json()
        back = [entry["id"] for entry in body["results"]] + back
        url = body["previous"]
    assert back + [entry["id"] for entry in last["results"]] == everything


def test_change_feed_objects_write_the_declared_representation(anon, awkward):
    url, upserts = "/api/v1/changes/?resource=statements&page_size=500", []
    while url:
        response = anon.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        upserts += [row for row in body["results"] if row["action"] == "upsert"]
        url = body["next"]
    assert {row["id"] for row in upserts} == set(
        Statement.objects.public().values_list("pk", flat=True)
    )
    for row in upserts:
        expected = declared("/api/v1/changes/", row["id"])
        assert row["object"] == dict(expected)
        assert list(row["object"]) == list(expected)


@POSTGRESQL_ONLY
def test_a_prepared_pages_literals_are_written_once_per_sql_and_constants(db):
    """The inlined SQL is kept per SQL and constants: the same constants give the same text
    (the same prepared statement), others their own, and the changing values stay
    parameters either way."""
    connection.ensure_connection()
    sql = "a = %s AND b = %s AND c = %s"
    first, kept = constants_inlined(sql, ["RS", 5, datetime.date.min], connection)
    again, kept_again = constants_inlined(sql, ["RS", 6, datetime.date.min], connection)
    other, _ = constants_inlined(sql, ["BA", 5, datetime.date.min], connection)
    as_date, _ = constants_inlined(sql, ["RS", 5, datetime.date(2020, 1, 1)], connection)
    assert first is again and (kept, kept_again) == ([5], [6])
    assert other == "a = 'BA' AND b = %s AND c = '0001-01-01'::date"
    assert as_date == "a = 'RS' AND b = %s AND c = %s"


def built_by_the_orm(path: str) -> str:
    """The same page read through the ORM every time: `count=false` asks for nothing more,
    but a page naming `count` is not compiled (events.views `page_is_compiled`); its links
    leave `count` out, so both answers are equal."""
    return f"{path}{'&' if '?' in path else '?'}count=false"


def walk(client, first: str, link: str = "next") -> list[dict]:
    """Every page from `first` on, following `link`: each answered 200 by PostgreSQL's JSON."""
    answers, url = [], first
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        assert from_database(response)
        answers.append(response.json())
        url = answers[-1][link]
    return answers


@pytest.fixture
def compiled_pages(settings):
    """No compiled page kept from earlier tests; pages of two."""
    statement_json._pages.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}
    yield statement_json._pages
    statement_json._pages.clear()


@POSTGRESQL_ONLY
def test_whole_list_pages_are_compiled_once_per_shape_and_answer_as_the_orm(
    anon, admin_client, awkward, compiled_pages, monkeypatch
):
    """Every page of the whole list and of a country's (by URL or `?country=`), in each
    ordering, forwards and backwards, anonymous or editor, is what the ORM's path answers;
    each shape (view, scope, filter value, visibility, ordering, direction, cursor or not)
    is compiled once, and a page of a known shape compiles no SQL at all."""
    StatementFactory(status=Status.DRAFT)  # only the editor sees it
    orderings = ["-date", "date", "-updated_at", "updated_at", "-id", "id"]
    paths = [f"/api/v1/statements/?ordering={name}" for name in orderings] + [
        "/api/v1/countries/RS/statements/",
        "/api/v1/countries/ba/statements/",  # the same shape but for the scope
        "/api/v1/statements/?country=RS",
        "/api/v1/statements/?country=ba",  # the same shape but for the filter's value
    ]
    clients = [("anonymous", anon), ("editor", admin_client)]
    for name, client in clients:
        for path in paths:
            answers = walk(client, path)
            assert len(answers) >= 2, path
            assert answers == walk(client, built_by_the_orm(path)), (name, path)
            before = answers[-1]["previous"]
            back = walk(client, before, "previous")
            assert back == walk(client, built_by_the_orm(before), "previous"), (name, before)
            assert [a["results"] for a in back] == [a["results"] for a in answers[-2::-1]]
    editor_ids = {e["id"] for a in walk(admin_client, paths[0]) for e in a["results"]}
    anon_ids = {e["id"] for a in walk(anon, paths[0]) for e in a["results"]}
    assert anon_ids == set(Statement.objects.public().values_list("pk", flat=True))
    assert editor_ids == set(Statement.objects.values_list("pk", flat=True)) != anon_ids
    # Per client: each ordering's first page, pages after a cursor, pages before one.
    shapes = dict(compiled_pages)
    assert all(shapes.values())
    assert len(shapes) == len(clients) * len(paths) * 3

    compiles, as_sql = [], SQLCompiler.as_sql

    def compiling(compiler, *args, **kwargs):
        compiles.append(compiler.query.model)
        return as_sql(compiler, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", compiling)
    for _name, client in clients:
        for path in paths:
            walk(client, path)
    assert compiles and Statement not in compiles  # (the scope's check and the session's)
    assert compiled_pages == shapes


@POSTGRESQL_ONLY
def test_a_compiled_page_reads_the_moment_of_each_request(anon, awkward, compiled_pages):
    """The moment is a parameter of the compiled page: an embargo ends without a write, and
    the same page then shows the statement."""
    ahead = timezone.now() + datetime.timedelta(hours=1)
    embargoed = StatementFactory(publish_at=ahead)

    def listed() -> set[int]:
        return {
            e["id"] for a in walk(anon, "/api/v1/statements/?ordering=id") for e in a["results"]
        }

    assert embargoed.pk not in listed()
    with time_machine.travel(ahead + datetime.timedelta(seconds=1), tick=False):
        assert embargoed.pk in listed()
    assert embargoed.pk not in listed()
    assert len(compiled_pages) == 2  # a first page and pages after a cursor, compiled once


@POSTGRESQL_ONLY
def test_a_page_that_cannot_be_compiled_is_built_every_time(anon, awkward, compiled_pages):
    """A shape whose compiled query was not kept (`CompiledQuery.of` gave None) is read
    through the ORM on every request, with the same answers."""
    path = "/api/v1/statements/?ordering=date"
    answers = walk(anon, path)
    for shape in compiled_pages:
        compiled_pages[shape] = None
    assert walk(anon, path) == answers


@POSTGRESQL_ONLY
def test_a_cursor_timestamp_without_offset_reads_as_the_orm_reads_it(
    anon, awkward, compiled_pages, settings
):
    """A hand-made cursor whose timestamp has no offset reads in the default time zone, as
    the ORM reads a naive value: the same page on both paths."""
    settings.TIME_ZONE = "Europe/Sarajevo"  # UTC+1 in January
    late = StatementFactory()
    Statement.objects.filter(pk=late.pk).update(
        updated_at=datetime.datetime(1999, 12, 31, 23, 30, tzinfo=datetime.UTC)
    )
    token = json.dumps({"k": "2000-01-01T00:00:00", "i": 1, "r": False}).encode()
    cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
    path = f"/api/v1/statements/?ordering=updated_at&cursor={cursor}"
    answers = walk(anon, path)
    assert answers[0]["results"][0]["id"] == late.pk  # after 23:00 UTC
    assert answers == walk(anon, built_by_the_orm(path))


@pytest.mark.parametrize("ordering", ["id", "-id"])
def test_a_cursor_id_beyond_32_bits_reads_as_written(anon, awkward, compiled_pages, ordering):
    """Ids are 64-bit: a cursor at 2**40 is after every statement in id order and before
    every one in reverse, on a compiled page, a prepared one and a planned one alike."""
    token = json.dumps({"k": 2**40, "i": 2**40, "r": False}).encode()
    cursor = base64.urlsafe_b64encode(token).decode().rstrip("=")
    first = f"/api/v1/statements/?ordering={ordering}"
    for size in ("", "&page_size=3"):  # the default (compiled, or prepared), and planned
        expected = [entry["id"] for entry in anon.get(first + size).json()["results"]]
        path = f"{first}&cursor={cursor}{size}"
        for url in (path, built_by_the_orm(path)):
            response = anon.get(url)
            assert response.status_code == 200, (url, response.content)
            ids = [entry["id"] for entry in response.json()["results"]]
            assert ids == ([] if ordering == "id" else expected), url


@POSTGRESQL_ONLY
def test_a_compiled_country_page_checks_its_code_on_every_request(anon, awkward, compiled_pages):
    """The code was checked by the filter when its page was compiled; removed from the
    vocabulary since, it is the filter's 400 again, not an empty page."""
    path = "/api/v1/statements/?country=AL"
    assert [e["id"] for a in walk(anon, path) for e in a["results"]] == [awkward.pk]
    assert len(compiled_pages) == 1
    Country.objects.filter(code="AL").delete()
    response = anon.get(path)
    assert response.status_code == 400
    assert "Unknown country code(s): AL" in response.content.decode()


@POSTGRESQL_ONLY
def test_a_country_code_is_one_shape_in_any_case_and_other_spellings_go_the_filters_way(
    anon, awkward, compiled_pages
):
    """`rs` and `RS` share a compiled page; a code with spaces around it (as many shapes as
    spellings, were they compiled) or an empty value is built by the filter, with the same
    answer."""

    def results(path: str) -> list:
        return [answer["results"] for answer in walk(anon, path)]

    expected = results(built_by_the_orm("/api/v1/statements/?country=RS"))
    assert len(expected) > 1
    for value in ("rs", "RS", "Rs"):
        assert results(f"/api/v1/statements/?country={value}") == expected
    assert len(compiled_pages) == 2  # the first page, and pages after a cursor
    for value in ("%20rs", "RS%20%20"):
        assert results(f"/api/v1/statements/?country={value}") == expected
    assert results("/api/v1/statements/?country=") == results("/api/v1/statements/")
    assert len(compiled_pages) == 4  # and those of the whole list
