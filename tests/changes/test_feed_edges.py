"""Edges of the write side found in review: writes outside a changeset, and ids reused."""

import pytest
from django.db import connection, transaction

from changes import feed
from changes.models import Change
from ctht_api.audit import changeset
from events.generate import generate
from events.models import Statement, Topic


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's advisory lock")
def test_a_write_outside_a_changeset_numbers_its_rows_under_the_lock(monkeypatch, countries):
    """In autocommit (a shell, a script) the lock alone would be its own transaction and
    be released at once: the rows must be written in the transaction that holds it."""
    held = []
    original = feed._write_rows

    def spy(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND granted"
            )
            held.append(cursor.fetchone()[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(feed, "_write_rows", spy)
    assert connection.get_autocommit()
    topic = Topic.objects.create(name="Shell topic")
    assert held == [1]
    assert Change.objects.filter(resource="topics", object_id=topic.pk, deleted=False).exists()


@pytest.mark.django_db(transaction=True)
def test_generate_data_reusing_a_deleted_id_puts_the_new_entry_in_the_feed(countries):
    """`generate_data` numbers rows from the highest id: a deleted statement's id comes
    back, and its tombstone must not stand for the new, live statement."""
    generate(statements=30, seed=1)
    last = Statement.objects.order_by("-pk").first()
    pk = last.pk
    with transaction.atomic(), changeset():
        for translation in last.translations.all():
            translation.delete()
        last.delete()
    assert Change.objects.get(resource="statements", object_id=pk).deleted
    generate(statements=30, seed=2)
    assert Statement.objects.filter(pk=pk).exists()
    assert not Change.objects.get(resource="statements", object_id=pk).deleted


@pytest.mark.django_db(transaction=True)
def test_a_prune_committed_while_a_page_is_read_is_never_missed(monkeypatch, countries):
    """The daily prune commits just before the page is read: the page then lacks a
    deletion the mirror needs, so the answer must be a 410, not a page and a cursor that
    would carry the mirror past the deletion for good."""
    import datetime

    from django.utils import timezone
    from rest_framework.test import APIClient

    from changes import retention, views

    client = APIClient()
    with transaction.atomic(), changeset():
        held = Topic.objects.create(name="Held by the mirror")
    first = client.get("/api/v1/changes/?resource=topics").json()
    assert [entry["id"] for entry in first["results"]] == [held.pk]
    with transaction.atomic(), changeset():
        held.delete()
    with transaction.atomic(), changeset():
        Topic.objects.create(name="Later")  # the page moves past the tombstone
    Change.objects.filter(deleted=True).update(at=timezone.now() - datetime.timedelta(days=100))
    original = views.page_of_changes

    def pruned_meanwhile(*args, **kwargs):
        retention.prune()
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "page_of_changes", pruned_meanwhile)
    answer = client.get("/api/v1/changes/", {"resource": "topics", "since": first["last"]})
    assert answer.status_code == 410, answer.json()
