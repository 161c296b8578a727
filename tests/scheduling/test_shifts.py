from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from consortium.services import DomainError
from scheduling import selectors, services
from scheduling.models import Shift, ShiftEvent, ShiftSlot
from tests.consortium.factories import HolidayFactory

H = 60


def slot(w, **kw):
    fields = dict(
        library=w.lib_a,
        queue=w.queue,
        term=w.spring,
        weekday=6,
        starts=9 * H,
        ends=12 * H,
    )
    fields.update(kw)
    return ShiftSlot(**fields)


def save(w, actor=None, **kw):
    return services.slot_save(actor=actor or w.coord_a, slot=slot(w, **kw), now=w.now)


def test_slot_generates_one_shift_per_week_of_its_term(world):
    s = save(world, assignee=world.rob)
    shifts = list(s.shifts.order_by("date"))
    assert [x.date for x in shifts][:2] == [date(2027, 1, 17), date(2027, 1, 24)]
    assert shifts[-1].date == date(2027, 5, 2)
    assert len(shifts) == 16
    assert all(x.assignee == world.rob for x in shifts)
    # Running the sync again creates nothing.
    assert services.slot_sync(slot=s, now=world.now) == 0
    assert s.shifts.count() == 16


def test_wall_clock_time_holds_across_spring_forward(world):
    s = save(world, assignee=world.rob)
    before = s.shifts.get(date=date(2027, 3, 7))
    after = s.shifts.get(date=date(2027, 3, 14))
    assert before.starts_at == datetime(2027, 3, 7, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert after.starts_at == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)  # 09:00 EDT


def test_shift_through_the_missing_hour_is_an_hour_shorter(world):
    s = save(world, starts=1 * H, ends=4 * H)
    dst = s.shifts.get(date=date(2027, 3, 14))
    assert dst.ends_at - dst.starts_at == timedelta(hours=2)
    normal = s.shifts.get(date=date(2027, 3, 7))
    assert normal.ends_at - normal.starts_at == timedelta(hours=3)


def test_shift_through_the_repeated_hour_is_an_hour_longer(world):
    world.now = datetime(2027, 8, 1, tzinfo=UTC)
    s = save(world, term=world.fall, starts=0, ends=4 * H)
    dst = s.shifts.get(date=date(2027, 11, 7))
    assert dst.ends_at - dst.starts_at == timedelta(hours=5)


def test_holiday_days_get_no_shift_and_a_new_holiday_cancels_one(world):
    HolidayFactory(
        name="Spring holiday", start_date=date(2027, 3, 21), end_date=date(2027, 3, 21)
    )
    s = save(world, assignee=world.rob)
    assert not s.shifts.filter(date=date(2027, 3, 21)).exists()
    HolidayFactory(
        name="Easter", start_date=date(2027, 3, 28), end_date=date(2027, 3, 28)
    )
    assert services.shifts_sync_all(now=world.now) == 1
    cancelled = s.shifts.get(date=date(2027, 3, 28))
    assert cancelled.status == Shift.Status.CANCELLED
    assert cancelled.events.filter(kind=ShiftEvent.Kind.CANCELLED).exists()


def test_slot_outside_the_queue_hours_is_refused(world):
    world.queue.hours.filter(weekday=6).update(opens=10 * H, closes=20 * H)
    with pytest.raises(ValidationError) as err:
        save(world)
    assert "outside coop-state's hours on Sundays" in str(err.value)
    assert "10:00–20:00" in str(err.value)
    assert not ShiftSlot.objects.exists() and not Shift.objects.exists()


def test_overlapping_shifts_for_one_librarian_are_refused(world):
    save(world, assignee=world.rob)
    with pytest.raises(DomainError) as err:
        save(world, starts=11 * H, ends=13 * H, assignee=world.rob)
    assert "already has a shift" in err.value.message
    assert ShiftSlot.objects.count() == 1


def test_overlap_is_checked_in_real_time_across_time_zones(world):
    # Library C's librarian... is only on library C's slots; give Rob two
    # slots whose wall-clock times differ but whose instants overlap: a
    # local queue in Chicago 08:00-10:00 is 09:00-11:00 in New York.
    from tests.consortium.factories import HoursFactory, QueueFactory

    local = QueueFactory(library=world.lib_c, code="clib")
    HoursFactory(queue=local, weekday=6, opens=0, closes=1440)
    save(
        world,
        library=world.lib_c,
        queue=local,
        actor=world.coord_c,
        assignee=world.cal,
        starts=8 * H,
        ends=10 * H,
    )
    with pytest.raises(DomainError):
        save(
            world,
            library=world.lib_c,
            actor=world.coord_c,
            assignee=world.cal,
            starts=10 * H,
            ends=11 * H,
        )  # 10:00 Eastern = 09:00 Central


def test_coordinator_cannot_schedule_another_library(world):
    with pytest.raises(PermissionDenied):
        save(world, library=world.lib_c)


def test_assignee_must_be_a_librarian_of_the_library(world):
    with pytest.raises(ValidationError) as err:
        save(world, assignee=world.cal)
    assert "assignee" in err.value.message_dict
    with pytest.raises(ValidationError):
        save(world, assignee=world.intern)


