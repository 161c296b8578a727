"""Week grids per queue, coloured by coverage against requirement (S8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from consortium.models import Queue, Staff
from scheduling import selectors
from scheduling.models import Shift
from scheduling.selectors import HOUR, HourCoverage
from scheduling.views.common import (
    FIRST_WEEK,
    LAST_WEEK,
    span,
    staff_name,
)

# --- Week grids ----------------------------------------------------------------


def _queues_for(user):
    local = Queue.objects.active().local().select_related("library").order_by("code")
    if not user.is_helpdesk:
        local = local.filter(library_id=user.library_id) if user.library_id else []
    return list(selectors.coop_queues()) + list(local)


def _may_see_queue(user, queue: Queue) -> bool:
    return queue.is_coop or user.is_helpdesk or queue.library_id == user.library_id


@login_required
def grid_index(request):
    return render(
        request, "scheduling/grid_index.html", {"queues": _queues_for(request.user)}
    )


@dataclass
class GridPart:
    """What one queue hour looks like in a cell."""

    state: str
    text: str
    filled: list[str]
    unfilled: list[str]
    partial: list[str]
    label: str = ""


@dataclass
class GridEntry:
    """One real local hour (a fall-back day has two 01:00 entries)."""

    at: datetime
    label: str
    parts: list[GridPart] = field(default_factory=list)

    @property
    def iso(self) -> str:
        return f"{self.at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def _staff_label(staff: Staff) -> str:
    library = f" ({staff.library.code})" if staff.library_id else ""
    return f"{staff_name(staff)}{library}"


def grid_part(cell: HourCoverage, zone, label: str = "") -> GridPart:
    if cell.state == "closed":
        text = "closed"
    elif not cell.required:
        text = f"{cell.count} on, none required" if cell.count else "none required"
    else:
        text = f"{cell.count}/{cell.required} {cell.state}"  # met, short, empty

    def unfilled(shift: Shift) -> str:
        return (
            f"{_staff_label(shift.assignee)} (given up)"
            if shift.assignee_id
            else "unassigned shift"
        )

    def partial(shift: Shift) -> str:
        who = _staff_label(shift.assignee) if shift.assignee_id else "unassigned"
        return f"{who}, {span(shift.starts_at, shift.ends_at, zone, day=False)}"

    return GridPart(
        state=cell.state,
        text=text,
        filled=[_staff_label(s.assignee) for s in cell.filled],
        unfilled=[unfilled(s) for s in cell.unfilled],
        partial=[partial(s) for s in cell.partial],
        label=label,
    )


def _week_of(request, zone) -> date:
    today = timezone.now().astimezone(zone).date()
    raw = request.GET.get("week")
    if not raw:
        return selectors.week_start(today)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or not FIRST_WEEK <= day <= LAST_WEEK:
        messages.error(
            request,
            f"“{raw[:40]}” is not a week this grid can show (use a date like "
            f"{today:%Y-%m-%d}). Showing this week.",
        )
        day = today
    return selectors.week_start(day)


@login_required
def grid(request, code):
    user = request.user
    queue = get_object_or_404(Queue.objects.select_related("library"), code=code)
    if not _may_see_queue(user, queue):
        raise Http404("No such queue.")
    in_queue_zone = request.GET.get("tz") == "queue"
    zone = queue.zone if in_queue_zone else selectors.viewer_zone(user)
    monday = _week_of(request, zone)
    days = [monday + timedelta(days=i) for i in range(8)]
    # Each column is built from the real local hours of its day, so a
    # spring-forward day has no 02:00 and a fall-back day has two 01:00s.
    bounds = [selectors.local_instant(d, 0, zone) for d in days]
    cells = selectors.coverage(queue, bounds[0], bounds[-1])
    by_start = {c.starts_at: c for c in cells}
    rows = [[[] for _ in range(7)] for _ in range(24)]
    for column in range(7):
        for at in selectors.local_hours(bounds[column], bounds[column + 1], zone):
            local = at.astimezone(zone)
            rows[local.hour][column].append(GridEntry(at=at, label=f"{local:%H:%M %Z}"))
    for hour in rows:
        for entries in hour:
            for entry in entries:
                exact = by_start.get(entry.at)
                if exact is not None:
                    entry.parts = [grid_part(exact, zone)]
                    continue
                # A zone whose clock is not a whole number of hours off the
                # queue's: each viewer hour overlaps two queue hours.
                entry.parts = [
                    grid_part(
                        c, zone, label=f"from {c.starts_at.astimezone(zone):%H:%M}"
                    )
                    for c in cells
                    if c.starts_at < entry.at + HOUR and c.ends_at > entry.at
                ]
    query = "&tz=queue" if in_queue_zone else ""
    return render(
        request,
        "scheduling/grid.html",
        {
            "queue": queue,
            "zone": zone,
            "in_queue_zone": in_queue_zone,
            "zone_differs": queue.zone.key != selectors.viewer_zone(user).key,
            "monday": monday,
            "days": days[:7],
            "rows": [(f"{h:02d}:00", cols) for h, cols in enumerate(rows)],
            "previous": f"?week={monday - timedelta(days=7):%Y-%m-%d}{query}",
            "next": f"?week={monday + timedelta(days=7):%Y-%m-%d}{query}",
            "this_week": f"?week={monday:%Y-%m-%d}",
        },
    )
