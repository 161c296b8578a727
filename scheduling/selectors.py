"""Reads of the schedule: wall-clock times to instants, coverage of a queue
hour by hour against its requirement, gaps, and what a viewer may claim.

Coverage is computed for the instants of each local hour of the queue's time
zone, so a spring-forward day has 23 hours (the missing hour needs nobody) and
a fall-back day 25 (the repeated hour is required twice).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q

from consortium import selectors as core
from consortium.models import Queue, Staff, Term
from scheduling.models import CoverageRequirement, Shift, SubstitutionRequest

HOUR = timedelta(hours=1)


# --- Wall clock and instants ---------------------------------------------------


def local_instant(day: date, minutes: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """The instant of wall-clock `minutes` after midnight of `day` in `zone`.

    A time skipped by a spring-forward change maps to the instant the clocks
    jumped to (02:30 becomes 03:30); a repeated fall-back time maps to its
    first occurrence. 24:00 is the next midnight.
    """
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def wall_time_exists(day: date, minutes: int, zone: zoneinfo.ZoneInfo) -> bool:
    """False for wall-clock times skipped by a daylight-saving change."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def missing_hours(day: date, zone: zoneinfo.ZoneInfo) -> list[int]:
    """Hours of `day` that do not exist in `zone` (spring forward)."""
    return [h for h in range(24) if not wall_time_exists(day, h * 60, zone)]


def viewer_zone(user) -> zoneinfo.ZoneInfo:
    """The time zone a staff member reads times in: their library's, else the
    consortium's (help desk)."""
    library = getattr(user, "library", None)
    if library is not None:
        return library.zone
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_hours(start: datetime, end: datetime, zone: zoneinfo.ZoneInfo):
    """The instants at which a local hour of `zone` starts, in [start, end)."""
    local = start.astimezone(zone)
    at = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    if at < start:
        at += HOUR
    while at < end:
        yield at
        at += HOUR


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- Coverage ------------------------------------------------------------------


@dataclass
class HourCoverage:
    starts_at: datetime
    open: bool
    required: int
    filled: list[Shift] = field(default_factory=list)
    unfilled: list[Shift] = field(default_factory=list)
    partial: list[Shift] = field(default_factory=list)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + HOUR

    @property
    def count(self) -> int:
        return len(self.filled)

    @property
    def short(self) -> int:
        return max(0, self.required - self.count) if self.open else 0

    @property
    def state(self) -> str:
        """For colouring: closed, none (nothing required), met, short, empty."""
        if not self.open:
            return "closed"
        if not self.required:
            return "none" if not self.count else "met"
        if self.count >= self.required:
            return "met"
        return "short" if self.count else "empty"


def shift_is_filled(shift: Shift) -> bool:
    """Somebody will cover it: assigned, and not given up to a substitute."""
    if shift.assignee_id is None or shift.status != Shift.Status.SCHEDULED:
        return False
    return not any(
        o.status in SubstitutionRequest.OPEN_STATUSES for o in shift.offers.all()
    )


def shifts_between(start: datetime, end: datetime, **filters):
    return (
        Shift.objects.live()
        .between(start, end)
        .filter(**filters)
        .select_related("queue__library", "library", "assignee__library")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=SubstitutionRequest.objects.filter(
                    status__in=SubstitutionRequest.OPEN_STATUSES
                ),
            )
        )
    )


class _Requirements:
    """Requirement lookups for one queue over a range, read once."""

    def __init__(self, queue: Queue, first: date, last: date):
        self.queue = queue
        self.terms = list(
            Term.objects.filter(library__isnull=True).overlapping(first, last)
        )
        self.table = {
            (r.term_id, r.weekday, r.hour): r.librarians
            for r in CoverageRequirement.objects.filter(
                queue=queue, term__in=self.terms
            )
        }
        self._open: dict[date, list[tuple[int, int]]] = {}

    def term_for(self, day: date) -> Term | None:
        for term in self.terms:
            if term.start_date <= day <= term.end_date:
                return term
        return None

    def is_open(self, local: datetime) -> bool:
        day = local.date()
        if day not in self._open:
            self._open[day] = core.open_intervals(self.queue, day)
        minute = local.hour * 60 + local.minute
        return any(o <= minute < c for o, c in self._open[day])

    def required(self, local: datetime) -> int:
        term = self.term_for(local.date())
        if term is None:
            return 0
        return self.table.get((term.pk, local.weekday(), local.hour), 0)


