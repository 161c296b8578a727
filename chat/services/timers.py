"""Durable chat timers (SPEC L6): rows in `ChatTimer`, swept every second.

A sweep claims each due timer with a conditional update inside a transaction
and runs its handler in the same transaction: a timer fires once however
many sweeps overlap, and a worker that dies mid-handler rolls the claim back,
so the next sweep fires it. Timers that depend on activity (idle patron,
silent librarian) are not rewritten on every message: when one comes due its
handler reads the activity columns and re-arms itself if the deadline moved.

SMS conversations have an answer deadline instead (`schedule_sms_deadline`):
a reminder a quarter of the time before it and an alert when it passes. The
live-chat timers (a patron about to leave, a silent librarian, a long chat)
mean nothing for a text answered within hours, so their handlers do nothing
for them.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat import events, selectors
from chat.models import ChatTimer, Conversation, Message
from consortium import selectors as consortium_selectors
from consortium.models import ConsortiumSettings, Queue
from scheduling import selectors as scheduling_selectors

Kind = ChatTimer.Kind
WAITING_KINDS = (Kind.FALLBACK, Kind.MISSED_RISK, Kind.WAITING_LONG)
SMS_KINDS = (Kind.SMS_REMINDER, Kind.SMS_OVERDUE)


def schedule(conversation: Conversation, kind: str, due_at: datetime) -> None:
    schedule_many(conversation, {kind: due_at})


def schedule_many(conversation: Conversation, due: dict[str, datetime]) -> None:
    """Arm (or re-arm) timers of `conversation`, kind -> instant, in one
    INSERT … ON CONFLICT statement (accepting a chat arms three or four)."""
    ChatTimer.objects.bulk_create(
        [
            ChatTimer(
                conversation=conversation,
                kind=kind,
                due_at=due_at,
                fired_at=None,
                alerted_for=None,
            )
            for kind, due_at in due.items()
        ],
        update_conflicts=True,
        unique_fields=["conversation", "kind"],
        update_fields=["due_at", "fired_at", "alerted_for"],
    )


def cancel(conversation: Conversation) -> None:
    """Cancel the conversation's pending timers. While it stays open (a
    transfer puts it back to waiting) an SMS answer deadline is kept: the
    patron still waits for the answer; `cancel_sms_deadline` ends it."""
    pending = ChatTimer.objects.filter(conversation=conversation, fired_at__isnull=True)
    if conversation.is_open:
        pending = pending.exclude(kind__in=SMS_KINDS)
    pending.delete()


def sms_response_due(since: datetime, config: ConsortiumSettings) -> datetime:
    return since + timedelta(hours=config.sms_response_hours)


def schedule_sms_deadline(conversation: Conversation, since: datetime) -> datetime:
    """Arm the answer deadline of an SMS conversation whose patron text of
    `since` is unanswered: due `ConsortiumSettings.sms_response_hours` later
    (SPEC: 12 h), with a reminder a quarter of that time before (3 h) and an
    alert when it passes. Replaces the deadline armed before (one row per
    kind). Returns when the answer is due."""
    config = ConsortiumSettings.load()
    due = sms_response_due(since, config)
    timers = {Kind.SMS_OVERDUE: due}
    if due > since:
        timers[Kind.SMS_REMINDER] = due - (due - since) / 4
    else:  # no time to answer at all: only the overdue alert
        ChatTimer.objects.filter(
            conversation=conversation, kind=Kind.SMS_REMINDER
        ).delete()
    schedule_many(conversation, timers)
    return due


def cancel_sms_deadline(conversation: Conversation) -> None:
    """The patron's texts are answered: drop the reminder and the overdue
    alert not yet fired (and only those)."""
    ChatTimer.objects.filter(
        conversation=conversation, kind__in=SMS_KINDS, fired_at__isnull=True
    ).delete()


def schedule_waiting(
    conversation, config: ConsortiumSettings, now, also: dict | None = None
) -> None:
    """The waiting chat's timers, and `also` (kind -> instant) in the same
    statement."""
    since = conversation.waiting_since
    schedule_many(
        conversation,
        {
            Kind.MISSED_RISK: since + timedelta(seconds=config.pickup_seconds),
            Kind.WAITING_LONG: since
            + timedelta(seconds=config.waiting_highlight_seconds),
            **(also or {}),
        },
    )


def schedule_active(conversation, config: ConsortiumSettings, now, librarian) -> None:
    ChatTimer.objects.filter(conversation=conversation, kind__in=WAITING_KINDS).delete()
    due = {
        Kind.LONG_CHAT: conversation.accepted_at
        + timedelta(minutes=config.long_chat_minutes),
        Kind.LIBRARIAN_SILENT: now
        + timedelta(seconds=config.librarian_silence_seconds),
        Kind.PATRON_IDLE: max(conversation.last_patron_at or now, now)
        + timedelta(minutes=config.patron_idle_minutes),
    }
    closes = _service_closes_at(conversation, librarian, now)
    if closes:
        due[Kind.SHIFT_END] = closes
    schedule_many(conversation, due)


def _service_closes_at(conversation, librarian, now):
    """When `librarian`'s shift ends (SPEC S2; back-to-back shifts count as
    one), else when the last queue through which they serve this chat
    closes."""
    shift_end = scheduling_selectors.shift_end_for(librarian, now)
    if shift_end:
        return shift_end
    queues = Queue.objects.filter(
        Q(pk=conversation.queue_id) | Q(member_libraries=conversation.library_id),
        active=True,
        monitors__staff=librarian,
    ).select_related("library")
    closes = consortium_selectors.queues_close_at(queues.distinct(), now)
    return max(closes.values()) if closes else None


def _rearm(timer: ChatTimer, due_at: datetime, alerted_for=None) -> None:
    ChatTimer.objects.filter(pk=timer.pk).update(
        due_at=due_at, fired_at=None, alerted_for=alerted_for or timer.alerted_for
    )


# --- Handlers: run inside the claiming transaction ------------------------------


def _live_chat_only(handler):
    """The alerts of a live chat (a patron on the page, minutes to pick up)
    do nothing for an SMS conversation, which has its answer deadline."""

    @functools.wraps(handler)
    def guarded(timer, conversation, config, now):
        if conversation.channel == Conversation.Channel.SMS:
            return None
        return handler(timer, conversation, config, now)

    return guarded


def _fallback(timer, conversation, config, now):
    if conversation.status == Conversation.Status.WAITING:
        events.publish_waiting(conversation)


@_live_chat_only
def _missed_risk(timer, conversation, config, now):
    if conversation.status != Conversation.Status.WAITING:
        return
    events.publish_waiting(conversation)
    events.publish_alert(
        selectors.librarians_who_could_take(conversation, now),
        kind="missed_risk",
        conversation_id=conversation.pk,
        message=f"A patron of {conversation.library.name} has waited "
        f"{config.pickup_seconds} s. Pick up now to avoid a missed chat.",
    )


@_live_chat_only
def _waiting_long(timer, conversation, config, now):
    if conversation.status != Conversation.Status.WAITING:
        return
    events.publish_waiting(conversation)
    minutes = config.waiting_highlight_seconds // 60
    events.publish_alert(
        selectors.librarians_who_could_take(conversation, now, include_busy=True),
        kind="waiting_long",
        conversation_id=conversation.pk,
        message=f"A patron of {conversation.library.name} has waited over "
        f"{minutes} minutes. If you are already chatting, please take this one "
        "too.",
    )


def _quiet_spell(timer, conversation, now, since, interval) -> bool:
    """Whether to alert for a quiet spell that began at `since`; re-arms the
    timer for the next check either way."""
    if since is None:
        return False
    due = since + interval
    if now < due:
        _rearm(timer, due)
        return False
    if timer.alerted_for == since:
        _rearm(timer, now + interval)
        return False
    _rearm(timer, now + interval, alerted_for=since)
    return True


@_live_chat_only
def _librarian_silent(timer, conversation, config, now):
    if conversation.status != Conversation.Status.ACTIVE:
        return
    interval = timedelta(seconds=config.librarian_silence_seconds)
    since = max(conversation.last_librarian_at or now, conversation.accepted_at)
    patron_present = conversation.patron_last_seen and (
        conversation.patron_last_seen
        > now - timedelta(seconds=config.presence_timeout_seconds)
    )
    if _quiet_spell(timer, conversation, now, since, interval) and patron_present:
        events.publish_alert(
            [conversation.librarian_id],
            kind="librarian_silent",
            conversation_id=conversation.pk,
            message=f"You have not written for {interval.seconds // 60} minutes. "
            "Send the patron an update.",
            suggestion="Still searching… thank you for waiting.",
        )


@_live_chat_only
def _long_chat(timer, conversation, config, now):
    if conversation.status != Conversation.Status.ACTIVE:
        return
    events.publish_alert(
        [conversation.librarian_id],
        kind="long_chat",
        conversation_id=conversation.pk,
        message=f"This chat has lasted {config.long_chat_minutes} minutes. Consider "
        "offering to follow up by email.",
        suggestion="This question deserves a closer look. May I follow up by email? "
        "If so, please type your email address.",
    )


@_live_chat_only
def _patron_idle(timer, conversation, config, now):
    if conversation.status != Conversation.Status.ACTIVE:
        return
    interval = timedelta(minutes=config.patron_idle_minutes)
    since = conversation.last_patron_at
    if _quiet_spell(timer, conversation, now, since, interval):
        events.publish_alert(
            [conversation.librarian_id],
            kind="patron_idle",
            conversation_id=conversation.pk,
            message=f"The patron has not written for {config.patron_idle_minutes} "
            "minutes.",
            suggestion="Are you still there?",
        )
        schedule(conversation, Kind.PATRON_IDLE_CLOSE, since + 2 * interval)


@_live_chat_only
def _patron_idle_close(timer, conversation, config, now):
    if conversation.status != Conversation.Status.ACTIVE:
        return
    interval = timedelta(minutes=config.patron_idle_minutes)
    if conversation.last_patron_at and conversation.last_patron_at + 2 * interval > now:
        return  # the patron came back
    events.publish_alert(
        [conversation.librarian_id],
        kind="patron_idle_close",
        conversation_id=conversation.pk,
        message="Still no answer from the patron. Send a closing message and end "
        "the chat.",
        suggestion="I haven't heard from you in a while, so I will close this chat "
        "now. Please come back any time you have a question!",
    )


def _shift_end(timer, conversation, config, now):
    if conversation.status != Conversation.Status.ACTIVE:
        return
    ended = (
        "Your shift has ended"
        if scheduling_selectors.shift_ended_at(conversation.librarian_id, timer.due_at)
        else "Your queue has closed"
    )
    events.publish_alert(
        [conversation.librarian_id],
        kind="shift_end",
        conversation_id=conversation.pk,
        message=f"{ended} and this chat is still open. Finish it quickly, transfer "
        "it, or continue by email.",
    )


def duration_text(delta: timedelta) -> str:
    """`delta` as a reminder says it: "3 hours", "45 minutes"."""
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes >= 90:
        hours = round(minutes / 60)
        return f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def awaits_sms_answer(conversation: Conversation) -> bool:
    """Whether the patron wrote last: their latest text has no librarian
    message after it. A pickup is not an answer, nor is a text the system
    sent on its own (an after-hours reply)."""
    last = (
        conversation.messages.filter(
            sender__in=[Message.Sender.PATRON, Message.Sender.LIBRARIAN]
        )
        .exclude(sms__automatic=True)
        .order_by("-seq")
        .values_list("sender", flat=True)
        .first()
    )
    return last == Message.Sender.PATRON


def _sms_holder(conversation, now) -> int | None:
    """The librarian who holds the conversation, if they are on the desk
    now (a reminder to someone who went home would reach nobody)."""
    if (
        conversation.status != Conversation.Status.ACTIVE
        or not conversation.librarian_id
    ):
        return None
    online = consortium_selectors.fresh_monitors(now).filter(
        staff_id=conversation.librarian_id
    )
    return conversation.librarian_id if online.exists() else None


def _sms_deadline_email(conversation, stage: str, due: datetime, recipients) -> None:
    from chat import tasks  # tasks import the services

    args = (conversation.pk, stage, due.isoformat(), sorted(set(recipients)))
    transaction.on_commit(lambda: tasks.send_sms_deadline_email.delay(*args))


def _coordinators_or_helpdesk(conversation, config) -> list[str]:
    from chat.services.tickets import _coordinator_emails  # imports this module

    return _coordinator_emails(conversation.library) or [config.helpdesk_email]


def _sms_reminder(timer, conversation, config, now):
    """The answer is due soon: the holder is told on their desk; nobody holds
    it (or the holder is not on the desk): the library's coordinators by
    email. The patron is "a patron": never their number."""
    if conversation.channel != Conversation.Channel.SMS or not conversation.is_open:
        return
    if not awaits_sms_answer(conversation):
        return
    due = sms_response_due(timer.due_at, config)
    overdue = ChatTimer.objects.filter(
        conversation=conversation, kind=Kind.SMS_OVERDUE, fired_at__isnull=True
    ).values_list("due_at", flat=True)
    due = next(iter(overdue), due)
    left = duration_text(due - now)
    holder = _sms_holder(conversation, now)
    if holder:
        events.publish_alert(
            [holder],
            kind="sms_reminder",
            conversation_id=conversation.pk,
            message=f"An SMS question from {conversation.library.name} is due in "
            f"{left}. Answer the patron by text.",
        )
    else:
        recipients = _coordinators_or_helpdesk(conversation, config)
        _sms_deadline_email(conversation, "reminder", due, recipients)


def _sms_overdue(timer, conversation, config, now):
    """The answer is overdue: the holder is told on their desk and by email,
    and the library's coordinators by email."""
    if conversation.channel != Conversation.Channel.SMS or not conversation.is_open:
        return
    if not awaits_sms_answer(conversation):
        return
    recipients = _coordinators_or_helpdesk(conversation, config)
    if conversation.status == Conversation.Status.ACTIVE and conversation.librarian_id:
        events.publish_alert(
            [conversation.librarian_id],
            kind="sms_overdue",
            conversation_id=conversation.pk,
            message=f"An SMS question from {conversation.library.name} is overdue. "
            "Answer the patron by text now.",
        )
        if conversation.librarian.email:
            recipients.append(conversation.librarian.email)
    _sms_deadline_email(conversation, "overdue", timer.due_at, recipients)


