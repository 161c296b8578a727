"""Writes of a live chat's life: start and route, accept, messages, end,
transfer. Consumers, views, the admin and tasks all call these.

Every service that changes a conversation locks its row
(`select_for_update`), so concurrent accepts, transfers and messages are
serialised per conversation, and publishes its realtime hints after commit.
"""

from __future__ import annotations

import hashlib
import hmac
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from chat import events, selectors
from chat.models import ChatTimer, Conversation, Message, PatronBlock
from chat.services import timers
from chat.texts import system_text
from consortium import selectors as consortium_selectors
from consortium.db import is_unique_violation
from consortium.models import ConsortiumSettings, Library, Queue, Staff
from consortium.services import DomainError

CLIENT_ID_UNIQUE = "message_client_id_unique"

MAX_MESSAGE_CHARS = 4000


class NobodyOnline(DomainError):
    """No queue that could serve the patron is online: offer the offline form."""


class AlreadyStored(DomainError):
    """A message with this client id was stored by a concurrent call."""


class PatronBlocked(DomainError):
    """The patron's address or email is blocked (SPEC L8)."""


def hash_ip(ip: str) -> str:
    """A keyed hash of a patron's address: enough to block it, not to read it."""
    if not ip:
        return ""
    return hmac.new(
        settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256
    ).hexdigest()


def check_not_blocked(*, ip_hash: str = "", email: str = "", now=None) -> None:
    now = now or timezone.now()
    q = Q()
    if ip_hash:
        q |= Q(ip_hash=ip_hash)
    if email:
        q |= Q(email__iexact=email)
    if q and PatronBlock.objects.filter(q, until__gt=now).exists():
        raise PatronBlocked(
            "This service is not available to you at the moment. If you think this "
            "is a mistake, contact your library."
        )


def validate_body(
    body: str, *, what: str = "A message", limit=MAX_MESSAGE_CHARS
) -> str:
    """`body` trimmed; refused when empty or longer than `limit`."""
    body = (body or "").strip()
    if not body:
        raise DomainError(f"{what} cannot be empty.")
    if len(body) > limit:
        raise DomainError(
            f"{what} can be at most {limit} characters; "
            f"this one has {len(body)}. Split it into shorter messages."
        )
    return body


def clean_question(question: str) -> str:
    """The patron's question, trimmed; refused when empty or too long."""
    question = (question or "").strip()
    if not question:
        raise DomainError("Please type your question.")
    if len(question) > MAX_MESSAGE_CHARS:
        raise DomainError(
            f"Your question can be at most {MAX_MESSAGE_CHARS} characters."
        )
    return question


def local_queues(library: Library) -> QuerySet[Queue]:
    """The library's active local queues, its own first."""
    return library.queues.active().local().order_by("code")


def local_queue(library: Library) -> Queue | None:
    """The library's own (first active local) queue."""
    return local_queues(library).first()


def _locked(conversation_id: int) -> Conversation:
    try:
        return Conversation.objects.select_for_update().get(pk=conversation_id)
    except Conversation.DoesNotExist as error:
        raise DomainError("This chat does not exist.", code="not_found") from error


@dataclass(frozen=True)
class Routing:
    online: bool  # someone can answer now (on the local or a co-op queue)
    coop_at: datetime | None  # when the co-op queues are offered it too


