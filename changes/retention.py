"""Tombstones are kept `CHANGES_RETENTION_DAYS`; older ones are pruned (`prune_changes`).

Only deletions are pruned: the row of an entry that exists stays (it is the
entry's place in the feed, which a new mirror reads from the beginning).
Pruning moves `FeedState.pruned_through` to the highest number removed, so a
cursor below it (which may not have seen a pruned deletion) is answered 410.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from changes.models import Change, FeedState


@transaction.atomic
def prune(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Remove tombstones older than the retention; (how many, the new pruned_through)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.CHANGES_RETENTION_DAYS)
    state = FeedState.current()
    FeedState.objects.select_for_update().filter(pk=state.pk).first()
    old = Change.objects.filter(deleted=True, at__lt=cutoff)
    highest = old.aggregate(highest=Max("seq"))["highest"]
    if highest is None:
        return 0, state.pruned_through
    removed, _ = Change.objects.filter(deleted=True, seq__lte=highest, at__lt=cutoff).delete()
    state.refresh_from_db()
    state.pruned_through = max(state.pruned_through, highest)
    state.save(update_fields=["pruned_through"])
    return removed, state.pruned_through
