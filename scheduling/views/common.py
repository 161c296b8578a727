"""Formatting of times for a viewer, and one shift row with what the viewer may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from consortium import scoping
from consortium.models import Staff
from scheduling.models import Shift, SubstitutionRequest

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


def staff_name(staff: Staff | None) -> str:
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


def open_offer(shift: Shift) -> Offer | None:
    return next(
        (o for o in shift.offers.all() if o.status in Offer.OPEN_STATUSES), None
    )


def shift_row(user, shift: Shift, now, zone, claimable=frozenset()) -> ShiftRow:
    """`shift` with the actions `user` may try; the services decide."""
    offer = open_offer(shift)
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
