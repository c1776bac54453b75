"""No lost updates: ETags from versions, If-None-Match → 304, stale If-Match → 412, 428."""

import pytest

from events.models import Statement
from tests.api.helpers import API, assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("entry_version_tags")]

DETAILS = ["statements", "events", "people", "institutions", "positions", "topics", "documents"]


@pytest.fixture
def statement(demo) -> Statement:
    return Statement.objects.order_by("id").first()


def statement_url(statement: Statement) -> str:
    return f"{API}statements/{statement.pk}/"


@pytest.mark.parametrize("resource", DETAILS)
def test_detail_carries_a_strong_etag_from_the_version(anon, demo, resource):
    first = anon.get(f"{API}{resource}/").json()["results"][0]
    response = anon.get(first["url"])
    assert response.status_code == 200
    assert response["ETag"] == '"v1"'
    assert not response["ETag"].startswith("W/")


def test_if_none_match_with_the_current_tag_is_304_without_body(anon, statement):
    etag = anon.get(statement_url(statement))["ETag"]
    response = anon.get(statement_url(statement), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    weak = anon.get(statement_url(statement), HTTP_IF_NONE_MATCH=f'"x", W/{etag}')
    assert weak.status_code == 304


def test_if_none_match_with_an_old_tag_gets_the_entry(anon, writer, statement):
    old = anon.get(statement_url(statement))["ETag"]
    writer.patch(statement_url(statement), {"context": "Changed."}, format="json")
    response = anon.get(statement_url(statement), HTTP_IF_NONE_MATCH=old)
    assert response.status_code == 200
    assert response["ETag"] == '"v2"'
    assert response.json()["context"] == "Changed."


def test_write_with_the_current_tag_succeeds_and_returns_the_new_tag(writer, statement):
    etag = writer.get(statement_url(statement))["ETag"]
    response = writer.patch(
        statement_url(statement), {"context": "New"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"v2"'
    assert writer.get(statement_url(statement))["ETag"] == '"v2"'


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_write_with_a_stale_tag_is_412_and_changes_nothing(writer, statement, method):
    url = statement_url(statement)
    before = writer.get(url)
    body = {**before.json(), "text": "Overwritten", "countries": ["RS"], "topics": []}
    for name in ("speaker", "position", "institution", "event", "source"):
        body[name] = body[name]["id"] if body[name] else None
    call = getattr(writer, method)
    response = call(url, body, format="json", HTTP_IF_MATCH='"v0"')
    problem = assert_problem(response, 412)
    assert '"v1"' in problem["detail"]
    after = writer.get(url)
    assert after.status_code == 200
    assert after.json() == before.json()
    assert after["ETag"] == '"v1"'


def test_a_weak_tag_never_matches_if_match(writer, statement):
    response = writer.patch(
        statement_url(statement), {"context": "x"}, format="json", HTTP_IF_MATCH='W/"v1"'
    )
    assert_problem(response, 412)


def test_if_match_star_matches_any_version(writer, statement):
    response = writer.patch(
        statement_url(statement), {"context": "x"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200


def test_delete_with_the_current_tag_deletes(writer, statement):
    response = writer.delete(statement_url(statement), HTTP_IF_MATCH='"v1"')
    assert response.status_code == 204
    assert writer.get(statement_url(statement)).status_code == 404


def test_if_match_can_be_required(settings, writer, statement):
    settings.API_REQUIRE_IF_MATCH = True
    url = statement_url(statement)
    for call in (writer.patch, writer.put, writer.delete):
        assert_problem(call(url, {"context": "x"}, format="json"), 428)
    assert writer.get(url)["ETag"] == '"v1"'
    response = writer.patch(url, {"context": "x"}, format="json", HTTP_IF_MATCH='"v1"')
    assert response.status_code == 200


def test_create_returns_the_first_etag(writer, demo):
    response = writer.post(f"{API}topics/", {"name": "Cyber grooming"}, format="json")
    assert response.status_code == 201
    assert response["ETag"] == '"v1"'


def test_one_write_is_one_version_however_many_rows_it_touches(writer, statement):
    """A statement with translations and countries is several saves; it is one version."""
    url = statement_url(statement)
    response = writer.patch(
        url,
        {
            "text": "Nouvelle version",
            "countries": ["RS", "BA"],
            "translations": [
                {"language": "en", "text": "New version", "kind": "editorial"},
                {"language": "de", "text": "Neue Fassung", "kind": "machine"},
            ],
        },
        format="json",
        HTTP_IF_MATCH='"v1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"v2"'
    assert writer.get(url)["ETag"] == '"v2"'
    assert len(writer.get(url + "history/").json()["results"]) == 2


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999999", "-1"])
def test_a_write_to_a_malformed_id_is_404(writer, demo, pk):
    assert_problem(writer.patch(f"{API}topics/{pk}/", {"name": "x"}, format="json"), 404)
    assert_problem(writer.delete(f"{API}topics/{pk}/"), 404)


def test_history_of_a_malformed_id_is_404(writer, demo):
    assert_problem(writer.get(f"{API}topics/abc/history/"), 404)
