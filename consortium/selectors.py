"""Reads of the consortium core: is a queue open or online, which term applies,
what a library's status is. Every time argument is an aware datetime; days are
calendar days in the queue's own time zone."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from consortium.models import (
    Closure,
    ConsortiumSettings,
    Holiday,
    Liaison,
    Library,
    PostedHours,
    Queue,
    QueueMonitor,
    ReferralAgreement,
    Term,
    TermType,
)

# Days outside every dated term are regular (semester) days.
DEFAULT_TERM_TYPE = TermType.SEMESTER


def _require_aware(at: datetime) -> None:
    if timezone.is_naive(at):
        raise ValueError("An instant must be timezone-aware.")


def term_on(*, library_id: int | None, day: date) -> Term | None:
    """The term in force on `day`: the library's own, else the consortium's."""
    terms = Term.objects.covering(day)
    if library_id is not None:
        own = terms.filter(library_id=library_id).first()
        if own:
            return own
    return terms.filter(library__isnull=True).first()


def term_type_on(*, library_id: int | None, day: date) -> str:
    term = term_on(library_id=library_id, day=day)
    return term.term_type if term else DEFAULT_TERM_TYPE


def closed_all_day(queue: Queue, day: date) -> str | None:
    """Why `queue` is closed all of `day` (holiday, closure, inactive), or None."""
    if not queue.active or (queue.library_id and not queue.library.active):
        return "This service is not active."
    holiday = Holiday.objects.covering(day).first()
    if holiday:
        return f"Closed for {holiday.name}."
    if not queue.is_coop:
        closure = (
            Closure.objects.filter(library_id=queue.library_id).covering(day).first()
        )
        if closure:
            return f"Closed: {closure.reason}."
    return None


def open_intervals(queue: Queue, day: date) -> list[tuple[int, int]]:
    """(opens, closes) minute pairs posted for `day`, empty when closed all day."""
    if closed_all_day(queue, day):
        return []
    term_type = term_type_on(library_id=queue.library_id, day=day)
    return list(
        queue.hours.for_day(term_type, day.weekday()).values_list("opens", "closes")
    )


def queue_is_open(queue: Queue, at: datetime) -> bool:
    """Is `queue` within its posted hours at instant `at`?

    Reads the wall-clock time in the queue's time zone, so daylight-saving
    changes move the opening instants with the clock; applies the term in force
    that day, consortium holidays and (for local queues) library closures.
    """
    _require_aware(at)
    local = at.astimezone(queue.zone)
    minute = local.hour * 60 + local.minute
    return any(
        opens <= minute < closes
        for opens, closes in open_intervals(queue, local.date())
    )


def presence_cutoff(at: datetime) -> datetime:
    """Heartbeats at or before this instant no longer count as monitoring."""
    return at - timedelta(seconds=ConsortiumSettings.load().presence_timeout_seconds)


def fresh_monitors(at: datetime):
    """Monitors of active staff whose heartbeat is younger than the timeout."""
    return QueueMonitor.objects.filter(
        staff__is_active=True, last_seen__gt=presence_cutoff(at)
    )


def live_monitors(queue: Queue, at: datetime):
    return fresh_monitors(at).filter(queue=queue)


def queue_is_online(queue: Queue, at: datetime) -> bool:
    """Open at `at` and monitored by at least one librarian with a live heartbeat."""
    return queue_is_open(queue, at) and live_monitors(queue, at).exists()


def next_opening(
    queue: Queue, at: datetime, *, horizon_days: int = 14
) -> datetime | None:
    """The next instant after `at` when `queue` opens, within `horizon_days`."""
    _require_aware(at)
    zone = queue.zone
    local = at.astimezone(zone)
    minute_now = local.hour * 60 + local.minute
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        for opens, _closes in sorted(open_intervals(queue, day)):
            if offset == 0 and opens <= minute_now:
                continue
            naive = datetime.combine(day, datetime.min.time()) + timedelta(
                minutes=opens
            )
            return naive.replace(tzinfo=zone)
    return None


@dataclass
class QueueStatus:
    queue: Queue
    open: bool
    online: bool
    next_opening: datetime | None = None


@dataclass
class LibraryStatus:
    library: Library
    online: bool
    queues: list[QueueStatus] = field(default_factory=list)


def queue_status(queue: Queue, at: datetime) -> QueueStatus:
    is_open = queue_is_open(queue, at)
    online = is_open and live_monitors(queue, at).exists()
    return QueueStatus(
        queue=queue,
        open=is_open,
        online=online,
        next_opening=None if is_open else next_opening(queue, at),
    )


def library_status(library: Library, at: datetime | None = None) -> LibraryStatus:
    """Whether a patron of `library` can chat now: its local queue or one of its
    co-op queues is online (SPEC L2 routes to the co-op when local is offline)."""
    at = at or timezone.now()
    queues = list(library.queues.active().select_related("library")) + list(
        library.coops.active()
    )
    statuses = [queue_status(q, at) for q in queues]
    return LibraryStatus(
        library=library,
        online=library.active and any(s.online for s in statuses),
        queues=statuses,
    )


class HoursCalendar:
    """Holidays, closures, terms and posted hours of `queues` from `first` to
    `last`, read once (four queries), by the rules `closed_all_day`,
    `term_on` and `open_intervals` apply one day at a time: for lists of
    queues and runs of days."""

    def __init__(self, queues: Iterable[Queue] | None, first: date, last: date):
        """`queues=None`: of every queue."""
        closures = Closure.objects.overlapping(first, last)
        terms = Term.objects.overlapping(first, last)
        hours = PostedHours.objects.all()
        if queues is not None:
            queue_ids = [q.pk for q in queues]
            libraries = {q.library_id for q in queues if q.library_id is not None}
            closures = closures.filter(library_id__in=libraries)
            terms = terms.filter(Q(library__isnull=True) | Q(library_id__in=libraries))
            hours = hours.filter(queue__in=queue_ids)
        self.holidays = list(Holiday.objects.overlapping(first, last))
        self.closures: dict[int, list[Closure]] = {}
        for closure in closures:
            self.closures.setdefault(closure.library_id, []).append(closure)
        self.terms = list(terms.order_by("start_date", "pk"))
        self.hours: dict[tuple, list[tuple[int, int]]] = {}
        for row in hours.order_by("opens"):
            key = (row.queue_id, row.term_type, row.weekday)
            self.hours.setdefault(key, []).append((row.opens, row.closes))

    def holiday(self, day: date) -> bool:
        return any(h.start_date <= day <= h.end_date for h in self.holidays)

    def term_type(self, library_id: int | None, day: date) -> str:
        covering = [t for t in self.terms if t.start_date <= day <= t.end_date]
        term = next((t for t in covering if t.library_id == library_id), None) or next(
            (t for t in covering if t.library_id is None), None
        )
        return term.term_type if term else DEFAULT_TERM_TYPE

    def open_intervals(self, queue: Queue, day: date) -> list[tuple[int, int]]:
        """(opens, closes) minute pairs posted for `day`, empty when closed all
        day (an active queue of an active library: the caller checks that)."""
        if self.holiday(day):
            return []
        if not queue.is_coop and any(
            c.start_date <= day <= c.end_date
            for c in self.closures.get(queue.library_id, [])
        ):
            return []
        key = (queue.pk, self.term_type(queue.library_id, day), day.weekday())
        return self.hours.get(key, [])


# Every chat start and pickup asks whether queues are open now. Each process
# keeps the calendar of every queue for the days asked this long; a change
# to a holiday, closure, term or posted hours in this process forgets it at
# once (`forget_calendars`, from the post_save and post_delete signals, and
# again on commit); other processes see a change within these seconds.
CALENDAR_CACHE_SECONDS = 5.0
_calendars: dict[tuple[date, date], tuple[float, HoursCalendar]] = {}


def shared_calendar(first: date, last: date) -> HoursCalendar:
    """`HoursCalendar` of every queue from `first` to `last`, kept a few
    seconds per process (read-only: shared by threads)."""
    key, now = (first, last), time.monotonic()
    kept = _calendars.get(key)
    if kept is not None and now < kept[0]:
        return kept[1]
    calendar = HoursCalendar(None, first, last)
    if len(_calendars) >= 8:
        _calendars.clear()
    _calendars[key] = (now + CALENDAR_CACHE_SECONDS, calendar)
    return calendar


def forget_calendars() -> None:
    _calendars.clear()


def _active(queues: Iterable[Queue]) -> list[Queue]:
    """The active queues (of active libraries) among `queues`, as
    `closed_all_day` counts them."""
    return [
        q for q in queues if q.active and (q.library_id is None or q.library.active)
    ]


def _open_now(queues: list[Queue], at: datetime) -> dict[int, tuple[datetime, int]]:
    """For each of the (active) `queues` open at `at`: its local time and the
    minute its current open interval closes. The calendar of all of them is
    read at once for every queue, and kept a few seconds (`shared_calendar`)."""
    if not queues:
        return {}
    local = {q.pk: at.astimezone(q.zone) for q in queues}
    days = [moment.date() for moment in local.values()]
    calendar = shared_calendar(min(days), max(days))
    found = {}
    for queue in queues:
        moment = local[queue.pk]
        minute = moment.hour * 60 + moment.minute
        for opens, closes in calendar.open_intervals(queue, moment.date()):
            if opens <= minute < closes:
                found[queue.pk] = (moment, closes)
                break
    return found


def queues_online(queues: Iterable[Queue], at: datetime) -> set[int]:
    """The ids of `queues` online at `at`, by the rules of `queue_is_online`
    (`closed_all_day`, `term_on`, the posted hours, live monitors), in a
    fixed number of queries whatever the number of queues: for lists of them. Each
    queue's `library` should be loaded with it (`select_related`)."""
    _require_aware(at)
    queues = _active(queues)
    monitored = set(
        fresh_monitors(at)
        .filter(queue__in=[q.pk for q in queues])
        .values_list("queue_id", flat=True)
    )
    return set(_open_now([q for q in queues if q.pk in monitored], at))


