"""The private address of each librarian's iCalendar feed (S8)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from consortium.models import Staff
from scheduling.models import CalendarFeed, new_feed_token


def _require_chat_staff(actor: Staff) -> None:
    if actor.role not in Staff.CHAT_ROLES or not actor.is_active:
        raise PermissionDenied("Interns have no chat shifts to subscribe to.")


def calendar_feed(*, actor: Staff) -> CalendarFeed:
    """`actor`'s feed, created on first use."""
    _require_chat_staff(actor)
    feed, _ = CalendarFeed.objects.get_or_create(staff=actor)
    return feed


@transaction.atomic
def calendar_feed_reset(*, actor: Staff) -> CalendarFeed:
    """Give `actor`'s feed a new token: the old address stops working."""
    feed = calendar_feed(actor=actor)
    feed.token = new_feed_token()
    feed.save(update_fields=["token"])
    return feed
