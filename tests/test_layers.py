"""Dependencies point down: core, the base every domain app builds on, names none of them. Domain apps
reach core's pages by registering panels and cards (core.extensions), core reaches the region tree through
settings.MUJUN_REGION_MODEL, and the list of domain apps is INSTALLED_APPS itself."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from mujun.core.apps_registry import DomainAppConfig, domain_configs

CORE = Path(__file__).resolve().parent.parent / "mujun" / "core"
# The issue's own check: nothing under mujun/core, its tests included, imports these apps.
UPPER_APPS = re.compile(r"from mujun\.(projects|land|evaluation|inspections|indicators|services)")


def core_files(*suffixes: str, tests: bool) -> list[Path]:
    return sorted(
        path
        for path in CORE.rglob("*")
        if path.suffix in suffixes
        and "migrations" not in path.parts  # generated: they name the models their tables refer to
        and (tests or "tests" not in path.parts)
    )


def names_of(label: str) -> re.Pattern:
    """How code names an app: ``mujun.<label>``, a model label or URL name (``"<label>.Model"``,
    ``'<label>:list'``), or the bare label as a string."""
    return re.compile(rf"mujun\.{label}\b|[\"']{label}[.:\w]*[\"']")


def test_core_imports_none_of_the_upper_apps():
    found = [
        f"{path.relative_to(CORE)}:{number}"
        for path in core_files(".py", tests=True)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if UPPER_APPS.search(line)
    ]
    assert not found, "core imports a domain app: " + ", ".join(found)


@pytest.mark.parametrize("label", [config.label for config in domain_configs()])
def test_core_code_and_templates_name_no_domain_app(label):
    pattern = names_of(label)
    found = [
        f"{path.relative_to(CORE)}:{number}"
        for path in core_files(".py", ".html", tests=False)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, f"core names the domain app {label!r}: " + ", ".join(found)


def test_the_domain_apps_are_the_installed_ones_in_their_order():
    installed = [name for name in settings.INSTALLED_APPS if name.startswith("mujun.") and name != "mujun.core"]
    assert [config.name for config in domain_configs()] == installed
    assert all(isinstance(config, DomainAppConfig) for config in domain_configs())
