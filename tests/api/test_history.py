"""Every API write is in the audit trail: who, when, what changed, why; readable by editors."""

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from events.models import Statement, StatementTranslation
from tests.api.helpers import API, assert_problem, results

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(demo) -> Statement:
    return Statement.objects.order_by("id").first()


def history_url(statement: Statement) -> str:
    return f"{API}statements/{statement.pk}/history/"


def test_history_is_for_editors_only(anon, reader, writer, statement):
    assert_problem(anon.get(history_url(statement)), 401)
    assert_problem(reader.get(history_url(statement)), 403)
    assert writer.get(history_url(statement)).status_code == 200


def test_the_first_record_is_the_creation_with_every_field(writer, statement):
    (record,) = results(writer.get(history_url(statement)))
    assert record["version"] == 1
    assert record["type"] == "created"
    assert record["reason"].startswith("load_demo")
    fields = {change["field"]: change for change in record["changes"]}
    assert fields["text"] == {"field": "text", "old": None, "new": statement.text}
    assert fields["countries"]["new"] == sorted(statement.countries.values_list("pk", flat=True))


def test_an_update_records_who_why_and_the_changed_fields_only(writer, statement):
    old_countries = sorted(statement.countries.values_list("pk", flat=True))
    response = writer.patch(
        f"{API}statements/{statement.pk}/",
        {"context": "Said in the opening session.", "countries": ["RS"]},
        format="json",
        HTTP_X_CHANGE_REASON="Checked against the recording",
    )
    assert response.status_code == 200
    newest = results(writer.get(history_url(statement)))[0]
    assert newest["version"] == 2
    assert newest["type"] == "updated"
    assert newest["user"] == "editor"
    assert newest["reason"] == "Checked against the recording"
    changes = {change["field"]: (change["old"], change["new"]) for change in newest["changes"]}
    assert changes == {
        "context": (statement.context, "Said in the opening session."),
        "countries": (old_countries, ["RS"]),
    }


def test_a_reason_in_utf8_is_kept_as_text(writer, statement):
    reason = "Vérifié — Tanić"
    writer.patch(
        f"{API}statements/{statement.pk}/",
        {"context": "x"},
        format="json",
        HTTP_X_CHANGE_REASON=reason.encode().decode("latin-1"),
    )
    assert results(writer.get(history_url(statement)))[0]["reason"] == reason


def test_an_overlong_reason_is_a_400_naming_the_header(writer, statement):
    response = writer.patch(
        f"{API}statements/{statement.pk}/",
        {"context": "x"},
        format="json",
        HTTP_X_CHANGE_REASON="x" * 1001,
    )
    assert_problem(response, 400, "X-Change-Reason")
    assert len(results(writer.get(history_url(statement)))) == 1


def test_deletion_is_recorded_and_the_history_outlives_the_entry(writer, statement):
    url = f"{API}statements/{statement.pk}/"
    assert writer.delete(url, HTTP_X_CHANGE_REASON="Duplicate").status_code == 204
    records = results(writer.get(history_url(statement)))
    assert [r["type"] for r in records] == ["deleted", "created"]
    assert records[0]["user"] == "editor"
    assert records[0]["reason"] == "Duplicate"


def test_creation_through_the_api_is_recorded(writer, demo):
    response = writer.post(f"{API}topics/", {"name": "Sextortion"}, format="json")
    topic = response.json()
    (record,) = results(writer.get(f"{API}topics/{topic['id']}/history/"))
    assert (record["type"], record["user"], record["version"]) == ("created", "editor", 1)


def test_unknown_entry_has_no_history(writer, demo):
    assert_problem(writer.get(f"{API}statements/987654/history/"), 404)


def test_translations_are_audited_one_save_at_a_time(writer, statement):
    writer.patch(
        f"{API}statements/{statement.pk}/",
        {"translations": [{"language": "en", "text": "First", "kind": "editorial"}]},
        format="json",
    )
    writer.patch(
        f"{API}statements/{statement.pk}/",
        {"translations": [{"language": "en", "text": "Second", "kind": "editorial"}]},
        format="json",
    )
    translation = StatementTranslation.objects.get(statement=statement)
    assert [h.text for h in translation.history.all()] == ["Second", "First"]
    writer.patch(f"{API}statements/{statement.pk}/", {"translations": []}, format="json")
    assert [h.history_type for h in translation.history.all()] == ["-", "~", "+"]


def test_a_failure_midway_leaves_nothing_half_written(writer, statement, monkeypatch):
    """The statement's own row is saved before its translations: if a translation
    fails, the whole request is rolled back, history included."""
    original = StatementTranslation.save

    def fail_on_german(self, *args, **kwargs):
        if self.language == "de":
            raise IntegrityError("simulated failure after the first writes")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StatementTranslation, "save", fail_on_german)
    writer.raise_request_exception = False
    before = writer.get(f"{API}statements/{statement.pk}/").json()
    response = writer.patch(
        f"{API}statements/{statement.pk}/",
        {
            "text": "Half written?",
            "translations": [
                {"language": "en", "text": "English", "kind": "editorial"},
                {"language": "de", "text": "Deutsch", "kind": "editorial"},
            ],
        },
        format="json",
    )
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/problem+json")
    assert writer.get(f"{API}statements/{statement.pk}/").json() == before
    assert not StatementTranslation.objects.filter(statement=statement).exists()
    assert statement.history.count() == 1


def test_history_pages_show_changes_across_page_boundaries(writer, statement):
    for n in range(1, 6):
        writer.patch(f"{API}statements/{statement.pk}/", {"context": f"c{n}"}, format="json")
    first = writer.get(history_url(statement), {"page_size": 2}).json()
    second = writer.get(first["next"]).json()
    assert [r["version"] for r in first["results"]] == [6, 5]
    assert [r["version"] for r in second["results"]] == [4, 3]
    # The oldest of a page is compared with the version before it, on the next page.
    assert second["results"][-1]["changes"] == [{"field": "context", "old": "c1", "new": "c2"}]
    assert first["results"][-1]["changes"] == [{"field": "context", "old": "c3", "new": "c4"}]


def test_history_query_count_does_not_grow_with_versions(writer, statement):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert writer.get(history_url(statement)).status_code == 200
        return len(captured.captured_queries)

    writer.get(history_url(statement))  # the token's first use records it: not counted
    before = queries()
    for n in range(20):
        writer.patch(f"{API}statements/{statement.pk}/", {"context": f"c{n}"}, format="json")
    assert queries() == before
    # the count, the page, the version before the page, and the two tracked many-to-many
    # fields (countries, topics); the token and its user's permissions come from the
    # token cache (accounts/token_cache.py)
    assert before == 5