HANDLERS = {
    Kind.FALLBACK: _fallback,
    Kind.MISSED_RISK: _missed_risk,
    Kind.WAITING_LONG: _waiting_long,
    Kind.LIBRARIAN_SILENT: _librarian_silent,
    Kind.LONG_CHAT: _long_chat,
    Kind.PATRON_IDLE: _patron_idle,
    Kind.PATRON_IDLE_CLOSE: _patron_idle_close,
    Kind.SHIFT_END: _shift_end,
    Kind.SMS_REMINDER: _sms_reminder,
    Kind.SMS_OVERDUE: _sms_overdue,
}


def timers_fire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Fire every timer due at `now`; returns how many fired. Safe to run
    concurrently and twice: each timer is claimed before its handler runs."""
    now = now or timezone.now()
    config = ConsortiumSettings.load()
    due = list(
        ChatTimer.objects.filter(fired_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", "due_at")[:limit]
    )
    fired = 0
    for pk, due_at in due:
        with transaction.atomic():
            claimed = ChatTimer.objects.filter(
                pk=pk, fired_at__isnull=True, due_at=due_at
            ).update(fired_at=now)
            if not claimed:
                continue
            timer = ChatTimer.objects.select_related(
                "conversation__library", "conversation__queue"
            ).get(pk=pk)
            HANDLERS[timer.kind](timer, timer.conversation, config, now)
            fired += 1
    return fired
