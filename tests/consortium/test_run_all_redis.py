"""`make run` supervises its embedded Redis: a redis-server that dies is started
again on the same port, and one that keeps dying stops everything."""

import os
import signal
import subprocess
import sys
import threading
import time

import redis

from consortium import embedded_redis
from consortium.management.commands.run_all import Child, RestartBudget, Supervisor


def pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def test_a_killed_embedded_redis_is_restarted_on_the_same_port(tmp_path):
    # As settings do: a daemon, whose URL the clients already hold.
    url = embedded_redis.ensure(tmp_path)
    daemon_pid = int((tmp_path / "redis.pid").read_text())
    lines: list[str] = []
    child = Child(
        "The embedded Redis",
        lambda: embedded_redis.supervised(tmp_path)[1],
        restarts=RestartBudget(3, 60),
        last=True,
    )
    supervisor = Supervisor([child], write=lines.append, interval=0.05)
    thread = threading.Thread(target=supervisor.run, daemon=True)
    try:
        supervisor.start_all()
        first = child.process
        assert first.pid != daemon_pid  # the daemon was replaced by a child
        assert (tmp_path / "url").read_text() == url and pings(url)
        thread.start()

        os.kill(first.pid, signal.SIGKILL)
        deadline = time.monotonic() + 8
        while not (child.process is not first and pings(url)):
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)

        assert first.poll() == -signal.SIGKILL
        assert embedded_redis.port_of(url) == embedded_redis.port_of(
            (tmp_path / "url").read_text()
        )
        assert len(lines) == 1, lines
        assert "The embedded Redis was killed by SIGKILL" in lines[0]
        assert "noticed because its process ended" in lines[0]
        assert (
            f"restarted it with the same configuration as pid {child.process.pid}"
            in lines[0]
        )
        assert "(restart 1 of at most 3 in 60 s)" in lines[0]
        assert supervisor.failure is None
    finally:
        supervisor.stopping = True
        thread.join(timeout=5)
        supervisor.stop_all()
        embedded_redis.stop(tmp_path)
    assert child.process.poll() is not None
    assert not pings(url)


def test_a_process_that_keeps_exiting_stops_everything_with_a_message():
    lines: list[str] = []
    now = [0.0]
    starts = []

    def crashing():
        starts.append(now[0])
        return subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])

    def clock():
        now[0] += 1  # one second passes between two exits
        return now[0]

    crasher = Child("redis", crashing, restarts=RestartBudget(2, 60), last=True)
    web = Child("web", lambda: subprocess.Popen(["sleep", "60"]))
    supervisor = Supervisor(
        [crasher, web], write=lines.append, clock=clock, interval=0.02
    )
    supervisor.start_all()
    try:
        failure = supervisor.run()  # returns on its own: the budget is spent
    finally:
        supervisor.stop_all(seconds=5)

    assert len(starts) == 3  # the first start and two restarts
    assert (
        failure
        == lines[-1]
        == (
            "redis exited with code 3 again, after 2 restarts within 60 s; "
            "giving up: stopping everything."
        )
    )
    assert "restarted it" in lines[0] and "(restart 1 of at most 2" in lines[0]
    assert "restarted it" in lines[1] and "(restart 2 of at most 2" in lines[1]
    assert web.process.poll() == -signal.SIGTERM  # everything else stopped too


def test_the_budget_counts_only_restarts_within_the_window():
    budget = RestartBudget(2, 60)
    assert budget.spend(0) and budget.spend(30)
    assert not budget.spend(59)  # a third within 60 s
    assert budget.spend(61)  # the one at 0 s has left the window


def test_any_other_process_exiting_stops_everything():
    lines: list[str] = []
    web = Child("web", lambda: subprocess.Popen([sys.executable, "-c", "pass"]))
    beat = Child("beat", lambda: subprocess.Popen(["sleep", "60"]))
    supervisor = Supervisor([web, beat], write=lines.append, interval=0.02)
    supervisor.start_all()
    try:
        assert supervisor.run() == "web exited with code 0; stopping."
    finally:
        supervisor.stop_all(seconds=5)
    assert beat.process.poll() == -signal.SIGTERM
