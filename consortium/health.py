"""GET /healthz: database, channel layer, Celery worker and beat liveness.

Each check answers "ok" or a short error text; the response is 200 only when
every check is ok, else 503 (a load balancer takes the process out).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_celery_beat.models import PeriodicTask

from consortium.celery import app as celery_app

BEAT_TASK_NAME = "beat-heartbeat"


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


async def _channel_round_trip() -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "healthz.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    return "ok" if message.get("type") == "healthz.ping" else "unexpected reply"


def check_channel_layer() -> str:
    return async_to_sync(_channel_round_trip)()


def check_worker() -> str:
    replies = celery_app.control.ping(timeout=1.0)
    return "ok" if replies else "no Celery worker answered within 1 s"


def check_beat() -> str:
    last = (
        PeriodicTask.objects.filter(name=BEAT_TASK_NAME)
        .values_list("last_run_at", flat=True)
        .first()
    )
    if last is None:
        return "beat has not ticked yet"
    limit = timedelta(seconds=3 * settings.BEAT_HEARTBEAT_SECONDS)
    age = timezone.now() - last
    if age > limit:
        return f"beat last ticked {int(age.total_seconds())} s ago"
    return "ok"


CHECKS = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "worker": check_worker,
    "beat": check_beat,
}


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a failing dependency is reported, not raised
            results[name] = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
    return results


@never_cache
def healthz(request):
    results = run_checks()
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse(results, status=200 if healthy else 503)
