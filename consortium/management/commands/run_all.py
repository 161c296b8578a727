"""`manage.py run_all`: the whole system in one terminal, as `make run` uses it.

Starts the ASGI server (Daphne: HTTP and websockets), a Celery worker and
Celery beat, all sharing one database and one Redis (the embedded one when
REDIS_URL is unset), prints where to go and how to sign in, and on Ctrl-C
stops every process it started.

One `Supervisor` watches them all. The embedded Redis runs as its child too
and is restarted if it exits (same port, same configuration), at most
`REDIS_RESTARTS` times in `REDIS_RESTART_WINDOW` seconds; any other process
exiting, or the Redis exiting once more within that window, stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import environ
from django.conf import settings
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from consortium import embedded_redis
from consortium.management.commands.seed_demo import DEMO_PASSWORD, HELPDESK, STAFF

# `make run`'s stand-in for a Twilio auth token: the phone simulator signs
# its texts with it (chat/sms/simulator.py). Not a secret.
DEMO_TWILIO_AUTH_TOKEN = "demo-twilio-auth-token-not-a-secret"

REDIS_RESTARTS = 5
REDIS_RESTART_WINDOW = 60.0


def demo_sms(env: dict) -> bool:
    """`make run`'s SMS demo (`run_all --demo`): with no Twilio configured
    (no TWILIO_AUTH_TOKEN, SMS_BACKEND console or unset), a made-up token and
    the phone simulator on unless SMS_SIMULATOR says otherwise. A real
    token is left alone and the simulator stays as set (off by default): it
    would sign forged texts with it. `env` already holds `.env`'s values
    (settings read them into the environment). Returns whether the simulator
    is on."""
    if not env.get("TWILIO_AUTH_TOKEN") and env.get("SMS_BACKEND", "console") in (
        "",
        "console",
    ):
        env["TWILIO_AUTH_TOKEN"] = DEMO_TWILIO_AUTH_TOKEN
        env["SMS_BACKEND"] = "console"
        env.setdefault("SMS_SIMULATOR", "true")
    on = env.get("SMS_SIMULATOR", "").lower() in environ.Env.BOOLEAN_TRUE_STRINGS
    return on and bool(env.get("TWILIO_AUTH_TOKEN"))


class RestartBudget:
    """At most `limit` restarts in any `window` seconds."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.times: deque[float] = deque()

    def spend(self, now: float) -> bool:
        """Record a restart at `now`; False when the budget is spent."""
        while self.times and now - self.times[0] > self.window:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True


@dataclass
class Child:
    """A process the supervisor started and watches.

    `start` returns a running process. With a `restarts` budget an exit
    restarts it; without one, its exit stops everything. A `last` child is
    stopped after the others (the Redis they talk to while shutting down).
    """

    name: str
    start: Callable[[], subprocess.Popen]
    restarts: RestartBudget | None = None
    last: bool = False
    process: subprocess.Popen | None = field(default=None, repr=False)


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


class Supervisor:
    """Starts `children`, polls them every `interval` seconds, restarts or
    stops. `stopping` (set by the signal handlers) ends `run`; `failure`
    then says why it stopped on its own, or is None after a Ctrl-C."""

    def __init__(
        self,
        children: list[Child],
        *,
        write: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.5,
    ):
        self.children = children
        self.write = write
        self.clock = clock
        self.interval = interval
        self.stopping = False
        self.failure: str | None = None

    def start_all(self) -> None:
        for child in self.children:
            if child.process is None:
                child.process = child.start()

    def run(self) -> str | None:
        while not self.stopping:
            self.check()
            if not self.stopping:
                time.sleep(self.interval)
        return self.failure

    def check(self) -> None:
        """One round: notice every child that exited, restart or give up."""
        for child in self.children:
            if self.stopping:
                return
            process = child.process
            if process is None or process.poll() is None:
                continue
            ended = how_it_ended(process.returncode)
            if child.restarts is None:
                self._give_up(f"{child.name} {ended}; stopping.")
            elif not child.restarts.spend(self.clock()):
                budget = child.restarts
                self._give_up(
                    f"{child.name} {ended} again, after {budget.limit} restarts "
                    f"within {budget.window:g} s; giving up: stopping everything."
                )
            else:
                self._restart(child, ended)

    def _restart(self, child: Child, ended: str) -> None:
        budget = child.restarts
        why = (
            f"{child.name} {ended} (pid {child.process.pid}; noticed because its "
            f"process ended, by run_all's check every {self.interval:g} s)"
        )
        count = (
            f"restart {len(budget.times)} of at most {budget.limit} "
            f"in {budget.window:g} s"
        )
        try:
            child.process = child.start()
        except Exception as error:  # the next round finds it down again
            self.write(f"{why}; restarting it failed ({count}): {error}")
            return
        self.write(
            f"{why}; restarted it with the same configuration as pid "
            f"{child.process.pid} ({count})."
        )

    def _give_up(self, message: str) -> None:
        self.write(message)
        self.failure = message
        self.stopping = True

    def stop_all(self, seconds: float = 15) -> None:
        first = [c.process for c in self.children if c.process and not c.last]
        last = [c.process for c in self.children if c.process and c.last]
        for group in (first, last):
            for process in group:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + seconds
            for process in group:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


class Command(BaseCommand):
    help = "Run the web/websocket server, a Celery worker and Celery beat together."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("PORT", 8000))
        )
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--demo",
            action="store_true",
            help="make run's demo: the phone simulator (/sms/simulator/) with a "
            "made-up Twilio token when no Twilio is configured.",
        )

    def handle(self, *args, port, host, demo=False, **options):
        embedded = not os.environ.get("REDIS_URL")
        env = {**os.environ, "REDIS_URL": settings.REDIS_URL, "PYTHONUNBUFFERED": "1"}
        # Links in the desk, emails and embed snippets use the port we serve.
        env.setdefault("SITE_URL", f"http://localhost:{port}")
        simulator = (
            demo_sms(env)
            if demo
            else bool(settings.SMS_SIMULATOR and settings.TWILIO_AUTH_TOKEN)
        )
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
        children = []
        if embedded:
            redis_dir = settings.VAR_DIR / "redis"
            children.append(
                Child(
                    f"The embedded Redis (redis-server on {settings.REDIS_URL}, log "
                    f"{redis_dir / 'redis.log'})",
                    lambda: embedded_redis.supervised(redis_dir)[1],
                    restarts=RestartBudget(REDIS_RESTARTS, REDIS_RESTART_WINDOW),
                    last=True,
                )
            )
        children += [
            Child(name, lambda command=command: subprocess.Popen(command, env=env))
            for name, command in commands.items()
        ]
        supervisor = Supervisor(children, write=self.stderr.write)

        def stop(*_):
            supervisor.stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            supervisor.start_all()
            self._wait_for_web(host, port)
            self._banner(host, port, embedded, simulator=simulator)
            failure = supervisor.run()
        finally:
            supervisor.stop_all()
            if embedded:
                embedded_redis.stop(settings.VAR_DIR / "redis")
            self.stdout.write("Stopped.")
        if failure:
            sys.exit(1)

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

    def _banner(self, host, port, embedded, *, simulator=False):
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
            *(
                [f"  Phone simulator   {base}/sms/simulator/  (text a library)"]
                if simulator
                else []
            ),
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
