"""``manage.py demo_fill --rows N [--seed S]``: fill an empty demo database."""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from demodata.fill import NotEmpty, fill
from demodata.plan import MIN_ROWS
from demodata.writer import MAX_BATCH


class Command(BaseCommand):
    help = (
        "Fill an empty, migrated database with about N deterministic rows of "
        "realistic and nasty demo data, spread over all models."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--rows", type=int, required=True, help="rows in total (about)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--database", default="default", help="database alias")
        parser.add_argument(
            "--batch-size", type=int, default=2000, help=f"objects per insert (<= {MAX_BATCH})"
        )

    def handle(self, *args: object, **options: object) -> None:
        rows = int(options["rows"])
        batch_size = int(options["batch_size"])
        if rows < MIN_ROWS:
            raise CommandError(f"demo_fill: --rows must be at least {MIN_ROWS}")
        if not 1 <= batch_size <= MAX_BATCH:
            raise CommandError(f"demo_fill: --batch-size must be between 1 and {MAX_BATCH}")
        try:
            written, seconds = fill(
                rows, int(options["seed"]), str(options["database"]), batch_size
            )
        except NotEmpty as error:
            raise CommandError(f"demo_fill: {error}") from error
        self.stdout.write(f"demo_fill: {written} rows in {seconds:.1f} s")
