from django.core.management.base import BaseCommand

from mujun.projects import services


class Command(BaseCommand):
    help = "Closes the months of the four lists whose closing day, set by the city, has come (run it daily)."

    def handle(self, *args, **options):
        closed = services.close_due_months()
        self.stdout.write(f"{closed} month(s) closed")
