"""The groups of the statistics: by library asked from, by answering
library, by channel, by day, week, month or hour of the week (in the
period's zone), as SQL columns to group on, their keys and every bucket of a
period, so that a chart has no holes."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Case, DateField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
    TruncMonth,
    TruncWeek,
)

from chat.models import Conversation
from chat.statistics.periods import Period
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
UNANSWERED = "unanswered"
HELPDESK = "helpdesk"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TICKET_ANSWERED = Q(ticket__first_response_at__isnull=False)

Channel = Conversation.Channel


# --- Groups --------------------------------------------------------------------

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
