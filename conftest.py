"""Test-wide settings: tasks run immediately, uploads go to a temporary folder, passwords hash fast."""

from pathlib import Path

import pytest

pytest_plugins = ["mujun.core.tests.fixtures"]


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject's addopts) runs the suite, or a folder of it, on every core; a run naming only
    test files or single tests stays in one process, which spares each extra worker its own test database
    (the migrations cost more than such a run). `-n 2` still forces workers."""
    named = config.args and all("::" in arg or Path(arg).is_file() for arg in config.args)
    return 0 if named else None  # None: xdist counts the cores


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"
    # Django's own advice for tests: the production hasher takes ~0.4 s per password by design, and every
    # user a fixture or the demo creates pays it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test process its own cache, empty at each test: figures kept for a data version (mujun.core.kept)
    # must not pass from one test's database to the next.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
