"""Email tickets (SPEC T1-T6, C4): the inbox workflow, replies out, email in.

A ticket is a conversation on the email channel (or a chat continuing by
email) plus its `Ticket` row. Every change locks the ticket row; emails go
out from Celery after commit (`chat.tasks.send_ticket_message`) and inbound
mail is stored as it arrived (`InboundEmail`) before it is processed, so a
crash or a parsing surprise never loses one.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from chat import events
from chat.mail.inbound import MalformedEmail, ParsedEmail, parse_email
from chat.models import (
    BlockedSender,
    Conversation,
    InboundEmail,
    Message,
    Ticket,
    TicketReminder,
)
from chat.services.conversations import _append, local_queue, validate_body
from chat.services.conversations import _locked as _locked_conversation
from chat.services.files import (
    ALLOWED_TYPES,
    MAX_FILE_BYTES,
    attach,
    clean_file_name,
    sniff_content_type,
)
from consortium import selectors as consortium_selectors
from consortium.db import is_unique_violation
from consortium.models import ConsortiumSettings, Library, Staff
from consortium.services import DomainError

logger = logging.getLogger(__name__)

# Processing that began this many times without settling (the worker died
# under it) is given up: the email is marked failed, not tried for ever.
MAX_PROCESSING_ATTEMPTS = 3

MAX_TICKET_MESSAGE_CHARS = 20000
ESCALATE_AFTER = timedelta(hours=24)
S = Ticket.Status

# --- Who may do what --------------------------------------------------------------


def can_work(staff: Staff, ticket: Ticket) -> bool:
    """The help desk works every inbox; everyone else their library's, and a
    ticket they have claimed wherever it has gone since."""
    if staff.is_helpdesk:
        return True
    return staff.library_id == ticket.library_id or ticket.assignee_id == staff.pk


def inbox(staff: Staff):
    """The tickets `staff` sees in the desk: their library's inbox, what they
    claimed, and for the help desk its own inbox (forwarded from closed
    libraries, and escalated) on top of everything."""
    tickets = Ticket.objects.select_related(
        "conversation", "library", "assignee"
    ).order_by("due_at")
    if staff.is_helpdesk:
        return tickets
    return tickets.filter(Q(library_id=staff.library_id) | Q(assignee=staff))


def overdue_q(now: datetime) -> Q:
    """Tickets open or claimed, still unanswered, past their first-response
    deadline at `now`."""
    return Q(status__in=(S.OPEN, S.CLAIMED), first_response_at__isnull=True) & Q(
        due_at__lte=now
    )


def inbox_summary(staff: Staff, now=None) -> dict:
    """What the desk's "Email tickets" link shows: unclaimed tickets in the
    inbox, open ones claimed by `staff`, and how many of either are overdue."""
    now = now or timezone.now()
    tickets = inbox(staff)
    unclaimed = tickets.filter(status=S.OPEN)
    mine = tickets.filter(assignee=staff, status=S.CLAIMED)
    return {
        "unclaimed": unclaimed.count(),
        "mine": mine.count(),
        "overdue": (unclaimed | mine).filter(due_at__lte=now).count(),
    }


def helpdesk_inbox(tickets):
    """The help desk's own inbox: tickets forwarded from libraries closed
    long (C4) and tickets escalated for want of a first answer (T4)."""
    escalated = TicketReminder.objects.filter(
        ticket=OuterRef("pk"),
        stage=TicketReminder.Stage.ESCALATED,
        due_at=OuterRef("due_at"),
    )
    return tickets.filter(
        Q(forwarded_to_helpdesk=True)
        | Q(Exists(escalated), first_response_at__isnull=True)
    )


def _locked(ticket_id: int, actor: Staff | None = None) -> Ticket:
    try:
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("conversation", "library")
            .get(pk=ticket_id)
        )
    except Ticket.DoesNotExist as error:
        raise DomainError("This ticket does not exist.", code="not_found") from error
    if actor is not None and not can_work(actor, ticket):
        raise DomainError(
            "This ticket is in another library's inbox.", code="forbidden"
        )
    return ticket


def first_response_due(queue, now: datetime, *, sms: bool = False) -> datetime:
    """When a question asked on `queue` at `now` needs its first answer (T4):
    the queue's setting or the consortium's; SMS questions sooner."""
    config = ConsortiumSettings.load()
    if sms:
        hours = config.sms_response_hours
    else:
        hours = queue.first_response_hours or config.ticket_first_response_hours
    return now + timedelta(hours=hours)


def clean_email(email: str, *, required: bool, what: str) -> str:
    email = (email or "").strip()
    if not email:
        if required:
            raise DomainError(f"{what} needs the patron's email address.")
        return ""
    try:
        validate_email(email)
    except ValidationError as error:
        raise DomainError(f"“{email[:80]}” is not an email address.") from error
    return email


def _forwarded(library: Library, now: datetime) -> bool:
    """New tickets of a library closed long go to the help desk (C4)."""
    return consortium_selectors.library_forwards_tickets(
        library, now.astimezone(library.zone).date()
    )


def ticket_open(
    *,
    conversation: Conversation,
    library: Library,
    source: str,
    email: str,
    due_at: datetime,
    now: datetime,
    assignee: Staff | None = None,
    subject: str = "",
) -> Ticket:
    """A new ticket in `library`'s inbox, claimed when `assignee` is given;
    an unclaimed one of a library closed long is marked forwarded to the
    help desk (C4). Runs in the caller's transaction."""
    ticket = Ticket.objects.create(
        conversation=conversation,
        library=library,
        assignee=assignee,
        status=S.CLAIMED if assignee else S.OPEN,
        source=source,
        email=email,
        subject=subject[:200],
        due_at=due_at,
        forwarded_to_helpdesk=assignee is None and _forwarded(library, now),
        created_at=now,
    )
    events.publish_ticket(ticket)
    return ticket


