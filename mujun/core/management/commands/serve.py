"""``mujun serve``: the web server and the background-task worker, stopped together by Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

WORKER_STOP_SECONDS = 30


def add_server_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help=_("Address to listen on (default 127.0.0.1)."))
    parser.add_argument("--port", type=int, default=8000, help=_("Port to listen on (default 8000)."))


def uses_database_worker() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def check_port_free(host: str, port: int) -> None:
    """Fail before the worker starts: runserver leaves with os._exit when it cannot bind, which would
    leave the worker running."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                _("Cannot listen on %(host)s:%(port)s: %(error)s")
                % {
                    "host": host,
                    "port": port,
                    "error": exc.strerror or exc,
                }
            ) from exc


def start_worker() -> subprocess.Popen:
    """``mujun db_worker`` in a child process of its own session: Ctrl-C in the terminal reaches only us,
    and we stop the worker with exactly one SIGTERM (a second signal would make it abandon a running
    evaluation)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mujun.cli", "db_worker", "--no-reload"], env=os.environ.copy(), start_new_session=True
    )


def stop_worker(worker: subprocess.Popen) -> None:
    """Let a running evaluation finish (up to WORKER_STOP_SECONDS), then end the worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def serve(host: str, port: int, stdout) -> None:
    """Run the web server in this process and the task worker beside it until Ctrl-C (or SIGTERM)."""
    check_port_free(host, port)
    # runserver stops on KeyboardInterrupt; make SIGTERM (a service manager, kill) do the same, and SIGINT
    # too when the shell started us with it ignored (a background job).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    worker = start_worker() if uses_database_worker() else None
    if worker is not None:
        stdout.write(_("Background worker started (process %(pid)s).") % {"pid": worker.pid})
    try:
        call_command("runserver", f"[{host}]:{port}" if ":" in host else f"{host}:{port}", use_reloader=False)
    finally:
        if worker is not None:
            stop_worker(worker)


class Command(BaseCommand):
    help = _("Start the web server and the background-task worker (Ctrl-C stops both).")

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, host, port, **options):
        serve(host, port, self.stdout)
