"""``mujun backup FILE``: the whole database and every uploaded file in one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from mujun.core.backup import ENGINE_NAMES, backup


class Command(BaseCommand):
    help = _("Back up the database and the uploaded files into one archive file.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The archive to write (e.g. mujun-2026-11-30.tar)."))

    def handle(self, *args, **options):
        target = Path(options["file"]).resolve()
        if not target.parent.is_dir():
            raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": target.parent})
        outcome = backup(target)
        self.stdout.write(
            _("Backed up the %(engine)s database and %(files)s uploaded files to %(file)s (%(size)s bytes).")
            % {"engine": ENGINE_NAMES[outcome.engine], "files": outcome.files, "file": target, "size": outcome.size}
        )
