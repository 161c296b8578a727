"""The scheduling admin (S1-S8 under C8): coordinators work on their own
library's schedule, the help desk on everybody's; every write goes through
the services, and a service's refusal comes back on the form, with nothing
saved."""

from datetime import UTC, date, datetime

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from consortium.models import TermType
from consortium.services import DomainError
from scheduling import services
from scheduling.models import (
    Alert,
    AlertEmail,
    CoverageRequirement,
    ScheduleChangeRequest,
    Shift,
    ShiftEvent,
    ShiftSlot,
    SubstitutionRequest,
)
from tests.admin_helpers import form_errors, shown_messages
from tests.consortium.factories import HoursFactory, QueueFactory, TermFactory

H = 60


def url(model, view, *args):
    return reverse(f"admin:scheduling_{model._meta.model_name}_{view}", args=args)


def make_slot(w, actor=None, **kw):
    fields = dict(
        library=w.lib_a,
        queue=w.queue,
        term=w.spring,
        weekday=6,
        starts=9 * H,
        ends=12 * H,
        assignee=w.rob,
    )
    fields.update(kw)
    return services.slot_save(
        actor=actor or w.coord_a, slot=ShiftSlot(**fields), now=w.now
    )


def slot_form(w, **kw):
    data = {
        "library": w.lib_a.pk,
        "queue": w.queue.pk,
        "term": w.spring.pk,
        "weekday": 6,
        "starts": "09:00",
        "ends": "12:00",
        "assignee": w.rob.pk,
    }
    data.update(kw)
    return data


NO_INLINES = {
    f"{prefix}-{name}": value
    for prefix in ("events", "offers")
    for name, value in (
        ("TOTAL_FORMS", "0"),
        ("INITIAL_FORMS", "0"),
        ("MIN_NUM_FORMS", "0"),
        ("MAX_NUM_FORMS", "1000"),
    )
}


@pytest.fixture
def coord(client, world):
    client.force_login(world.coord_a)
    return client


@pytest.fixture
def desk(client, world):
    client.force_login(world.helpdesk)
    return client


# --- Scoping (C8) -------------------------------------------------------------------


@pytest.fixture
def both_libraries(world):
    """A weekly shift, a give-up and a change request of library A and of C."""
    rows = {}
    for key, library, coordinator, librarian in (
        ("a", world.lib_a, world.coord_a, world.rob),
        ("c", world.lib_c, world.coord_c, world.cal),
    ):
        slot = make_slot(world, actor=coordinator, library=library, assignee=librarian)
        shift = slot.shifts.get(date=date(2027, 1, 24))
        offer = services.shift_give_up(
            actor=librarian, shift_id=shift.pk, now=world.now
        )
        change = services.change_request_submit(
            actor=coordinator,
            request=ScheduleChangeRequest(
                library=library,
                action=ScheduleChangeRequest.Action.REMOVE,
                slot=slot,
                reason="Fewer chats on Sundays",
            ),
        )
        rows[key] = {"slot": slot, "shift": shift, "offer": offer, "change": change}
    return rows


def test_coordinator_sees_only_their_librarys_schedule(coord, world, both_libraries):
    own, other = both_libraries["a"], both_libraries["c"]
    for key in ("slot", "shift", "offer", "change"):
        model = type(own[key])
        response = coord.get(url(model, "changelist"))
        assert response.status_code == 200
        rows = set(response.context["cl"].queryset)
        if key == "shift":
            assert rows == set(own["slot"].shifts.all())
        else:
            assert rows == {own[key]}
        assert coord.get(url(model, "change", own[key].pk)).status_code == 200
        assert coord.get(url(model, "change", other[key].pk)).status_code == 404


def test_help_desk_sees_every_library(desk, both_libraries):
    for key in ("slot", "offer", "change"):
        model = type(both_libraries["a"][key])
        response = desk.get(url(model, "changelist"))
        assert set(response.context["cl"].queryset) == {
            both_libraries["a"][key],
            both_libraries["c"][key],
        }


