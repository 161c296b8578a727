"""Writes of the SMS channel (issue 18): a text in joins or starts a
conversation, a text out is queued and sent once, delivery reports update it.

The patron's number is personal data: it is stored on the conversation and
never written to a log or an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from chat import events
from chat.models import ChatTimer, Conversation, Message, SmsMessage, SmsOptOut
from chat.services import timers
from chat.services.conversations import _append, _store, local_queue
from chat.sms import keywords
from chat.sms.backends import SmsError, get_backend
from consortium import selectors as consortium_selectors
from consortium.db import is_unique_violation
from consortium.models import Library
from consortium.services import DomainError

SID_UNIQUE = "sms_sid_unique"
OPTED_OUT = "Not sent: this number texted STOP (it gets no texts until it texts START)."
# A number sending more than this many texts to one library in the window is
# refused (a loop between two autoresponders, a prank): stored nothing.
FLOOD_TEXTS = 30
FLOOD_WINDOW = timedelta(minutes=10)
# Twilio joins a long text into one of at most 1,600 characters.
MAX_SMS_CHARS = 1600
# Delivery reports may arrive out of order: a status never goes back to an
# earlier one, and failed/undelivered/delivered are final.
STATUS_RANK = {
    SmsMessage.Status.PENDING: 0,
    SmsMessage.Status.QUEUED: 1,
    SmsMessage.Status.SENT: 2,
    SmsMessage.Status.DELIVERED: 3,
    SmsMessage.Status.UNDELIVERED: 3,
    SmsMessage.Status.FAILED: 3,
}


@dataclass(frozen=True)
class Received:
    sms: SmsMessage | None
    created: bool  # False: a text stored before (the provider sent it again)
    # A reply for the webhook to give at once (TwiML <Message>): the answer
    # to STOP, START or HELP, which is not part of any conversation.
    reply: str = ""


def sms_body(body: str, *, num_media: int) -> str:
    """The text as stored; refused (`DomainError`) when empty without media
    or longer than `MAX_SMS_CHARS`. A text with only media is stored as a
    note of how many there were; the media themselves are fetched after
    commit (`chat.tasks.sms_fetch_media`) and attached to the message."""
    body = (body or "").strip()
    if len(body) > MAX_SMS_CHARS:
        raise DomainError(
            f"A text can be at most {MAX_SMS_CHARS} characters; "
            f"this one has {len(body)}."
        )
    if not body:
        if num_media <= 0:
            raise DomainError("The text is empty.")
        return f"[{num_media} picture(s) or file(s) sent by text]"
    return body


def sms_receive(
    *,
    library: Library,
    sid: str,
    phone: str,
    body: str,
    num_media: int = 0,
    media_urls: tuple[str, ...] = (),
    now: datetime | None = None,
) -> Received:
    """Take a text from `phone` (E.164) to `library`'s number.

    STOP, START and HELP (and their Spanish words) are keywords: the number
    is opted out or in, and `Received.reply` says so; nothing else is stored.
    Any other text is stored as a patron message: it joins the library's
    open SMS conversation with that number if either side wrote in the last
    `library.sms_thread_hours`; otherwise it starts one, routed like a chat
    (the local queue, the co-op queues after the fallback delay, at once when
    the library is offline) and, when nobody can answer, waits for the next
    opening with one after-hours reply per thread. A reply to a thread whose
    librarian has gone offline goes back to the queue. An unanswered text
    starts the answer deadline (`ConsortiumSettings.sms_response_hours`).

    A `sid` stored before is not stored again (unique `SmsMessage.sid`; a
    concurrent retry loses on the constraint and its transaction is undone).
    More than `FLOOD_TEXTS` from one number in `FLOOD_WINDOW` are refused.
    Locks the library row (two first texts of a number start one
    conversation) and the conversation joined; publishes after commit."""
    now = now or timezone.now()
    if not sid or len(sid) > 64:
        raise DomainError("MessageSid is missing or too long.")
    if SmsMessage.objects.filter(sid=sid).exists():
        return Received(None, False)
    keyword = keywords.keyword(body)
    if keyword is not None:
        return Received(None, False, _keyword(library, phone, keyword, now))
    body = sms_body(body, num_media=num_media)
    recent = SmsMessage.objects.filter(
        direction=SmsMessage.Direction.INBOUND,
        message__conversation__library=library,
        message__conversation__patron_phone=phone,
        message__created_at__gte=now - FLOOD_WINDOW,
    ).count()
    if recent >= FLOOD_TEXTS:
        raise DomainError(
            "Too many texts from this number; try again in a few minutes.",
            code="flood",
        )
    try:
        with transaction.atomic():
            sms = _receive_locked(
                library=library,
                sid=sid,
                phone=phone,
                body=body,
                num_media=num_media,
                now=now,
            )
            if media_urls:
                from chat.tasks import sms_fetch_media  # tasks import services

                sms_fetch_media.delay_on_commit(sms.pk, list(media_urls))
    except IntegrityError as error:
        if is_unique_violation(error, SmsMessage, SID_UNIQUE):
            return Received(None, False)
        raise
    return Received(sms, True)


def _keyword(library: Library, phone: str, keyword: keywords.Keyword, now) -> str:
    """Opt `phone` out of or back into `library`'s texts; the answer."""
    if keyword.action == keywords.STOP:
        SmsOptOut.objects.get_or_create(
            library=library, phone=phone, defaults={"opted_out_at": now}
        )
    elif keyword.action == keywords.START:
        SmsOptOut.objects.filter(library=library, phone=phone).delete()
    return keywords.answer(keyword, library.name)


