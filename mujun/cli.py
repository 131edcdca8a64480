"""The ``mujun`` command.

Mujun's own sub-commands (``COMMANDS``) run the engine on files without touching Django or a database, so
an analyst's batch run starts fast. Every other sub-command is a Django management command (``mujun demo``,
``mujun serve``, ``mujun migrate`` …). ``mujun``, ``mujun --help`` and ``mujun help`` list them all without
setting Django up; ``mujun help <command>`` is Django's.
"""

import ast
import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path

# Sub-command (its words) → "module:function" called with the remaining arguments; returns the exit status.
COMMANDS = {
    "evaluate": "mujun.engine.batch:main",
    "land classify": "mujun.engine.land_batch:main",
    "robustness": "mujun.engine.robustness:main",
    "composite": "mujun.engine.composite_batch:main",
    "compare": "mujun.engine.compare_batch:main",
}

SETTINGS_MODULE = "mujun.settings"
PROGRAM = "mujun"


def _own_command(argv: list[str]) -> tuple[str, list[str]] | None:
    """The target of the longest of ``COMMANDS`` that ``argv`` starts with, and the arguments after it."""
    for name in sorted(COMMANDS, key=lambda name: -len(name.split())):
        words = name.split()
        if argv[: len(words)] == words:
            return COMMANDS[name], argv[len(words) :]
    return None


def _call(target: str, arguments: list[str]) -> int:
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)(arguments)


def _installed_apps() -> list[str]:
    """INSTALLED_APPS read from the settings file's literal list, without importing the settings."""
    spec = importlib.util.find_spec(SETTINGS_MODULE)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "INSTALLED_APPS" for target in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise LookupError(f"INSTALLED_APPS is not a literal list in {spec.origin}")


def _package_directory(dotted: str) -> Path | None:
    """Where a package's files are, found from its top-level package so that no app module is imported."""
    top, _, rest = dotted.partition(".")
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations)))
    return directory.joinpath(*rest.split(".")) if rest else directory


def _command_names(package: Path) -> list[str]:
    """The management commands in a package's ``management/commands``, as Django's find_commands sees them."""
    return [
        name
        for _, name, is_package in pkgutil.iter_modules([str(package / "management" / "commands")])
        if not is_package and not name.startswith("_")
    ]


def management_commands() -> dict[str, str]:
    """Command name → the label Django's help groups it under; an earlier app's command wins, as in Django."""
    commands = {name: "django" for name in _command_names(_package_directory("django.core"))}
    for app in reversed(_installed_apps()):
        directory = _package_directory(app)
        if directory is not None:
            commands.update({name: app.rpartition(".")[-1] for name in _command_names(directory)})
    return commands


def help_text(commands_only: bool = False) -> str:
    """Django's main help text plus mujun's own commands, built without setting Django up."""
    commands = {**management_commands(), **{name: PROGRAM for name in COMMANDS}}
    if commands_only:
        return "\n".join(sorted(commands))
    groups: dict[str, list[str]] = {}
    for name, label in commands.items():
        groups.setdefault(label, []).append(name)
    lines = ["", f"Type '{PROGRAM} help <subcommand>' for help on a specific subcommand.", "", "Available subcommands:"]
    for label in sorted(groups):
        lines += ["", f"[{label}]", *(f"    {name}" for name in sorted(groups[label]))]
    return "\n".join(lines)


def _wants_listing(argv: list[str]) -> bool:
    uses_own_settings = os.environ.get("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE) == SETTINGS_MODULE
    return uses_own_settings and (argv in ([], ["--help"], ["-h"], ["help"]) or argv == ["help", "--commands"])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own = _own_command(argv)
    if own is not None:
        return _call(*own)
    own_help = _own_command(argv[1:]) if argv[:1] == ["help"] else None
    if own_help is not None:
        return _call(own_help[0], ["--help"])
    if _wants_listing(argv):
        print(help_text(commands_only="--commands" in argv))
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    execute_from_command_line([PROGRAM, *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
