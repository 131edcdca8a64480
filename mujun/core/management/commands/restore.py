"""``mujun restore FILE``: put back a backup written by ``mujun backup``, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from mujun.core.backup import ENGINE_NAMES, restore


class Command(BaseCommand):
    help = _("Restore the database and the uploaded files from a backup archive.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The archive written by mujun backup."))
        parser.add_argument(
            "--force", action="store_true", help=_("Replace a database or uploaded files that are not empty.")
        )

    def handle(self, *args, **options):
        source = Path(options["file"]).resolve()
        outcome = restore(source, force=options["force"])
        self.stdout.write(
            _("Restored the %(engine)s database and %(files)s uploaded files from %(file)s.")
            % {"engine": ENGINE_NAMES[outcome.engine], "files": outcome.files, "file": source}
        )
        if outcome.missing_migrations:
            self.stdout.write(_("The backup predates this version: run mujun migrate now."))
