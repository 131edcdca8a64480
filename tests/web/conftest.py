"""The demo city fixture of the list pages' tests."""

from .city import demo_city  # noqa: F401
