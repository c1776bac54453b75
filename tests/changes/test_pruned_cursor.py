"""A mirror that reads the feed from its start after pruning gets cursors it can use.

Found by the mirror example: live rows numbered below `FeedState.pruned_through`
stay in the feed (only tombstones are pruned), so a read from the start hands out
cursors below it. Each cursor therefore carries the `pruned_through` of the time
it was handed out (its floor, changes/views.py `cursor`), and expires only when a
later prune removes a tombstone above both its number and its floor.
"""

import pytest

from changes.models import Change, FeedState


def prune_through_the_middle() -> int:
    """As prune() leaves the feed: a tombstone in the middle, pruned; live rows around it."""
    seqs = list(Change.objects.order_by("seq").values_list("seq", flat=True))
    middle = seqs[len(seqs) // 2]
    Change.objects.filter(seq=middle).delete()
    FeedState.objects.filter(pk=1).update(pruned_through=middle)
    return middle


@pytest.mark.django_db
def test_a_read_from_the_start_reaches_the_end_after_a_prune(demo, client):
    FeedState.current()
    prune_through_the_middle()
    url, pages = "/api/v1/changes/?page_size=5", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, f"page {pages + 1}: {response.status_code}"
        url, pages = response.json()["next"], pages + 1
    assert pages > 1


@pytest.mark.django_db
def test_the_last_cursor_of_a_read_from_the_start_is_accepted(demo, client):
    FeedState.current()
    highest = Change.objects.order_by("-seq").values_list("seq", flat=True).first()
    FeedState.objects.filter(pk=1).update(pruned_through=highest + 1)  # the newest, pruned
    last = client.get("/api/v1/changes/?page_size=500").json()["last"]
    assert client.get("/api/v1/changes/", {"since": last}).status_code == 200


@pytest.mark.django_db
def test_a_cursor_handed_out_before_a_later_prune_expires(demo, client):
    """The floor is no amnesty: a deletion made after the read began, pruned later, above
    the cursor, is a 410."""
    FeedState.current()
    prune_through_the_middle()
    last = client.get("/api/v1/changes/?page_size=2").json()["last"]
    floor = int(last.split("-")[1])  # the highest number when the read began
    assert floor == Change.objects.order_by("-seq").values_list("seq", flat=True).first()
    FeedState.objects.filter(pk=1).update(pruned_through=floor + 1)  # a newer tombstone, pruned
    assert client.get("/api/v1/changes/", {"since": last}).status_code == 410


@pytest.mark.django_db
def test_a_prune_during_a_first_read_does_not_interrupt_it(demo, client):
    """Tombstones that existed when a read from the beginning started were never needed
    by it: pruning them while it reads is no reason to send it back to the start."""
    FeedState.current()
    response = client.get("/api/v1/changes/?page_size=3").json()
    prune_through_the_middle()  # the daily prune runs between two pages
    second = client.get(response["next"])
    assert second.status_code == 200