def initial_routing(
    library: Library, local: Queue, now: datetime, *, has_coops: bool | None = None
) -> Routing:
    """Where a new question goes (SPEC L2): local queue online, the co-op
    queues after the library's fallback delay; local offline but a co-op
    queue online, the co-op at once; nobody online, not online (a chat is
    refused, a text waits for the next opening, offered to the co-op too)."""
    if has_coops is None:
        has_coops = library.coops.exists()
    fallback = now + timedelta(seconds=library.fallback_delay_seconds)
    if consortium_selectors.queues_online([local], now):
        return Routing(True, fallback if has_coops else None)
    if has_coops and consortium_selectors.queues_online(library.coops.active(), now):
        return Routing(True, now)
    return Routing(False, now if has_coops else None)


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
    ip: str = "",
    lang: str = "en",
    now: datetime | None = None,
) -> Conversation:
    """Open a live chat and route it (SPEC L2).

    Local queue online: offered there, and to the library's co-op queues
    after its fallback delay. Local offline but a co-op queue online: offered
    to the co-op at once. Nothing online: `NobodyOnline`, nothing stored.
    A blocked patron gets `PatronBlocked`. The question is stored as message
    1. Schedules the fallback, missed-risk and waiting-long timers.
    """
    now = now or timezone.now()
    question = clean_question(question)
    ip_hash = hash_ip(ip)
    check_not_blocked(ip_hash=ip_hash, email=patron_email.strip(), now=now)
    # The local queue, and whether the library is in a co-op, in one read.
    local = (
        local_queues(library)
        .annotate(
            has_coops=Exists(Library.coops.through.objects.filter(library=library))
        )
        .first()
    )
    if local is None or not library.active:
        raise DomainError(f"{library.name} has no chat service.")
    has_coops = local.has_coops
    local.library = library  # `queues_online` checks it is active: no re-read
    routing = initial_routing(library, local, now, has_coops=has_coops)
    if not routing.online:
        raise NobodyOnline(
            "No librarian is online right now. Leave your question and we will "
            "answer by email."
        )
    coop_at = routing.coop_at
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
        waiting_since=now,
        patron_last_seen=now,
        last_patron_at=now,
        last_seq=1,  # the question, stored below: no UPDATE for its number
        coop_at=coop_at,
        patron_ip_hash=ip_hash,
        lang="es" if lang == "es" else "en",
    )
    # The fields are checked here; the rest full_clean would check in eight
    # more statements (the library and queue exist: we hold them; the random
    # tokens are unique; the two check constraints hold for a waiting chat)
    # the database enforces on the INSERT anyway.
    conversation.full_clean(
        exclude=["library", "queue"], validate_unique=False, validate_constraints=False
    )
    conversation.save()
    _store(conversation, sender=Message.Sender.PATRON, body=question, now=now)
    config = ConsortiumSettings.load()
    fallback = {ChatTimer.Kind.FALLBACK: coop_at} if has_coops and coop_at > now else {}
    timers.schedule_waiting(conversation, config, now, also=fallback)
    events.publish_waiting(conversation, as_stored=True)
    return conversation


