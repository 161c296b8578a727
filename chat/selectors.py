"""Reads of conversations with their visibility rules."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from chat.models import Conversation, Message
from consortium import selectors as consortium_selectors
from consortium.models import Staff


def live_monitored_queue_ids(staff: Staff, at: datetime) -> list[int]:
    return list(
        consortium_selectors.fresh_monitors(at)
        .filter(staff=staff)
        .values_list("queue_id", flat=True)
    )


def acceptable_by(staff: Staff, at: datetime) -> QuerySet[Conversation]:
    """Waiting chats `staff` may pick up at `at`, in pickup order: those on a
    local queue they monitor, and, once a chat's co-op instant has passed,
    those of libraries belonging to a co-op queue they monitor."""
    if not staff.is_active or staff.role not in Staff.CHAT_ROLES:
        return Conversation.objects.none()
    queue_ids = live_monitored_queue_ids(staff, at)
    return (
        Conversation.objects.waiting()
        .filter(
            Q(queue_id__in=queue_ids) | Q(coop_at__lte=at, library__coops__in=queue_ids)
        )
        .distinct()
        .pickup_order()
    )


def active_chat_count(staff: Staff) -> int:
    return Conversation.objects.active().filter(librarian=staff).count()


def messages_after(
    conversation: Conversation, seq: int, *, include_notes: bool
) -> QuerySet[Message]:
    """Messages with a sequence number above `seq`: what a reconnecting client
    missed. Patrons never receive internal notes."""
    messages = conversation.messages.filter(seq__gt=seq).order_by("seq")
    if not include_notes:
        messages = messages.exclude(sender=Message.Sender.NOTE)
    return messages