def _clean_body(body: str, what: str = "A reply") -> str:
    return validate_body(body, what=what, limit=MAX_TICKET_MESSAGE_CHARS)


def _system_note(ticket: Ticket, text: str, now, author=None) -> Message:
    return _append(
        _locked_conversation(ticket.conversation_id),
        sender=Message.Sender.NOTE,
        body=text,
        author=author,
        now=now,
    )


def _save(ticket: Ticket, *fields: str) -> None:
    ticket.save(update_fields=list(fields))
    events.publish_ticket(ticket)


# --- Workflow (T2, T6) -----------------------------------------------------------


@transaction.atomic
def ticket_from_sms(
    *, conversation_id: int, actor: Staff, email: str, now=None
) -> Ticket:
    """Staff turn an SMS conversation into an email ticket (T1) when the
    answer needs more than text messages: claimed by them, answered by email
    to the address the patron gave, due within the SMS answer time."""
    now = now or timezone.now()
    conversation = _locked_conversation(conversation_id)
    if conversation.channel != Conversation.Channel.SMS:
        raise DomainError("Only SMS conversations are converted to email tickets.")
    if Ticket.objects.filter(conversation=conversation).exists():
        raise DomainError("This conversation is already a ticket.")
    if not actor.is_helpdesk and actor.library_id != conversation.library_id:
        raise DomainError("This conversation belongs to another library.")
    email = clean_email(email, required=True, what="An email ticket")
    conversation.patron_email = email
    conversation.save(update_fields=["patron_email"])
    _append(
        conversation,
        sender=Message.Sender.NOTE,
        body=f"Converted to an email ticket by {actor.chat_name}; answers go to {email}.",
        now=now,
    )
    return ticket_open(
        conversation=conversation,
        library=conversation.library,
        assignee=actor,
        source=Ticket.Source.SMS,
        email=email,
        subject=conversation.question[:80],
        due_at=first_response_due(conversation.queue, now, sms=True),
        now=now,
    )


@transaction.atomic
def ticket_claim(*, ticket_id: int, actor: Staff, now=None) -> Ticket:
    """ "Only claim a ticket you intend to answer": one claimant at a time;
    when two claim at once the second is told who has it."""
    ticket = _locked(ticket_id, actor)
    if ticket.is_closed:
        raise DomainError("This ticket is closed; reopen it first.")
    if ticket.assignee_id == actor.pk:
        return ticket
    if ticket.assignee_id is not None:
        raise DomainError(
            f"{ticket.assignee.chat_name} has already claimed this ticket.",
            code="taken",
        )
    ticket.assignee = actor
    if ticket.status == S.OPEN:
        ticket.status = S.CLAIMED
    _save(ticket, "assignee", "status")
    return ticket


