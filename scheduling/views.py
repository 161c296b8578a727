"""The desk's schedule pages (SPEC S8): my shifts with their give-up, claim and
approval actions, one shift's history, a queue's week grid, and the private
iCalendar feed.

Plain server-rendered pages. Reads go through `scheduling.selectors` (and
plain model reads); every write is one POST to `action`, which validates its
fields, calls one service and comes back with a message (PRG)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe
from icalendar import Calendar, Event, vDuration

from consortium import scoping
from consortium.models import Queue, Staff
from consortium.services import DomainError
from scheduling import selectors, services
from scheduling.models import CalendarFeed, Shift, SubstitutionRequest
from scheduling.selectors import HOUR, HourCoverage

Offer = SubstitutionRequest
WEEKS = 8  # how far "My shifts" looks, unless asked for more (?weeks=, up to MAX_WEEKS)
MAX_WEEKS = 60
FEED_BEHIND = timedelta(days=30)
FEED_AHEAD = timedelta(days=2 * 366)  # terms are published about a year ahead
MAX_OPEN = 200
# Weeks the grid accepts: far enough for any schedule, near enough that
# "previous week" never leaves the calendar.
FIRST_WEEK, LAST_WEEK = date(2000, 1, 1), date(2100, 12, 31)


# --- Formatting ----------------------------------------------------------------


def _name(staff: Staff | None) -> str:
    if staff is None:
        return "nobody"
    return staff.get_full_name() or staff.username


def span(start: datetime, end: datetime, zone, *, day: bool = True) -> str:
    """ "Sun Jan 17, 08:00–11:00 CST"; the end's day too when it is a later
    day than the next midnight, the start's abbreviation too when a clock
    change falls inside."""
    s, e = start.astimezone(zone), end.astimezone(zone)
    begin = f"{s:%H:%M}" if s.tzname() == e.tzname() else f"{s:%H:%M %Z}"
    finish = f"{e:%H:%M %Z}"
    ends_at_midnight = e.time() == time(0) and e.date() == s.date() + timedelta(1)
    if e.date() != s.date() and not ends_at_midnight:
        return f"{s:%a %b %-d}, {begin} – {e:%a %b %-d}, {finish}"
    return f"{s:%a %b %-d}, {begin}–{finish}" if day else f"{begin}–{finish}"


def when(shift: Shift, zone) -> str:
    """The shift in the viewer's `zone`, with the queue's own clock in
    brackets when it reads differently."""
    text = span(shift.starts_at, shift.ends_at, zone)
    queue_zone = shift.queue.zone
    mine, theirs = (
        shift.starts_at.astimezone(zone),
        shift.starts_at.astimezone(queue_zone),
    )
    if (mine.utcoffset(), mine.tzname()) == (theirs.utcoffset(), theirs.tzname()):
        return text
    other = span(
        shift.starts_at, shift.ends_at, queue_zone, day=mine.date() != theirs.date()
    )
    return f"{text} ({other})"


def instant(at: datetime, zone) -> str:
    return f"{at.astimezone(zone):%a %b %-d, %H:%M %Z}"


def offer_status(offer: Offer | None, zone) -> str:
    if offer is None:
        return "Covered"
    if offer.status == Offer.Status.PENDING:
        return (
            "Given up — a substitute has claimed it, pending approval by the "
            "coordinator"
        )
    if offer.stage == Offer.Stage.LIBRARY:
        return (
            "Given up — looking for a substitute (offered to "
            f"{offer.shift.library.name} until {instant(offer.widen_at, zone)}, "
            "then to the whole consortium)"
        )
    return "Given up — looking for a substitute (offered to the whole consortium)"


# --- Rows and what the viewer may do with them ---------------------------------


@dataclass
class ShiftRow:
    shift: Shift
    when: str
    status: str
    offer: Offer | None = None
    can_give_up: bool = False
    can_withdraw: bool = False
    can_widen: bool = False
    can_claim: bool = False


def _open_offer(shift: Shift) -> Offer | None:
    return next(
        (o for o in shift.offers.all() if o.status in Offer.OPEN_STATUSES), None
    )


def shift_row(user, shift: Shift, now, zone, claimable=frozenset()) -> ShiftRow:
    """`shift` with the actions `user` may try; the services decide."""
    offer = _open_offer(shift)
    manages = scoping.owns(user, shift)
    mine = user.pk == shift.assignee_id
    may_manage_offer = offer is not None and (user.pk == offer.offered_by_id or manages)
    future = shift.starts_at > now and shift.status == Shift.Status.SCHEDULED
    return ShiftRow(
        shift=shift,
        when=when(shift, zone),
        status=offer_status(offer, zone),
        offer=offer,
        can_give_up=future
        and offer is None
        and shift.assignee_id is not None
        and (mine or manages),
        can_withdraw=future and may_manage_offer,
        can_widen=future
        and may_manage_offer
        and offer.status == Offer.Status.OPEN
        and offer.stage == Offer.Stage.LIBRARY,
        can_claim=offer is not None and offer.pk in claimable,
    )


# --- My shifts -----------------------------------------------------------------


def _int(text, *, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(text), low), high)
    except (TypeError, ValueError):
        return default


@login_required
def my_shifts(request):
    user = request.user
    if user.role not in Staff.CHAT_ROLES:
        return render(request, "scheduling/no_shifts.html")
    now = timezone.now()
    zone = selectors.viewer_zone(user)
    weeks = _int(request.GET.get("weeks"), default=WEEKS, low=1, high=MAX_WEEKS)
    shifts = selectors.my_shifts(
        user, now, now + timedelta(weeks=weeks)
    ).select_related("queue__library")
    offers = selectors.claimable_offers(user, now).select_related(
        "shift__queue__library"
    )[:MAX_OPEN]
    approvals = []
    if user.is_coordinator or user.is_helpdesk:
        approvals = selectors.pending_approvals(user).select_related(
            "shift__queue__library"
        )
    feed_url = request.build_absolute_uri(
        reverse("schedule-calendar", args=[services.calendar_feed(actor=user).token])
    )
    return render(
        request,
        "scheduling/my_shifts.html",
        {
            "zone": zone,
            "rows": [shift_row(user, s, now, zone) for s in shifts],
            "open_offers": [(o, when(o.shift, zone)) for o in offers],
            "show_approvals": user.is_coordinator or user.is_helpdesk,
            "approvals": [(o, when(o.shift, zone)) for o in approvals],
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
            "weeks": weeks,
            "more_weeks": min(weeks + 26, MAX_WEEKS) if weeks < MAX_WEEKS else None,
        },
    )


# --- Actions -------------------------------------------------------------------


class ShiftForm(forms.Form):
    shift = forms.IntegerField(label="Shift", min_value=1)


class GiveUpForm(ShiftForm):
    reason = forms.CharField(label="Reason", max_length=300, required=False)


class OfferForm(forms.Form):
    offer = forms.IntegerField(label="Substitute request", min_value=1)


class DecideForm(OfferForm):
    decision = forms.ChoiceField(
        label="Decision", choices=[("approve", "Approve"), ("reject", "Turn down")]
    )
    note = forms.CharField(label="Note", max_length=300, required=False)


def _give_up(user, data) -> str:
    offer = services.shift_give_up(
        actor=user, shift_id=data["shift"], reason=data["reason"]
    )
    if offer.stage == Offer.Stage.CONSORTIUM:
        return "Shift given up: it is offered to the whole consortium now."
    return (
        f"Shift given up: it is offered to {offer.shift.library.name} until "
        f"{instant(offer.widen_at, selectors.viewer_zone(user))}, then to "
        "everyone. The shift stays yours until somebody takes it."
    )


def _withdraw(user, data) -> str:
    services.substitution_withdraw(actor=user, offer_id=data["offer"])
    return "Give-up withdrawn: the shift is covered by its librarian again."


def _widen(user, data) -> str:
    services.substitution_widen(actor=user, offer_id=data["offer"])
    return "The shift is offered to the whole consortium now."


def _claim(user, data) -> str:
    offer = services.shift_claim(actor=user, offer_id=data["offer"])
    if offer.status == Offer.Status.PENDING:
        return (
            "You claimed the shift. Its library's coordinator approves "
            "substitutes; you will hear by email."
        )
    return "The shift is yours now. Thank you for covering it!"


def _decide(user, data) -> str:
    approve = data["decision"] == "approve"
    services.substitution_decide(
        actor=user, offer_id=data["offer"], approve=approve, note=data["note"]
    )
    if approve:
        return "Approved: the substitute has the shift now."
    return "Turned down: the shift is looking for a substitute again."


def _feed_reset(user, data) -> str:
    services.calendar_feed_reset(actor=user)
    return (
        "Your calendar link is new: the old one no longer works. Subscribe again "
        "with the new link."
    )


@dataclass(frozen=True)
class Action:
    form: type[forms.Form]
    run: Callable[[Staff, dict], str]
    anchor: str = ""


ACTIONS = {
    "give-up": Action(GiveUpForm, _give_up),
    "withdraw": Action(OfferForm, _withdraw),
    "widen": Action(OfferForm, _widen),
    "claim": Action(OfferForm, _claim, "#open-shifts"),
    "decide": Action(DecideForm, _decide, "#approvals"),
    "feed-reset": Action(forms.Form, _feed_reset, "#calendar"),
}


def _problem(form: forms.Form) -> str:
    parts = [
        f"{form.fields[name].label}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    ]
    return "That did not work — " + " ".join(parts) + " Reload the page and try again."


def _back(request, anchor: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("schedule-mine") + anchor)


@login_required
@require_POST
def action(request):
    """One schedule action: `action` names it, the other fields are its form."""
    spec = ACTIONS.get(request.POST.get("action", ""))
    if spec is None:
        messages.error(request, "Unknown schedule action. Reload the page.")
        return _back(request, "")
    form = spec.form(request.POST)
    if not form.is_valid():
        messages.error(request, _problem(form))
        return _back(request, spec.anchor)
    try:
        done = spec.run(request.user, form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
    except PermissionDenied as error:
        messages.error(request, str(error) or "You are not allowed to do that.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return _back(request, spec.anchor)


# --- One shift -----------------------------------------------------------------


def _may_see(user, shift: Shift, offers: list[Offer], now) -> bool:
    """The assignee, whoever gave it up or claimed it, anyone who could claim
    it now, its library's coordinator and the help desk."""
    if user.pk == shift.assignee_id or scoping.owns(user, shift):
        return True
    if any(user.pk in (o.offered_by_id, o.claimed_by_id) for o in offers):
        return True
    return selectors.claimable_offers(user, now).filter(shift=shift).exists()


