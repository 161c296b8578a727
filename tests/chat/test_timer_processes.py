"""Chat timers with the real processes: Celery beat sweeps every second and a
worker fires the timer. Beat and worker are killed and restarted before the
deadline; the timer still fires once, within 2 s of its deadline."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from datetime import timedelta
from django.utils import timezone
from chat.models import ChatTimer, Conversation
from consortium.models import Library, Queue
library = Library.objects.create(code="tmr", name="Timer Library",
    library_type="public", website="https://tmr.example.org/")
queue = Queue.objects.create(code="tmr", name="Timer", library=library)
chat = Conversation.objects.create(library=library, queue=queue, question="q",
    status="missed")
due = timezone.now() + timedelta(seconds={delay})
ChatTimer.objects.create(conversation=chat, kind="long_chat", due_at=due)
print(due.isoformat())
"""

CHECK = """
from chat.models import ChatTimer
timer = ChatTimer.objects.get()
print((timer.fired_at - timer.due_at).total_seconds() if timer.fired_at else "none")
"""


def run_python(env, code: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-v", "0", "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def start_celery(env, log: Path) -> list[subprocess.Popen]:
    celery = [sys.executable, "-m", "celery", "-A", "consortium"]
    with log.open("ab") as out:
        return [
            subprocess.Popen(
                [*celery, "worker", "--concurrency", "1", "--loglevel", "INFO"],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            ),
            subprocess.Popen(
                [*celery, "beat", "--loglevel", "INFO", "--pidfile="],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            ),
        ]


def kill(processes, sig=signal.SIGKILL):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)


def test_a_timer_fires_once_on_time_after_worker_and_beat_restart(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PYTEST_ADDOPTS")
    }
    # Its own Redis database, so no other test's queued tasks reach this worker.
    base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings",
        ASKTOGETHER_VAR_DIR=str(tmp_path),
        REDIS_URL=f"{base}/9",
        CHANNELS_PREFIX="timer-test",
        CACHE_PREFIX="timer-test",
    )
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    log = tmp_path / "celery.log"
    run_python(env, SETUP.replace("{delay}", "20"))
    first = start_celery(env, log)
    try:
        time.sleep(4)
        kill(first)  # a crash: no clean shutdown
        second = start_celery(env, log)
        try:
            deadline = time.monotonic() + 30
            lateness = "none"
            while time.monotonic() < deadline and lateness == "none":
                time.sleep(1)
                lateness = run_python(env, CHECK)
        finally:
            kill(second)
    finally:
        kill(first)
    assert lateness != "none", log.read_text()[-3000:]
    assert 0 <= float(lateness) <= 2.0
