"""Canned messages with placeholders, and the desk's tools for hard chats:
inappropriate use, crisis, blocking a patron, calling for backup (SPEC L4,
L8, L12)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from chat import events
from chat.models import BackupCall, Conversation, PatronBlock
from chat.services.conversations import _locked, conversation_end, message_post
from consortium import selectors as consortium_selectors
from consortium.models import Staff
from consortium.services import DomainError
from knowledgebase.models import CannedMessage
from knowledgebase.placeholders import (  # noqa: F401 (re-exported)
    PLACEHOLDERS,
    fill,
    unknown_placeholders,
)

INAPPROPRIATE_KINDS = ("no_purpose", "bad_customer", "ip_captured")
ENDING_KINDS = ("bad_customer", "ip_captured")
BACKUP_CALL_INTERVAL = timedelta(minutes=10)


def canned_render(body: str, *, conversation: Conversation, librarian: Staff) -> str:
    """Fill the placeholders of a canned message for one chat. The result is
    plain text, shown as text everywhere; unknown placeholders stay as typed."""
    library = conversation.library
    values = {
        "patron_name": conversation.patron_name or "there",
        "librarian_name": librarian.chat_name,
        "librarian_library": librarian.library.name if librarian.library_id else "",
        "library_name": library.name,
        "library_hours_url": settings.SITE_URL.rstrip("/") + library.get_absolute_url(),
        "library_url": library.website,
        "library_faq_url": settings.SITE_URL.rstrip("/")
        + reverse("kb-faqs", args=[library.code]),
    }
    return fill(body, values)


def canned_for(conversation: Conversation, librarian: Staff) -> list[CannedMessage]:
    """The canned messages for a chat: the patron library's own, and the
    global ones it does not override (same key)."""
    rows = CannedMessage.objects.filter(
        Q(library__isnull=True) | Q(library=conversation.library)
    ).order_by("library_id")
    by_key: dict[str, CannedMessage] = {}
    for row in rows:
        if row.library_id or row.key not in by_key:
            by_key[row.key] = row
    coop = librarian.library_id != conversation.library_id
    chosen = [
        row
        for row in by_key.values()
        if row.group
        != (CannedMessage.Group.GREETING if coop else CannedMessage.Group.COOP_GREETING)
    ]
    order = list(CannedMessage.Group.values)
    return sorted(chosen, key=lambda r: (order.index(r.group), r.position, r.title))


def canned_by_key(conversation: Conversation, key: str) -> CannedMessage:
    row = (
        CannedMessage.objects.filter(key=key)
        .filter(Q(library=conversation.library) | Q(library__isnull=True))
        # The library's own first (NULLs sort differently per database).
        .order_by(F("library_id").desc(nulls_last=True))
        .first()
    )
    if row is None:
        raise DomainError(f"The canned message “{key}” is missing; ask the help desk.")
    return row


def _send_canned(conversation, actor, key, now):
    row = canned_by_key(conversation, key)
    message_post(
        conversation_id=conversation.pk,
        sender="librarian",
        body=canned_render(row.body, conversation=conversation, librarian=actor),
        author=actor,
        now=now,
    )


def remember_patron_ip(conversation_id: int, ip: str) -> None:
    """Keep the patron's address for a day outside the database, so that the
    IP-captured case (and only it) can store it in clear."""
    if ip:
        cache.set(f"chat-ip:{conversation_id}", ip, 24 * 3600)


@transaction.atomic
def conversation_inappropriate(
    *, conversation_id: int, actor: Staff, kind: str, now: datetime | None = None
) -> Conversation:
    """Send one of the inappropriate-use messages (SPEC L8). "Bad Customer"
    and "IP Captured" then end the chat; "IP Captured" also stores the
    patron's address in clear and tells the help desk."""
    from chat import tasks

    if kind not in INAPPROPRIATE_KINDS:
        raise DomainError("Unknown kind of inappropriate use.")
    now = now or timezone.now()
    conversation = _locked(conversation_id)
    if conversation.librarian_id != actor.pk or not conversation.is_open:
        raise DomainError("Only the librarian of an active chat can do this.")
    _send_canned(conversation, actor, kind, now)
    if kind in ENDING_KINDS:
        # Their messages say the chat ends now; it does.
        conversation_end(conversation_id=conversation.pk, actor=actor, now=now)
    if kind == "ip_captured":
        conversation.patron_ip = cache.get(f"chat-ip:{conversation.pk}")
        conversation.save(update_fields=["patron_ip"])
        tasks.send_helpdesk_notice.delay_on_commit(
            "ip_captured", conversation.pk, actor.pk
        )
    return conversation


@transaction.atomic
def conversation_crisis(
    *, conversation_id: int, actor: Staff, now: datetime | None = None
) -> Conversation:
    """Send the crisis resources, then end the chat so the patron can reach
    the hotlines (SPEC L8)."""
    now = now or timezone.now()
    conversation = _locked(conversation_id)
    if conversation.librarian_id != actor.pk or not conversation.is_open:
        raise DomainError("Only the librarian of an active chat can do this.")
    _send_canned(conversation, actor, "crisis", now)
    return conversation_end(conversation_id=conversation.pk, actor=actor, now=now)


@transaction.atomic
def patron_block(
    *,
    conversation_id: int,
    actor: Staff,
    days: int,
    reason: str,
    now: datetime | None = None,
) -> PatronBlock:
    """Bar the patron of a chat (address and email) from new chats and
    offline questions for `days`, and tell the help desk."""
    from chat import tasks

    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why you block this patron.")
    if not isinstance(days, int) or not 1 <= days <= 365:
        raise DomainError("Block for 1 to 365 days.")
    conversation = _locked(conversation_id)
    if conversation.librarian_id != actor.pk and not actor.is_helpdesk:
        raise DomainError("Only the librarian who had this chat can block its patron.")
    if not conversation.patron_ip_hash and not conversation.patron_email:
        raise DomainError("There is no address or email to block for this chat.")
    block = PatronBlock.objects.create(
        ip_hash=conversation.patron_ip_hash,
        email=conversation.patron_email,
        until=now + timedelta(days=days),
        reason=reason[:300],
        conversation=conversation,
        created_by=actor,
        created_at=now,
    )
    tasks.send_helpdesk_notice.delay_on_commit("block", conversation.pk, actor.pk)
    return block


@transaction.atomic
def backup_call_create(
    *, actor: Staff, message: str = "", now: datetime | None = None
) -> BackupCall:
    """A librarian alone on the desk calls for backup (SPEC L12): the help
    desk and the listserv are emailed, online colleagues alerted. Once per
    ten minutes per librarian."""
    from chat import tasks

    now = now or timezone.now()
    Staff.objects.select_for_update().filter(pk=actor.pk).first()
    if BackupCall.objects.filter(
        staff=actor, created_at__gt=now - BACKUP_CALL_INTERVAL
    ).exists():
        raise DomainError(
            "You called for backup less than 10 minutes ago; the help desk and the "
            "listserv have it."
        )
    call = BackupCall.objects.create(
        staff=actor, message=(message or "").strip()[:500], created_at=now
    )
    tasks.send_backup_call.delay_on_commit(call.pk)
    others = (
        consortium_selectors.fresh_monitors(now)
        .exclude(staff=actor)
        .values_list("staff_id", flat=True)
    )
    events.publish_alert(
        list(others),
        kind="backup",
        message=f"{actor.chat_name} needs help on the desk and calls for backup."
        + (f" “{call.message}”" if call.message else ""),
    )
    return call
