"""`make bench`: figures for the hot reads of the consortium core.

Seeds the demo consortium into a throw-away SQLite database (or the database
DATABASE_URL names — use a scratch one), then times:
  - queue_is_open for every queue at many instants,
  - the public status endpoint the "Chat now" button polls,
and prints per-call latency percentiles and database queries per call.
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault(
    "ASKTOGETHER_VAR_DIR", tempfile.mkdtemp(prefix="asktogether-bench-")
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consortium.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from consortium import selectors  # noqa: E402
from consortium.models import Library, Queue  # noqa: E402


def percentiles(samples_ms):
    samples = sorted(samples_ms)
    pick = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))]  # noqa: E731
    return f"p50 {pick(0.50):.2f} ms  p95 {pick(0.95):.2f} ms  mean {statistics.mean(samples):.2f} ms"


class QueryCounter:
    """Counts statements sent to the database (survives request boundaries)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main():
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    queues = list(Queue.objects.select_related("library"))
    start = timezone.now()
    instants = [start + timedelta(minutes=37 * i) for i in range(200)]

    samples = []
    queries = QueryCounter()
    with connection.execute_wrapper(queries):
        for at in instants:
            for queue in queues:
                t0 = time.perf_counter()
                selectors.queue_is_open(queue, at)
                samples.append((time.perf_counter() - t0) * 1000)
    print(
        f"queue_is_open        {len(samples)} calls  {percentiles(samples)}  "
        f"{queries.count / len(samples):.1f} queries/call"
    )

    client = Client()
    codes = list(Library.objects.values_list("code", flat=True))
    for label, clear in (
        ("status.json uncached", True),
        ("status.json cached  ", False),
    ):
        samples = []
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            for i in range(300):
                if clear:
                    cache.clear()
                t0 = time.perf_counter()
                response = client.get(f"/widget/{codes[i % len(codes)]}/status.json")
                samples.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
        print(
            f"{label} {len(samples)} requests  {percentiles(samples)}  "
            f"{queries.count / len(samples):.1f} queries/request"
        )
    bench_schedule_and_knowledgebase(queues)


QUESTIONS = [
    "can I renew my books online?",
    "how do I get into the databases from home",
    "I need an article you don't have",
    "how much does printing cost",
    "what are your hours this weekend",
    "I forgot my password for my library account",
]


def bench_schedule_and_knowledgebase(queues):
    """Scheduling: a week grid's coverage of a co-op queue. Knowledge base:
    the desk's suggestions from a patron's question (K3), on whichever
    database this runs."""
    from knowledgebase import search
    from scheduling import selectors as schedule

    coop = [q for q in queues if q.is_coop]
    week = timezone.now()
    for label, call, n in (
        (
            "week coverage",
            lambda i: schedule.coverage(
                coop[i % len(coop)], week, week + timedelta(days=7)
            ),
            30,
        ),
        (
            "kb suggest    ",
            lambda i: search.suggest(
                QUESTIONS[i % len(QUESTIONS)], Library.objects.all()[i % 9]
            ),
            200,
        ),
        (
            "kb search all ",
            lambda i: search.search(QUESTIONS[i % len(QUESTIONS)], staff=True),
            200,
        ),
    ):
        samples = []
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            for i in range(n):
                t0 = time.perf_counter()
                call(i)
                samples.append((time.perf_counter() - t0) * 1000)
        print(
            f"{label} ({connection.vendor}) {n} calls  {percentiles(samples)}  "
            f"{queries.count / n:.1f} queries/call"
        )


if __name__ == "__main__":
    try:
        main()
    finally:
        if not os.environ.get("REDIS_URL"):
            from django.conf import settings

            from consortium import embedded_redis

            embedded_redis.stop(settings.VAR_DIR / "redis")