def test_slot_form_offers_only_the_librarys_queues_terms_and_librarians(coord, world):
    own_queue = QueueFactory(library=world.lib_a, code="alib")
    QueueFactory(library=world.lib_c, code="clib")
    own_term = TermFactory(
        library=world.lib_a,
        name="A summer",
        start_date=date(2027, 6, 1),
        end_date=date(2027, 6, 30),
    )
    TermFactory(
        library=world.lib_c,
        name="C summer",
        start_date=date(2027, 6, 1),
        end_date=date(2027, 6, 30),
    )
    form = coord.get(url(ShiftSlot, "add")).context["adminform"].form
    assert list(form.fields["library"].queryset) == [world.lib_a]
    assert set(form.fields["queue"].queryset) == {world.queue, own_queue}
    assert set(form.fields["term"].queryset) == {world.spring, world.fall, own_term}
    # Active chat staff of the library: not the intern, nobody from elsewhere.
    assert set(form.fields["assignee"].queryset) == {
        world.coord_a,
        world.rob,
        world.nan,
    }


# --- Weekly shifts ------------------------------------------------------------------


def test_adding_a_weekly_shift_creates_its_dated_shifts(coord, world):
    response = coord.post(url(ShiftSlot, "add"), slot_form(world), follow=True)
    assert response.redirect_chain, form_errors(response)
    slot = ShiftSlot.objects.get()
    assert (slot.library, slot.assignee, slot.starts, slot.ends) == (
        world.lib_a,
        world.rob,
        9 * H,
        12 * H,
    )
    assert slot.shifts.count() == 16  # every Sunday of Spring 2027
    assert set(slot.shifts.values_list("assignee", flat=True)) == {world.rob.pk}
    assert any("16 upcoming dated shifts" in m for m in shown_messages(response))
    page = coord.get(url(ShiftSlot, "changelist")).content.decode()
    assert "09:00–12:00" in page
    assert f"?slot__id__exact={slot.pk}" in page


def test_weekly_shift_outside_the_queue_hours_is_refused_on_the_form(coord, world):
    world.queue.hours.filter(weekday=6).update(opens=10 * H, closes=20 * H)
    response = coord.post(url(ShiftSlot, "add"), slot_form(world))
    assert response.status_code == 200
    errors = form_errors(response)
    assert "outside coop-state's hours on Sundays" in errors
    assert "10:00–20:00" in errors
    assert not ShiftSlot.objects.exists() and not Shift.objects.exists()


def test_overlapping_weekly_shift_for_one_librarian_is_refused_on_the_form(
    coord, world
):
    make_slot(world)
    response = coord.post(
        url(ShiftSlot, "add"), slot_form(world, starts="11:00", ends="13:00")
    )
    assert response.status_code == 200
    assert "already has a shift" in form_errors(response)
    assert ShiftSlot.objects.count() == 1
    assert Shift.objects.count() == 16


def test_refused_change_leaves_the_weekly_shift_as_it_was(coord, world):
    make_slot(world)
    other = make_slot(world, starts=14 * H, ends=16 * H)
    response = coord.post(
        url(ShiftSlot, "change", other.pk),
        slot_form(world, starts="10:00", ends="16:00"),
    )
    assert response.status_code == 200
    assert "already has a shift" in form_errors(response)
    other.refresh_from_db()
    assert (other.starts, other.ends) == (14 * H, 16 * H)
    # Still 14:00 local (the hour is read in the site's zone, Eastern).
    assert set(other.shifts.values_list("starts_at__hour", flat=True)) == {14}


def test_a_refusal_late_in_the_service_leaves_nothing_half_saved(
    coord, world, monkeypatch
):
    """The slot row is written before its dated shifts; a refusal while
    making them rolls the slot back too."""
    from scheduling.services import shifts

    def refuse(**kwargs):
        raise DomainError("The calendar is being rebuilt; try again in a minute.")

    monkeypatch.setattr(shifts, "slot_sync", refuse)
    response = coord.post(url(ShiftSlot, "add"), slot_form(world))
    assert response.status_code == 200
    assert "calendar is being rebuilt" in form_errors(response)
    assert not ShiftSlot.objects.exists() and not Shift.objects.exists()


def test_a_refused_delete_is_reported_and_keeps_the_row(coord, world, monkeypatch):
    slot = make_slot(world)

    def refuse(**kwargs):
        raise DomainError("Not now.")

    monkeypatch.setattr(services, "slot_delete", refuse)
    response = coord.post(
        url(ShiftSlot, "delete", slot.pk), {"post": "yes"}, follow=True
    )
    assert response.redirect_chain[0][0] == url(ShiftSlot, "change", slot.pk)
    assert "Not now." in shown_messages(response)
    assert ShiftSlot.objects.filter(pk=slot.pk).exists()


