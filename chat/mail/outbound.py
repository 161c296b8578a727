"""Email out for tickets (SPEC T3): a staff reply as multipart mail (text and
HTML) from the consortium, with a reply address and headers that thread the
patron's answer back to the ticket; and SLA reminders to staff."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from chat.models import Message, TicketReminder
from chat.services.tickets import reply_address
from consortium.models import DEFAULT_TICKET_GREETING, ConsortiumSettings

LOOP_HEADER = "X-AskTogether-Loop"


def _greeting(library, conversation) -> str:
    name = conversation.patron_name.strip() or "there"
    greeting = library.ticket_greeting.strip() or DEFAULT_TICKET_GREETING
    return greeting.replace("{name}", name)


def _thread_ids(message: Message) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for `message`: the latest email before it and
    every email of the conversation before it, oldest first."""
    ids = list(
        Message.objects.filter(
            conversation_id=message.conversation_id, seq__lt=message.seq
        )
        .exclude(email_message_id="")
        .order_by("seq")
        .values_list("email_message_id", flat=True)
    )
    return (ids[-1] if ids else ""), ids


def ticket_reply_email(message: Message) -> EmailMultiAlternatives:
    conversation = message.conversation
    ticket, library = conversation.ticket, conversation.library
    config = ConsortiumSettings.load()
    context = {
        "message": message,
        "ticket": ticket,
        "library": library,
        "greeting": _greeting(library, conversation),
        "config": config,
        "question": conversation.question,
    }
    address = reply_address(ticket)
    in_reply_to, references = _thread_ids(message)
    headers = {
        "Message-ID": f"<{message.email_message_id}>",
        LOOP_HEADER: f"ticket-{ticket.pk}",
    }
    if in_reply_to:
        headers["In-Reply-To"] = f"<{in_reply_to}>"
        headers["References"] = " ".join(f"<{i}>" for i in references)
    subject = ticket.subject or "Your question"
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    mail = EmailMultiAlternatives(
        subject=f"{subject} [{library.name} #{conversation.pk}]",
        body=render_to_string("chat/email/ticket_reply.txt", context),
        from_email=f"{library.name} via {config.name} <{address}>",
        to=[ticket.email],
        reply_to=[address],
        headers=headers,
    )
    mail.attach_alternative(
        render_to_string("chat/email/ticket_reply.html", context), "text/html"
    )
    for item in message.files:
        with item.file.open("rb") as handle:
            mail.attach(item.name, handle.read(), item.content_type)
    return mail


def ticket_reminder_email(reminder: TicketReminder) -> EmailMultiAlternatives:
    ticket = reminder.ticket
    config = ConsortiumSettings.load()
    context = {
        "reminder": reminder,
        "ticket": ticket,
        "config": config,
        "url": settings.SITE_URL.rstrip("/") + f"/desk/tickets/{ticket.pk}/",
    }
    if reminder.stage == TicketReminder.Stage.ESCALATED:
        subject = f"[{config.name}] Escalated: ticket #{ticket.conversation_id} of {ticket.library.name} has no answer"
    else:
        subject = f"[{config.name}] Overdue: ticket #{ticket.conversation_id} needs a first answer"
    return EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("chat/email/ticket_reminder.txt", context),
        to=[r.strip() for r in reminder.recipients.split(",") if r.strip()],
        headers={
            "Auto-Submitted": "auto-generated",
            LOOP_HEADER: f"reminder-{reminder.pk}",
        },
    )
