"""`manage.py prune_changes`: drop the change feed's deletions older than the retention."""

from django.core.management.base import BaseCommand

from changes.retention import prune


class Command(BaseCommand):
    help = (
        "Remove the change feed's tombstones (deleted entries) older than "
        "CHANGES_RETENTION_DAYS; a mirror whose cursor is older must then re-sync (410). "
        "Run it daily (docker-compose.yml does)."
    )

    def handle(self, *args, **options):
        removed, through = prune()
        self.stdout.write(f"Pruned {removed} deletion(s); cursors before {through} now re-sync.")
