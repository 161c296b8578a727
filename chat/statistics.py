"""Help-desk statistics (SPEC R1, R2): how many questions were asked in a
period, how long patrons waited, how many chats were missed, how tickets were
answered and how chats were resolved, by library, channel or time.

`conversation_statistics` has the database count: a `GROUP BY` query for
the groups and one for the totals (plus one for library names when grouping
by library), so neither the time spent in Python nor the number of queries
grows with the number of rows. Medians and 90th percentiles are
`PERCENTILE_CONT` on PostgreSQL and the same interpolation in a Python
aggregate on SQLite (`consortium.sql`).

Periods are whole days in the consortium's time zone (`settings.TIME_ZONE`);
day, week, month and hour-of-week groups are local to that zone as well.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    FloatField,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    Greatest,
    TruncDate,
    TruncMonth,
    TruncWeek,
)
from django.utils import timezone

from chat.models import Conversation
from consortium.models import Library
from consortium.sql import Percentile, Seconds, aggregate_groups, percentile

__all__ = [
    "BY_CHOICES",
    "PERIOD_CHOICES",
    "Period",
    "conversation_statistics",
    "consortium_zone",
    "local_midnight",
    "month_period",
    "named_period",
    "percentile",
]

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


# --- Figures of one group, in SQL ---------------------------------------------

CHAT = Q(channel=Channel.CHAT)
PICKED_UP = Q(accepted_at__isnull=False)
MISSED = Q(status=Conversation.Status.MISSED)
TICKET_ANSWERED = Q(ticket__first_response_at__isnull=False)


def _only(condition: Q, value):
    """`value` where `condition` holds, else NULL: what a percentile and a
    maximum leave out."""
    return Case(When(condition, then=value), output_field=FloatField())


# Waits and durations are of live chats only: an SMS or email waits hours by
# design and would drown the chat figures. Clock skew never makes one negative.
WAIT = _only(CHAT & PICKED_UP, Greatest(Seconds("accepted_at", "requested_at"), 0.0))
DURATION = _only(
    CHAT & PICKED_UP & Q(ended_at__isnull=False),
    Greatest(Seconds("ended_at", "accepted_at"), 0.0),
)
FIRST_RESPONSE_HOURS = _only(
    TICKET_ANSWERED,
    Greatest(Seconds("ticket__first_response_at", "ticket__created_at"), 0.0) / 3600.0,
)


# The per-choice counts: (name in the answer, field, choices).
COUNTED = (
    ("resolutions", "resolution", tuple(Resolution.values)),
    ("channels", "channel", tuple(Channel.values)),
    ("question_types", "question_type", tuple(QuestionType.values)),
)


def _aggregates() -> dict:
    """What `_summary` reads, for one group or the totals."""
    count = lambda condition: Count("pk", filter=condition)  # noqa: E731
    aggregates = {
        "asked": Count("pk"),
        "answered": Count("accepted_at"),
        "missed": count(MISSED),
        "chats": count(CHAT),
        "missed_chats": count(CHAT & MISSED),
        "tickets": Count("ticket"),
        "tickets_answered": Count("ticket", filter=TICKET_ANSWERED),
        "wait_count": count(CHAT & PICKED_UP),
        "wait_median": Percentile(WAIT, 50),
        "wait_p90": Percentile(WAIT, 90),
        "wait_max": Max(WAIT),
        "duration_count": count(CHAT & PICKED_UP & Q(ended_at__isnull=False)),
        "duration_median": Percentile(DURATION, 50),
        "duration_p90": Percentile(DURATION, 90),
        "first_response_median": Percentile(FIRST_RESPONSE_HOURS, 50),
    }
    for name, field_name, values in COUNTED:
        for value in values:
            aggregates[f"{name}:{value}"] = count(Q(**{field_name: value}))
    return aggregates


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _summary(row: dict | None) -> dict:
    """The figures the API answers with (see `StatisticsSerializer`) from a
    row of `_aggregates`; None is a group without conversations."""
    if row is None:
        row = {"asked": 0}
    count = lambda name: row.get(name) or 0  # noqa: E731
    chats = count("chats")
    return {
        "asked": count("asked"),
        "answered": count("answered"),
        "missed": count("missed"),
        "missed_rate": round(count("missed_chats") / chats, 4) if chats else None,
        "tickets": count("tickets"),
        "tickets_answered": count("tickets_answered"),
        "wait_seconds": {
            "count": count("wait_count"),
            "median": _rounded(row.get("wait_median")),
            "p90": _rounded(row.get("wait_p90")),
            "max": _rounded(row.get("wait_max")),
        },
        "duration_seconds": {
            "count": count("duration_count"),
            "median": _rounded(row.get("duration_median")),
            "p90": _rounded(row.get("duration_p90")),
        },
        "ticket_first_response_hours": {
            "count": count("tickets_answered"),
            "median": _rounded(row.get("first_response_median"), 2),
        },
        # Every choice, zero included, so a chart or a spreadsheet always has
        # the same columns.
        **{
            name: {value: count(f"{name}:{value}") for value in values}
            for name, _field, values in COUNTED
        },
    }


# --- Groups ---------------------------------------------------------------------

# The answering library's id; these two stand for the other groups.
_HELPDESK_ID, _UNANSWERED_ID = -1, -2


def _answering_library():
    """Whose library answered: the chat's librarian's home library, or for a
    ticket nobody picked up live, the library of whoever replied first by
    email (replying claims the ticket). The help desk has no library."""
    return Case(
        When(
            librarian__isnull=False,
            then=Coalesce("librarian__library_id", Value(_HELPDESK_ID)),
        ),
        When(
            TICKET_ANSWERED & Q(ticket__assignee__isnull=False),
            then=Coalesce("ticket__assignee__library_id", Value(_HELPDESK_ID)),
        ),
        default=Value(_UNANSWERED_ID),
        output_field=IntegerField(),
    )


def _group_columns(by: str, zone: zoneinfo.ZoneInfo) -> dict:
    """The SQL columns a group of `by` is keyed on; days, weeks, months and
    hours are those of `zone`, DST included."""
    if by == "library":
        return {"g_library": F("library_id")}
    if by == "answering_library":
        return {"g_answering": _answering_library()}
    if by == "channel":
        return {"g_channel": F("channel")}
    if by == "day":
        return {"g_day": TruncDate("requested_at", tzinfo=zone)}
    if by == "week":  # the Monday
        return {
            "g_week": TruncWeek("requested_at", tzinfo=zone, output_field=DateField())
        }
    if by == "month":
        return {
            "g_month": TruncMonth("requested_at", tzinfo=zone, output_field=DateField())
        }
    return {  # hour_of_week
        "g_weekday": ExtractIsoWeekDay("requested_at", tzinfo=zone),
        "g_hour": ExtractHour("requested_at", tzinfo=zone),
    }


def _key(by: str, row: dict):
    """The group key of a row of `_group_columns` (a library's id for the
    library groupings)."""
    if by == "library":
        return row["g_library"]
    if by == "answering_library":
        return {_HELPDESK_ID: HELPDESK, _UNANSWERED_ID: UNANSWERED}.get(
            row["g_answering"], row["g_answering"]
        )
    if by == "channel":
        return row["g_channel"]
    if by == "day":
        return row["g_day"].isoformat()
    if by == "week":
        return row["g_week"].isoformat()
    if by == "month":
        return f"{row['g_month'].year:04d}-{row['g_month'].month:02d}"
    return f"{row['g_weekday'] - 1}-{row['g_hour']:02d}"


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


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
      `_answering_library`), `helpdesk`, or `unanswered`;
    - `channel`: chat, sms, email;
    - `day`, `week` (keyed by its Monday), `month`, `hour_of_week` (`0-09`
      is Monday 09:00-10:00), in the period's zone, every one listed.

    Counted by the database, whatever the number of rows or groups: the
    groups and the totals (percentiles are of all the period's rows, so they
    cannot be added up from the groups) in one statement on PostgreSQL, two
    queries on SQLite (`consortium.sql.aggregate_groups`), plus one for the
    libraries' names when grouping by library. Returns
    `{"totals": {...}, "groups": [{"key", "label", ...}]}`; the figures are
    those of `_summary`.
    """
    if by not in BY_CHOICES:
        raise ValueError(f"Unknown grouping {by!r}.")
    rows = conversations.filter(
        requested_at__gte=period.start, requested_at__lt=period.end
    ).order_by()
    grouped, totals = aggregate_groups(
        rows, _group_columns(by, period.zone), _aggregates()
    )
    figures = {_key(by, row): row for row in grouped}
    groups = [
        {"key": key, "label": label, **_summary(figures.get(internal))}
        for internal, key, label in _buckets(by, period, figures.keys(), libraries)
    ]
    return {"totals": _summary(totals), "groups": groups}
