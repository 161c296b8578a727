"""Writes to the schedule: coverage requirements, weekly slots and the dated
shifts made from them, one-off shifts, assignments and cancellations."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from consortium import scoping
from consortium import selectors as core
from consortium.audit import acting_as
from consortium.fields import format_minutes
from consortium.models import Closure, Holiday, PostedHours, Queue, Staff, Term
from consortium.services import DomainError, _require_helpdesk, _require_owner
from scheduling import selectors
from scheduling.models import (
    CoverageRequirement,
    Shift,
    ShiftEvent,
    ShiftSlot,
    SubstitutionRequest,
)

logger = logging.getLogger(__name__)

WEEKDAY_NAMES = [label for _, label in PostedHours.Weekday.choices]


def describe(shift: Shift, zone=None) -> str:
    """ "coop-statewide Tue Dec 1, 14:00–16:00 EST" in `zone` (default: the queue's)."""
    zone = zone or shift.queue.zone
    start = shift.starts_at.astimezone(zone)
    end = shift.ends_at.astimezone(zone)
    return f"{shift.queue.code} {start:%a %b %-d, %H:%M}–{end:%H:%M %Z}"


def record(shift: Shift, kind: str, actor: Staff | None = None, note: str = "") -> None:
    ShiftEvent.objects.create(shift=shift, kind=kind, actor=actor, note=note[:300])


# --- Coverage requirements (S1) -----------------------------------------------------


@transaction.atomic
def requirements_set(
    *,
    actor: Staff,
    queue: Queue,
    term: Term,
    weekdays: list[int],
    from_hour: int,
    to_hour: int,
    librarians: int,
) -> list[str]:
    """Require `librarians` on `queue` in hours [from_hour, to_hour) of each of
    `weekdays` during `term` (0 removes the requirement). Help desk only.

    Returns notes for the user: dates of the term on which a chosen hour does
    not exist (spring forward), when nobody is required in that hour.
    """
    _require_helpdesk(actor)
    if not queue.is_coop:
        raise DomainError("Coverage requirements are set for co-op queues only.")
    if term.library_id is not None:
        raise DomainError(
            "Choose a consortium term: co-op queues follow the consortium calendar."
        )
    if not weekdays:
        raise DomainError("Choose at least one weekday.")
    if not (0 <= from_hour < to_hour <= 24):
        raise DomainError(
            "The hours run from 0 to 24 and the end must be after the start "
            "(for example 14 to 17 for 14:00–17:00)."
        )
    if not (0 <= librarians <= 50):
        raise DomainError("The number of librarians is between 0 and 50.")
    with acting_as(actor):
        for weekday in weekdays:
            for hour in range(from_hour, to_hour):
                existing = CoverageRequirement.objects.filter(
                    queue=queue, term=term, weekday=weekday, hour=hour
                )
                if librarians == 0:
                    for row in existing:
                        row.delete()
                    continue
                row = existing.first() or CoverageRequirement(
                    queue=queue, term=term, weekday=weekday, hour=hour
                )
                row.librarians = librarians
                row.full_clean()
                row.save()
    return _missing_hour_notes(queue, term, weekdays, from_hour, to_hour)


def _missing_hour_notes(queue, term, weekdays, from_hour, to_hour) -> list[str]:
    notes = []
    day = term.start_date
    while day <= term.end_date:
        if day.weekday() in weekdays:
            gone = [
                h
                for h in selectors.missing_hours(day, queue.zone)
                if from_hour <= h < to_hour
            ]
            for hour in gone:
                notes.append(
                    f"{hour:02d}:00–{hour + 1:02d}:00 does not exist on "
                    f"{day:%A %b %-d, %Y} in {queue.tz_name} (the clocks go forward), "
                    "so no librarian is required in that hour that day."
                )
        day += timedelta(days=1)
    return notes


# --- Weekly slots (S2) ---------------------------------------------------------------


def term_started(term: Term, today: date | None = None) -> bool:
    return term.start_date <= (today or timezone.localdate())


def _membership_errors(library, queue: Queue, assignee: Staff | None) -> dict[str, str]:
    """The queue is the library's own or one of its co-ops; the assignee is
    one of its active librarians."""
    errors: dict[str, str] = {}
    if queue.is_coop:
        if not library.coops.filter(pk=queue.pk).exists():
            errors["queue"] = (
                f"{library.name} is not a member of {queue.name}; choose one of its "
                "co-op queues or its own queue."
            )
    elif queue.library_id != library.pk:
        errors["queue"] = (
            "Choose one of this library's queues or one of its co-op queues."
        )
    if assignee is not None and (
        assignee.library_id != library.pk
        or assignee.role not in Staff.CHAT_ROLES
        or not assignee.is_active
    ):
        errors["assignee"] = (
            f"{assignee.get_full_name() or assignee.username} is not an active "
            f"librarian of {library.name}."
        )
    return errors


def _slot_errors(slot: ShiftSlot) -> dict[str, str]:
    queue, library, term = slot.queue, slot.library, slot.term
    errors = _membership_errors(library, queue, slot.assignee)
    if term.library_id not in (None, library.pk):
        errors["term"] = "Choose a consortium term or one of this library's own terms."
    elif queue.is_coop and term.library_id is not None:
        errors["term"] = (
            "Co-op queues follow the consortium calendar: choose a consortium term."
        )
    if errors:
        return errors
    intervals = queue.hours.for_day(term.term_type, slot.weekday).order_by("opens")
    if not any(h.opens <= slot.starts and slot.ends <= h.closes for h in intervals):
        posted = ", ".join(
            f"{format_minutes(h.opens)}–{format_minutes(h.closes)}" for h in intervals
        )
        errors["__all__"] = (
            f"{format_minutes(slot.starts)}–{format_minutes(slot.ends)} is outside "
            f"{queue.code}'s hours on {WEEKDAY_NAMES[slot.weekday]}s in "
            f"{term.get_term_type_display().lower()} terms "
            f"({posted or 'closed all day'}, {queue.tz_name})."
        )
    return errors


def _check_free(
    staff: Staff, intervals: list[tuple[datetime, datetime]], *, exclude=()
):
    """Raise DomainError when `staff` already has a live shift overlapping one
    of `intervals`. The caller holds the staff row lock."""
    if not intervals:
        return
    first = min(s for s, _ in intervals)
    last = max(e for _, e in intervals)
    others = list(
        Shift.objects.live()
        .filter(assignee=staff, starts_at__lt=last, ends_at__gt=first)
        .exclude(pk__in=[pk for pk in exclude if pk])
        .select_related("queue")
    )
    for start, end in intervals:
        for other in others:
            if other.starts_at < end and other.ends_at > start:
                zone = selectors.viewer_zone(staff)
                raise DomainError(
                    f"{staff.get_full_name() or staff.username} already has a shift "
                    f"then: {describe(other, zone)}. A librarian cannot be on two "
                    "shifts at once.",
                    code="overlap",
                )


def _lock_staff(staff_id: int) -> Staff:
    return Staff.objects.select_for_update().get(pk=staff_id)


def slot_dates(slot: ShiftSlot, start: date | None = None) -> list[date]:
    """Days of `slot.term` from `start` on its weekday on which its term is in
    force for the queue and the queue is not closed all day. Reads terms,
    holidays and closures once, whatever the length of the term."""
    term, queue = slot.term, slot.queue
    first = max(term.start_date, start or term.start_date)
    first += timedelta(days=(slot.weekday - first.weekday()) % 7)
    if first > term.end_date:
        return []
    if not queue.active or (queue.library_id and not queue.library.active):
        return []
    own_terms = (
        list(
            Term.objects.filter(library_id=queue.library_id).overlapping(
                first, term.end_date
            )
        )
        if queue.library_id
        else []
    )
    closed = list(Holiday.objects.overlapping(first, term.end_date))
    if queue.library_id:
        closed += list(
            Closure.objects.filter(library_id=queue.library_id).overlapping(
                first, term.end_date
            )
        )
    days = []
    day = first
    while day <= term.end_date:
        own = next((t for t in own_terms if t.start_date <= day <= t.end_date), None)
        in_force = own or (term if term.library_id is None else None)
        if (
            in_force is not None
            and in_force.pk == term.pk
            and not any(c.start_date <= day <= c.end_date for c in closed)
        ):
            days.append(day)
        day += timedelta(days=7)
    return days


def slot_occurrences(
    slot: ShiftSlot, now: datetime
) -> dict[date, tuple[datetime, datetime]]:
    """The instants of each future date of `slot` (ending after `now`). A
    date on which the slot lies wholly in the hour a spring-forward change
    skips has nothing to staff and no shift."""
    found = {}
    for day in slot_dates(slot, start=_yesterday(now)):
        start, end = slot_interval(slot, day)
        if end > start and end > now:
            found[day] = (start, end)
    return found


def _yesterday(now: datetime) -> date:
    """Earliest day a shift not yet ended can start on, in any zone."""
    return (now - timedelta(days=2)).date()


def slot_interval(slot: ShiftSlot, day: date) -> tuple[datetime, datetime]:
    zone = slot.queue.zone
    return (
        selectors.local_instant(day, slot.starts, zone),
        selectors.local_instant(day, slot.ends, zone),
    )


def _check_slot_free(slot: ShiftSlot, now: datetime) -> None:
    """Everyone who will be on the slot's future dates (its assignee, or the
    substitute who took a date) is free then. Locks their staff rows."""
    occurrences = slot_occurrences(slot, now)
    taken = (
        {s.date: s for s in slot.shifts.filter(assignee_overridden=True).live()}
        if slot.pk
        else {}
    )
    by_staff: dict[int, list] = {}
    for day, interval in occurrences.items():
        sub = taken.get(day)
        staff_id = sub.assignee_id if sub else slot.assignee_id
        if staff_id:
            by_staff.setdefault(staff_id, []).append(interval)
    exclude = list(slot.shifts.values_list("pk", flat=True)) if slot.pk else []
    for staff_id in sorted(by_staff):
        _check_free(_lock_staff(staff_id), by_staff[staff_id], exclude=exclude)


@transaction.atomic
def slot_save(
    *, actor: Staff, slot: ShiftSlot, now: datetime | None = None
) -> ShiftSlot:
    """Create or change a weekly slot and sync its dated shifts.

    Coordinators save their own library's slots; once the term has begun, a
    coordinator may only change who covers a slot; moving or adding hours
    goes through a schedule-change request the help desk approves (S7).
    Locks the assignee's staff row for the overlap check.
    """
    now = now or timezone.now()
    _require_owner(actor, slot)
    stored = ShiftSlot.objects.filter(pk=slot.pk).first() if slot.pk else None
    if stored is not None:
        _require_owner(actor, stored)
    if not scoping.is_helpdesk(actor) and term_started(
        slot.term, timezone.localdate(now)
    ):
        same_hours = stored is not None and all(
            getattr(stored, f) == getattr(slot, f)
            for f in ("library_id", "queue_id", "term_id", "weekday", "starts", "ends")
        )
        if not same_hours:
            raise PermissionDenied(
                f"{slot.term} is under way: ask the help desk for this change with a "
                "schedule-change request (you can still change who covers a slot)."
            )
    slot.full_clean()
    errors = _slot_errors(slot)
    if errors:
        raise ValidationError(errors)
    _check_slot_free(slot, now)
    with acting_as(actor):
        slot.save()
    slot_sync(slot=slot, actor=actor, now=now)
    return slot


@transaction.atomic
def slot_delete(*, actor: Staff, slot: ShiftSlot, now: datetime | None = None) -> None:
    """Remove a weekly slot: its future shifts are cancelled (kept for their
    history), its past ones stay. Same rule as `slot_save` for terms under way."""
    now = now or timezone.now()
    _require_owner(actor, slot)
    if not scoping.is_helpdesk(actor) and term_started(
        slot.term, timezone.localdate(now)
    ):
        raise PermissionDenied(
            f"{slot.term} is under way: ask the help desk to remove this weekly shift "
            "with a schedule-change request."
        )
    for shift in slot.shifts.live().filter(starts_at__gt=now):
        _cancel(shift, actor, "The weekly shift was removed.")
    with acting_as(actor):
        slot.delete()


def _close_offers(shift: Shift, actor, note: str) -> None:
    """Withdraw the shift's open substitute request, if any: whoever gave it
    up is no longer on it."""
    if SubstitutionRequest.objects.filter(
        shift=shift, status__in=SubstitutionRequest.OPEN_STATUSES
    ).update(status=SubstitutionRequest.Status.WITHDRAWN):
        record(shift, ShiftEvent.Kind.WITHDRAWN, actor, note)


def _cancel(shift: Shift, actor, note: str) -> None:
    shift.status = Shift.Status.CANCELLED
    shift.save(update_fields=["status"])
    _close_offers(shift, actor, "The shift was cancelled.")
    record(shift, ShiftEvent.Kind.CANCELLED, actor, note)


def slot_sync(
    *, slot: ShiftSlot, actor: Staff | None = None, now: datetime | None = None
) -> int:
    """Make the future dated shifts of `slot` match it: create missing ones
    (one per slot and date, so running twice creates nothing), move times,
    follow its assignee (unless a substitute took that date), cancel dates the
    slot no longer has (a new holiday or closure). Past shifts are history and
    stay as they were. Returns how many shifts changed."""
    now = now or timezone.now()
    slot = (
        ShiftSlot.objects.select_for_update(of=("self",))
        .select_related("queue__library", "term", "library", "assignee")
        .get(pk=slot.pk)
    )
    wanted = slot_occurrences(slot, now)
    existing = {s.date: s for s in slot.shifts.select_for_update()}
    changed = 0
    for day, shift in existing.items():
        if shift.ends_at <= now:
            continue
        if day not in wanted:
            if shift.status == Shift.Status.SCHEDULED:
                _cancel(
                    shift,
                    actor,
                    "No longer on the schedule (holiday, closure or "
                    "a change to the weekly shift).",
                )
                changed += 1
            continue
        start, end = wanted[day]
        fields = {}
        if shift.status != Shift.Status.SCHEDULED:
            fields["status"] = Shift.Status.SCHEDULED
        if (shift.starts_at, shift.ends_at, shift.queue_id) != (
            start,
            end,
            slot.queue_id,
        ):
            fields.update(starts_at=start, ends_at=end, queue_id=slot.queue_id)
        if not shift.assignee_overridden and shift.assignee_id != slot.assignee_id:
            fields["assignee_id"] = slot.assignee_id
            _close_offers(shift, actor, "The shift went to another librarian.")
        if fields:
            for name, value in fields.items():
                setattr(shift, name, value)
            shift.save(update_fields=list(fields))
            kind = (
                ShiftEvent.Kind.RESTORED
                if "status" in fields
                else ShiftEvent.Kind.ASSIGNED
                if list(fields) == ["assignee_id"]
                else ShiftEvent.Kind.CHANGED
            )
            record(shift, kind, actor, "From the weekly shift.")
            changed += 1
    for day, (start, end) in wanted.items():
        if day in existing or end <= now:
            continue
        shift = Shift.objects.create(
            library=slot.library,
            queue=slot.queue,
            slot=slot,
            date=day,
            starts_at=start,
            ends_at=end,
            assignee=slot.assignee,
        )
        record(shift, ShiftEvent.Kind.CREATED, actor, "From the weekly shift.")
        changed += 1
    return changed


def shifts_sync_all(*, now: datetime | None = None) -> int:
    """Re-sync every slot of a term not yet over (beat, nightly): picks up new
    holidays and closures. Idempotent."""
    now = now or timezone.now()
    changed = 0
    slots = ShiftSlot.objects.filter(term__end_date__gte=now.date() - timedelta(days=1))
    for slot_id in list(slots.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                changed += slot_sync(slot=ShiftSlot(pk=slot_id), now=now)
        except ShiftSlot.DoesNotExist:
            continue  # removed meanwhile
        except Exception:
            logger.exception("Could not sync the shifts of weekly shift %s", slot_id)
    return changed


# --- One dated shift ------------------------------------------------------------------


@transaction.atomic
def shift_create(
    *,
    actor: Staff,
    library,
    queue: Queue,
    day: date,
    starts: int,
    ends: int,
    assignee: Staff | None = None,
    note: str = "",
) -> Shift:
    """A one-off shift on `day`, `starts`–`ends` (minutes, queue's wall clock).

    Refuses times that do not exist that day (daylight saving), times outside
    the queue's hours that day, and an assignee already on a shift then.
    """
    shift = Shift(library=library, queue=queue, date=day, assignee=assignee, note=note)
    _require_owner(actor, shift)
    zone = queue.zone
    if ends <= starts:
        raise ValidationError({"ends": "The shift must end after it starts."})
    for minutes, name in ((starts, "starts"), (ends, "ends")):
        if minutes < 1440 and not selectors.wall_time_exists(day, minutes, zone):
            raise ValidationError(
                {
                    name: f"{format_minutes(minutes)} does not exist on {day:%A %b %-d, %Y} "
                    f"in {queue.tz_name}: the clocks go forward an hour that night."
                }
            )
    reason = core.closed_all_day(queue, day)
    if reason:
        raise ValidationError(
            f"{queue.code} is closed on {day:%A %b %-d, %Y}. {reason}"
        )
    intervals = core.open_intervals(queue, day)
    if not any(o <= starts and ends <= c for o, c in intervals):
        posted = ", ".join(
            f"{format_minutes(o)}–{format_minutes(c)}" for o, c in intervals
        )
        raise ValidationError(
            f"{format_minutes(starts)}–{format_minutes(ends)} is outside {queue.code}'s "
            f"hours on {day:%A %b %-d, %Y} ({posted or 'closed'}, {queue.tz_name})."
        )
    errors = _membership_errors(library, queue, assignee)
    if errors:
        raise ValidationError(errors)
    shift.starts_at = selectors.local_instant(day, starts, zone)
    shift.ends_at = selectors.local_instant(day, ends, zone)
    if shift.ends_at <= timezone.now():
        raise ValidationError("This shift would be over already; choose a later time.")
    if assignee is not None:
        _lock_staff(assignee.pk)
        _check_free(assignee, [(shift.starts_at, shift.ends_at)])
    shift.full_clean()
    with acting_as(actor):
        shift.save()
    record(shift, ShiftEvent.Kind.CREATED, actor, note or "One-off shift.")
    return shift


@transaction.atomic
def shift_assign(
    *, actor: Staff, shift_id: int, assignee: Staff | None, note: str = ""
) -> Shift:
    """Give one dated shift to `assignee` (or nobody). The library's
    coordinator or the help desk. Locks the shift and the assignee."""
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("library", "queue")
        .get(pk=shift_id)
    )
    _require_owner(actor, shift)
    if shift.status != Shift.Status.SCHEDULED or shift.ends_at <= timezone.now():
        raise DomainError(
            "Only a scheduled shift that has not ended can be reassigned."
        )
    if assignee is not None:
        errors = _membership_errors(shift.library, shift.queue, assignee)
        if errors:
            raise ValidationError(errors)
        _lock_staff(assignee.pk)
        _check_free(assignee, [(shift.starts_at, shift.ends_at)], exclude=[shift.pk])
    if assignee is not None and assignee.pk == shift.assignee_id:
        return shift
    _close_offers(shift, actor, "The coordinator gave the shift to someone else.")
    shift.assignee = assignee
    shift.assignee_overridden = shift.slot_id is not None
    # The new librarian's attendance is checked afresh.
    shift.attendance = ""
    shift.attendance_checked_at = None
    with acting_as(actor):
        shift.save(
            update_fields=[
                "assignee",
                "assignee_overridden",
                "attendance",
                "attendance_checked_at",
            ]
        )
    who = assignee.get_full_name() if assignee else "nobody"
    record(shift, ShiftEvent.Kind.ASSIGNED, actor, note or f"Assigned to {who}.")
    return shift


@transaction.atomic
def shift_cancel(*, actor: Staff, shift_id: int, note: str) -> Shift:
    """Cancel one dated shift (the library's coordinator or the help desk)."""
    shift = Shift.objects.select_for_update().get(pk=shift_id)
    _require_owner(actor, shift)
    if shift.status == Shift.Status.CANCELLED:
        return shift
    if shift.ends_at <= timezone.now():
        raise DomainError("This shift is over; it stays in the record as it was.")
    if not note.strip():
        raise DomainError("Say why the shift is cancelled.")
    _cancel(shift, actor, note.strip())
    return shift