def coverage(
    queue: Queue, start: datetime, end: datetime, *, given_up_count: bool = False
) -> list[HourCoverage]:
    """Each local hour of `queue` in [start, end): open or not, librarians
    required and the shifts that cover all of it (filled or not). A few
    queries whatever the length of the range.

    With `given_up_count`, a shift given up but still assigned counts as
    filled: its give-up has alerts of its own (S3, S4), so the gap alerts
    look only at hours nobody was ever scheduled for."""
    zone = queue.zone
    reqs = _Requirements(
        queue, start.astimezone(zone).date(), end.astimezone(zone).date()
    )
    shifts = list(shifts_between(start, end, queue=queue))
    hours = []
    for at in local_hours(start, end, zone):
        local = at.astimezone(zone)
        is_open = reqs.is_open(local)
        cell = HourCoverage(
            starts_at=at, open=is_open, required=reqs.required(local) if is_open else 0
        )
        for shift in shifts:
            if shift.starts_at >= at + HOUR or shift.ends_at <= at:
                continue
            if shift.starts_at <= at and shift.ends_at >= at + HOUR:
                filled = shift_is_filled(shift) or (
                    given_up_count
                    and shift.assignee_id is not None
                    and shift.status == Shift.Status.SCHEDULED
                )
                (cell.filled if filled else cell.unfilled).append(shift)
            else:
                cell.partial.append(shift)
        hours.append(cell)
    return hours


@dataclass
class Gap:
    """Consecutive hours of one queue below its requirement."""

    queue: Queue
    starts_at: datetime
    ends_at: datetime
    required: int
    count: int
    hours: list[HourCoverage]


def coverage_gaps(
    queue: Queue, start: datetime, end: datetime, *, given_up_count: bool = False
) -> list[Gap]:
    """Hours in [start, end) where fewer librarians are scheduled than
    required, merged into runs with the same shortfall."""
    gaps: list[Gap] = []
    for cell in coverage(queue, start, end, given_up_count=given_up_count):
        if not cell.short:
            continue
        last = gaps[-1] if gaps else None
        if (
            last
            and last.ends_at == cell.starts_at
            and (last.required, last.count) == (cell.required, cell.count)
        ):
            last.ends_at = cell.ends_at
            last.hours.append(cell)
        else:
            gaps.append(
                Gap(
                    queue,
                    cell.starts_at,
                    cell.ends_at,
                    cell.required,
                    cell.count,
                    [cell],
                )
            )
    return gaps


def unfilled_shifts(start: datetime, end: datetime, **filters):
    """Scheduled shifts in [start, end) that nobody will cover."""
    return [s for s in shifts_between(start, end, **filters) if not shift_is_filled(s)]


def coop_queues():
    return Queue.objects.active().coop().order_by("code")


# --- What a librarian sees -----------------------------------------------------


def my_shifts(staff: Staff, start: datetime, end: datetime):
    return shifts_between(start, end, assignee=staff).order_by("starts_at")


def claimable_offers(staff: Staff, now: datetime):
    """Open substitute requests `staff` may claim: their library's from the
    start, every library's once offered to the consortium; shifts not yet
    started and not their own."""
    if staff.role not in Staff.CHAT_ROLES or not staff.is_active:
        return SubstitutionRequest.objects.none()
    visible = Q(stage=SubstitutionRequest.Stage.CONSORTIUM)
    if staff.library_id:
        visible |= Q(shift__library_id=staff.library_id)
    if not staff.is_helpdesk:
        # Only queues the librarian's library staffs: its own, or its co-ops.
        visible &= Q(
            shift__queue__kind=Queue.Kind.COOP,
            shift__queue__member_libraries=staff.library_id,
        ) | Q(shift__queue__library_id=staff.library_id)
    return (
        SubstitutionRequest.objects.filter(
            visible,
            status=SubstitutionRequest.Status.OPEN,
            shift__starts_at__gt=now,
            shift__status=Shift.Status.SCHEDULED,
        )
        .exclude(offered_by=staff)
        .select_related("shift__queue__library", "shift__library", "offered_by")
        .order_by("shift__starts_at")
    )


def pending_approvals(user):
    """Claims waiting for `user`'s decision (their library's, or all for the
    help desk)."""
    qs = SubstitutionRequest.objects.filter(
        status=SubstitutionRequest.Status.PENDING
    ).select_related(
        "shift__queue__library", "shift__library", "offered_by", "claimed_by"
    )
    if getattr(user, "is_helpdesk", False):
        return qs
    if getattr(user, "is_coordinator", False) and user.library_id:
        return qs.filter(shift__library_id=user.library_id)
    return qs.none()


# --- For live chat ----------------------------------------------------------------


def shift_end_for(staff: Staff, at: datetime) -> datetime | None:
    """When the shift `staff` is on at `at` ends, following back-to-back shifts
    (any queue); None when they are not on a shift."""
    shifts = list(
        Shift.objects.live()
        .filter(assignee=staff, ends_at__gt=at, starts_at__lte=at + timedelta(hours=24))
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    )
    end = None
    for starts_at, ends_at in shifts:
        if end is None:
            if starts_at > at:
                return None
            end = ends_at
        elif starts_at <= end:
            end = max(end, ends_at)
        else:
            break
    return end


def shift_ended_at(staff_id: int | None, at: datetime) -> bool:
    return Shift.objects.live().filter(assignee_id=staff_id, ends_at=at).exists()
