from datetime import date

from django.core.management.base import BaseCommand

from mujun.land import services


class Command(BaseCommand):
    help = (
        "Checks every 标准地 parcel whose initial operating period has ended, and has no acceptance yet, against "
        "its contract indicators (run it e.g. monthly)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="the day of the check (YYYY-MM-DD)")

    def handle(self, *args, as_of=None, **options):
        made = services.accept_due_parcels(None, as_of)
        failed = sum(1 for acceptance in made if acceptance.outcome == "failed")
        self.stdout.write(f"{len(made)} parcel(s) checked, {failed} failed")
