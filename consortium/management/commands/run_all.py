"""`manage.py run_all`: the whole system in one terminal, as `make run` uses it.

Starts the ASGI server (Daphne: HTTP and websockets), a Celery worker and
Celery beat, all sharing one database and one Redis (the embedded one when
REDIS_URL is unset), prints where to go and how to sign in, and on Ctrl-C
stops every process it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from consortium import embedded_redis
from consortium.management.commands.seed_demo import DEMO_PASSWORD, HELPDESK, STAFF


class Command(BaseCommand):
    help = "Run the web/websocket server, a Celery worker and Celery beat together."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", 8000))
        )
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port, host, **options):
        embedded = not os.environ.get("REDIS_URL")
        env = {**os.environ, "REDIS_URL": settings.REDIS_URL, "PYTHONUNBUFFERED": "1"}
        # Links in the desk, emails and embed snippets use the port we serve.
        env.setdefault("SITE_URL", f"http://localhost:{port}")
        python = sys.executable
        commands = {
            "web": [
                python,
                "-m",
                "daphne",
                "-b",
                host,
                "-p",
                str(port),
                "consortium.asgi:application",
            ],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "consortium",
                "worker",
                "--loglevel",
                # Beat sends the chat timer sweep every second: INFO would
                # bury the banner and the emails the console backend prints.
                "WARNING",
                "--concurrency",
                "2",
                "--hostname",
                f"worker-{port}@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "consortium",
                "beat",
                "--loglevel",
                # Beat sends the chat timer sweep every second: INFO would
                # bury the banner and the emails the console backend prints.
                "WARNING",
                "--pidfile=",
            ],
        }
        processes: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            for name, command in commands.items():
                processes[name] = subprocess.Popen(command, env=env)
            self._wait_for_web(host, port)
            self._banner(host, port, embedded)
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with code {process.returncode}; stopping."
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop_all(processes)
            if embedded:
                embedded_redis.stop(settings.VAR_DIR / "redis")
            self.stdout.write("Stopped.")

    def _wait_for_web(self, host, port, seconds=30):
        """Print the banner once the web server listens, not before."""
        import socket

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)

    def _stop_all(self, processes):
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _banner(self, host, port, embedded):
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
        base = f"http://{shown}:{port}"
        database = settings.DATABASES["default"]
        db = (
            database["NAME"]
            if "sqlite" in database["ENGINE"]
            else f"PostgreSQL {database['NAME']}"
        )
        coordinators = ", ".join(f"{code}-coord" for code in list(STAFF)[:3])
        token = (
            Token.objects.filter(user__username=HELPDESK[0][0])
            .values_list("key", flat=True)
            .first()
        ) or "run `make seed`"
        lines = [
            "",
            "AskTogether is starting (web + websockets, Celery worker, Celery beat).",
            f"  Home              {base}/",
            f"  Admin             {base}/admin/",
            f"  Libraries & hours {base}/libraries/",
            f"  Librarian desk    {base}/desk/",
            f"  Patron's view     {base}/widget/demo/sprc/  (a library site with the "
            "chat widget)",
            f"  Hosted chat page  {base}/chat/sprc/",
            f"  REST API docs     {base}/api/docs/  (help desk token: {token}; "
            "docs/api.md)",
            f"  Health            {base}/healthz",
            f"  Database          {db}",
            f"  Redis             {settings.REDIS_URL}{' (embedded)' if embedded else ''}",
            "",
            f"Demo logins (password for all: {DEMO_PASSWORD})",
            f"  Help desk:         {HELPDESK[0][0]}",
            f"  Site coordinators: {coordinators} … (<library code>-coord)",
            "  Librarians:        sprc-rob, sprc-nancy, gcsu-erin, ocpl-sam …",
            "  Intern:            sprc-eli",
            "",
            "Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))
