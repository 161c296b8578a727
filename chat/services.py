"""Writes of the chat app: starting, routing, accepting conversations and
posting messages. Consumers, views, the admin and tasks all call these."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat import selectors
from chat.models import Conversation, Message
from consortium import selectors as consortium_selectors
from consortium.models import Library, Staff
from consortium.services import DomainError

MAX_MESSAGE_CHARS = 4000


class NobodyOnline(DomainError):
    """No queue that could serve the patron is online: offer the offline form."""


@transaction.atomic
def conversation_start(
    *,
    library: Library,
    question: str,
    patron_name: str = "",
    patron_email: str = "",
    patron_status: str = Conversation.PatronStatus.PUBLIC,
    resident: bool = True,
    referrer_url: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> Conversation:
    """Open a live chat and route it (SPEC L2).

    Local queue online: offered there, and to the library's co-op queues
    after its fallback delay. Local offline but a co-op queue online: offered
    to the co-op at once. Nothing online: `NobodyOnline`, nothing stored.
    The question is stored as message 1.
    """
    now = now or timezone.now()
    question = question.strip()
    if not question:
        raise DomainError("Please type your question.")
    local = library.queues.active().local().order_by("code").first()
    if local is None:
        raise DomainError(f"{library.name} has no chat queue.")
    if consortium_selectors.queue_is_online(local, now):
        coop_at = now + timedelta(seconds=library.fallback_delay_seconds)
    elif any(
        consortium_selectors.queue_is_online(q, now) for q in library.coops.active()
    ):
        coop_at = now
    else:
        raise NobodyOnline(
            "No librarian is online right now. Leave your question and we will "
            "answer by email."
        )
    conversation = Conversation(
        library=library,
        queue=local,
        question=question,
        patron_name=patron_name.strip()[:120],
        patron_email=patron_email.strip(),
        patron_status=patron_status,
        resident=resident,
        referrer_url=referrer_url[:1000],
        user_agent=user_agent[:400],
        requested_at=now,
        coop_at=coop_at if library.coops.exists() else None,
    )
    conversation.full_clean()
    conversation.save()
    _append(conversation, sender=Message.Sender.PATRON, body=question, now=now)
    return conversation


@transaction.atomic
def conversation_accept(
    *, conversation_id: int, actor: Staff, now: datetime | None = None
) -> Conversation:
    """`actor` picks up a waiting chat. Locks the conversation row, so when
    several librarians accept at once exactly one wins; the others get a
    `DomainError` saying another librarian has it."""
    now = now or timezone.now()
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.status != Conversation.Status.WAITING:
        raise DomainError("Another librarian has already picked up this chat.")
    if not selectors.acceptable_by(actor, now).filter(pk=conversation.pk).exists():
        raise DomainError("This chat is not on a queue you monitor.")
    if selectors.active_chat_count(actor) >= actor.max_chats:
        raise DomainError(f"You already have {actor.max_chats} chats open, your limit.")
    conversation.status = Conversation.Status.ACTIVE
    conversation.librarian = actor
    conversation.accepted_at = now
    conversation.save(update_fields=["status", "librarian", "accepted_at"])
    _append(
        conversation,
        sender=Message.Sender.SYSTEM,
        body=f"{actor.chat_name} joined the chat.",
        now=now,
    )
    return conversation


@transaction.atomic
def message_post(
    *,
    conversation_id: int,
    sender: str,
    body: str,
    client_id: str = "",
    author: Staff | None = None,
    now: datetime | None = None,
) -> tuple[Message, bool]:
    """Store a message and give it the next sequence number; returns the
    message and whether it is new. A message resent with the same `client_id`
    is stored once (the stored one is returned). Locks the conversation row."""
    body = body.strip()
    if not body:
        raise DomainError("A message cannot be empty.")
    if len(body) > MAX_MESSAGE_CHARS:
        raise DomainError(
            f"A message can be at most {MAX_MESSAGE_CHARS} characters; "
            f"this one has {len(body)}. Split it into shorter messages."
        )
    if len(client_id) > 64:
        raise DomainError("client_id can be at most 64 characters.")
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if client_id:
        existing = conversation.messages.filter(client_id=client_id).first()
        if existing:
            return existing, False
    if conversation.status in (Conversation.Status.ENDED, Conversation.Status.MISSED):
        raise DomainError("This chat has ended.")
    if sender in (Message.Sender.LIBRARIAN, Message.Sender.NOTE):
        if author is None or conversation.librarian_id != author.pk:
            raise DomainError("Only the librarian who has this chat can write in it.")
    message = _append(
        conversation,
        sender=sender,
        body=body,
        client_id=client_id,
        author=author,
        now=now or timezone.now(),
    )
    return message, True


def _append(conversation, *, sender, body, now, client_id="", author=None) -> Message:
    """Next sequence number under the caller's lock of the conversation row."""
    conversation.last_seq += 1
    Conversation.objects.filter(pk=conversation.pk).update(
        last_seq=conversation.last_seq
    )
    try:
        with transaction.atomic():
            return Message.objects.create(
                conversation=conversation,
                seq=conversation.last_seq,
                sender=sender,
                body=body,
                client_id=client_id,
                author=author,
                created_at=now,
            )
    except IntegrityError as error:
        raise DomainError("This message was already stored.") from error
