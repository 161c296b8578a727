"""`manage.py run_all` (what `make run` starts): web, worker and beat come up
healthy together, and Ctrl-C stops every process it started."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return state.exists() and state.read_text().split()[2] != "Z"


def healthz(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return None, None


def test_run_all_starts_healthy_and_ctrl_c_stops_everything(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings",
        ASKTOGETHER_VAR_DIR=str(tmp_path),
        BEAT_HEARTBEAT_SECONDS="2",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    port = free_port()
    process = subprocess.Popen(
        [*manage, "run_all", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        status, body = None, None
        while time.monotonic() < deadline:
            status, body = healthz(port)
            if status == 200:
                break
            time.sleep(1)
        assert status == 200, body
        started = children_of(process.pid)
        assert len(started) == 3  # web, worker, beat
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=40) == 0
        time.sleep(0.5)
        assert [pid for pid in started if alive(pid)] == []
    finally:
        if process.poll() is None:
            process.kill()


def test_the_banner_shows_the_api_docs_and_the_help_desk_token(db):
    from io import StringIO

    from rest_framework.authtoken.models import Token

    from consortium.management.commands.run_all import Command
    from tests.consortium.factories import HelpdeskFactory

    token = Token.objects.create(
        user=HelpdeskFactory(username="helpdesk", library=None)
    )
    out = StringIO()
    Command(stdout=out)._banner("127.0.0.1", 8123, embedded=True)
    assert f"http://localhost:8123/api/docs/  (help desk token: {token.key}" in (
        out.getvalue()
    )
