"""The production settings the README documents pass Django's deployment checks; SQLite runs in WAL mode."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

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


# A connection as the settings make it when no DATABASE_URL is set (the default install), on a file: in a
# process of its own, so that the check runs whichever database the suite itself uses.
SQLITE_PROBE = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    print(cursor.execute("PRAGMA journal_mode").fetchone()[0], cursor.execute("PRAGMA busy_timeout").fetchone()[0])
print(connection.transaction_mode)
"""


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_immediate_transactions(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    environment.update(MUJUN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mujun.settings")
    done = subprocess.run([sys.executable, "-c", SQLITE_PROBE], env=environment, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (journal, timeout), (mode,) = (line.split() for line in done.stdout.splitlines())
    assert (journal, mode) == ("wal", "IMMEDIATE") and int(timeout) >= 10_000