def libraries_online(libraries: Iterable[Library], at: datetime) -> set[int]:
    """The ids of `libraries` whose patrons can chat at `at` (as
    `library_status(...).online`: active, and the local queue or one of the
    co-op queues online), in a fixed number of queries: for lists of them."""
    libraries = [library for library in libraries if library.active]
    ids = [library.pk for library in libraries]
    local = list(
        Queue.objects.active().filter(library_id__in=ids).select_related("library")
    )
    memberships = list(
        Library.coops.through.objects.filter(
            library_id__in=ids, queue__active=True
        ).select_related("queue")
    )
    online = queues_online(local + [m.queue for m in memberships], at)
    return {q.library_id for q in local if q.pk in online} | {
        m.library_id for m in memberships if m.queue_id in online
    }


def counted_closure_days(start: date, end: date) -> int:
    """Days from `start` to `end` inclusive that are not consortium holidays."""
    holidays = set()
    for holiday in Holiday.objects.overlapping(start, end):
        day = max(holiday.start_date, start)
        while day <= min(holiday.end_date, end):
            holidays.add(day)
            day += timedelta(days=1)
    return (end - start).days + 1 - len(holidays)


def library_forwards_tickets(library: Library, day: date) -> bool:
    """Whether new tickets of `library` go to the help desk on `day` (SPEC C4)."""
    return (
        Closure.objects.filter(library=library, forwards_tickets=True)
        .covering(day)
        .exists()
    )