@login_required
def shift_detail(request, pk):
    user = request.user
    shift = get_object_or_404(
        Shift.objects.select_related(
            "queue__library", "library", "assignee", "slot"
        ).prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.select_related(
                    "offered_by", "claimed_by", "decided_by"
                ).order_by("created_at"),
            )
        ),
        pk=pk,
    )
    offers = list(shift.offers.all())
    now = timezone.now()
    if not _may_see(user, shift, offers, now):
        raise Http404("No such shift on your schedule.")
    zone = selectors.viewer_zone(user)
    claim_ids = set(
        selectors.claimable_offers(user, now)
        .filter(shift=shift)
        .values_list("pk", flat=True)
    )
    events = shift.events.select_related("actor")
    return render(
        request,
        "scheduling/shift.html",
        {
            "row": shift_row(user, shift, now, zone, claim_ids),
            "zone": zone,
            "offers": [
                (
                    o,
                    instant(o.created_at, zone),
                    o.decided_at and instant(o.decided_at, zone),
                )
                for o in offers
            ],
            "events": [(e, instant(e.at, zone)) for e in events],
        },
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
    return f"{_name(staff)}{library}"


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


# --- The iCalendar feed --------------------------------------------------------


def _uid_host(request) -> str:
    return urlsplit(settings.SITE_URL).hostname or request.get_host()


@require_safe
def calendar_feed(request, token):
    """A librarian's shifts as iCalendar, from 30 days ago on. No login: the
    token in the address is the secret (reset it on "My shifts")."""
    feed = (
        CalendarFeed.objects.select_related("staff__library")
        .filter(token=token, staff__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404("No such calendar.")
    staff = feed.staff
    now = timezone.now()
    shifts = (
        selectors.my_shifts(staff, now - FEED_BEHIND, now + FEED_AHEAD)
        .select_related("queue__library")
        .annotate(last_change=Max("events__at"))
    )
    host = _uid_host(request)
    cal = Calendar()
    cal.add("prodid", "-//AskTogether//Chat shifts//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"AskTogether shifts — {_name(staff)}")
    cal.add("name", f"AskTogether shifts — {_name(staff)}")
    cal.add("refresh-interval", HOUR, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(HOUR))
    for shift in shifts:
        given_up = _open_offer(shift) is not None
        link = request.build_absolute_uri(shift.get_absolute_url())
        lines = [
            f"Queue: {shift.queue.name} ({shift.queue.code})",
            f"Library: {shift.library.name}",
            f"Queue time: {span(shift.starts_at, shift.ends_at, shift.queue.zone)}",
        ]
        if given_up:
            lines.append(
                "Given up: looking for a substitute. The shift stays yours until "
                "somebody takes it."
            )
        lines.append(f"Shift page: {link}")
        event = Event()
        event.add("uid", f"shift-{shift.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add(
            "summary",
            f"Chat shift: {shift.queue.name}{' (given up)' if given_up else ''}",
        )
        event.add("description", "\n".join(lines))
        event.add("url", link)
        if shift.last_change:
            event.add("last-modified", shift.last_change)
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="asktogether-shifts.ics"'
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, no_cache=True)
    return response