@transaction.atomic
def ticket_unclaim(*, ticket_id: int, actor: Staff, now=None) -> Ticket:
    """Back to the inbox for someone else (the claimant, a coordinator of the
    library or the help desk)."""
    ticket = _locked(ticket_id, actor)
    allowed = (
        ticket.assignee_id == actor.pk
        or actor.is_helpdesk
        or (actor.is_coordinator and actor.library_id == ticket.library_id)
    )
    if ticket.assignee_id is None:
        return ticket
    if not allowed:
        raise DomainError("Only the claimant or a coordinator can unclaim this ticket.")
    ticket.assignee = None
    if ticket.status == S.CLAIMED:
        ticket.status = S.OPEN
    _save(ticket, "assignee", "status")
    return ticket


def new_email_message_id(ticket: Ticket) -> str:
    return f"ticket-{ticket.pk}.{secrets.token_hex(8)}@{reply_domain()}"


@transaction.atomic
def ticket_reply(
    *, ticket_id: int, actor: Staff, body: str, files=(), now=None
) -> Message:
    """Answer the patron by email (T3). Claims the ticket if nobody has; the
    ticket then waits on the patron, and closes by itself after the
    consortium's silence limit. The email leaves after commit."""
    now = now or timezone.now()
    body = _clean_body(body)
    ticket = _locked(ticket_id, actor)
    if ticket.assignee_id not in (None, actor.pk):
        raise DomainError(
            f"{ticket.assignee.chat_name} has claimed this ticket; ask them or "
            "unclaim it first.",
            code="taken",
        )
    checked = [_checked_file(name, data) for name, data in files]
    message = _append(
        _locked_conversation(ticket.conversation_id),
        sender=Message.Sender.LIBRARIAN,
        body=body,
        author=actor,
        now=now,
    )
    message.email_message_id = new_email_message_id(ticket)
    message.save(update_fields=["email_message_id"])
    _attach(message, checked, now)
    ticket.assignee = actor
    ticket.status = S.WAITING
    ticket.waiting_since = now
    ticket.first_response_at = ticket.first_response_at or now
    ticket.closed_at = None
    _save(
        ticket, "assignee", "status", "waiting_since", "first_response_at", "closed_at"
    )
    from chat import tasks  # tasks import services

    transaction.on_commit(lambda: tasks.send_ticket_message.delay(message.pk))
    return message


@transaction.atomic
def ticket_note(*, ticket_id: int, actor: Staff, body: str, files=(), now=None):
    """An internal note (T6): staff only, never emailed."""
    now = now or timezone.now()
    body = _clean_body(body, "A note")
    ticket = _locked(ticket_id, actor)
    checked = [_checked_file(name, data) for name, data in files]
    message = _system_note(ticket, body, now, author=actor)
    _attach(message, checked, now)
    events.publish_ticket(ticket)
    return message


