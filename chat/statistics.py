"""Help-desk statistics (SPEC R1, R2): how many questions were asked in a
period, how long patrons waited, how many chats were missed, how tickets were
answered and how chats were resolved, by library, channel or time.

`conversation_statistics` reads the few columns it needs of every
conversation in the period in one query (plus one for library names when
grouping by library) and counts in Python, so the number of queries does not
grow with the number of rows or groups. Percentiles are computed here too:
SQLite has no percentile function, and one per group in SQL would be a query
per group.

Periods are whole days in the consortium's time zone (`settings.TIME_ZONE`);
day, week, month and hour-of-week groups are local to that zone as well.
"""

from __future__ import annotations

import math
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from chat.models import Conversation
from consortium.models import Library

BY_CHOICES = (
    "library",
    "answering_library",
    "channel",
    "day",
    "week",
    "month",
    "hour_of_week",
)
PERIOD_CHOICES = ("last-month", "this-month", "last-7-days", "last-30-days")
MAX_DAYS = 731  # two years, one of them a leap year

UNANSWERED = "unanswered"
HELPDESK = "helpdesk"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Channel = Conversation.Channel
Resolution = Conversation.Resolution
QuestionType = Conversation.QuestionType


# --- Periods --------------------------------------------------------------------


def consortium_zone() -> zoneinfo.ZoneInfo:
    """The consortium's time zone (`settings.TIME_ZONE`): reports count days
    there, whatever the member libraries' own zones."""
    return timezone.get_default_timezone()


