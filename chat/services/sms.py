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
from chat.models import Conversation, Message, SmsMessage
from chat.services.conversations import _append, _store, local_queue
from chat.sms.backends import SmsError, get_backend
from consortium.db import is_unique_violation
from consortium.models import Library
from consortium.services import DomainError

SID_UNIQUE = "sms_sid_unique"
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


def sms_body(body: str, *, num_media: int) -> str:
    """The text as stored; refused (`DomainError`) when empty without media
    or longer than `MAX_SMS_CHARS`. Media are not fetched yet: a text with
    only media is stored as a note of how many there were."""
    body = (body or "").strip()
    if len(body) > MAX_SMS_CHARS:
        raise DomainError(
            f"A text can be at most {MAX_SMS_CHARS} characters; "
            f"this one has {len(body)}."
        )
    if not body:
        if num_media <= 0:
            raise DomainError("The text is empty.")
        return f"[{num_media} picture(s) or file(s) sent by text, not shown yet]"
    return body


def sms_receive(
    *,
    library: Library,
    sid: str,
    phone: str,
    body: str,
    num_media: int = 0,
    now: datetime | None = None,
) -> Received:
    """Store a text from `phone` (E.164) to `library`'s number as a patron
    message. It joins the library's open SMS conversation with that number
    if either side wrote in the last `library.sms_thread_hours`; otherwise it
    starts one, waiting on the library's local queue. A `sid` stored before
    is not stored again (unique `SmsMessage.sid`; a concurrent retry loses
    on the constraint and its whole transaction is undone).

    Locks the library row (so two first texts of a number start one
    conversation) and the conversation joined. Publishes the message, and a
    new conversation's waiting offer, after commit."""
    now = now or timezone.now()
    body = sms_body(body, num_media=num_media)
    if not sid or len(sid) > 64:
        raise DomainError("MessageSid is missing or too long.")
    if SmsMessage.objects.filter(sid=sid).exists():
        return Received(None, False)
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
    except IntegrityError as error:
        if is_unique_violation(error, SmsMessage, SID_UNIQUE):
            return Received(None, False)
        raise
    return Received(sms, True)


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
        message = _append(thread, sender=Message.Sender.PATRON, body=body, now=now)
    else:
        message = _start(library=library, phone=phone, body=body, now=now)
    return SmsMessage.objects.create(
        message=message,
        direction=SmsMessage.Direction.INBOUND,
        sid=sid,
        status=SmsMessage.Status.RECEIVED,
        num_media=num_media,
        status_at=now,
    )


def _start(*, library, phone, body, now) -> Message:
    """A new SMS conversation, waiting on the library's local queue. No live
    chat timers: a texting patron has no page open to leave, and answers
    within hours (the deadline and the co-op routing come with issue 18's
    routing step)."""
    queue = local_queue(library)
    if queue is None or not library.active:
        raise DomainError("This library has no SMS service.", code="not_found")
    conversation = Conversation.objects.create(
        channel=Conversation.Channel.SMS,
        library=library,
        queue=queue,
        question=body,
        patron_phone=phone,
        requested_at=now,
        waiting_since=now,
        patron_last_seen=now,
        last_patron_at=now,
        last_seq=1,
    )
    conversation.library = library
    conversation.queue = queue
    message = _store(conversation, sender=Message.Sender.PATRON, body=body, now=now)
    events.publish_waiting(conversation, as_stored=True)
    return message


@transaction.atomic
def sms_outbound_queue(*, message_id: int) -> SmsMessage:
    """Queue a librarian's message of an SMS conversation as a text to the
    patron: sent after commit by `chat.tasks.send_sms` (once). Queuing the
    same message again returns the row queued first."""
    message = Message.objects.select_related("conversation__library").get(pk=message_id)
    conversation = message.conversation
    if conversation.channel != Conversation.Channel.SMS:
        raise DomainError("Only messages of SMS conversations are sent by text.")
    if message.sender != Message.Sender.LIBRARIAN:
        raise DomainError("Only a librarian's messages are sent by text.")
    if not conversation.library.sms_number or not conversation.patron_phone:
        raise DomainError("This conversation has no numbers to text between.")
    sms, created = SmsMessage.objects.get_or_create(
        message=message,
        defaults={
            "direction": SmsMessage.Direction.OUTBOUND,
            "status": SmsMessage.Status.PENDING,
        },
    )
    if created:
        from chat.tasks import send_sms  # tasks import the services

        send_sms.delay_on_commit(sms.pk)
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
    try:
        sid = get_backend().send(
            to=conversation.patron_phone,
            from_=conversation.library.sms_number,
            body=sms.message.body,
            status_callback=settings.SITE_URL.rstrip("/")
            + reverse("sms-twilio-status"),
        )
    except SmsError as error:
        SmsMessage.objects.filter(pk=sms_id).update(
            status=SmsMessage.Status.FAILED,
            error=str(error)[:300],
            status_at=timezone.now(),
        )
        return False
    SmsMessage.objects.filter(pk=sms_id).update(
        sid=sid[:64], status=SmsMessage.Status.QUEUED, status_at=timezone.now()
    )
    return True


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
    return sms