@transaction.atomic
def conversation_accept(
    *, conversation_id: int, actor: Staff, now: datetime | None = None
) -> Conversation:
    """`actor` picks up a waiting chat. Locks the conversation row, so when
    several librarians accept at once exactly one wins; the others get a
    `DomainError` saying another librarian has it. Cancels the waiting timers
    and arms the active-chat ones; tells the patron and every desk."""
    now = now or timezone.now()
    conversation = _locked(conversation_id)
    if conversation.status != Conversation.Status.WAITING:
        raise DomainError(
            "Another librarian has already picked up this chat.", code="taken"
        )
    if not selectors.acceptable_by(actor, now).filter(pk=conversation.pk).exists():
        raise DomainError("This chat is not on a queue you monitor.", code="not_yours")
    if selectors.active_chat_count(actor) >= actor.max_chats:
        raise DomainError(
            f"You already have {actor.max_chats} chats open, your limit.", code="limit"
        )
    conversation.status = Conversation.Status.ACTIVE
    conversation.librarian = actor
    conversation.accepted_at = conversation.accepted_at or now
    conversation.accepted_seq = conversation.last_seq
    conversation.last_librarian_at = now
    conversation.transfer_to = None
    conversation.transfer_queue = None
    _append(
        conversation,
        sender=Message.Sender.SYSTEM,
        body=system_text("joined", conversation.lang, name=actor.chat_name),
        now=now,
        with_fields=(
            "status",
            "librarian",
            "accepted_at",
            "accepted_seq",
            "last_librarian_at",
            "transfer_to",
            "transfer_queue",
        ),
    )
    timers.schedule_active(conversation, ConsortiumSettings.load(), now, actor)
    events.publish_state(conversation)
    return conversation


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
    is stored once (the stored one is returned). Serialised per conversation
    by its row lock; publishes the message after commit.

    On PostgreSQL the common case (an open chat, a new message from someone
    allowed to write in it) is one statement; anything else, and SQLite,
    takes the general path, which also says what is wrong."""
    body = validate_body(body)
    if len(client_id) > 64:
        raise DomainError("client_id can be at most 64 characters.")
    if sender not in Message.Sender.values or sender == Message.Sender.SYSTEM:
        raise DomainError("Unknown sender.")
    if sender in (Message.Sender.LIBRARIAN, Message.Sender.NOTE) and author is None:
        raise DomainError(
            "Only the librarian who has this chat can write in it.", code="not_yours"
        )
    now = now or timezone.now()
    fields = dict(sender=sender, body=body, client_id=client_id, author=author, now=now)
    message = None
    if connection.vendor == "postgresql":
        message = _append_in_one_statement(conversation_id, **fields)
    if message is None:
        try:
            message, created = _message_post_locked(conversation_id, **fields)
        except AlreadyStored:
            # A resend raced its first copy past the lookup (the lookup's
            # snapshot predates the other commit); looking again finds it.
            message, created = _message_post_locked(conversation_id, **fields)
        if not created:
            return message, False
    if (
        sender == Message.Sender.LIBRARIAN
        and message.conversation.channel == Conversation.Channel.SMS
    ):
        from chat.services.sms import sms_librarian_message_sent

        sms_librarian_message_sent(message, now)
    return message, True


@transaction.atomic
def _message_post_locked(conversation_id, *, client_id, author, **fields):
    # Lock the row and look for a resend in one round trip.
    locked = Conversation.objects.select_for_update(of=("self",))
    if client_id:
        locked = locked.annotate(
            resent_id=Subquery(
                Message.objects.filter(
                    conversation=OuterRef("pk"), client_id=client_id
                ).values("pk")[:1]
            )
        )
    try:
        conversation = locked.get(pk=conversation_id)
    except Conversation.DoesNotExist as error:
        raise DomainError("This chat does not exist.", code="not_found") from error
    if getattr(conversation, "resent_id", None):
        return Message.objects.get(pk=conversation.resent_id), False
    if not conversation.is_open:
        raise DomainError("This chat has ended.", code="ended")
    if author is not None and conversation.librarian_id != author.pk:
        raise DomainError(
            "Only the librarian who has this chat can write in it.",
            code="not_yours",
        )
    message = _append(conversation, client_id=client_id, author=author, **fields)
    return message, True


# `_append` as one PostgreSQL statement: the UPDATE takes the row lock and the
# next sequence number only if the chat is open, the writer is its librarian
# (for librarian messages and notes) and the client id is not stored yet; the
# INSERT adds the message. No row back: the general path finds out why.
_APPEND_SQL = """
WITH conversation AS (
    UPDATE chat_conversation
       SET last_seq = last_seq + 1,
           last_patron_at = CASE WHEN %(patron)s THEN %(now)s ELSE last_patron_at END,
           patron_last_seen = CASE WHEN %(patron)s THEN %(now)s ELSE patron_last_seen END,
           last_librarian_at =
               CASE WHEN %(librarian)s THEN %(now)s ELSE last_librarian_at END
     WHERE id = %(conversation)s
       AND status IN ('waiting', 'active')
       AND (%(author)s::bigint IS NULL OR librarian_id = %(author)s::bigint)
       AND (%(client_id)s = '' OR NOT EXISTS (
               SELECT 1 FROM chat_message
                WHERE conversation_id = %(conversation)s
                  AND client_id = %(client_id)s))
    RETURNING id, last_seq, librarian_id, patron_token, channel, library_id,
              patron_phone
)
INSERT INTO chat_message (conversation_id, seq, sender, body, client_id, author_id,
                          created_at, email_message_id, full_text)
SELECT id, last_seq, %(sender)s, %(body)s, %(client_id)s, %(author)s::bigint, %(now)s,
       '', ''
  FROM conversation
RETURNING id, seq, (SELECT librarian_id FROM conversation),
          (SELECT patron_token FROM conversation), (SELECT channel FROM conversation),
          (SELECT library_id FROM conversation), (SELECT patron_phone FROM conversation)