def opted_out(library_id: int, phone: str) -> bool:
    return SmsOptOut.objects.filter(library_id=library_id, phone=phone).exists()


def _receive_locked(*, library, sid, phone, body, num_media, now) -> SmsMessage:
    Library.objects.select_for_update().filter(pk=library.pk).first()
    cutoff = now - timedelta(hours=library.sms_thread_hours)
    thread = (
        Conversation.objects.select_for_update(of=("self",))
        .filter(
            library=library,
            channel=Conversation.Channel.SMS,
            patron_phone=phone,
            status__in=[Conversation.Status.WAITING, Conversation.Status.ACTIVE],
        )
        .filter(Q(last_patron_at__gte=cutoff) | Q(last_librarian_at__gte=cutoff))
        .order_by("-requested_at")
        .first()
    )
    if thread is not None:
        # A librarian wrote last (a pickup alone is no answer): this text
        # starts a new deadline; else the first unanswered text's runs on.
        answered = not timers.awaits_sms_answer(thread)
        message = _append(thread, sender=Message.Sender.PATRON, body=body, now=now)
        if thread.status == Conversation.Status.ACTIVE and not _online(
            thread.librarian_id, now
        ):
            _requeue(thread, now)
        if answered:
            # The deadline runs from the first text nobody has answered.
            timers.schedule_sms_deadline(thread, now)
    else:
        message = _start(library=library, phone=phone, body=body, now=now)
    sms = SmsMessage.objects.create(
        message=message,
        direction=SmsMessage.Direction.INBOUND,
        sid=sid,
        status=SmsMessage.Status.RECEIVED,
        num_media=num_media,
        status_at=now,
    )
    message.__dict__["sms_state"] = events.sms_state(sms)
    return sms


def _online(staff_id: int | None, now) -> bool:
    """Whether the librarian has a desk open (a fresh queue heartbeat)."""
    if staff_id is None:
        return False
    return consortium_selectors.fresh_monitors(now).filter(staff_id=staff_id).exists()


def _requeue(conversation: Conversation, now) -> None:
    """The librarian who held the thread has gone: back on the queue, offered
    like a new text (and to the co-op queues when it was offered there)."""
    gone = conversation.librarian
    conversation.status = Conversation.Status.WAITING
    conversation.librarian = None
    conversation.waiting_since = now
    timers.cancel(conversation)
    _append(
        conversation,
        sender=Message.Sender.SYSTEM,
        body=f"{gone.chat_name} is offline: the patron's new text is back on "
        "the queue.",
        now=now,
        with_fields=("status", "librarian", "waiting_since"),
    )
    events.publish_on_commit(
        events.staff_group(gone.pk),
        {"type": "chat.changed", "conversation": conversation.pk},
    )
    events.publish_waiting(conversation)
    events.publish_on_commit(events.DESK, {"type": "desk.duty"})