@transaction.atomic
def ticket_transfer(
    *, ticket_id: int, actor: Staff, library: Library, note: str, now=None
) -> Ticket:
    """To another library's inbox, with a note saying why (T2)."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise DomainError("Say in a note why the ticket goes to another library.")
    ticket = _locked(ticket_id, actor)
    if library.pk == ticket.library_id:
        raise DomainError(f"This ticket is already in {library.name}'s inbox.")
    if not library.active:
        raise DomainError(f"{library.name} is not an active member library.")
    _system_note(
        ticket,
        f"Transferred from {ticket.library.name} to {library.name}: {note[:2000]}",
        now,
        author=actor,
    )
    ticket.library = library
    ticket.assignee = None
    if ticket.status == S.CLAIMED:
        ticket.status = S.OPEN
    ticket.forwarded_to_helpdesk = _forwarded(library, now)
    _save(ticket, "library", "assignee", "status", "forwarded_to_helpdesk")
    return ticket


@transaction.atomic
def ticket_close(*, ticket_id: int, actor: Staff | None, now=None) -> Ticket:
    """Closed by staff (or, `actor` None, by the silence rule)."""
    now = now or timezone.now()
    ticket = _locked(ticket_id, actor)
    if ticket.is_closed:
        return ticket
    ticket.status = S.CLOSED
    ticket.closed_at = now
    _save(ticket, "status", "closed_at")
    if actor is not None:
        _system_note(ticket, f"Closed by {actor.chat_name}.", now)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket_id: int, actor: Staff | None, now=None) -> Ticket:
    now = now or timezone.now()
    ticket = _locked(ticket_id, actor)
    if not ticket.is_closed and ticket.status != S.WAITING:
        return ticket
    _reopen(ticket, now)
    who = actor.chat_name if actor else "the patron's reply"
    _system_note(ticket, f"Reopened by {who}.", now)
    return ticket


def _reopen(ticket: Ticket, now) -> None:
    """Open again with a fresh first-response deadline from now."""
    ticket.status = S.CLAIMED if ticket.assignee_id else S.OPEN
    ticket.closed_at = None
    ticket.waiting_since = None
    ticket.first_response_at = None
    ticket.due_at = first_response_due(
        ticket.conversation.queue, now, sms=ticket.source == Ticket.Source.SMS
    )
    _save(ticket, "status", "closed_at", "waiting_since", "first_response_at", "due_at")


# --- Files ----------------------------------------------------------------------


def _checked_file(name: str, data: bytes) -> tuple[str, bytes, str]:
    if not data:
        raise DomainError(f"“{clean_file_name(name)}” is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(
            f"“{clean_file_name(name)}” is over {MAX_FILE_BYTES // 2**20} MB."
        )
    content_type = sniff_content_type(data)
    if content_type not in ALLOWED_TYPES:
        raise DomainError(
            f"“{clean_file_name(name)}” cannot be attached: send images, PDFs, "
            "Office documents or plain text."
        )
    return clean_file_name(name), data, content_type


def _attach(message: Message, files, now) -> None:
    for name, data, content_type in files:
        attach(message, name=name, data=data, content_type=content_type, now=now)


# --- Reply addresses (T3) ----------------------------------------------------------


def reply_domain() -> str:
    return settings.TICKET_REPLY_ADDRESS.rsplit("@", 1)[1].lower()


def reply_address(ticket: Ticket) -> str:
    """`ask+t12.3f9c…@domain`: replies thread back to ticket 12; the token
    makes the address unguessable."""
    local, domain = settings.TICKET_REPLY_ADDRESS.rsplit("@", 1)
    return f"{local}+t{ticket.pk}.{ticket.reply_token}@{domain}"


_REPLY_LOCAL = re.compile(r"^[^+@]+\+t(\d+)\.([0-9a-f]+)$")


def _addressed_ticket(recipients) -> tuple[Ticket | None, bool]:
    """(ticket, whether a reply address was used) from the recipients."""
    domain = reply_domain()
    for address in recipients:
        local, _, host = address.rpartition("@")
        match = _REPLY_LOCAL.match(local)
        if host != domain or not match:
            continue
        ticket = Ticket.objects.filter(
            pk=int(match.group(1)), reply_token=match.group(2)
        ).first()
        return ticket, True
    return None, False


def _threaded_ticket(parsed: ParsedEmail) -> Ticket | None:
    ids = [i for i in [*parsed.in_reply_to, *reversed(parsed.references)] if i]
    if not ids:
        return None
    message = (
        Message.objects.filter(email_message_id__in=ids)
        .select_related("conversation__ticket")
        .order_by("-pk")
        .first()
    )
    return getattr(message.conversation, "ticket", None) if message else None


# --- Email in (T1, T3) ------------------------------------------------------------


def inbound_email_receive(*, raw: bytes, via: str, now=None) -> InboundEmail:
    """Keep an email exactly as it arrived (its own commit), then process it.
    Whatever processing makes of it, the raw mail stays in the admin."""
    now = now or timezone.now()
    with transaction.atomic():
        inbound = InboundEmail.objects.create(
            via=via, raw=raw, size=len(raw), received_at=now
        )
    return inbound_email_process(inbound_id=inbound.pk, now=now)


def inbound_email_process(*, inbound_id: int, now=None) -> InboundEmail:
    """Turn a stored email into a ticket message. Safe to run twice: only an
    email still `received` is processed.

    Whatever goes wrong while processing, the email ends `failed` with the
    reason after its first try, nothing of the attempt is kept, and the help
    desk can process it again from the admin; the sweep does not retry it.
    A try that never ends (the worker killed) counts too: after
    MAX_PROCESSING_ATTEMPTS the email is marked failed as well.
    """
    now = now or timezone.now()
    InboundEmail.objects.filter(
        pk=inbound_id, status=InboundEmail.Status.RECEIVED
    ).update(attempts=F("attempts") + 1)
    with transaction.atomic():
        inbound = InboundEmail.objects.select_for_update().get(pk=inbound_id)
        if inbound.status != InboundEmail.Status.RECEIVED:
            return inbound
        if inbound.attempts > MAX_PROCESSING_ATTEMPTS:
            return _settle(
                inbound,
                InboundEmail.Status.FAILED,
                f"Processing was interrupted {inbound.attempts - 1} times "
                "(the worker stopped under it); process it again once fixed.",
                now,
            )
        try:
            with transaction.atomic():
                return _process(inbound, now)
        except Exception as error:  # noqa: BLE001 - any failure is stored, never looped
            logger.exception("Inbound email %s could not be processed", inbound_id)
            return _settle(
                inbound,
                InboundEmail.Status.FAILED,
                _failure_reason(error),
                now,
            )


def _failure_reason(error: Exception) -> str:
    """What went wrong, for the admin: a domain error's own words, else the
    error's kind and message (the traceback is in the log)."""
    if isinstance(error, DomainError):
        return str(error)
    return f"Processing failed ({type(error).__name__}: {error})"


