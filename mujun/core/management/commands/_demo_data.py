"""Puts the demo city into the database: used by ``mujun demo``, the API fuzzing tests and the benchmarks.
Each domain app loads its own part (its ``demo.py``, see core.apps_registry), in INSTALLED_APPS order, so
that an app finds what the apps below it loaded in the shared ``DemoContext``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from mujun.core.apps_registry import app_module, domain_configs

# Passes the password policy (AUTH_PASSWORD_VALIDATORS): 12 characters or more, of four kinds.
DEMO_PASSWORD = "Mujun#2026demo"
# county code -> user name of its operator
COUNTY_OPERATORS = {
    "330502": "wuxing",
    "330503": "nanxun",
    "330521": "deqing",
    "330522": "changxing",
    "330523": "anji",
}
# The years of the enterprises' figures, each evaluated.
DEMO_YEARS = (2022, 2023, 2024)


@dataclass
class DemoContext:
    """What an app's ``demo.load`` gets and adds to: the demo city as loaded so far."""

    n_above: int
    n_below: int
    password: str
    log: Callable[[str], None]
    years: tuple[int, ...] = DEMO_YEARS
    seed: int = 20261121
    # Filled by the regions app's demo, which the others build on.
    regions: dict = field(default_factory=dict)  # by official code
    city: object = None
    users: list = field(default_factory=list)
    admin: object = None
    # What did not work out (a run that failed), for the command to report.
    problems: list[str] = field(default_factory=list)


def has_demo_data() -> bool:
    """Whether any domain app already holds records (demo or real: never mix them)."""
    return any(model._default_manager.exists() for config in domain_configs() for model in config.get_models())


def load_demo(
    n_above: int = 4000, n_below: int = 3000, *, password: str = DEMO_PASSWORD, log=lambda message: None
) -> DemoContext:
    """Everything ``mujun demo`` puts in an empty database."""
    context = DemoContext(n_above=n_above, n_below=n_below, password=password, log=log)
    for config in domain_configs():
        if module := app_module(config, "demo"):
            with transaction.atomic():
                module.load(context)
    return context
