"""`queue_is_open` / `queue_is_online`: queue time zone, DST, terms, holidays, closures."""

from datetime import UTC, date, datetime, timedelta

import pytest

from consortium import selectors, services
from consortium.models import QueueMonitor, TermType
from tests.consortium.factories import (
    ClosureFactory,
    CoopQueueFactory,
    HolidayFactory,
    HoursFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db

MON, SUN = 0, 6


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def queue():
    queue = QueueFactory(
        library=LibraryFactory(code="east", timezone="America/New_York")
    )
    HoursFactory(queue=queue, weekday=MON, opens=9 * 60, closes=17 * 60)
    return queue


def test_open_follows_the_wall_clock_before_dst_starts(queue):
    # Monday 2 March 2026, EST (UTC-5): 09:00 local is 14:00 UTC.
    assert not selectors.queue_is_open(queue, utc(2026, 3, 2, 13, 59))
    assert selectors.queue_is_open(queue, utc(2026, 3, 2, 14, 0))
    assert selectors.queue_is_open(queue, utc(2026, 3, 2, 21, 59))
    assert not selectors.queue_is_open(queue, utc(2026, 3, 2, 22, 0))


def test_open_moves_with_the_clock_after_dst_starts(queue):
    # Monday 9 March 2026, EDT (UTC-4): 09:00 local is 13:00 UTC.
    assert not selectors.queue_is_open(queue, utc(2026, 3, 9, 12, 59))
    assert selectors.queue_is_open(queue, utc(2026, 3, 9, 13, 0))
    assert not selectors.queue_is_open(queue, utc(2026, 3, 9, 21, 0))


def test_open_moves_back_when_dst_ends(queue):
    # Monday 2 November 2026 is EST again: 09:00 local is 14:00 UTC.
    assert not selectors.queue_is_open(queue, utc(2026, 11, 2, 13, 30))
    assert selectors.queue_is_open(queue, utc(2026, 11, 2, 14, 0))


def test_repeated_hour_at_dst_end_is_open_both_times(queue):
    HoursFactory(queue=queue, weekday=SUN, opens=60, closes=120)
    # Sunday 1 November 2026: 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST).
    assert selectors.queue_is_open(queue, utc(2026, 11, 1, 5, 30))
    assert selectors.queue_is_open(queue, utc(2026, 11, 1, 6, 30))
    assert not selectors.queue_is_open(queue, utc(2026, 11, 1, 7, 30))


def test_all_day_hours_cover_the_short_day_when_dst_starts(queue):
    HoursFactory(queue=queue, weekday=SUN, opens=0, closes=24 * 60)
    assert selectors.queue_is_open(queue, utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert selectors.queue_is_open(queue, utc(2026, 3, 8, 7, 0))  # 03:00 EDT
    assert selectors.queue_is_open(queue, utc(2026, 3, 9, 3, 59))  # 23:59 EDT


def test_a_queue_uses_its_own_time_zone():
    central = QueueFactory(
        library=LibraryFactory(code="west", timezone="America/Chicago")
    )
    HoursFactory(queue=central, weekday=MON, opens=9 * 60, closes=17 * 60)
    # 09:00 CST is 15:00 UTC on Monday 2 March 2026.
    assert not selectors.queue_is_open(central, utc(2026, 3, 2, 14, 30))
    assert selectors.queue_is_open(central, utc(2026, 3, 2, 15, 0))


def test_coop_queue_reads_hours_in_its_time_zone():
    coop = CoopQueueFactory(code="coop-west", timezone="America/Chicago")
    HoursFactory(queue=coop, weekday=MON, opens=8 * 60, closes=10 * 60)
    assert selectors.queue_is_open(coop, utc(2026, 3, 2, 14, 0))  # 08:00 CST
    assert not selectors.queue_is_open(coop, utc(2026, 3, 2, 16, 0))  # 10:00 CST


def test_the_term_in_force_picks_the_hours(queue):
    HoursFactory(
        queue=queue,
        term_type=TermType.BREAK,
        weekday=MON,
        opens=10 * 60,
        closes=14 * 60,
    )
    TermFactory(
        term_type=TermType.BREAK,
        start_date=date(2026, 12, 12),
        end_date=date(2027, 1, 10),
    )
    # Monday 14 December 2026: break hours 10-14 EST, not semester 9-17.
    assert not selectors.queue_is_open(queue, utc(2026, 12, 14, 14, 30))  # 09:30
    assert selectors.queue_is_open(queue, utc(2026, 12, 14, 15, 0))  # 10:00
    assert not selectors.queue_is_open(queue, utc(2026, 12, 14, 19, 0))  # 14:00
    # Outside every term the regular (semester) hours apply.
    assert selectors.queue_is_open(queue, utc(2027, 1, 11, 14, 30))


def test_a_library_term_overrides_the_consortium_calendar(queue):
    HoursFactory(
        queue=queue,
        term_type=TermType.BREAK,
        weekday=MON,
        opens=10 * 60,
        closes=14 * 60,
    )
    TermFactory(
        term_type=TermType.SEMESTER,
        start_date=date(2026, 8, 24),
        end_date=date(2026, 12, 31),
    )
    TermFactory(
        library=queue.library,
        term_type=TermType.BREAK,
        start_date=date(2026, 12, 12),
        end_date=date(2027, 1, 10),
    )
    assert (
        selectors.term_type_on(library_id=queue.library_id, day=date(2026, 12, 14))
        == "break"
    )
    assert selectors.term_type_on(library_id=None, day=date(2026, 12, 14)) == "semester"
    assert not selectors.queue_is_open(queue, utc(2026, 12, 14, 14, 30))


def test_a_term_type_without_posted_hours_is_closed(queue):
    TermFactory(
        term_type=TermType.SUMMER,
        start_date=date(2027, 5, 17),
        end_date=date(2027, 8, 15),
    )
    assert not selectors.queue_is_open(queue, utc(2027, 6, 7, 15, 0))


def test_consortium_holidays_close_local_and_coop_queues(queue):
    coop = CoopQueueFactory()
    HoursFactory(queue=coop, weekday=MON, opens=0, closes=24 * 60)
    HolidayFactory(
        name="Memorial Day", start_date=date(2027, 5, 31), end_date=date(2027, 5, 31)
    )
    assert not selectors.queue_is_open(queue, utc(2027, 5, 31, 15, 0))
    assert not selectors.queue_is_open(coop, utc(2027, 5, 31, 15, 0))
    assert selectors.queue_is_open(queue, utc(2027, 6, 7, 15, 0))


def test_a_library_closure_closes_only_its_local_queues(queue):
    coop = CoopQueueFactory()
    HoursFactory(queue=coop, weekday=MON, opens=0, closes=24 * 60)
    ClosureFactory(
        library=queue.library, start_date=date(2027, 3, 1), end_date=date(2027, 3, 5)
    )
    assert not selectors.queue_is_open(queue, utc(2027, 3, 1, 15, 0))
    assert selectors.queue_is_open(coop, utc(2027, 3, 1, 15, 0))
    assert selectors.queue_is_open(queue, utc(2027, 3, 8, 15, 0))


def test_holiday_days_are_judged_in_the_queue_time_zone(queue):
    HoursFactory(queue=queue, weekday=MON, opens=23 * 60, closes=24 * 60)
    # 03:30 UTC on Tuesday 1 June 2027 is 23:30 EDT on Monday 31 May.
    at = utc(2027, 6, 1, 3, 30)
    assert selectors.queue_is_open(queue, at)
    HolidayFactory(start_date=date(2027, 5, 31), end_date=date(2027, 5, 31))
    assert not selectors.queue_is_open(queue, at)


def test_an_instant_must_be_aware(queue):
    with pytest.raises(ValueError):
        selectors.queue_is_open(queue, datetime(2026, 3, 2, 10, 0))


def test_online_needs_open_hours_and_a_live_monitor(queue):
    at = utc(2026, 3, 2, 15, 0)
    librarian = StaffFactory(library=queue.library)
    assert not selectors.queue_is_online(queue, at)
    services.queue_monitor_start(
        actor=librarian, queue_id=queue.pk, now=at - timedelta(seconds=30)
    )
    assert selectors.queue_is_online(queue, at)
    # A heartbeat older than the presence timeout (60 s) no longer counts.
    assert not selectors.queue_is_online(queue, at + timedelta(seconds=31))
    # Monitored but closed is not online.
    services.presence_heartbeat(actor=librarian, now=utc(2026, 3, 2, 23, 0))
    assert not selectors.queue_is_online(queue, utc(2026, 3, 2, 23, 0, 10))


def test_inactive_staff_do_not_count_as_monitoring(queue):
    at = utc(2026, 3, 2, 15, 0)
    librarian = StaffFactory(library=queue.library)
    services.queue_monitor_start(actor=librarian, queue_id=queue.pk, now=at)
    librarian.is_active = False
    librarian.save()
    assert not selectors.queue_is_online(queue, at)


def test_presence_expire_forgets_silent_monitors(queue):
    at = utc(2026, 3, 2, 15, 0)
    librarian = StaffFactory(library=queue.library)
    services.queue_monitor_start(actor=librarian, queue_id=queue.pk, now=at)
    assert services.presence_expire(now=at + timedelta(seconds=59)) == 0
    assert services.presence_expire(now=at + timedelta(seconds=60)) == 1
    assert not QueueMonitor.objects.exists()


def test_next_opening_skips_closed_days(queue):
    HolidayFactory(start_date=date(2026, 3, 9), end_date=date(2026, 3, 9))
    # Monday 2 March after closing: next Monday is a holiday, so 16 March 09:00 EDT.
    opening = selectors.next_opening(queue, utc(2026, 3, 2, 23, 0))
    assert opening.isoformat() == "2026-03-16T09:00:00-04:00"


def test_closure_days_do_not_count_consortium_holidays():
    HolidayFactory(start_date=date(2026, 12, 24), end_date=date(2026, 12, 25))
    assert selectors.counted_closure_days(date(2026, 12, 14), date(2026, 12, 29)) == 14


def test_closing_times_of_several_queues_in_their_own_zones(queue):
    """`queues_close_at` (a pickup's shift-end timer): when the interval
    open now ends, on each queue's wall clock; closed and inactive queues
    are left out; 24:00 is the next midnight, across a DST change too."""
    coop = CoopQueueFactory(code="coop-west", timezone="America/Los_Angeles")
    HoursFactory(queue=coop, weekday=MON, opens=0, closes=24 * 60)
    shut = QueueFactory(library=LibraryFactory(code="shut"), active=False)
    HoursFactory(queue=shut, weekday=MON, opens=0, closes=24 * 60)
    closed = QueueFactory(library=LibraryFactory(code="later"))
    HoursFactory(queue=closed, weekday=MON, opens=20 * 60, closes=22 * 60)
    at = utc(2026, 3, 2, 15, 0)  # Monday 10:00 in New York, 07:00 in Los Angeles
    assert selectors.queues_close_at([queue, coop, shut, closed], at) == {
        queue.pk: utc(2026, 3, 2, 22, 0),  # 17:00 EST
        coop.pk: utc(2026, 3, 3, 8, 0),  # midnight PST
    }
    # Sunday 8 March 2026 (DST starts): the all-day interval ends at
    # midnight PDT, UTC-7.
    HoursFactory(queue=coop, weekday=SUN, opens=0, closes=24 * 60)
    assert selectors.queues_close_at([coop], utc(2026, 3, 8, 20, 0)) == {
        coop.pk: utc(2026, 3, 9, 7, 0)
    }
