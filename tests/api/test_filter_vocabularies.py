"""Country codes and topic slugs are checked against sets kept in memory
(ctht_api/vocabularies.py): a write through the app applies at once, the 400s stay."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from events.models import Topic
from tests.api.helpers import API, all_ids, assert_problem
from tests.factories import StatementFactory, TopicFactory

STATEMENTS = f"{API}statements/"


@pytest.fixture
def tagged(db):
    statement = StatementFactory()
    statement.topics.set([TopicFactory(slug="old-topic")])
    statement.countries.set(["RS"])
    return statement


def test_unknown_values_are_a_400_naming_them_after_the_sets_are_loaded(anon, tagged):
    assert all_ids(anon, STATEMENTS, {"country": "RS", "topic": "old-topic"}) == [tagged.pk]

    problem = assert_problem(anon.get(STATEMENTS, {"country": "rs,zz"}), 400, "country")
    assert "ZZ" in str(problem["errors"])
    problem = assert_problem(anon.get(STATEMENTS, {"topic": "old-topic,nope"}), 400, "topic")
    assert "nope" in str(problem["errors"])
    assert "old-topic" not in str(problem["errors"])


def test_a_topic_added_through_the_app_is_known_at_once(anon, tagged):
    assert all_ids(anon, STATEMENTS, {"topic": "old-topic"}) == [tagged.pk]

    tagged.topics.add(TopicFactory(slug="new-topic"))

    assert all_ids(anon, STATEMENTS, {"topic": "new-topic"}) == [tagged.pk]


def test_a_topic_deleted_through_the_app_is_unknown_at_once(anon, tagged):
    assert all_ids(anon, STATEMENTS, {"topic": "old-topic"}) == [tagged.pk]

    Topic.objects.get(slug="old-topic").delete()

    assert_problem(anon.get(STATEMENTS, {"topic": "old-topic"}), 400, "topic")


def test_a_topic_added_around_the_app_is_known_within_the_bound(anon, tagged):
    assert all_ids(anon, STATEMENTS, {"topic": "old-topic"}) == [tagged.pk]

    Topic.objects.bulk_create([Topic(name="Bulk", slug="bulk-topic")])  # no signal

    assert_problem(anon.get(STATEMENTS, {"topic": "bulk-topic"}), 400, "topic")
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert anon.get(STATEMENTS, {"topic": "bulk-topic"}).status_code == 200
