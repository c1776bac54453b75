"""The record version retires every cached count at once, now and when the write commits."""

import datetime

import time_machine

from events.record_version import cached_by_record_version, record_version
from tests.factories import StatementFactory, TopicFactory


def test_a_write_moves_the_record_version_now_and_again_at_commit(
    db, django_capture_on_commit_callbacks
):
    before = record_version()
    with django_capture_on_commit_callbacks(execute=True):
        StatementFactory()
        during = record_version()
    assert len({before, during, record_version()}) == 3


def test_a_cached_value_is_computed_again_after_a_write(db):
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    assert cached_by_record_version("test", compute) == 1
    assert cached_by_record_version("test", compute) == 1
    TopicFactory()
    assert cached_by_record_version("test", compute) == 2


def test_a_cached_value_is_computed_again_when_an_embargo_ends_without_a_write(db):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    with time_machine.travel(start, tick=False) as clock:
        StatementFactory(publish_at=start + datetime.timedelta(seconds=30))
        StatementFactory(publish_at=start + datetime.timedelta(seconds=60))
        assert cached_by_record_version("test", compute) == 1
        clock.move_to(start + datetime.timedelta(seconds=29))
        assert cached_by_record_version("test", compute) == 1
        clock.move_to(start + datetime.timedelta(seconds=30))
        assert cached_by_record_version("test", compute) == 2  # the first embargo ended
        assert cached_by_record_version("test", compute) == 2
        clock.move_to(start + datetime.timedelta(seconds=61))
        assert cached_by_record_version("test", compute) == 3  # and the second
        clock.move_to(start + datetime.timedelta(seconds=200))
        assert cached_by_record_version("test", compute) == 3  # no embargo ahead


def test_a_value_cached_late_is_not_served_past_the_end_it_was_computed_under(db, settings):
    """The end's entry expires `COUNTRY_COUNTS_TTL` after the token's first use; a value
    cached later outlives it, and must still be computed again once that end is past."""
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    ttl = settings.COUNTRY_COUNTS_TTL
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    with time_machine.travel(start, tick=False) as clock:
        StatementFactory(publish_at=start + datetime.timedelta(seconds=ttl - 100))
        assert cached_by_record_version("other", compute) == 1  # the end is remembered now
        clock.move_to(start + datetime.timedelta(seconds=ttl - 110))
        assert cached_by_record_version("test", compute) == 2
        clock.move_to(start + datetime.timedelta(seconds=ttl + 10))  # the end is forgotten
        assert cached_by_record_version("test", compute) == 3
        assert cached_by_record_version("test", compute) == 3