def posted_hours_table(queue: Queue) -> dict[str, dict[int, list[PostedHours]]]:
    """Posted hours of `queue` grouped by term type, then weekday."""
    table: dict[str, dict[int, list[PostedHours]]] = {}
    for row in queue.hours.order_by("term_type", "weekday", "opens"):
        table.setdefault(row.term_type, {}).setdefault(row.weekday, []).append(row)
    return table


def referral_directory(query: str = ""):
    """Liaisons and referral agreements of every library matching `query`
    (subject, name, library), for referrals from the desk (SPEC C5)."""
    liaisons = Liaison.objects.filter(library__active=True).select_related("library")
    referrals = ReferralAgreement.objects.select_related("from_library", "to_library")
    for word in query.split()[:8]:
        liaisons = liaisons.filter(
            Q(subject__icontains=word)
            | Q(name__icontains=word)
            | Q(library__name__icontains=word)
        )
        referrals = referrals.filter(
            Q(subject__icontains=word)
            | Q(notes__icontains=word)
            | Q(from_library__name__icontains=word)
            | Q(to_library__name__icontains=word)
        )
    return liaisons.order_by("subject", "library__name"), referrals.order_by("subject")


def queues_close_at(queues: Iterable[Queue], at: datetime) -> dict[int, datetime]:
    """When the open interval that contains `at` ends, for each of `queues`
    open at `at` (a 24:00 close is the next midnight; queues not open are
    left out), by the rules of `queue_is_open`, in a fixed number of
    queries. Each queue's `library` should be loaded with it
    (`select_related`)."""
    _require_aware(at)
    return {
        pk: datetime.combine(moment.date(), datetime.min.time(), tzinfo=moment.tzinfo)
        + timedelta(minutes=closes)
        for pk, (moment, closes) in _open_now(_active(queues), at).items()
    }