def _process(inbound: InboundEmail, now) -> InboundEmail:
    try:
        parsed = parse_email(bytes(inbound.raw))
    except MalformedEmail as error:
        return _settle(inbound, InboundEmail.Status.QUARANTINED, error.reason, now)
    inbound.message_id = parsed.message_id[:250]
    inbound.from_email = parsed.from_email[:254]
    inbound.subject = parsed.subject[:200]
    if parsed.headers_loop_marker or parsed.from_email.endswith("@" + reply_domain()):
        return _settle(inbound, InboundEmail.Status.LOOP, "Sent by this system.", now)
    if parsed.message_id and (
        InboundEmail.objects.filter(message_id=parsed.message_id)
        .exclude(pk=inbound.pk)
        .exclude(status__in=[InboundEmail.Status.RECEIVED, InboundEmail.Status.FAILED])
        .exists()
    ):
        return _settle(inbound, InboundEmail.Status.DUPLICATE, "", now)
    ticket, by_address = _addressed_ticket(parsed.recipients)
    if by_address and ticket is None and parsed.kind == "message":
        return _settle(
            inbound,
            InboundEmail.Status.QUARANTINED,
            "Sent to a reply address of a ticket that does not exist.",
            now,
        )
    ticket = ticket or _threaded_ticket(parsed)
    block = _sender_block(parsed, ticket)
    if block is not None:
        BlockedSender.objects.filter(pk=block.pk).update(
            matched_count=F("matched_count") + 1, last_matched_at=now
        )
        why = f" ({block.reason})" if block.reason else ""
        return _settle(
            inbound,
            InboundEmail.Status.BLOCKED,
            f"Sender blocked: {block.pattern}{why}",
            now,
            ticket,
        )
    if parsed.kind != "message" and not parsed.kind_certain:
        return _settle(
            inbound,
            InboundEmail.Status.QUARANTINED,
            f"Not opened as a ticket: {parsed.kind_reason} If a patron wrote "
            "it, add it anyway (an action of the emails list).",
            now,
            ticket,
        )
    if parsed.kind == "bounce":
        if ticket is not None:
            _system_note(
                _locked(ticket.pk),
                f"Our email to {ticket.email} bounced: the patron may not get "
                "replies. Check the address.",
                now,
            )
            events.publish_ticket(ticket)
        return _settle(
            inbound, InboundEmail.Status.BOUNCE, parsed.kind_reason, now, ticket
        )
    if parsed.kind != "message":
        return _settle(
            inbound, InboundEmail.Status.AUTO_REPLY, parsed.kind_reason, now, ticket
        )
    if ticket is not None:
        if parsed.from_email != ticket.email.lower():
            return _settle(
                inbound,
                InboundEmail.Status.QUARANTINED,
                f"A reply from {parsed.from_email}, not the patron's address "
                f"{ticket.email}.",
                now,
                ticket,
            )
        _append_patron_email(_locked(ticket.pk), parsed, now)
        return _settle(inbound, InboundEmail.Status.APPENDED, "", now, ticket)
    library = _addressed_library(parsed)
    if library is None:
        return _settle(
            inbound,
            InboundEmail.Status.QUARANTINED,
            "Not addressed to any library's ticket address.",
            now,
        )
    ticket = _ticket_from_email(library, parsed, now)
    return _settle(inbound, InboundEmail.Status.CREATED, "", now, ticket)


def _settle(inbound, status, reason, now, ticket=None) -> InboundEmail:
    inbound.status = status
    inbound.reason = reason[:300]
    inbound.ticket = ticket
    inbound.processed_at = now
    inbound.save()
    return inbound


