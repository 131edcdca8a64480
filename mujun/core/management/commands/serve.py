"""``mujun serve``: the web server (gunicorn, several processes, static files by WhiteNoise) and the
background-task worker, stopped together by Ctrl-C or SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from mujun.core.deployment import require_secret_key

WORKER_STOP_SECONDS = 30
# gunicorn's advice: (2 × cores) + 1 workers; capped, as each one holds Django and Polars in memory.
MAX_WEB_WORKERS = 9
# Threads per worker: a request waiting on the database or a download does not hold a whole process.
WEB_THREADS = 4
# A large workbook is written inside its request: give it time before gunicorn restarts the worker.
REQUEST_TIMEOUT_SECONDS = 300
# The worker's evaluations and imports yield the processor to the web workers: a page an official waits for
# outranks a batch job, which only takes a little longer while pages are being served (`nice` 10).
WORKER_NICENESS = 10


def add_server_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help=_("Address to listen on (default 127.0.0.1)."))
    parser.add_argument("--port", type=int, default=8000, help=_("Port to listen on (default 8000)."))
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=_("Web server processes (default: twice the processor cores plus one, at most %(max)s).")
        % {"max": MAX_WEB_WORKERS},
    )


def default_web_workers() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(2 * cores + 1, MAX_WEB_WORKERS)


def uses_database_worker() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def check_port_free(host: str, port: int) -> None:
    """Fail at once with a clear message, before the worker starts: gunicorn would retry binding for a
    while and then exit with a traceback."""
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
    evaluation). It runs at a lower priority (WORKER_NICENESS) than the web server."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "mujun.cli", "db_worker", "--no-reload"], env=os.environ.copy(), start_new_session=True
    )
    lower_priority(worker.pid)
    return worker


def lower_priority(pid: int) -> None:
    """The process (still single-threaded: its threads inherit it) at WORKER_NICENESS. On Linux a session
    of its own is also a scheduling group of its own (autogroup), shared fairly with the web server's whatever
    the processes' niceness: the group's niceness is set too."""
    os.setpriority(os.PRIO_PROCESS, pid, WORKER_NICENESS)
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        try:
            autogroup.write_text(str(WORKER_NICENESS))
        except OSError:  # a kernel that refuses it: the worker then shares the processor evenly, as before
            pass


def start_web_server(host: str, port: int, workers: int) -> subprocess.Popen:
    """gunicorn serving ``mujun.wsgi``, in a session of its own like the worker: it gets one SIGTERM from us
    (a graceful stop: requests under way finish) rather than the terminal's SIGINT (an immediate one)."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "mujun.wsgi:application",
        f"--bind={bind}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={WEB_THREADS}",
        # Django, the URL configuration and every view loaded once in the master and shared by the forked
        # workers (mujun.wsgi): a worker no longer spends its first seconds importing them while serving.
        "--preload",
        f"--timeout={REQUEST_TIMEOUT_SECONDS}",
        f"--graceful-timeout={WORKER_STOP_SECONDS}",
        "--access-logfile=-",
    ]
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "mujun.settings")}
    return subprocess.Popen(command, env=environment, start_new_session=True)


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


def serve(host: str, port: int, stdout, workers: int | None = None) -> None:
    """Run the web server and the task worker beside it until Ctrl-C (or SIGTERM), then stop both."""
    check_port_free(host, port)
    try:
        require_secret_key()
    except ImproperlyConfigured as exc:
        raise CommandError(str(exc)) from exc
    # WhiteNoise serves what collectstatic gathered in STATIC_ROOT (unchanged files are not copied again).
    call_command("collectstatic", interactive=False, verbosity=0)
    workers = workers or default_web_workers()
    # A service manager's SIGTERM, and SIGINT even when the shell started us with it ignored (a background
    # job), stop us as Ctrl-C does.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    worker = web = None
    try:
        worker = start_worker() if uses_database_worker() else None
        if worker is not None:
            stdout.write(_("Background worker started (process %(pid)s).") % {"pid": worker.pid})
        web = start_web_server(host, port, workers)
        stdout.write(
            _("Web server started on http://%(host)s:%(port)s/ (process %(pid)s, %(workers)s workers).")
            % {"host": host, "port": port, "pid": web.pid, "workers": workers}
        )
        stdout.flush()
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # Both are told at once; each has WORKER_STOP_SECONDS to finish what it is doing.
        if web is not None and web.poll() is None:
            web.send_signal(signal.SIGTERM)
        if worker is not None:
            stop_worker(worker)
        if web is not None:
            try:
                web.wait(WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                web.kill()
                web.wait()
    if web is not None and web.returncode not in (0, -signal.SIGTERM):
        raise CommandError(_("The web server stopped with exit code %(code)s.") % {"code": web.returncode})


class Command(BaseCommand):
    help = _("Start the web server and the background-task worker (Ctrl-C stops both).")

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, host, port, workers, **options):
        serve(host, port, self.stdout, workers)
