"""Wrap-up of a chat (SPEC L7) and the follow-up record a question becomes
when it continues by email: from the follow-up codes or the offline form."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone

from chat import events
from chat.models import Conversation, Message, Ticket
from chat.services.conversations import (
    _append,
    _locked,
    check_not_blocked,
    clean_question,
    conversation_end,
    hash_ip,
    local_queue,
)
from chat.services.tickets import clean_email, first_response_due, ticket_open
from consortium.models import Library, Staff
from consortium.services import DomainError

R = Conversation.Resolution
FOLLOWUP_CODES = (R.FOLLOWUP_LIBRARY, R.FOLLOWUP_ME)


def _end_of_day(library: Library, day: date) -> datetime:
    return datetime.combine(day, time(23, 59)).replace(tzinfo=library.zone)


@transaction.atomic
def conversation_wrap_up(
    *,
    conversation_id: int,
    actor: Staff,
    resolution: str,
    question_type: str,
    read_scale: int | None,
    bad_patron: bool = False,
    bad_patron_reason: str = "",
    followup_email: str = "",
    followup_due: date | None = None,
    now: datetime | None = None,
) -> Conversation:
    """Record how a chat ended (SPEC L7); ends it first if still active.

    Lost Call is refused when the patron wrote after the librarian joined or
    gave an email. The follow-up codes need an email and a deadline and create
    the `Ticket` (in the patron library's inbox, or assigned to the
    librarian). Locks the conversation row.
    """
    now = now or timezone.now()
    if resolution not in R.values:
        raise DomainError("Choose a resolution.")
    if question_type not in Conversation.QuestionType.values:
        raise DomainError("Choose a question type.")
    if read_scale is not None and not 1 <= read_scale <= 6:
        raise DomainError("The READ scale goes from 1 to 6.")
    bad_patron_reason = (bad_patron_reason or "").strip()
    if bad_patron and not bad_patron_reason:
        raise DomainError("Say why you flag this patron.")
    conversation = _locked(conversation_id)
    if conversation.librarian_id != actor.pk:
        raise DomainError("Only the librarian who had this chat can wrap it up.")
    if conversation.wrapped_up_at:
        raise DomainError("This chat is already wrapped up.")
    if conversation.status not in (
        Conversation.Status.ACTIVE,
        Conversation.Status.ENDED,
    ):
        raise DomainError("Only a chat you answered can be wrapped up.")
    if resolution == R.LOST_CALL:
        if conversation.patron_email:
            raise DomainError(
                "Lost Call is not allowed: the patron gave an email address. Choose "
                "a follow-up instead."
            )
        if conversation.messages.filter(
            sender=Message.Sender.PATRON, seq__gt=conversation.accepted_seq or 0
        ).exists():
            raise DomainError(
                "Lost Call is not allowed: the patron wrote after you joined."
            )
    email = ""
    if resolution in FOLLOWUP_CODES:
        email = clean_email(
            followup_email or conversation.patron_email,
            required=True,
            what=R(resolution).label,
        )
        if followup_due is None:
            raise DomainError("A follow-up needs a deadline.")
        if followup_due < now.astimezone(conversation.library.zone).date():
            raise DomainError("The follow-up deadline cannot be in the past.")
    if conversation.status == Conversation.Status.ACTIVE:
        conversation = conversation_end(
            conversation_id=conversation.pk, actor=actor, now=now
        )
    conversation.resolution = resolution
    conversation.question_type = question_type
    conversation.read_scale = read_scale
    conversation.bad_patron = bad_patron
    conversation.bad_patron_reason = bad_patron_reason[:300]
    conversation.wrapped_up_at = now
    fields = [
        "resolution",
        "question_type",
        "read_scale",
        "bad_patron",
        "bad_patron_reason",
        "wrapped_up_at",
    ]
    if email and not conversation.patron_email:
        conversation.patron_email = email
        fields.append("patron_email")
    conversation.save(update_fields=fields)
    if resolution in FOLLOWUP_CODES:
        mine = resolution == R.FOLLOWUP_ME
        library = actor.library if mine and actor.library_id else conversation.library
        ticket_open(
            conversation=conversation,
            library=library,
            assignee=actor if mine else None,
            source=resolution,
            email=email,
            due_at=_end_of_day(conversation.library, followup_due),
            now=now,
        )
    events.publish_state(conversation, was_waiting=False)
    return conversation


@transaction.atomic
def offline_question_create(
    *,
    library: Library,
    question: str,
    email: str,
    patron_name: str = "",
    patron_status: str = Conversation.PatronStatus.PUBLIC,
    resident: bool = True,
    referrer_url: str = "",
    user_agent: str = "",
    ip: str = "",
    lang: str = "en",
    now: datetime | None = None,
) -> Conversation:
    """The offline form (SPEC L2, T1): nobody can chat, so the question
    becomes an email ticket in the library's inbox (the help desk's while the
    library is closed long, SPEC C4), due by the queue's first-response time."""
    now = now or timezone.now()
    question = clean_question(question)
    email = clean_email(email, required=True, what="An emailed answer")
    ip_hash = hash_ip(ip)
    check_not_blocked(ip_hash=ip_hash, email=email, now=now)
    local = local_queue(library)
    if local is None:
        raise DomainError(f"{library.name} has no question service.")
    conversation = Conversation(
        channel=Conversation.Channel.EMAIL,
        status=Conversation.Status.TICKET,
        library=library,
        queue=local,
        question=question,
        patron_name=patron_name.strip()[:120],
        patron_email=email,
        patron_status=patron_status,
        resident=resident,
        referrer_url=referrer_url[:1000],
        user_agent=user_agent[:400],
        requested_at=now,
        waiting_since=now,
        patron_ip_hash=ip_hash,
        lang="es" if lang == "es" else "en",
    )
    conversation.full_clean()
    conversation.save()
    _append(conversation, sender=Message.Sender.PATRON, body=question, now=now)
    ticket_open(
        conversation=conversation,
        library=library,
        source=Ticket.Source.OFFLINE_FORM,
        email=email,
        due_at=first_response_due(local, now),
        now=now,
    )
    return conversation
