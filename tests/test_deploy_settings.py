"""The production settings the README documents pass Django's deployment checks; SQLite runs in WAL mode."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[1]


def check_deploy(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    environment = {
        name: value
        for name, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE: set by tests/browser/conftest.py in this process when the browser tests run here
        if not name.startswith("MUJUN_")
        and name not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(MUJUN_DATA_DIR=str(tmp_path), **variables)
    return subprocess.run(
        [sys.executable, "-m", "mujun.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def production(**overrides: str) -> dict[str, str]:
    """The README's "Production" environment (the database is not reached by the checks)."""
    return {
        "DATABASE_URL": "postgres://mujun@127.0.0.1:5432/mujun",
        "MUJUN_SECRET_KEY": secrets.token_urlsafe(50),
        "MUJUN_ALLOWED_HOSTS": "mujun.example.gov.cn",
        "MUJUN_HTTPS": "1",
        **overrides,
    }


def test_the_documented_production_settings_pass_check_deploy_without_a_warning(tmp_path):
    done = check_deploy(tmp_path, **production())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    assert "WARNING" not in done.stderr.upper()


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"MUJUN_HTTPS": "0"}, "security.W012"),  # session cookie sent over plain HTTP
        ({"MUJUN_SECRET_KEY": ""}, "security.W009"),  # the development key
        ({"MUJUN_DEBUG": "1"}, "security.W018"),
    ],
)
def test_check_deploy_names_what_a_production_environment_lacks(tmp_path, change, warning):
    done = check_deploy(tmp_path, **production(**change))
    assert done.returncode != 0 and warning in done.stderr


def test_the_readme_documents_the_environment_the_check_uses():
    readme = (ROOT / "README.md").read_text()
    for variable in production():
        assert variable in readme, variable


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only")
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_immediate_transactions(tmp_path, django_db_blocker):
    """A connection as the settings make it, on a file (the test database itself lives in memory)."""
    wrapper = type(connections["default"])
    connection = wrapper({**settings.DATABASES["default"], "NAME": str(tmp_path / "probe.sqlite3")}, alias="probe")
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
        assert connection.transaction_mode == "IMMEDIATE"
        connection.close()