def test_weekly_shift_ending_before_it_starts_is_refused(coord, world):
    response = coord.post(
        url(ShiftSlot, "add"), slot_form(world, starts="12:00", ends="09:00")
    )
    assert "must end after it starts" in form_errors(response)
    assert not ShiftSlot.objects.exists()


def test_coordinator_cannot_add_hours_to_a_term_under_way(coord, world):
    fall_2026 = TermFactory(
        name="Fall 2026", start_date=date(2026, 8, 24), end_date=date(2026, 12, 11)
    )
    response = coord.post(url(ShiftSlot, "add"), slot_form(world, term=fall_2026.pk))
    assert response.status_code == 200
    assert "Fall 2026 is under way" in form_errors(response)
    assert not ShiftSlot.objects.exists()


def test_once_the_term_is_under_way_a_coordinator_changes_only_who_covers(coord, world):
    fall_2026 = TermFactory(
        name="Fall 2026", start_date=date(2026, 8, 24), end_date=date(2026, 12, 11)
    )
    slot = services.slot_save(
        actor=world.helpdesk,
        slot=ShiftSlot(
            library=world.lib_a,
            queue=world.queue,
            term=fall_2026,
            weekday=2,
            starts=9 * H,
            ends=12 * H,
            assignee=world.rob,
        ),
    )
    form = coord.get(url(ShiftSlot, "change", slot.pk)).context["adminform"].form
    assert list(form.fields) == ["assignee"]
    response = coord.post(
        url(ShiftSlot, "change", slot.pk),
        {"assignee": world.nan.pk, "starts": "06:00"},
    )
    assert response.status_code == 302, form_errors(response)
    slot.refresh_from_db()
    assert (slot.assignee, slot.starts) == (world.nan, 9 * H)
    future = slot.shifts.filter(starts_at__gt=timezone.now())
    assert set(future.values_list("assignee", flat=True)) == {world.nan.pk}
    # Removing it is a schedule-change request now.
    assert (
        coord.post(url(ShiftSlot, "delete", slot.pk), {"post": "yes"}).status_code
        == 403
    )
    assert ShiftSlot.objects.filter(pk=slot.pk).exists()