def _patron_message(conversation, parsed: ParsedEmail, now) -> Message:
    message = _append(
        conversation,
        sender=Message.Sender.PATRON,
        body=(parsed.display_text or parsed.text or "(no text)")[
            :MAX_TICKET_MESSAGE_CHARS
        ],
        now=now,
    )
    message.email_message_id = parsed.message_id[:250]
    message.full_text = parsed.text
    message.save(update_fields=["email_message_id", "full_text"])
    for item in parsed.attachments:
        attach(
            message,
            name=item.name,
            data=item.content,
            content_type=item.content_type,
            now=now,
        )
    if parsed.rejected_attachments:
        refused = "; ".join(
            f"{name}: {why}" for name, why in parsed.rejected_attachments
        )
        _append(
            conversation,
            sender=Message.Sender.NOTE,
            body=f"Attachments not kept: {refused}",
            now=now,
        )
    return message


def _append_patron_email(ticket: Ticket, parsed: ParsedEmail, now) -> None:
    """The patron answered: their message joins the thread and the ticket is
    open again (even if it was closed), due anew."""
    _patron_message(_locked_conversation(ticket.conversation_id), parsed, now)
    if ticket.status in (S.WAITING, S.CLOSED):
        _reopen(ticket, now)
    else:
        events.publish_ticket(ticket)
    if ticket.assignee_id:
        events.publish_alert(
            [ticket.assignee_id],
            kind="ticket_reply",
            message=f"The patron answered ticket #{ticket.conversation_id}.",
        )


def _ticket_from_email(library: Library, parsed: ParsedEmail, now) -> Ticket:
    queue = local_queue(library)
    if queue is None:
        raise DomainError(f"{library.name} has no question service.")
    question = (parsed.subject + "\n\n" if parsed.subject else "") + (
        parsed.display_text or parsed.text
    )
    conversation = Conversation.objects.create(
        channel=Conversation.Channel.EMAIL,
        status=Conversation.Status.TICKET,
        library=library,
        queue=queue,
        question=question.strip()[:MAX_TICKET_MESSAGE_CHARS] or "(no text)",
        patron_name=parsed.from_name[:120],
        patron_email=parsed.from_email,
        requested_at=now,
        waiting_since=now,
    )
    _patron_message(conversation, parsed, now)
    return ticket_open(
        conversation=conversation,
        library=library,
        source=Ticket.Source.EMAIL,
        email=parsed.from_email,
        subject=parsed.subject,
        due_at=first_response_due(queue, now),
        now=now,
    )


# --- SLAs (T4) --------------------------------------------------------------------


def _remind(ticket: Ticket, stage: str, recipients: list[str], now) -> bool:
    """Record the reminder of this stage of this deadline; False when it was
    recorded before (the unique key decides, whoever runs this at once)."""
    try:
        with transaction.atomic():
            reminder = TicketReminder.objects.create(
                ticket=ticket,
                stage=stage,
                due_at=ticket.due_at,
                recipients=", ".join(recipients),
                created_at=now,
            )
    except IntegrityError as error:
        if is_unique_violation(error, TicketReminder, "ticket_reminder_once"):
            return False
        raise
    from chat import tasks

    transaction.on_commit(lambda: tasks.send_ticket_reminder.delay(reminder.pk))
    return True