def _start(*, library, phone, body, now) -> Message:
    """A new SMS conversation on the library's local queue, routed like a
    chat (`conversations.initial_routing`): offered on the co-op queues
    after the fallback delay, or at once when the library is offline. When
    nobody at all can answer it still waits, for the next opening, and the
    patron gets the library's after-hours reply (once per thread). The live
    chat's pickup timers do not apply: a texting patron has no page open."""
    from chat.services.conversations import initial_routing

    queue = local_queue(library)
    if queue is None or not library.active:
        raise DomainError("This library has no SMS service.", code="not_found")
    routing = initial_routing(library, queue, now)
    lang = keywords.language(body)
    conversation = Conversation.objects.create(
        channel=Conversation.Channel.SMS,
        library=library,
        queue=queue,
        question=body,
        patron_phone=phone,
        resident=True,
        requested_at=now,
        waiting_since=now,
        patron_last_seen=now,
        last_patron_at=now,
        last_seq=1,
        coop_at=routing.coop_at,
        lang=lang,
    )
    conversation.library = library
    conversation.queue = queue
    message = _store(conversation, sender=Message.Sender.PATRON, body=body, now=now)
    if routing.coop_at is not None and routing.coop_at > now:
        timers.schedule(conversation, ChatTimer.Kind.FALLBACK, routing.coop_at)
    timers.schedule_sms_deadline(conversation, now)
    if not routing.online:
        reply = (
            library.sms_after_hours_reply_es
            if lang == "es"
            else library.sms_after_hours_reply
        ).strip()
        if reply and not opted_out(library.pk, phone):
            auto = _append(
                conversation, sender=Message.Sender.SYSTEM, body=reply, now=now
            )
            _queue_text(auto, automatic=True)
    events.publish_waiting(conversation, as_stored=not routing.online)
    return message


def _queue_text(message: Message, *, automatic: bool = False) -> SmsMessage:
    """A new outbound text of `message`, sent after commit (once)."""
    from chat.tasks import send_sms  # tasks import the services

    sms = SmsMessage.objects.create(
        message=message,
        direction=SmsMessage.Direction.OUTBOUND,
        status=SmsMessage.Status.PENDING,
        automatic=automatic,
    )
    message.__dict__["sms_state"] = events.sms_state(sms)
    send_sms.delay_on_commit(sms.pk)
    return sms


@transaction.atomic
def sms_librarian_message_sent(message: Message, now: datetime) -> SmsMessage | None:
    """A librarian wrote in an SMS conversation (`message_post`): the text
    goes out and the answer deadline is met. Refused texts to an opted-out
    number are stored failed with the reason, not sent."""
    conversation = message.conversation
    timers.cancel_sms_deadline(conversation)
    if opted_out(conversation.library_id, conversation.patron_phone):
        sms = SmsMessage.objects.create(
            message=message,
            direction=SmsMessage.Direction.OUTBOUND,
            status=SmsMessage.Status.FAILED,
            error=OPTED_OUT,
            status_at=now,
        )
        message.__dict__["sms_state"] = events.sms_state(sms)
    else:
        sms = _queue_text(message)
    _publish_status(sms, message=message)
    return sms


def _publish_status(sms: SmsMessage, *, message: Message | None = None) -> None:
    """The librarian holding the conversation sees the text's delivery."""
    message = message or sms.message
    conversation = message.conversation
    librarian_id = conversation.librarian_id
    if not librarian_id:
        return
    events.publish_on_commit(
        events.staff_group(librarian_id),
        {
            "type": "chat.sms_status",
            "conversation": conversation.pk,
            "seq": message.seq,
            "status": sms.status,
            "error": sms.error,
        },
    )