def local_midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The instant `day` begins in `zone`."""
    return datetime.combine(day, time(), tzinfo=zone)


@dataclass(frozen=True)
class Period:
    """The days `first` to `last` (both included) in `zone`."""

    first: date
    last: date
    zone: zoneinfo.ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The instant after the period (midnight ending `last`)."""
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def month_period(year: int, month: int, zone: zoneinfo.ZoneInfo) -> Period:
    """The calendar month `year`-`month`."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(first, following - timedelta(days=1), zone)


def named_period(name: str, *, today: date, zone: zoneinfo.ZoneInfo) -> Period:
    """`last-month` (the calendar month before `today`'s), `this-month` (its
    first day to `today`), `last-7-days` and `last-30-days` (ending with
    `today`, which is included)."""
    if name == "last-month":
        previous = today.replace(day=1) - timedelta(days=1)
        return month_period(previous.year, previous.month, zone)
    if name == "this-month":
        return Period(today.replace(day=1), today, zone)
    if name in ("last-7-days", "last-30-days"):
        days = 7 if name == "last-7-days" else 30
        return Period(today - timedelta(days=days - 1), today, zone)
    raise ValueError(f"Unknown period {name!r}.")


# --- Figures of one group -------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """The `p`-th percentile (0-100) of sorted `values`, interpolating
    linearly between the closest ranks (as numpy's default and a
    spreadsheet's PERCENTILE.INC); None when there are none."""
    if not values:
        return None
    rank = (len(values) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return values[low] + (values[high] - values[low]) * (rank - low)


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


@dataclass
class Tally:
    """The running counts of one group (or of the totals)."""

    asked: int = 0
    answered: int = 0
    missed: int = 0
    chats: int = 0
    missed_chats: int = 0
    tickets: int = 0
    tickets_answered: int = 0
    waits: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    first_responses: list[float] = field(default_factory=list)
    channels: Counter = field(default_factory=Counter)
    resolutions: Counter = field(default_factory=Counter)
    question_types: Counter = field(default_factory=Counter)

    def add(self, row) -> None:
        """Count one conversation (a row of `COLUMNS`). Waits and durations
        are of live chats only: an SMS or email waits hours by design and
        would drown the chat figures."""
        self.asked += 1
        self.channels[row.channel] += 1
        self.answered += row.accepted_at is not None
        self.missed += row.status == Conversation.Status.MISSED
        if row.channel == Channel.CHAT:
            self.chats += 1
            self.missed_chats += row.status == Conversation.Status.MISSED
            if row.accepted_at is not None:
                self.waits.append(_seconds(row.requested_at, row.accepted_at))
                if row.ended_at is not None:
                    self.durations.append(_seconds(row.accepted_at, row.ended_at))
        if row.ticket__pk is not None:
            self.tickets += 1
            if row.ticket__first_response_at is not None:
                self.tickets_answered += 1
                self.first_responses.append(
                    _seconds(row.ticket__created_at, row.ticket__first_response_at)
                    / 3600
                )
        if row.resolution:
            self.resolutions[row.resolution] += 1
        if row.question_type:
            self.question_types[row.question_type] += 1

    def summary(self) -> dict:
        """The figures the API answers with (see `StatisticsSerializer`)."""
        waits, durations = sorted(self.waits), sorted(self.durations)
        first_responses = sorted(self.first_responses)
        return {
            "asked": self.asked,
            "answered": self.answered,
            "missed": self.missed,
            "missed_rate": round(self.missed_chats / self.chats, 4)
            if self.chats
            else None,
            "tickets": self.tickets,
            "tickets_answered": self.tickets_answered,
            "wait_seconds": {
                "count": len(waits),
                "median": _rounded(percentile(waits, 50)),
                "p90": _rounded(percentile(waits, 90)),
                "max": _rounded(waits[-1] if waits else None),
            },
            "duration_seconds": {
                "count": len(durations),
                "median": _rounded(percentile(durations, 50)),
                "p90": _rounded(percentile(durations, 90)),
            },
            "ticket_first_response_hours": {
                "count": len(first_responses),
                "median": _rounded(percentile(first_responses, 50), 2),
            },
            "resolutions": _counts(self.resolutions, Resolution),
            "channels": _counts(self.channels, Channel),
            "question_types": _counts(self.question_types, QuestionType),
        }


def _counts(counter: Counter, choices) -> dict[str, int]:
    """Every choice of `choices`, counted (zero included, so a chart or a
    spreadsheet always has the same columns)."""
    return {value: counter[value] for value in choices.values}


# --- Groups ---------------------------------------------------------------------

# What is read of each conversation: one row each, in one query.
COLUMNS = (
    "requested_at",
    "accepted_at",
    "ended_at",
    "channel",
    "status",
    "resolution",
    "question_type",
    "library_id",
    "librarian_id",
    "librarian__library_id",
    "ticket__pk",
    "ticket__created_at",
    "ticket__first_response_at",
    "ticket__assignee_id",
    "ticket__assignee__library_id",
)


def _answering_key(row):
    """Whose library answered: the chat's librarian's home library, or for a
    ticket nobody picked up live, the library of whoever replied first by
    email (replying claims the ticket). The help desk has no library."""
    if row.librarian_id is not None:
        library_id = row.librarian__library_id
    elif row.ticket__first_response_at is not None and row.ticket__assignee_id:
        library_id = row.ticket__assignee__library_id
    else:
        return UNANSWERED
    return HELPDESK if library_id is None else library_id


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _key(by: str, row, zone: zoneinfo.ZoneInfo):
    """The group of `row` (a library's id for the library groupings)."""
    if by == "library":
        return row.library_id
    if by == "answering_library":
        return _answering_key(row)
    if by == "channel":
        return row.channel
    local = row.requested_at.astimezone(zone)
    if by == "day":
        return local.date().isoformat()
    if by == "week":
        return _week_of(local.date()).isoformat()
    if by == "month":
        return f"{local.year:04d}-{local.month:02d}"
    return f"{local.weekday()}-{local.hour:02d}"  # hour_of_week


def _day_label(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b %Y}"


def _time_buckets(by: str, period: Period) -> list[tuple[str, str]]:
    """Every day, week, month or hour of the week of `period` as (key,
    label), in order, so that a chart has no holes."""
    if by == "hour_of_week":
        return [
            (f"{d}-{h:02d}", f"{WEEKDAYS[d]} {h:02d}:00-{(h + 1) % 24:02d}:00")
            for d in range(7)
            for h in range(24)
        ]
    if by == "day":
        days = (period.first + timedelta(days=n) for n in range(period.days))
        return [(d.isoformat(), _day_label(d)) for d in days]
    if by == "week":
        monday, weeks = _week_of(period.first), []
        while monday <= period.last:
            weeks.append((monday.isoformat(), f"Week of {_day_label(monday)}"))
            monday += timedelta(days=7)
        return weeks
    months, year, month = [], period.first.year, period.first.month
    while (year, month) <= (period.last.year, period.last.month):
        months.append((f"{year:04d}-{month:02d}", f"{date(year, month, 1):%B %Y}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _library_buckets(
    by: str, seen: Iterable, listed: QuerySet[Library] | None
) -> list[tuple[object, str, str]]:
    """The library groups as (internal key, key, label): the libraries seen,
    plus for `library` every library of `listed` (in one query); by name,
    with the help desk and the unanswered last."""
    ids = {key for key in seen if isinstance(key, int)}
    wanted = Q(pk__in=ids)
    if by == "library" and listed is not None:
        wanted |= Q(pk__in=listed.values("pk"))
    libraries = Library.objects.filter(wanted).only("pk", "code", "name")
    buckets = [(lib.pk, lib.code, lib.name) for lib in libraries.order_by("name")]
    if HELPDESK in seen:
        buckets.append((HELPDESK, HELPDESK, "Help desk"))
    if UNANSWERED in seen:
        buckets.append((UNANSWERED, UNANSWERED, "Not answered"))
    return buckets


def _buckets(by, period, seen, libraries) -> list[tuple[object, str, str]]:
    if by in ("library", "answering_library"):
        return _library_buckets(by, seen, libraries)
    if by == "channel":
        return [(value, value, str(label)) for value, label in Channel.choices]
    return [(key, key, label) for key, label in _time_buckets(by, period)]


# --- The selector -----------------------------------------------------------------


def conversation_statistics(
    conversations: QuerySet[Conversation],
    *,
    period: Period,
    by: str = "library",
    libraries: QuerySet[Library] | None = None,
) -> dict:
    """Figures of `conversations` (already narrowed to what the user may
    see) requested during `period`, in total and per group of `by`:

    - `library`: the library asked from; every library of `libraries` is
      listed, with zeros if it had no conversation;
    - `answering_library`: the answering librarian's home library (see
      `_answering_key`), `helpdesk`, or `unanswered`;
    - `channel`: chat, sms, email;
    - `day`, `week` (keyed by its Monday), `month`, `hour_of_week` (`0-09`
      is Monday 09:00-10:00), in the period's zone, every one listed.

    Two queries at most, whatever the number of rows or groups. Returns
    `{"totals": {...}, "groups": [{"key", "label", ...}]}`; the figures are
    those of `Tally.summary`.
    """
    if by not in BY_CHOICES:
        raise ValueError(f"Unknown grouping {by!r}.")
    rows = (
        conversations.filter(
            requested_at__gte=period.start, requested_at__lt=period.end
        )
        .order_by()
        .values_list(*COLUMNS, named=True)
    )
    totals, tallies = Tally(), {}
    for row in rows.iterator(chunk_size=2000):
        totals.add(row)
        key = _key(by, row, period.zone)
        tallies.setdefault(key, Tally()).add(row)
    groups = [
        {"key": key, "label": label, **tallies.get(internal, Tally()).summary()}
        for internal, key, label in _buckets(by, period, tallies.keys(), libraries)
    ]
    return {"totals": totals.summary(), "groups": groups}
