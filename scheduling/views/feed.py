"""The private iCalendar feed of a librarian's shifts (S8)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event, vDuration

from scheduling import selectors
from scheduling.models import CalendarFeed
from scheduling.selectors import HOUR
from scheduling.views.common import (
    FEED_AHEAD,
    FEED_BEHIND,
    open_offer,
    span,
    staff_name,
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
    cal.add("x-wr-calname", f"AskTogether shifts — {staff_name(staff)}")
    cal.add("name", f"AskTogether shifts — {staff_name(staff)}")
    cal.add("refresh-interval", HOUR, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(HOUR))
    for shift in shifts:
        given_up = open_offer(shift) is not None
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
