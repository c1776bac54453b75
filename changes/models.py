"""The change feed's two tables: one row per entry at its latest change, and the feed's state.

See changes/feed.py for how they are written and why the order is commit order.
"""

import secrets

from django.db import IntegrityError, models, router, transaction
from django.utils import timezone


class Change(models.Model):
    """The latest change of one entry: a compacted log (one row per entry, like CouchDB's
    `_changes`). A new change of the entry replaces its row with one at a higher `seq`."""

    seq = models.BigAutoField(
        primary_key=True, help_text="Position in the feed: commit order (changes/feed.py)."
    )
    resource = models.CharField(max_length=40, help_text="The API resource, e.g. 'statements'.")
    object_id = models.BigIntegerField(help_text="The entry's id in that resource.")
    deleted = models.BooleanField(
        default=False, help_text="The entry was deleted: a tombstone, pruned after retention."
    )
    at = models.DateTimeField(help_text="When the change was written (UTC).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "object_id"], name="change_one_per_entry")
        ]
        indexes = [
            # A page of one or a few resources: an index range scan from the cursor.
            models.Index(fields=["resource", "seq"], name="change_resource_seq"),
            # Pruning finds old tombstones without reading the live rows.
            models.Index(
                fields=["at"], condition=models.Q(deleted=True), name="change_tombstone_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.resource}/{self.object_id}{' deleted' if self.deleted else ''}"


class FeedState(models.Model):
    """One row: the feed's epoch and how far tombstones were pruned.

    `epoch` is part of every cursor: a database rebuilt from a backup (or made
    anew) gets another one, so a mirror's cursor from the old database is
    refused (410) rather than read against sequence numbers that mean
    something else here. `pruned_through` is the highest `seq` of a pruned
    tombstone: a cursor below it may have missed a deletion (410 too).
    `embargoes_through`: see changes/feed.py, "Embargoes".
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    epoch = models.CharField(max_length=16)
    pruned_through = models.BigIntegerField(default=0)
    embargoes_through = models.DateTimeField(
        default=timezone.now,
        help_text="Entries whose embargo ended up to this moment are in the feed again, "
        "at the moment it ended or later (changes/feed.py, `record_ended_embargoes`).",
    )

    def __str__(self) -> str:
        return f"feed {self.epoch}, pruned through {self.pruned_through}"

    @classmethod
    def current(cls) -> "FeedState":
        state = cls.objects.filter(pk=1).first()
        if state is not None:
            return state
        try:
            with transaction.atomic():
                return cls.objects.create(pk=1, epoch=secrets.token_hex(4))
        except IntegrityError:  # made by a concurrent request, or one a lagging replica
            # (where the first look read) has not replayed yet: the primary has it
            return cls.objects.db_manager(router.db_for_write(cls)).get(pk=1)

    @classmethod
    def new_epoch(cls) -> "FeedState":
        """Start the feed afresh (after a restore): every earlier cursor is refused."""
        state = cls.current()
        state.epoch, state.pruned_through = secrets.token_hex(4), 0
        state.embargoes_through = timezone.now()  # every entry is written anew
        state.save()
        return state
