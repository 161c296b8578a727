"""Timed and after-commit jobs of the chat app. Each takes ids, re-reads the
rows, and is safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from chat import selectors, services
from chat.mail import outbound
from chat.models import (
    BackupCall,
    Conversation,
    InboundEmail,
    Message,
    TicketReminder,
)
from consortium.models import ConsortiumSettings, Staff
from consortium.tasks import send_once


@shared_task(acks_late=True)
def timers_fire() -> int:
    """Beat runs this every second: due chat timers, then abandoned chats."""
    return services.timers_fire() + services.conversations_abandon_sweep()


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_transcript_email(conversation_id: int, email: str) -> bool:
    """Email a chat's transcript (the patron's view, no notes) to `email`."""
    conversation = (
        Conversation.objects.select_related("library", "librarian")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        return False
    context = {
        "conversation": conversation,
        "messages": selectors.messages_after(conversation, 0, include_notes=False),
        "config": ConsortiumSettings.load(),
        "site_url": settings.SITE_URL.rstrip("/"),
    }
    mail = EmailMultiAlternatives(
        subject=f"Your chat with {conversation.library.name}",
        body=render_to_string("chat/email/transcript.txt", context),
        to=[email],
    )
    mail.attach_alternative(
        render_to_string("chat/email/transcript.html", context), "text/html"
    )
    mail.send()
    return True


def _backup_call_email(call: BackupCall) -> EmailMessage:
    config = ConsortiumSettings.load()
    return EmailMessage(
        subject=f"[{config.name}] Backup needed on the desk: {call.staff.chat_name}",
        body=render_to_string(
            "chat/email/backup_call.txt",
            {"call": call, "online": selectors.on_duty(), "config": config},
        ),
        to=[config.helpdesk_email, config.listserv_email],
    )


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_backup_call(call_id: int) -> bool:
    """Email a backup call to the help desk and the listserv, once."""
    return send_once(BackupCall, call_id, "notified_at", _backup_call_email)


NOTICES = {
    "ip_captured": "IP captured in a chat of {library}",
    "block": "Patron blocked after a chat of {library}",
}


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_helpdesk_notice(kind: str, conversation_id: int, actor_id: int) -> bool:
    """Tell the help desk about an inappropriate-use action (SPEC L8), once per
    kind and chat."""
    key = f"helpdesk-notice:{kind}:{conversation_id}"
    if not cache.add(key, 1, 7 * 24 * 3600):
        return False
    conversation = Conversation.objects.select_related("library").get(
        pk=conversation_id
    )
    actor = Staff.objects.get(pk=actor_id)
    config = ConsortiumSettings.load()
    try:
        send_mail(
            subject=f"[{config.name}] "
            + NOTICES[kind].format(library=conversation.library.name),
            message=render_to_string(
                "chat/email/helpdesk_notice.txt",
                {
                    "kind": kind,
                    "conversation": conversation,
                    "actor": actor,
                    "block": conversation.patronblock_set.order_by("-pk").first(),
                    "admin_url": settings.SITE_URL.rstrip("/")
                    + f"/admin/chat/conversation/{conversation.pk}/change/",
                },
            ),
            from_email=None,
            recipient_list=[config.helpdesk_email],
        )
    except Exception:
        cache.delete(key)
        raise
    return True


# --- Email tickets ----------------------------------------------------------------


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8
)
def send_ticket_message(message_id: int) -> bool:
    """Email a staff reply to the patron, once."""
    return send_once(Message, message_id, "email_sent_at", outbound.ticket_reply_email)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=8
)
def send_ticket_reminder(reminder_id: int) -> bool:
    """Email one SLA reminder (its row is unique per stage and deadline)."""
    return send_once(
        TicketReminder, reminder_id, "sent_at", outbound.ticket_reminder_email
    )


@shared_task(acks_late=True)
def tickets_sla_sweep() -> dict:
    """Beat, every minute: overdue reminders, escalations, auto-close; then
    what a dead worker left undone: reminders recorded but not sent, and
    emails received but not processed."""
    counts = services.tickets_sla_sweep()
    stale = timezone.now() - timedelta(minutes=10)
    for reminder_id in TicketReminder.objects.filter(
        sent_at__isnull=True, created_at__lte=stale
    ).values_list("pk", flat=True):
        send_ticket_reminder.delay(reminder_id)
    for inbound_id in InboundEmail.objects.filter(
        status=InboundEmail.Status.RECEIVED, received_at__lte=stale
    ).values_list("pk", flat=True):
        inbound_email_process.delay(inbound_id)
    return counts


@shared_task(acks_late=True)
def inbound_email_process(inbound_id: int) -> str:
    return services.inbound_email_process(inbound_id=inbound_id).status


@shared_task(acks_late=True)
def imap_poll() -> int:
    """Beat, every minute when IMAP_URL is set: fetch new mail (T3)."""
    from chat.mail.imap import imap_poll as poll

    return poll()


@shared_task(acks_late=True)
def send_sms(sms_id: int) -> bool:
    """Send a queued text once (`services.sms_send` claims it); safe twice."""
    from chat.services.sms import sms_send

    return sms_send(sms_id=sms_id)


# --- SMS answer deadlines and media (issue 18) ------------------------------------


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_sms_deadline_email(
    conversation_id: int, stage: str, due_at: str, recipients: list[str]
) -> bool:
    """Email that an SMS question is due soon (`stage` "reminder") or overdue
    ("overdue"), once per stage and deadline. It says "a patron" and links
    the desk and the conversation: never the patron's number."""
    from datetime import datetime

    from chat.services.timers import duration_text

    if stage not in ("reminder", "overdue"):
        raise ValueError(f"No SMS deadline stage {stage!r}.")
    key = f"sms-deadline:{stage}:{conversation_id}:{due_at}"
    if not cache.add(key, 1, 30 * 24 * 3600):
        return False
    try:
        conversation = (
            Conversation.objects.select_related("library", "librarian")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None or not recipients:
            return False
        config = ConsortiumSettings.load()
        due = datetime.fromisoformat(due_at)
        library = conversation.library.name
        left = duration_text(due - timezone.now())
        subject = (
            f"An SMS question from {library} is overdue"
            if stage == "overdue"
            else f"An SMS question from {library} is due in {left}"
        )
        site = settings.SITE_URL.rstrip("/")
        EmailMessage(
            subject=f"[{config.name}] {subject}",
            body=render_to_string(
                "chat/email/sms_deadline.txt",
                {
                    "stage": stage,
                    "conversation": conversation,
                    "due_at": due,
                    "left": left,
                    "config": config,
                    "desk_url": f"{site}/desk/",
                    "admin_url": f"{site}/admin/chat/conversation/"
                    f"{conversation.pk}/change/",
                },
            ),
            to=recipients,
            headers={"Auto-Submitted": "auto-generated"},
        ).send()
    except Exception:
        cache.delete(key)
        raise
    return True


@shared_task(acks_late=True)
def sms_fetch_media(sms_id: int, urls: list[str]) -> int:
    """Fetch the pictures and files of a text (MMS) onto its message; a
    message that has them already is not fetched again. Returns how many
    were stored."""
    from chat.sms.media import sms_media_fetch

    return sms_media_fetch(sms_id=sms_id, urls=urls)


# --- Retention (issue 19, SPEC R4) ------------------------------------------------


@shared_task(acks_late=True)
def retention_scrub() -> dict:
    """Beat, daily: remove the personal data of conversations past the
    consortium's retention period (`services.retention_scrub`, bounded per
    run). Safe to run twice: a scrubbed conversation is not read again, and
    two runs at once skip each other's locked rows."""
    run = services.retention_scrub()
    return {
        "run": run.pk,
        "conversations": run.conversations,
        "left": run.details.get("left", 0),
    }
