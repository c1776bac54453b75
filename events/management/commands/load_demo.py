"""Load the founding document (the Sarajevo conference) as demo data; safe to rerun."""

from django.core.management.base import BaseCommand

from events.demo import load_demo


class Command(BaseCommand):
    help = "Load the founding document's entities (Sarajevo conference); rerunning changes nothing."

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {result.created} created, {result.existing} already present"
                + (
                    f", {result.upgraded} brought to the source's wording."
                    if result.upgraded
                    else "."
                )
            )
        )