def test_deleting_a_weekly_shift_cancels_its_dated_shifts(coord, world):
    slot = make_slot(world)
    shift_ids = list(slot.shifts.values_list("pk", flat=True))
    response = coord.post(url(ShiftSlot, "delete", slot.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not ShiftSlot.objects.exists()
    assert set(
        Shift.objects.filter(pk__in=shift_ids).values_list("status", flat=True)
    ) == {Shift.Status.CANCELLED}


def test_deleting_weekly_shifts_in_bulk_goes_through_the_service(coord, world):
    first = make_slot(world)
    second = make_slot(world, weekday=5)
    response = coord.post(
        url(ShiftSlot, "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [first.pk, second.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not ShiftSlot.objects.exists()
    assert not Shift.objects.live().exists()
    assert Shift.objects.filter(status=Shift.Status.CANCELLED).count() == 32


def test_weekly_shift_links_to_the_queue_week_grid(coord, world):
    slot = make_slot(world)
    try:
        grid = reverse("schedule-grid", args=[world.queue.code])
    except NoReverseMatch:
        pytest.fail("The schedule pages (URL name schedule-grid) are not installed.")
    page = coord.get(url(ShiftSlot, "change", slot.pk)).content.decode()
    assert f'href="{grid}"' in page


# --- Coverage requirements ----------------------------------------------------------


def test_help_desk_sets_requirements_in_bulk_and_hears_about_the_missing_hour(
    desk, world
):
    response = desk.post(
        url(CoverageRequirement, "add"),
        {
            "queue": world.queue.pk,
            "term": world.spring.pk,
            "weekdays": [5, 6],
            "from_hour": 0,
            "to_hour": 4,
            "librarians": 2,
        },
        follow=True,
    )
    assert response.redirect_chain, form_errors(response)
    rows = CoverageRequirement.objects.filter(queue=world.queue, term=world.spring)
    assert sorted(rows.values_list("weekday", "hour", "librarians")) == [
        (day, hour, 2) for day in (5, 6) for hour in range(4)
    ]
    shown = shown_messages(response)
    assert any(
        "2 librarians required" in m and "Saturdays, Sundays 00:00–04:00" in m
        for m in shown
    )
    assert any(
        "02:00–03:00 does not exist on Sunday Mar 14, 2027" in m for m in shown
    ), shown
    page = response.content.decode()
    assert "02:00–03:00" in page  # the changelist shows HH:00–HH+1:00

    desk.post(
        url(CoverageRequirement, "add"),
        {
            "queue": world.queue.pk,
            "term": world.spring.pk,
            "weekdays": [5],
            "from_hour": 0,
            "to_hour": 24,
            "librarians": 0,
        },
    )
    assert set(rows.values_list("weekday", flat=True)) == {6}


def test_requirement_hours_must_run_forwards(desk, world):
    response = desk.post(
        url(CoverageRequirement, "add"),
        {
            "queue": world.queue.pk,
            "term": world.spring.pk,
            "weekdays": [0],
            "from_hour": 17,
            "to_hour": 9,
            "librarians": 1,
        },
    )
    assert response.status_code == 200
    assert "end must be after the start" in form_errors(response)
    assert not CoverageRequirement.objects.exists()


def test_coordinators_read_requirements_but_cannot_change_them(coord, world):
    services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.spring,
        weekdays=[0],
        from_hour=9,
        to_hour=10,
        librarians=2,
    )
    row = CoverageRequirement.objects.get()
    assert coord.get(url(CoverageRequirement, "changelist")).status_code == 200
    assert coord.get(url(CoverageRequirement, "add")).status_code == 403
    response = coord.post(url(CoverageRequirement, "change", row.pk), {"librarians": 5})
    assert response.status_code == 403
    response = coord.post(url(CoverageRequirement, "delete", row.pk), {"post": "yes"})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.librarians == 2


def test_help_desk_changes_one_requirement_row(desk, world):
    services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.spring,
        weekdays=[0],
        from_hour=9,
        to_hour=10,
        librarians=2,
    )
    row = CoverageRequirement.objects.get()
    response = desk.post(url(CoverageRequirement, "change", row.pk), {"librarians": 3})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.librarians == 3


# --- Dated shifts -------------------------------------------------------------------


def one_off(w, **kw):
    data = {
        "library": w.lib_a.pk,
        "queue": w.queue.pk,
        "date": "2027-01-20",
        "starts": "10:00",
        "ends": "12:00",
        "assignee": w.rob.pk,
        "note": "Orientation week",
    }
    data.update(kw)
    return data


def test_coordinator_adds_a_one_off_shift(coord, world):
    response = coord.post(url(Shift, "add"), one_off(world))
    assert response.status_code == 302, form_errors(response)
    shift = Shift.objects.get()
    assert shift.slot is None and shift.assignee == world.rob
    assert shift.starts_at == datetime(2027, 1, 20, 15, 0, tzinfo=UTC)  # 10:00 EST
    assert shift.note == "Orientation week"
    assert shift.events.get().kind == ShiftEvent.Kind.CREATED
    page = coord.get(url(Shift, "changelist")).content.decode()
    assert "Wed Jan 20, 2027 10:00–12:00 EST" in page


def test_one_off_shift_in_the_missing_hour_is_refused_on_the_field(coord, world):
    response = coord.post(
        url(Shift, "add"), one_off(world, date="2027-03-14", starts="02:30")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "does not exist on Sunday Mar 14, 2027" in str(errors["starts"])
    assert not Shift.objects.exists()


def test_coordinator_cannot_add_a_shift_for_another_library(coord, world):
    response = coord.post(url(Shift, "add"), one_off(world, library=world.lib_c.pk))
    assert response.status_code == 200
    assert not Shift.objects.exists()


def test_reassigning_a_shift_goes_into_its_history(coord, world):
    shift = make_slot(world).shifts.get(date=date(2027, 1, 24))
    response = coord.post(
        url(Shift, "change", shift.pk),
        {"assignee": world.nan.pk, "change_note": "Rob at a conference", **NO_INLINES},
    )
    assert response.status_code == 302, form_errors(response)
    shift.refresh_from_db()
    assert shift.assignee == world.nan and shift.assignee_overridden
    event = shift.events.last()
    assert (event.kind, event.note, event.actor) == (
        ShiftEvent.Kind.ASSIGNED,
        "Rob at a conference",
        world.coord_a,
    )
    page = coord.get(url(Shift, "change", shift.pk)).content.decode()
    assert "Rob at a conference" in page  # the history inline


def test_reassigning_to_a_busy_librarian_is_refused_on_the_form(coord, world):
    make_slot(world, assignee=world.nan, starts=10 * H, ends=11 * H)
    shift = make_slot(world).shifts.get(date=date(2027, 1, 24))
    response = coord.post(
        url(Shift, "change", shift.pk), {"assignee": world.nan.pk, **NO_INLINES}
    )
    assert response.status_code == 200
    assert "already has a shift" in form_errors(response)
    shift.refresh_from_db()
    assert shift.assignee == world.rob


def test_cancel_action_cancels_with_the_note_or_a_standard_one(coord, world):
    slot = make_slot(world)
    first, second, third = slot.shifts.order_by("date")[:3]
    changelist = url(Shift, "changelist")
    coord.post(
        changelist,
        {
            "action": "cancel_shifts",
            "_selected_action": [first.pk],
            "index": 0,
            "note": "Library closed for snow",
        },
    )
    response = coord.post(
        changelist,
        {
            "action": "cancel_shifts",
            "_selected_action": [first.pk, second.pk],
            "index": 0,
            "note": "",
        },
        follow=True,
    )
    assert any("1 shift(s) cancelled" in m for m in shown_messages(response))
    assert any("already cancelled" in m for m in shown_messages(response))
    for shift in (first, second, third):
        shift.refresh_from_db()
    assert (first.status, second.status, third.status) == (
        Shift.Status.CANCELLED,
        Shift.Status.CANCELLED,
        Shift.Status.SCHEDULED,
    )
    notes = {
        s.pk: s.events.get(kind=ShiftEvent.Kind.CANCELLED).note for s in (first, second)
    }
    assert notes[first.pk] == "Library closed for snow"
    assert notes[second.pk].startswith("Cancelled in the admin by")


def test_cancelled_shift_is_read_only(coord, world):
    shift = make_slot(world).shifts.first()
    services.shift_cancel(actor=world.coord_a, shift_id=shift.pk, note="Snow")
    response = coord.get(url(Shift, "change", shift.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


# --- Substitute requests ------------------------------------------------------------


@pytest.fixture
def offer(world):
    shift = make_slot(world).shifts.get(date=date(2027, 1, 24))
    return services.shift_give_up(actor=world.rob, shift_id=shift.pk, now=world.now)


def run_action(client, model, action, rows, note=""):
    return client.post(
        url(model, "changelist"),
        {
            "action": action,
            "_selected_action": [r.pk for r in rows],
            "index": 0,
            "note": note,
        },
        follow=True,
    )


def test_coordinator_offers_a_shift_to_the_whole_consortium(coord, world, offer):
    run_action(coord, SubstitutionRequest, "offer_widely", [offer])
    offer.refresh_from_db()
    assert offer.stage == SubstitutionRequest.Stage.CONSORTIUM


def test_coordinator_approves_or_turns_down_a_claim(coord, world, offer):
    world.lib_a.substitutes_need_approval = True
    world.lib_a.save()
    services.shift_claim(actor=world.nan, offer_id=offer.pk, now=world.now)
    response = run_action(
        coord, SubstitutionRequest, "turn_down_claims", [offer], note="Nan is away"
    )
    offer.refresh_from_db()
    assert offer.status == SubstitutionRequest.Status.OPEN
    # Nothing to decide any more: the row's error is reported, not a crash.
    response = run_action(coord, SubstitutionRequest, "approve_claims", [offer])
    assert any("not waiting for approval" in m for m in shown_messages(response))
    services.shift_claim(actor=world.nan, offer_id=offer.pk, now=world.now)
    run_action(coord, SubstitutionRequest, "approve_claims", [offer])
    offer.refresh_from_db()
    assert offer.status == SubstitutionRequest.Status.FILLED
    assert Shift.objects.get(pk=offer.shift_id).assignee == world.nan


def test_withdrawing_a_give_up(coord, world, offer):
    run_action(coord, SubstitutionRequest, "withdraw_offers", [offer])
    offer.refresh_from_db()
    assert offer.status == SubstitutionRequest.Status.WITHDRAWN


def test_substitute_requests_are_read_only(coord, world, offer):
    response = coord.get(url(SubstitutionRequest, "change", offer.pk))
    assert response.context["has_change_permission"] is False
    assert coord.get(url(SubstitutionRequest, "add")).status_code == 403


# --- Schedule-change requests (S7) --------------------------------------------------


def change_form(w, **kw):
    data = {
        "library": w.lib_a.pk,
        "action": "add",
        "slot": "",
        "queue": w.queue.pk,
        "term": w.spring.pk,
        "weekday": 2,
        "starts": "10:00",
        "ends": "12:00",
        "assignee": w.rob.pk,
        "reason": "More chats on Wednesdays",
    }
    data.update(kw)
    return data


def test_change_request_from_coordinator_is_applied_when_the_help_desk_approves(
    client, world
):
    client.force_login(world.coord_a)
    response = client.post(url(ScheduleChangeRequest, "add"), change_form(world))
    assert response.status_code == 302, form_errors(response)
    request = ScheduleChangeRequest.objects.get()
    assert (request.requested_by, request.status) == (world.coord_a, "pending")
    assert AlertEmail.objects.filter(subject__contains="Library A").exists()
    page = client.get(url(ScheduleChangeRequest, "changelist")).content.decode()
    assert "Proposed: coop-state Wednesday 10:00–12:00 (Spring 2027)" in page
    # The coordinator reads it but cannot decide.
    response = client.post(
        url(ScheduleChangeRequest, "change", request.pk), {"decision": "approve"}
    )
    assert response.status_code == 403

    client.force_login(world.helpdesk)
    response = client.post(
        url(ScheduleChangeRequest, "change", request.pk),
        {"decision": "approve", "note": "Fine"},
    )
    assert response.status_code == 302, form_errors(response)
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", world.helpdesk)
    slot = request.slot
    assert (slot.weekday, slot.starts, slot.assignee) == (2, 10 * H, world.rob)
    assert slot.shifts.count() > 10


def test_incomplete_change_request_is_refused_on_its_fields(coord, world):
    response = coord.post(
        url(ScheduleChangeRequest, "add"), change_form(world, weekday="", starts="")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Needed for a new weekly shift." in str(errors["weekday"])
    assert "Needed for a new weekly shift." in str(errors["starts"])
    assert not ScheduleChangeRequest.objects.exists()


def test_change_request_slot_choices_are_the_librarys(coord, world):
    own = make_slot(world)
    make_slot(world, actor=world.coord_c, library=world.lib_c, assignee=world.cal)
    form = coord.get(url(ScheduleChangeRequest, "add")).context["adminform"].form
    assert list(form.fields["slot"].queryset) == [own]


@pytest.fixture
def pending(world):
    return services.change_request_submit(
        actor=world.coord_a,
        request=ScheduleChangeRequest(
            library=world.lib_a,
            action="add",
            queue=world.queue,
            term=world.spring,
            weekday=2,
            starts=10 * H,
            ends=12 * H,
            reason="More chats",
        ),
    )


def test_rejecting_needs_a_note(desk, world, pending):
    change = url(ScheduleChangeRequest, "change", pending.pk)
    response = desk.post(change, {"decision": "reject", "note": " "})
    assert response.status_code == 200
    assert "Say why" in form_errors(response)
    pending.refresh_from_db()
    assert pending.status == "pending"
    response = desk.post(change, {"decision": "reject", "note": "No budget"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.decision_note) == ("rejected", "No budget")
    assert not ShiftSlot.objects.exists()
    # Decided: nothing to change any more.
    assert desk.get(change).context["has_change_permission"] is False


def test_reject_action_needs_the_note_too(desk, world, pending):
    run_action(desk, ScheduleChangeRequest, "reject_requests", [pending])
    pending.refresh_from_db()
    assert pending.status == "pending"
    run_action(desk, ScheduleChangeRequest, "reject_requests", [pending], "Later")
    pending.refresh_from_db()
    assert (pending.status, pending.decision_note) == ("rejected", "Later")


def test_approval_that_no_longer_fits_is_refused_on_the_form(desk, world, pending):
    # Since the request was filed Rob took Wednesdays 09:00-11:00 himself.
    pending.assignee = world.rob
    pending.save()
    make_slot(world, weekday=2, starts=9 * H, ends=11 * H)
    response = desk.post(
        url(ScheduleChangeRequest, "change", pending.pk), {"decision": "approve"}
    )
    assert response.status_code == 200
    assert "already has a shift" in form_errors(response)
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert ShiftSlot.objects.count() == 1


def test_request_about_a_removed_weekly_shift_can_only_be_rejected(desk, world):
    slot = make_slot(world)
    change = services.change_request_submit(
        actor=world.coord_a,
        request=ScheduleChangeRequest(
            library=world.lib_a, action="change", slot=slot, ends=13 * H, reason="x"
        ),
    )
    services.slot_delete(actor=world.coord_a, slot=slot)
    page = desk.get(url(ScheduleChangeRequest, "changelist")).content.decode()
    assert "The weekly shift no longer exists." in page
    response = desk.post(
        url(ScheduleChangeRequest, "change", change.pk), {"decision": "approve"}
    )
    assert response.status_code == 200
    assert "no longer exists; reject the request" in form_errors(response)
    response = desk.post(
        url(ScheduleChangeRequest, "change", change.pk),
        {"decision": "reject", "note": "Already removed"},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "rejected"


def test_coordinator_withdraws_a_pending_request(coord, world, pending):
    run_action(coord, ScheduleChangeRequest, "withdraw_requests", [pending])
    pending.refresh_from_db()
    assert pending.status == "withdrawn"


def test_coordinator_cannot_use_the_help_desks_actions(coord, world, pending):
    response = coord.get(url(ScheduleChangeRequest, "changelist"))
    choices = dict(response.context["action_form"].fields["action"].choices)
    assert "withdraw_requests" in choices
    assert "approve_requests" not in choices and "reject_requests" not in choices


# --- Alerts -------------------------------------------------------------------------


def test_alerts_are_for_the_help_desk_only(client, world):
    email = AlertEmail.objects.create(to="a@example.org", subject="Gap", body="...")
    Alert.objects.create(kind=Alert.Kind.DIGEST, key="2027-01-04", email=email)
    client.force_login(world.coord_a)
    for model in (Alert, AlertEmail):
        assert client.get(url(model, "changelist")).status_code == 403
    assert "Alert emails" not in client.get(reverse("admin:index")).content.decode()
    client.force_login(world.helpdesk)
    for model in (Alert, AlertEmail):
        response = client.get(url(model, "changelist"))
        assert response.status_code == 200
        assert len(response.context["cl"].queryset) == 1
    assert client.get(url(AlertEmail, "add")).status_code == 403


def test_schedule_writes_are_in_the_audit_log(coord, world):
    from auditlog.models import LogEntry

    coord.post(url(ShiftSlot, "add"), slot_form(world))
    slot = ShiftSlot.objects.get()
    entry = LogEntry.objects.get_for_object(slot).get()
    assert entry.actor == world.coord_a
    assert entry.additional_data == {"library_id": world.lib_a.pk}


def test_break_terms_use_their_own_posted_hours(coord, world):
    """A weekly shift in a break term is checked against break hours."""
    winter = TermFactory(
        name="Winter 2027",
        term_type=TermType.BREAK,
        start_date=date(2027, 5, 8),
        end_date=date(2027, 5, 30),
    )
    world.queue.hours.filter(term_type=TermType.BREAK, weekday=6).delete()
    HoursFactory(
        queue=world.queue,
        term_type=TermType.BREAK,
        weekday=6,
        opens=12 * H,
        closes=16 * H,
    )
    response = coord.post(url(ShiftSlot, "add"), slot_form(world, term=winter.pk))
    assert "12:00–16:00" in form_errors(response)


def test_every_schedule_admin_page_renders(client, world, both_libraries, pending):
    services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.spring,
        weekdays=[0],
        from_hour=9,
        to_hour=10,
        librarians=1,
    )
    email = AlertEmail.objects.create(to="a@example.org", subject="Gap", body="...")
    alert = Alert.objects.create(kind=Alert.Kind.DIGEST, key="k", email=email)
    rows = {
        CoverageRequirement: CoverageRequirement.objects.get(),
        ShiftSlot: both_libraries["a"]["slot"],
        Shift: both_libraries["a"]["shift"],
        SubstitutionRequest: both_libraries["a"]["offer"],
        ScheduleChangeRequest: pending,
        Alert: alert,
        AlertEmail: email,
    }
    for user in (world.helpdesk, world.coord_a):
        client.force_login(user)
        for model, obj in rows.items():
            for view, args in (("changelist", ()), ("add", ()), ("change", (obj.pk,))):
                response = client.get(url(model, view, *args))
                assert response.status_code in (200, 403), (model, view, user)
    client.force_login(world.helpdesk)
    page = client.get(url(CoverageRequirement, "add")).content.decode()
    assert "Set coverage requirements" in page
    page = client.get(url(ScheduleChangeRequest, "change", pending.pk))
    assert "decision" in page.context["adminform"].form.fields
