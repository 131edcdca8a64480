"""``mujun demo``: a database full of a Huzhou-like city's enterprises and published evaluations, then
the web server and the task worker. Running it again keeps the data (``--reset`` starts over)."""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from mujun.core.management.commands._demo_data import (
    COUNTY_OPERATORS,
    DEMO_PASSWORD,
    has_demo_data,
    load_demo,
)
from mujun.core.deployment import ensure_secret_key_file
from mujun.core.management.commands.serve import add_server_arguments, serve
from mujun.engine.demo import REGIONS


class Command(BaseCommand):
    help = _(
        "Create and fill a demo database (regions, users, about 7,000 enterprises over three years, "
        "schemes and published evaluation runs), then start the web server and the task worker."
    )

    def add_arguments(self, parser):
        add_server_arguments(parser)
        parser.add_argument("--no-serve", action="store_true", help=_("Only prepare the data."))
        parser.add_argument("--reset", action="store_true", help=_("Empty the database first and load again."))
        parser.add_argument("--above", type=int, default=4000, help=_("Enterprises above designated size."))
        parser.add_argument("--below", type=int, default=3000, help=_("Enterprises below designated size."))
        parser.add_argument("--password", default=DEMO_PASSWORD, help=_("Password of every demo user."))

    def handle(self, *args, host, port, workers, no_serve, reset, above, below, password, **options):
        try:
            validate_password(password)  # every demo user signs in with it: the policy holds for it too
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        database = settings.DATABASES["default"]
        self.stdout.write(_("Database: %(name)s") % {"name": database["NAME"]})
        call_command("migrate", interactive=False, verbosity=0)
        if reset:
            call_command("flush", interactive=False, verbosity=0)
            self.stdout.write(_("Database emptied."))
        if has_demo_data():
            self.stdout.write(_("The database already holds data; nothing loaded (--reset starts over)."))
        else:
            started = time.perf_counter()
            loaded = load_demo(above, below, password=password, log=lambda line: self.stdout.write(f"  {line}"))
            for problem in loaded.problems:
                self.stderr.write(problem)
            self.stdout.write(
                self.style.SUCCESS(
                    _("Demo data loaded in %(seconds).1f s.") % {"seconds": time.perf_counter() - started}
                )
            )
        # The demo server runs as in production (DEBUG off, static files collected); it needs a key of its own,
        # kept in MUJUN_DATA_DIR for every later `mujun serve` on these data.
        ensure_secret_key_file()
        self.print_login(host, port, password)
        if not no_serve:
            serve(host, port, self.stdout, workers)

    def print_login(self, host, port, password):
        self.stdout.write("")
        self.stdout.write(_("Open http://%(host)s:%(port)s/ and sign in as:") % {"host": host, "port": port})
        self.stdout.write("  admin      " + _("city administrator"))
        county_names = {region["code"]: region["name"] for region in REGIONS}
        for county, username in COUNTY_OPERATORS.items():
            self.stdout.write(
                f"  {username:<10} " + _("county operator, %(county)s") % {"county": county_names[county]}
            )
        self.stdout.write("  leader     " + _("viewer"))
        # The apps' own demo users (judges, department staff, town staff …), by role.
        listed = {"admin", "leader", *COUNTY_OPERATORS.values()}
        by_role: dict[str, list[str]] = {}
        users = get_user_model().objects.order_by("pk").values_list("username", "role", "region__name")
        for username, role, region in users:
            if username not in listed:
                by_role.setdefault(role, []).append(f"{username} ({region})" if region else username)
        roles = dict(get_user_model().Role.choices)
        for role, usernames in by_role.items():
            self.stdout.write(f"  {roles.get(role, role)}: {', '.join(usernames)}")
        self.stdout.write(_("Password of every user: %(password)s") % {"password": password})
        self.stdout.write("")
