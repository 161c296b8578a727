"""Periods of the statistics: whole days in the consortium's time zone
(`settings.TIME_ZONE`), whatever the member libraries' own zones."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

PERIOD_CHOICES = ("last-month", "this-month", "last-7-days", "last-30-days")
MAX_DAYS = 731  # two years, one of them a leap year


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
