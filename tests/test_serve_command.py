"""``mujun serve``: gunicorn and the task worker, started and stopped together; what it refuses to do."""

import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mujun.core.management.commands import serve as serve_command

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_environment(data_dir: Path) -> dict[str, str]:
    """A fresh SQLite database of its own, DEBUG off, a key of its own: whatever the test run uses."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "MUJUN_DEBUG", "MUJUN_SECRET_KEY", "MUJUN_HTTPS", "DJANGO_SETTINGS_MODULE"}
    }
    return {**environment, "MUJUN_DATA_DIR": str(data_dir), "MUJUN_SECRET_KEY": secrets.token_urlsafe(50)}


def mujun(*args: str, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mujun.cli", *args], env=environment, cwd=ROOT, capture_output=True, text=True
    )


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for init to collect it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc")
def test_serve_runs_gunicorn_and_the_worker_serves_pages_and_static_files_and_sigterm_stops_both(tmp_path):
    environment = production_environment(tmp_path)
    migrated = mujun("migrate", "--no-input", environment=environment)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "mujun.cli", "serve", "--port", str(port), "--workers", "2"],
        env=environment,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started: list[int] = []
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                status, body = get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except (ConnectionError, TimeoutError, urllib.error.URLError):
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.5)
        assert status == 200 and b"csrfmiddlewaretoken" in body

        # DEBUG is off: the stylesheet comes from what collectstatic gathered, through WhiteNoise.
        assert (tmp_path / "static" / "vendor" / "bootstrap" / "css" / "bootstrap.min.css").exists()
        status, css = get(f"http://127.0.0.1:{port}/static/vendor/bootstrap/css/bootstrap.min.css")
        assert status == 200 and b"Bootstrap" in css
        status, body = get(f"http://127.0.0.1:{port}/static/no-such-file.css")
        assert status == 404 and b"DEBUG = True" not in body  # Django's plain 404, not its debug page

        started = children(server.pid)
        commands = [command_line(pid) for pid in started]
        assert any("gunicorn mujun.wsgi:application" in command for command in commands), commands
        assert any("db_worker" in command for command in commands), commands
        # The worker yields the processor to the web server: its jobs never slow the pages users wait for.
        priorities = {("db_worker" in command): os.getpriority(os.PRIO_PROCESS, pid) for pid, command in zip(started, commands)}
        assert priorities == {True: os.getpriority(os.PRIO_PROCESS, 0) + serve_command.WORKER_NICENESS, False: os.getpriority(os.PRIO_PROCESS, 0)}
        worker = next(pid for pid, command in zip(started, commands) if "db_worker" in command)
        if Path(f"/proc/{worker}/autogroup").exists():  # Linux: the worker's session is a scheduling group of its own
            assert Path(f"/proc/{worker}/autogroup").read_text().endswith(f" nice {serve_command.WORKER_NICENESS}\n")
        # WAL mode, which the database file keeps (the -wal file itself goes when the last connection closes).
        with closing(sqlite3.connect(tmp_path / "mujun.sqlite3")) as database:
            assert database.execute("PRAGMA journal_mode").fetchone() == ("wal",)

        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in started if alive(pid)]
    finally:
        for pid in [server.pid, *started]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.wait()
        log.close()


def test_serve_refuses_to_start_without_a_secret_key_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    with pytest.raises(CommandError, match="MUJUN_SECRET_KEY"):
        call_command("serve", "--port", str(free_port()))


def test_the_wsgi_application_refuses_the_development_key_when_debug_is_off(tmp_path):
    environment = production_environment(tmp_path)
    del environment["MUJUN_SECRET_KEY"]
    done = subprocess.run(
        [sys.executable, "-c", "import mujun.wsgi"], env=environment, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode != 0 and "MUJUN_SECRET_KEY" in done.stderr

    done = subprocess.run(
        [sys.executable, "-c", "import mujun.wsgi"],
        env={**environment, "MUJUN_DEBUG": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_the_wsgi_application_freezes_what_it_loaded_before_the_workers_are_forked(tmp_path):
    # A web worker's full garbage collection then walks only what its requests made, not Django and the views.
    script = "import gc; frozen = gc.get_freeze_count(); import mujun.wsgi; print(frozen, gc.get_freeze_count())"
    done = subprocess.run([sys.executable, "-c", script], env=production_environment(tmp_path), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    assert before == 0 and after > 50_000


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (4, 9), (32, serve_command.MAX_WEB_WORKERS)])
def test_the_server_starts_twice_the_cores_plus_one_workers_up_to_a_limit(monkeypatch, cores, workers):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert serve_command.default_web_workers() == workers


def test_the_demo_generates_a_secret_key_once_and_keeps_it_in_the_data_dir(settings, tmp_path):
    from mujun.core.deployment import ensure_secret_key_file, require_secret_key

    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    settings.SECRET_KEY_FILE = tmp_path / "secret_key"
    ensure_secret_key_file()
    key = settings.SECRET_KEY
    assert len(key) >= 50 and settings.SECRET_KEY_FILE.read_text().strip() == key
    assert settings.SECRET_KEY_FILE.stat().st_mode & 0o077 == 0  # readable by its owner only
    require_secret_key()

    ensure_secret_key_file()
    assert settings.SECRET_KEY == key == settings.SECRET_KEY_FILE.read_text().strip()