"""


def _append_in_one_statement(
    conversation_id, *, sender, body, client_id, author, now
) -> Message | None:
    """The fast path of `message_post` on PostgreSQL; None when it does not
    apply. Outside a transaction it is a single round trip; inside one it
    takes a savepoint, so a concurrent resend's unique-key error leaves the
    caller's transaction usable. Only that error (the client id's unique key)
    sends the call down the general path: any other is a bug and raises, so
    a column added without a default fails loudly instead of making every
    message six statements (tests/chat/test_message_paths.py counts one)."""
    params = {
        "conversation": conversation_id,
        "patron": sender == Message.Sender.PATRON,
        "librarian": sender == Message.Sender.LIBRARIAN,
        "now": now,
        "author": author.pk if author is not None else None,
        "client_id": client_id,
        "sender": sender,
        "body": body,
    }
    try:
        savepoint = (
            transaction.atomic() if connection.in_atomic_block else nullcontext()
        )
        with savepoint:
            with connection.cursor() as cursor:
                cursor.execute(_APPEND_SQL, params)
                row = cursor.fetchone()
    except IntegrityError as error:
        if is_unique_violation(error, Message, CLIENT_ID_UNIQUE):
            return None  # resent at the same moment: the general path returns it
        raise
    if row is None:
        return None
    message_id, seq, librarian_id, patron_token, channel, library_id, phone = row
    # An instance with the columns read; any other loads when accessed.
    read = {
        "id": conversation_id,
        "librarian_id": librarian_id,
        "patron_token": patron_token,
        "last_seq": seq,
        # What an SMS conversation's text out needs (`sms_librarian_message_sent`).
        "channel": channel,
        "library_id": library_id,
        "patron_phone": phone,
    }
    names = [f.attname for f in Conversation._meta.concrete_fields if f.attname in read]
    conversation = Conversation.from_db(
        connection.alias, names, [read[name] for name in names]
    )
    message = Message(
        id=message_id,
        conversation=conversation,
        seq=seq,
        sender=sender,
        body=body,
        client_id=client_id,
        author=author,
        created_at=now,
    )
    message._state.adding = False
    message.know_files([])
    events.publish_message(message)
    return message


def conversation_patron_seen(*, conversation_id: int, now=None) -> None:
    """The patron's socket is alive (connect, heartbeat). No lock: a single
    column, last writer wins."""
    Conversation.objects.filter(pk=conversation_id).update(
        patron_last_seen=now or timezone.now()
    )


@transaction.atomic
def conversation_end(
    *, conversation_id: int, actor: Staff | None = None, now: datetime | None = None
) -> Conversation:
    """End a chat: by the patron (`actor` None) or its librarian. A chat that
    was never picked up is recorded as missed. The librarian's wrap-up is
    still due. Cancels the timers; locks the row."""
    now = now or timezone.now()
    conversation = _locked(conversation_id)
    if actor is not None and conversation.librarian_id != actor.pk:
        raise DomainError("Only the librarian who has this chat can end it.")
    if not conversation.is_open:
        return conversation
    if conversation.status == Conversation.Status.WAITING:
        conversation.status = Conversation.Status.MISSED
        text = system_text("left_before_pickup", conversation.lang)
    else:
        conversation.status = Conversation.Status.ENDED
        text = (
            system_text("librarian_ended", conversation.lang, name=actor.chat_name)
            if actor
            else system_text("patron_ended", conversation.lang)
        )
    conversation.ended_at = now
    conversation.save(update_fields=["status", "ended_at"])
    _append(conversation, sender=Message.Sender.SYSTEM, body=text, now=now)
    timers.cancel(conversation)
    # Only a chat never picked up (now missed) was on the waiting lists.
    events.publish_state(
        conversation, was_waiting=conversation.status == Conversation.Status.MISSED
    )
    return conversation


def conversations_abandon_sweep(*, now: datetime | None = None) -> int:
    """Waiting chats whose patron has been gone longer than the presence
    timeout (closed tab, dead connection) are recorded as missed."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=ConsortiumSettings.load().presence_timeout_seconds)
    # A texting patron has no page open: SMS conversations are not abandoned.
    gone = (
        Conversation.objects.waiting()
        .filter(patron_last_seen__lt=cutoff)
        .exclude(channel=Conversation.Channel.SMS)
    )
    count = 0
    for conversation_id in gone.values_list("pk", flat=True):
        with transaction.atomic():
            conversation = _locked(conversation_id)
            if (
                conversation.status != Conversation.Status.WAITING
                or conversation.patron_last_seen >= cutoff
            ):
                continue
        conversation = conversation_end(conversation_id=conversation_id, now=now)
        events.publish_alert(
            selectors.librarians_who_could_take(conversation, now),
            kind="missed",
            conversation_id=conversation_id,
            message=f"Missed: a patron of {conversation.library.name} left after "
            "waiting without a librarian.",
        )
        count += 1
    return count


