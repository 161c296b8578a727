"""Every chat start and pickup asks whether queues are open now: each
process keeps the calendar of every queue (holidays, closures, terms,
posted hours) a few seconds (`selectors.CALENDAR_CACHE_SECONDS`). A change
in this process is seen at once; another process's within the window."""

from datetime import UTC, date, datetime

import pytest

from consortium import selectors
from consortium.models import PostedHours, QueueMonitor
from tests.consortium.factories import (
    ClosureFactory,
    HolidayFactory,
    HoursFactory,
    QueueFactory,
    StaffFactory,
    TermFactory,
)

AT = datetime(2026, 10, 12, 15, tzinfo=UTC)  # a Monday, 11:00 in New York


@pytest.fixture
def queue(db):
    queue = QueueFactory()
    HoursFactory(queue=queue, weekday=0, opens=9 * 60, closes=17 * 60)
    QueueMonitor.objects.create(
        staff=StaffFactory(library=queue.library), queue=queue, last_seen=AT
    )
    return queue


def online(queue) -> bool:
    return queue.pk in selectors.queues_online([queue], AT)


def test_a_second_ask_within_the_window_reads_only_the_monitors(
    queue, django_assert_num_queries
):
    assert online(queue)
    with django_assert_num_queries(1):  # who monitors: never kept
        assert online(queue)
    with django_assert_num_queries(0):
        assert selectors.queues_close_at([queue], AT) == {
            queue.pk: datetime(2026, 10, 12, 21, tzinfo=UTC)
        }


@pytest.mark.parametrize(
    "change",
    [
        lambda q: HolidayFactory(
            start_date=date(2026, 10, 12), end_date=date(2026, 10, 12)
        ),
        lambda q: ClosureFactory(
            library=q.library,
            start_date=date(2026, 10, 11),
            end_date=date(2026, 10, 13),
        ),
        lambda q: TermFactory(
            library=None,
            term_type="summer",
            start_date=date(2026, 10, 1),
            end_date=date(2026, 10, 31),
        ),
        lambda q: q.hours.get().delete(),
        lambda q: q.hours.all().delete(),
    ],
    ids=["holiday", "closure", "term", "hours deleted", "hours deleted in bulk"],
)
def test_a_change_in_this_process_is_seen_at_once(queue, change):
    assert online(queue)
    change(queue)
    assert not online(queue)


def test_a_change_to_posted_hours_is_seen_at_once(queue):
    closes = selectors.queues_close_at([queue], AT)[queue.pk]
    assert closes == datetime(2026, 10, 12, 21, tzinfo=UTC)
    hours = queue.hours.get()
    hours.closes = 12 * 60
    hours.save()
    closes = selectors.queues_close_at([queue], AT)[queue.pk]
    assert closes == datetime(2026, 10, 12, 16, tzinfo=UTC)


def test_another_process_change_is_seen_after_the_window(queue, monkeypatch):
    # The suite keeps calendars for a whole test (conftest); here, the window.
    monkeypatch.setattr("consortium.selectors.CALENDAR_CACHE_SECONDS", 5.0)
    assert online(queue)
    # What another process changed (no signal reaches this one):
    PostedHours.objects.filter(queue=queue).update(opens=12 * 60)
    assert online(queue)
    monkeypatch.setattr("consortium.selectors.time.monotonic", lambda: 10.0**9)
    assert not online(queue)
