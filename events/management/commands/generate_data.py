"""Fill the database with a seeded synthetic record, for benchmarks and index tests."""

import time

from django.core.management.base import BaseCommand, CommandError

from events.generate import generate


class Command(BaseCommand):
    help = (
        "Add N synthetic statements (with people, institutions and events) from a seed; "
        "the same seed gives the same data. See events/generate.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("--statements", type=int, required=True, help="How many statements.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")

    def handle(self, *args, statements: int, seed: int, **options):
        if statements < 1:
            raise CommandError("--statements must be at least 1.")
        started = time.perf_counter()
        result = generate(statements=statements, seed=seed)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Generated {result.statements} statements, {result.translations} translations, "
            f"{result.events} events, {result.people} people, {result.institutions} "
            f"institutions in {seconds:.1f} s ({result.statements / seconds:,.0f} statements/s)."
        )