@transaction.atomic
def conversation_transfer(
    *,
    conversation_id: int,
    actor: Staff,
    note: str,
    to_librarian_id: int | None = None,
    to_queue_id: int | None = None,
    now: datetime | None = None,
) -> Conversation:
    """Hand an active chat to a named online librarian or to a queue (SPEC
    L5). The chat waits for the receiver, who sees the note and the whole
    history; the sender loses it at once and cannot pick it up again from
    the waiting list. Locks the row; alerts the receiver(s)."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise DomainError("Add a note for the librarian who takes over.")
    if len(note) > 1000:
        raise DomainError("A transfer note can be at most 1000 characters.")
    if (to_librarian_id is None) == (to_queue_id is None):
        raise DomainError("Choose one librarian or one queue to transfer to.")
    conversation = _locked(conversation_id)
    if conversation.librarian_id != actor.pk:
        raise DomainError("Only the librarian who has this chat can transfer it.")
    if conversation.status != Conversation.Status.ACTIVE:
        raise DomainError("Only an active chat can be transferred.")
    online = consortium_selectors.fresh_monitors(now)
    if to_librarian_id is not None:
        target = Staff.objects.filter(
            pk=to_librarian_id, is_active=True, role__in=Staff.CHAT_ROLES
        ).first()
        if target is None or target.pk == actor.pk:
            raise DomainError("Choose another librarian to transfer to.")
        if not online.filter(staff=target).exists():
            raise DomainError(f"{target.chat_name} is not online.")
        destination = target.chat_name
        recipients = [target.pk]
    else:
        target = Queue.objects.filter(pk=to_queue_id, active=True).first()
        if target is None:
            raise DomainError("No such queue.")
        if not consortium_selectors.queue_is_online(target, now):
            raise DomainError(f"{target.name} is offline; choose another queue.")
        destination = target.name
        recipients = [
            pk
            for pk in online.filter(queue=target).values_list("staff_id", flat=True)
            if pk != actor.pk
        ]
    conversation.status = Conversation.Status.WAITING
    conversation.librarian = None
    conversation.transferred_from = actor
    conversation.transfer_to = target if to_librarian_id is not None else None
    conversation.transfer_queue = target if to_queue_id is not None else None
    conversation.transfer_note = note
    conversation.waiting_since = now
    conversation.save(
        update_fields=[
            "status",
            "librarian",
            "transferred_from",
            "transfer_to",
            "transfer_queue",
            "transfer_note",
            "waiting_since",
        ]
    )
    _append(
        conversation,
        sender=Message.Sender.NOTE,
        body=f"Transfer note from {actor.chat_name}: {note}",
        author=actor,
        now=now,
    )
    _append(
        conversation,
        sender=Message.Sender.SYSTEM,
        body=system_text(
            "transferred",
            conversation.lang,
            name=actor.chat_name,
            destination=destination,
        ),
        now=now,
    )
    timers.cancel(conversation)
    timers.schedule_waiting(conversation, ConsortiumSettings.load(), now)
    events.publish_state(conversation)
    events.publish_on_commit(
        events.staff_group(actor.pk),
        {"type": "chat.changed", "conversation": conversation.pk},
    )
    events.publish_alert(
        recipients,
        kind="transfer",
        conversation_id=conversation.pk,
        message=f"{actor.chat_name} transfers a chat from "
        f"{conversation.library.name} to you: {note}",
    )
    return conversation


def _append(
    conversation, *, sender, body, now, client_id="", author=None, with_fields=()
) -> Message:
    """Next sequence number under the caller's lock of the conversation row;
    also records who was last active, for the idle and silence timers.
    `with_fields`: other fields the caller changed on `conversation`,
    written in the same UPDATE."""
    conversation.last_seq += 1
    changes = {field: getattr(conversation, field) for field in with_fields}
    changes["last_seq"] = conversation.last_seq
    if sender == Message.Sender.PATRON:
        changes["last_patron_at"] = conversation.last_patron_at = now
        changes["patron_last_seen"] = conversation.patron_last_seen = now
    elif sender == Message.Sender.LIBRARIAN:
        changes["last_librarian_at"] = conversation.last_librarian_at = now
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    return _store(
        conversation,
        sender=sender,
        body=body,
        now=now,
        client_id=client_id,
        author=author,
    )


def _store(conversation, *, sender, body, now, client_id="", author=None) -> Message:
    """Message number `conversation.last_seq`, which the caller has already
    written to the conversation row (`_append`, or the INSERT of a start)."""
    try:
        # Every caller holds the row lock in a transaction of its own and lets
        # the error end it, so no savepoint (two more round trips a message).
        with transaction.atomic(savepoint=False):
            message = Message.objects.create(
                conversation=conversation,
                seq=conversation.last_seq,
                sender=sender,
                body=body,
                client_id=client_id,
                author=author,
                created_at=now,
            )
    except IntegrityError as error:
        if client_id and is_unique_violation(error, Message, CLIENT_ID_UNIQUE):
            raise AlreadyStored("This message was already stored.") from error
        raise
    message.conversation = conversation
    # No attachment yet (`attach`, later in the transaction, adds to this), so
    # building its payload needs no query.
    message.know_files([])
    events.publish_message(message)
    return message
