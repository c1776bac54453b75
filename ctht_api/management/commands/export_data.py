"""`manage.py export_data FILE`: the whole record, with its history, as one JSON file."""

from django.core.management.base import BaseCommand, CommandError

from ctht_api.backup import FORMAT, FORMAT_VERSION, export_to


class _Text:
    """Standard output as a text stream the exporter can write to without added newlines."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")


class Command(BaseCommand):
    help = (
        f"Write the whole record (entries, links, history) to FILE in the {FORMAT} "
        f"format, version {FORMAT_VERSION} (docs/backup-format.md); gzip if FILE ends "
        "in .gz, standard output if FILE is '-'. The file appears only once complete."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write: a path (.json or .json.gz) or '-'.")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            counts = export_to(path, _Text(self.stdout))
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror or error}") from None
        if path != "-":
            total = sum(counts.values())
            self.stderr.write(f"Exported {total} rows of {len(counts)} tables to {path}.")