def test_library_must_belong_to_the_coop(world):
    from tests.consortium.factories import CoordinatorFactory

    coord = CoordinatorFactory(library=world.lib_x)
    with pytest.raises(ValidationError) as err:
        save(world, library=world.lib_x, actor=coord)
    assert "not a member" in str(err.value)


def test_term_under_way_needs_a_change_request_except_reassigning(world):
    s = save(world, assignee=world.rob)
    world.now = datetime(2027, 2, 1, tzinfo=UTC)
    s.starts = 10 * H
    with pytest.raises(PermissionDenied):
        services.slot_save(actor=world.coord_a, slot=s, now=world.now)
    s.refresh_from_db()
    s.assignee = world.nan
    services.slot_save(actor=world.coord_a, slot=s, now=world.now)
    assert s.shifts.filter(starts_at__lt=world.now).first().assignee == world.rob
    assert s.shifts.filter(starts_at__gt=world.now).first().assignee == world.nan
    with pytest.raises(PermissionDenied):
        services.slot_delete(actor=world.coord_a, slot=s, now=world.now)
    services.slot_delete(actor=world.helpdesk, slot=s, now=world.now)
    assert not Shift.objects.filter(
        starts_at__gt=world.now, status="scheduled"
    ).exists()
    assert Shift.objects.filter(starts_at__lt=world.now, status="scheduled").exists()


def test_one_off_shift_at_a_time_that_does_not_exist_is_refused(world):
    with pytest.raises(ValidationError) as err:
        services.shift_create(
            actor=world.coord_a,
            library=world.lib_a,
            queue=world.queue,
            day=date(2027, 3, 14),
            starts=2 * H + 30,
            ends=4 * H,
            assignee=world.rob,
        )
    assert "02:30 does not exist on Sunday Mar 14, 2027" in str(err.value)
    assert not Shift.objects.exists()
    shift = services.shift_create(
        actor=world.coord_a,
        library=world.lib_a,
        queue=world.queue,
        day=date(2027, 3, 14),
        starts=3 * H,
        ends=5 * H,
        assignee=world.rob,
    )
    assert shift.starts_at == datetime(2027, 3, 14, 7, tzinfo=UTC)


def test_requirement_notes_hours_missing_on_dst_days(world):
    notes = services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.spring,
        weekdays=[6],
        from_hour=0,
        to_hour=6,
        librarians=2,
    )
    assert (
        len(notes) == 1
        and "02:00–03:00 does not exist on Sunday Mar 14, 2027" in notes[0]
    )
    day = datetime(2027, 3, 14, 5, tzinfo=UTC)  # 00:00 EST
    cells = selectors.coverage(world.queue, day, day + timedelta(hours=6))
    labels = [c.starts_at.astimezone(world.queue.zone).hour for c in cells]
    assert labels == [0, 1, 3, 4, 5, 6]
    assert [c.required for c in cells] == [2, 2, 2, 2, 2, 0]
    with pytest.raises(PermissionDenied):
        services.requirements_set(
            actor=world.coord_a,
            queue=world.queue,
            term=world.spring,
            weekdays=[6],
            from_hour=0,
            to_hour=6,
            librarians=2,
        )


def test_coverage_counts_filled_shifts_against_requirement(world):
    services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.spring,
        weekdays=[6],
        from_hour=9,
        to_hour=12,
        librarians=2,
    )
    save(world, assignee=world.rob)
    save(world, starts=10 * H, ends=11 * H, assignee=world.nan)
    start = datetime(2027, 1, 17, 14, tzinfo=UTC)  # 09:00 EST
    cells = selectors.coverage(world.queue, start, start + timedelta(hours=3))
    assert [(c.count, c.state) for c in cells] == [
        (1, "short"),
        (2, "met"),
        (1, "short"),
    ]
    gaps = selectors.coverage_gaps(world.queue, start, start + timedelta(hours=3))
    assert [(g.starts_at.hour, g.ends_at.hour) for g in gaps] == [(14, 15), (16, 17)]


def test_a_weekly_shift_inside_the_skipped_hour_has_no_shift_that_day(world):
    s = services.slot_save(
        actor=world.helpdesk,
        slot=slot(world, starts=2 * H, ends=3 * H),
        now=world.now,
    )
    assert not s.shifts.filter(date=date(2027, 3, 14)).exists()
    assert s.shifts.filter(date=date(2027, 3, 21)).exists()


def test_approving_removal_of_a_weekly_shift_already_gone_is_refused(world):
    from scheduling.models import ScheduleChangeRequest

    s = save(world, assignee=world.rob)
    request = services.change_request_submit(
        actor=world.coord_a,
        request=ScheduleChangeRequest(
            library=world.lib_a, action="remove", slot=s, reason="Staff cuts"
        ),
    )
    services.slot_delete(actor=world.helpdesk, slot=s, now=world.now)
    with pytest.raises(DomainError) as err:
        services.change_request_decide(
            actor=world.helpdesk, request_id=request.pk, approve=True, now=world.now
        )
    assert "no longer exists" in err.value.message


def test_one_off_shifts_in_the_past_are_refused(world):
    with pytest.raises(ValidationError):
        services.shift_create(
            actor=world.coord_a,
            library=world.lib_a,
            queue=world.queue,
            day=date(2020, 3, 1),
            starts=9 * H,
            ends=10 * H,
        )
