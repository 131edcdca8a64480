"""The ``mujun`` command's dispatch and its help listing, built without setting Django up (issue 11, item 4)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from django.core.management import ManagementUtility, get_commands

from mujun import cli

ROOT = Path(__file__).resolve().parent.parent
SHOW_DJANGO = "import sys; from mujun.cli import main; status = main(sys.argv[1:]); print('django' in sys.modules)"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SHOW_DJANGO, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_the_listing_is_djangos_own_plus_mujuns_commands():
    django_listing = ManagementUtility(["mujun"]).main_help_text()
    own = ["", "[mujun]", *(f"    {name}" for name in sorted(cli.COMMANDS))]
    # Django's listing is sorted by group: [mujun] falls between [humanize]…[messages] and the rest.
    assert sorted(cli.help_text().splitlines()) == sorted([*django_listing.splitlines(), *own])
    assert cli.help_text().startswith(django_listing.split("[")[0])
    assert cli.help_text(commands_only=True).splitlines() == sorted({*get_commands(), *cli.COMMANDS})


def test_an_earlier_apps_command_wins_as_in_django():
    commands = cli.management_commands()
    assert commands["runserver"] == "runserver_nostatic"  # whitenoise's, listed before staticfiles
    assert commands["demo"] == "core" and commands["migrate"] == "django"


def test_help_and_no_arguments_list_without_importing_django():
    for args in ([], ["--help"], ["help"]):
        done = run(*args)
        assert done.returncode == 0, done.stderr
        *listing, django_loaded = done.stdout.rstrip("\n").split("\n")
        assert django_loaded == "False"
        assert "\n".join(listing) == cli.help_text()


def test_help_of_one_of_mujuns_commands_is_its_own_and_of_others_djangos():
    done = subprocess.run([sys.executable, "-m", "mujun.cli", "help", "land", "classify"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("usage: mujun land classify")
    done = subprocess.run([sys.executable, "-m", "mujun.cli", "help", "migrate"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "usage: mujun migrate" in done.stdout


def test_every_command_names_a_function_and_the_longest_match_wins(monkeypatch):
    for target in cli.COMMANDS.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function))
    calls = []
    monkeypatch.setattr(cli, "COMMANDS", {"land": "x:land", "land classify": "x:classify"})
    monkeypatch.setattr(cli, "_call", lambda target, arguments: calls.append((target, arguments)) or 0)
    assert cli.main(["land", "classify", "in.csv"]) == 0 and cli.main(["land", "other"]) == 0
    assert calls == [("x:classify", ["in.csv"]), ("x:land", ["other"])]