def _coordinator_emails(library: Library) -> list[str]:
    return list(
        Staff.objects.active()
        .filter(library=library, role=Staff.Role.COORDINATOR)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def tickets_sla_sweep(*, now=None) -> dict:
    """Run by beat: overdue reminders to the claimant (or, unclaimed, the
    library's coordinators), escalation to the help desk a day later, and
    closing tickets left waiting on a silent patron. Each step happens once
    per ticket deadline however many workers run it at once or again."""
    now = now or timezone.now()
    config = ConsortiumSettings.load()
    counts = {"overdue": 0, "escalated": 0, "closed": 0}
    unanswered = Ticket.objects.filter(
        status__in=[S.OPEN, S.CLAIMED], first_response_at__isnull=True
    ).select_related("library", "assignee")
    for ticket in unanswered.filter(due_at__lte=now):
        if ticket.assignee_id and ticket.assignee.email:
            recipients = [ticket.assignee.email]
        else:
            recipients = _coordinator_emails(ticket.library) or [config.helpdesk_email]
        with transaction.atomic():
            counts["overdue"] += _remind(
                ticket, TicketReminder.Stage.OVERDUE, recipients, now
            )
    for ticket in unanswered.filter(due_at__lte=now - ESCALATE_AFTER):
        with transaction.atomic():
            counts["escalated"] += _remind(
                ticket, TicketReminder.Stage.ESCALATED, [config.helpdesk_email], now
            )
    silent = Ticket.objects.filter(
        status=S.WAITING,
        waiting_since__lte=now - timedelta(hours=config.ticket_autoclose_hours),
    ).values_list("pk", flat=True)
    for ticket_id in silent:
        counts["closed"] += _autoclose(ticket_id, now, config.ticket_autoclose_hours)
    return counts


@transaction.atomic
def _autoclose(ticket_id: int, now, hours: int) -> bool:
    ticket = _locked(ticket_id)
    if ticket.status != S.WAITING or ticket.waiting_since > now - timedelta(
        hours=hours
    ):
        return False  # the patron answered meanwhile, or another run closed it
    ticket.status = S.CLOSED
    ticket.closed_at = now
    _save(ticket, "status", "closed_at")
    _system_note(ticket, f"Closed: no answer from the patron in {hours} hours.", now)
    return True


@transaction.atomic
def inbound_email_accept(*, inbound_id: int, actor: Staff, now=None) -> InboundEmail:
    """A quarantined email added after a person looked at it: to its ticket
    (a reply from another address than the patron's, or one that looked like
    list mail), or as a new ticket of the library it was sent to."""
    now = now or timezone.now()
    inbound = InboundEmail.objects.select_for_update().get(pk=inbound_id)
    if inbound.status != InboundEmail.Status.QUARANTINED:
        raise DomainError("Only a quarantined email can be added.")
    try:
        parsed = parse_email(bytes(inbound.raw))
    except MalformedEmail as error:
        raise DomainError(f"This email cannot be used: {error.reason}") from error
    if inbound.ticket_id is None:
        library = _addressed_library(parsed)
        if library is None:
            raise DomainError("It was not sent to any library's ticket address.")
        ticket = _ticket_from_email(library, parsed, now)
        _system_note(ticket, f"{actor.chat_name} opened this from quarantine.", now)
        return _settle(inbound, InboundEmail.Status.CREATED, "", now, ticket)
    ticket = _locked(inbound.ticket_id, actor)
    _append_patron_email(ticket, parsed, now)
    _system_note(
        ticket, f"{actor.chat_name} added a reply from {parsed.from_email}.", now
    )
    return _settle(inbound, InboundEmail.Status.APPENDED, "", now, ticket)


def _addressed_libraries(parsed: ParsedEmail):
    """The active libraries whose ticket address the mail was sent to, the
    one it is for first."""
    return (
        Library.objects.filter(ticket_email__in=parsed.recipients, active=True)
        .exclude(ticket_email="")
        .order_by("name", "pk")
    )


def _addressed_library(parsed: ParsedEmail) -> Library | None:
    return _addressed_libraries(parsed).first()


def _sender_block(parsed: ParsedEmail, ticket: Ticket | None):
    """The block that stops this mail, if any: the sender blocked for the
    ticket's library when it threads onto one, else for the library it is
    addressed to, or for every library. One query (the addressed library is
    a subquery of it), whatever the list's length."""
    if not parsed.from_email:
        return None
    if ticket is not None:
        library = ticket.library_id
    else:
        library = Subquery(_addressed_libraries(parsed).values("pk")[:1])
    return BlockedSender.objects.matching(parsed.from_email, library_id=library).first()


@transaction.atomic
def inbound_email_retry(*, inbound_id: int, actor: Staff, now=None) -> InboundEmail:
    """Process a quarantined, failed or blocked email again (e.g. after a
    library's ticket address was corrected, a fix for what failed, or its
    sender unblocked). Only the help desk."""
    if not actor.is_helpdesk:
        raise DomainError("Only the help desk can process emails again.")
    updated = InboundEmail.objects.filter(
        pk=inbound_id,
        status__in=[
            InboundEmail.Status.QUARANTINED,
            InboundEmail.Status.FAILED,
            InboundEmail.Status.BLOCKED,
        ],
    ).update(status=InboundEmail.Status.RECEIVED, reason="", ticket=None, attempts=0)
    if not updated:
        raise DomainError(
            "Only quarantined, failed or blocked emails can be processed again."
        )
    return inbound_email_process(inbound_id=inbound_id, now=now)
