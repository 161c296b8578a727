"""Consortium settings are read by every chat start, pickup and timer; each
process keeps the row a few seconds (ConsortiumSettings.CACHE_SECONDS)."""

import pytest

from consortium import services
from consortium.models import ConsortiumSettings


@pytest.mark.django_db
def test_a_second_read_within_the_window_costs_no_query(django_assert_num_queries):
    first = ConsortiumSettings.load()
    with django_assert_num_queries(0):
        second = ConsortiumSettings.load()
    assert second.pickup_seconds == first.pickup_seconds
    # Each caller gets its own instance: changing one changes no other.
    second.pickup_seconds = 999
    assert ConsortiumSettings.load().pickup_seconds == first.pickup_seconds


@pytest.mark.django_db
def test_a_save_in_this_process_is_read_at_once():
    ConsortiumSettings.load()
    config = ConsortiumSettings.objects.get(pk=1)
    config.pickup_seconds = 77
    config.save()
    assert ConsortiumSettings.load().pickup_seconds == 77


@pytest.mark.django_db
def test_the_help_desk_saving_settings_is_read_at_once(helpdesk):
    ConsortiumSettings.load()
    config = ConsortiumSettings.objects.get(pk=1)
    config.presence_timeout_seconds = 123
    services.consortium_settings_save(actor=helpdesk, instance=config)
    assert ConsortiumSettings.load().presence_timeout_seconds == 123


@pytest.mark.django_db
def test_another_process_change_is_read_after_the_window(monkeypatch):
    # The suite keeps settings for a whole test (conftest); here, the window.
    monkeypatch.setattr(ConsortiumSettings, "CACHE_SECONDS", 5.0)
    ConsortiumSettings.load()
    # What another process saved (no signal reaches this one):
    ConsortiumSettings.objects.filter(pk=1).update(pickup_seconds=55)
    assert ConsortiumSettings.load().pickup_seconds != 55
    monkeypatch.setattr("consortium.models.time.monotonic", lambda: 10.0**9)
    assert ConsortiumSettings.load().pickup_seconds == 55
