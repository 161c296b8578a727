"""/healthz: 200 only when database, channel layer, worker and beat are all ok."""

import re
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from consortium.celery import app as celery_app
from consortium.health import BEAT_TASK_NAME

pytestmark = pytest.mark.django_db(transaction=True)


def beat_ticked(seconds_ago: float):
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=15, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update_or_create(
        name=BEAT_TASK_NAME,
        defaults={
            "task": "consortium.tasks.beat_heartbeat",
            "interval": interval,
            "last_run_at": timezone.now() - timedelta(seconds=seconds_ago),
        },
    )


@pytest.fixture
def worker():
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=10,
    ):
        yield


def test_healthy_when_every_part_answers(client, worker):
    beat_ticked(5)
    response = client.get("/healthz")
    assert response.json() == {
        "database": "ok",
        "channel_layer": "ok",
        "worker": "ok",
        "beat": "ok",
    }
    assert response.status_code == 200


def test_503_when_the_worker_is_stopped(client):
    beat_ticked(5)
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"
    ):
        assert client.get("/healthz").status_code == 200
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "no Celery worker answered within 1 s"
    assert response.json()["database"] == "ok"


def test_503_when_beat_has_not_ticked_recently(client, worker):
    beat_ticked(600)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert re.fullmatch(r"beat last ticked 6\d\d s ago", response.json()["beat"])


def test_503_before_beat_ever_ticked(client, worker):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["beat"] == "beat has not ticked yet"


def test_503_when_the_channel_layer_is_unreachable(client, worker, settings):
    beat_ticked(5)
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["channel_layer"] != "ok"
