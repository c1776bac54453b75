"""`manage.py import_data FILE`: restore an `export_data` file into an empty record."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from ctht_api.backup import FORMAT, REFERENCE_MODELS, BackupError, import_from, spool_stdin


class Command(BaseCommand):
    help = (
        f"Restore a {FORMAT} file (docs/backup-format.md; gzip or not; '-' for standard "
        "input) into a database whose record is empty. The whole file is checked before "
        "anything is written, and everything is written in one transaction: a refused file "
        "leaves the database as it was."
    )
    # Tests pass a binary stream here instead of the process's standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="The export to read: a path or '-'.")

    def handle(self, *args, **options):
        path = options["file"]
        spooled = None
        if path == "-":
            spooled = path = spool_stdin(options.get("stdin") or sys.stdin.buffer)
        try:
            result = import_from(path)
        except BackupError as error:
            raise CommandError(f"{options['file']}: {error}") from None
        finally:
            if spooled:
                os.unlink(spooled)
        written = {label: n for label, n in result.counts.items() if label not in REFERENCE_MODELS}
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {sum(written.values())} rows into {len(written)} tables "
                f"(exported {result.header.exported_at or 'at an unknown time'})."
            )
        )
        if result.created_users:
            self.stdout.write(
                "Created inactive users for the history (no password, no permissions): "
                + ", ".join(result.created_users)
            )