@transaction.atomic
def sms_retry(*, conversation_id: int, seq: int, actor, now=None) -> SmsMessage:
    """Send a failed or undelivered text again (the desk's Retry button):
    only the librarian who holds the conversation, only a text that did not
    arrive, never to an opted-out number."""
    now = now or timezone.now()
    sms = (
        SmsMessage.objects.select_for_update(of=("self",))
        .select_related("message__conversation")
        .filter(
            message__conversation_id=conversation_id,
            message__seq=seq,
            direction=SmsMessage.Direction.OUTBOUND,
        )
        .first()
    )
    if sms is None:
        raise DomainError("That message was not sent by text.", code="not_found")
    conversation = sms.message.conversation
    if conversation.librarian_id != actor.pk:
        raise DomainError(
            "Only the librarian who has this conversation can resend its texts.",
            code="not_yours",
        )
    if sms.status not in (SmsMessage.Status.FAILED, SmsMessage.Status.UNDELIVERED):
        raise DomainError("This text did not fail: it is not sent again.")
    if opted_out(conversation.library_id, conversation.patron_phone):
        raise DomainError("This number texted STOP: it gets no texts until START.")
    sms.status = SmsMessage.Status.PENDING
    sms.error = ""
    sms.sid = ""
    sms.sent_at = None
    sms.status_at = now
    sms.save(update_fields=["status", "error", "sid", "sent_at", "status_at"])
    from chat.tasks import send_sms

    send_sms.delay_on_commit(sms.pk)
    _publish_status(sms)
    return sms


def sms_send(*, sms_id: int, now: datetime | None = None) -> bool:
    """Send a queued text once: claimed by setting `sent_at` with a
    conditional update, then handed to the `SMS_BACKEND`. A provider error
    marks it failed with the reason (no retry loop: a person retries). A
    crash after the claim leaves it pending and unsent rather than sent
    twice. Returns whether this call sent it."""
    now = now or timezone.now()
    claimed = SmsMessage.objects.filter(
        pk=sms_id,
        direction=SmsMessage.Direction.OUTBOUND,
        status=SmsMessage.Status.PENDING,
        sent_at__isnull=True,
    ).update(sent_at=now)
    if not claimed:
        return False
    sms = SmsMessage.objects.select_related("message__conversation__library").get(
        pk=sms_id
    )
    conversation = sms.message.conversation
    if opted_out(conversation.library_id, conversation.patron_phone):
        _settle_send(sms, SmsMessage.Status.FAILED, error=OPTED_OUT)
        return False
    try:
        sid = get_backend().send(
            to=conversation.patron_phone,
            from_=conversation.library.sms_number,
            body=sms.message.body,
            status_callback=settings.SITE_URL.rstrip("/")
            + reverse("sms-twilio-status"),
        )
    except SmsError as error:
        _settle_send(sms, SmsMessage.Status.FAILED, error=str(error)[:300])
        return False
    _settle_send(sms, SmsMessage.Status.QUEUED, sid=sid[:64])
    return True


def _settle_send(sms: SmsMessage, status: str, *, error: str = "", sid: str = ""):
    """The send's outcome, unless a delivery report got there first."""
    sms.status, sms.error, sms.status_at = status, error, timezone.now()
    fields = {"status": status, "error": error, "status_at": sms.status_at}
    if sid:
        sms.sid = fields["sid"] = sid
    SmsMessage.objects.filter(pk=sms.pk, status=SmsMessage.Status.PENDING).update(
        **fields
    )
    _publish_status(sms)


@transaction.atomic
def sms_status_record(
    *, sid: str, status: str, error_code: str = "", now: datetime | None = None
) -> SmsMessage | None:
    """Record a delivery report for the text Twilio knows as `sid`; None for a
    sid of no text of ours. Locks the row; ignores a report older than what
    is stored (reports arrive out of order) and statuses this model does not
    keep (Twilio's accepted, sending, ...)."""
    now = now or timezone.now()
    if status not in STATUS_RANK or status == SmsMessage.Status.PENDING:
        sms = SmsMessage.objects.filter(
            sid=sid, direction=SmsMessage.Direction.OUTBOUND
        ).first()
        return sms
    sms = (
        SmsMessage.objects.select_for_update()
        .filter(sid=sid, direction=SmsMessage.Direction.OUTBOUND)
        .first()
    )
    if sms is None:
        return None
    current = STATUS_RANK.get(sms.status, 0)
    if current >= 3 or STATUS_RANK[status] <= current:
        return sms
    sms.status = status
    sms.status_at = now
    fields = ["status", "status_at"]
    if error_code and status in (
        SmsMessage.Status.FAILED,
        SmsMessage.Status.UNDELIVERED,
    ):
        sms.error = f"Twilio error {error_code[:20]}"
        fields.append("error")
    sms.save(update_fields=fields)
    _publish_status(sms)
    return sms
