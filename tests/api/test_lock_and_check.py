"""`lock_and_check`: the one rule by which the API's If-Match and the admin refuse stale writes.

(What clients see of it: tests/api/test_conditional_requests.py, the admin's
conflict messages: tests/test_audit.py.)
"""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

from ctht_api.concurrency import VersionConflict, lock_and_check
from events.models import Statement, StatementTranslation, Topic
from tests.api.helpers import API, assert_problem
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


def test_an_entry_changed_since_it_was_read_is_reloaded_before_the_write():
    read_earlier = TopicFactory(name="Grooming")
    meanwhile = Topic.objects.get(pk=read_earlier.pk)
    meanwhile.name = "Online grooming"
    meanwhile.save()

    lock_and_check(read_earlier, None)

    assert (read_earlier.name, read_earlier.version) == ("Online grooming", 2)


def test_a_version_not_seen_is_refused_with_the_stored_one_at_hand():
    topic = TopicFactory()
    Topic.objects.get(pk=topic.pk).save()

    with pytest.raises(VersionConflict) as conflict:
        lock_and_check(topic, 1)

    assert (conflict.value.seen_version, conflict.value.instance.version) == (1, 2)
    lock_and_check(topic, 2)
    lock_and_check(topic, {1, 2})
    with pytest.raises(VersionConflict):
        lock_and_check(topic, set())


def test_an_entry_deleted_meanwhile_does_not_exist():
    topic = TopicFactory()
    Topic.objects.filter(pk=topic.pk).delete()

    with pytest.raises(Topic.DoesNotExist):
        lock_and_check(topic, None)


def test_if_match_with_a_list_accepts_any_of_its_tags(writer):
    topic = TopicFactory()
    url = f"{API}topics/{topic.pk}/"
    response = writer.patch(url, {"name": "x"}, format="json", HTTP_IF_MATCH='"v7", "v1"')
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"v2"'


@pytest.mark.parametrize("tag", ['"v01"', '"1"', '"v1 "', "v1", '"v99999999999999999999999"'])
def test_if_match_compares_tags_exactly(writer, tag):
    topic = TopicFactory()
    url = f"{API}topics/{topic.pk}/"
    problem = assert_problem(
        writer.patch(url, {"name": "x"}, format="json", HTTP_IF_MATCH=tag), 412
    )
    assert '"v1"' in problem["detail"]
    assert writer.get(url).json()["name"] == topic.name


def test_head_with_the_current_tag_is_304(anon, entry_version_tags):
    topic = TopicFactory()
    response = anon.head(f"{API}topics/{topic.pk}/", HTTP_IF_NONE_MATCH='"v1"')
    assert response.status_code == 304
    assert (response["ETag"], response["Cache-Control"]) == ('"v1"', "no-cache")


def test_a_write_refused_after_its_first_saves_leaves_nothing(writer, demo, monkeypatch):
    """A refusal answered as a 4xx (not a crash) midway through a write rolls it back too:
    the statement's own row, saved before its translations, and its history."""
    statement = Statement.objects.order_by("id").first()
    url = f"{API}statements/{statement.pk}/"
    original = StatementTranslation.save

    def refuse_german(self, *args, **kwargs):
        if self.language == "de":
            raise DjangoValidationError({"language": "Refused for the test."})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StatementTranslation, "save", refuse_german)
    before = writer.get(url).json()
    response = writer.patch(
        url,
        {
            "text": "Half written?",
            "translations": [
                {"language": "en", "text": "English", "kind": "editorial"},
                {"language": "de", "text": "Deutsch", "kind": "editorial"},
            ],
        },
        format="json",
    )
    assert_problem(response, 400, "language")
    assert writer.get(url).json() == before
    assert writer.get(url)["ETag"] == '"v1"'
    assert len(writer.get(url + "history/").json()["results"]) == 1
