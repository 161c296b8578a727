"""SMS answer deadlines (issue 18): a text is answered within
`sms_response_hours` (12 h); a quarter of that time before, whoever holds
it is reminded on the desk (nobody: the library's coordinators by email);
when it passes, the holder and the coordinators are told. The patron's
number is in none of it. The live chat's timers do nothing for texts."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from chat import events, tasks
from chat.models import ChatTimer, Conversation, Message, SmsMessage
from chat.services import conversations, timers
from consortium.models import ConsortiumSettings
from tests.chat.conftest import NOW, monitor, open_all_week
from tests.consortium.factories import (
    CoordinatorFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
PATRON = "+18505550123"
Kind = ChatTimer.Kind


@pytest.fixture
def alerts(monkeypatch):
    """Desk alerts published, as (kind, staff ids, conversation, message)."""
    sent = []

    def record(staff_ids, *, kind, message, conversation_id=None, suggestion=None):
        sent.append((kind, sorted(set(staff_ids)), conversation_id, message))

    monkeypatch.setattr(events, "publish_alert", record)
    return sent


@pytest.fixture
def emails(monkeypatch):
    """The deadline emails queued after commit: the task's arguments."""
    queued = []
    monkeypatch.setattr(
        tasks.send_sms_deadline_email, "delay", lambda *args: queued.append(args)
    )
    return queued


@pytest.fixture
def world():
    library = LibraryFactory(code="spring", name="Spring Library")
    queue = open_all_week(QueueFactory(library=library))
    librarian = StaffFactory(library=library, first_name="Lee")
    coordinator = CoordinatorFactory(library=library)
    CoordinatorFactory(library=LibraryFactory(code="other"))  # never told
    return library, queue, librarian, coordinator


def sms_conversation(library, queue, at=NOW, body="Are you open on Sunday?"):
    """A waiting SMS conversation whose first text came at `at`, as the
    inbound webhook stores it."""
    conversation = Conversation.objects.create(
        channel=Conversation.Channel.SMS,
        library=library,
        queue=queue,
        question=body,
        patron_phone=PATRON,
        requested_at=at,
        waiting_since=at,
        patron_last_seen=at,
        last_patron_at=at,
        last_seq=1,
    )
    text(conversation, body, at, seq_written=True)
    return conversation


def text(conversation, body, at, *, seq_written=False):
    """The patron's text `body` at `at` appended (as `sms_receive` does)."""
    with transaction.atomic():
        locked = conversations._locked(conversation.pk)
        if seq_written:
            message = conversations._store(
                locked, sender=Message.Sender.PATRON, body=body, now=at
            )
        else:
            message = conversations._append(
                locked, sender=Message.Sender.PATRON, body=body, now=at
            )
        SmsMessage.objects.create(
            message=message,
            direction=SmsMessage.Direction.INBOUND,
            sid=f"SM{conversation.pk}x{message.seq}",
            status=SmsMessage.Status.RECEIVED,
        )
    return message


def answer(conversation, librarian, at):
    with transaction.atomic():
        locked = conversations._locked(conversation.pk)
        conversations._append(
            locked,
            sender=Message.Sender.LIBRARIAN,
            body="Yes, 1 to 5 pm.",
            author=librarian,
            now=at,
        )


def accept(conversation, queue, librarian, at=NOW):
    """`librarian` picks it up. The live-chat timers the pickup arms are
    dropped (what they do for texts is tested at the end)."""
    monitor(librarian, queue, at)
    conversations.conversation_accept(
        conversation_id=conversation.pk, actor=librarian, now=at
    )
    conversation.refresh_from_db()
    conversation.timers.exclude(kind__in=timers.SMS_KINDS).delete()


def due(conversation) -> dict:
    return dict(
        conversation.timers.filter(
            kind__in=timers.SMS_KINDS, fired_at__isnull=True
        ).values_list("kind", "due_at")
    )


def fire(at, capture):
    with capture(execute=True):
        return timers.timers_fire(now=at)


# --- Scheduling ---------------------------------------------------------------------


def test_the_answer_is_due_12_hours_after_the_text_with_a_reminder_3_hours_before(
    world,
):
    library, queue, *_ = world
    conversation = sms_conversation(library, queue)
    assert timers.schedule_sms_deadline(conversation, NOW) == NOW + 12 * H
    assert due(conversation) == {
        Kind.SMS_REMINDER: NOW + 9 * H,
        Kind.SMS_OVERDUE: NOW + 12 * H,
    }


def test_the_deadline_follows_the_consortium_setting(world):
    library, queue, *_ = world
    config = ConsortiumSettings.load()
    config.sms_response_hours = 4
    config.save()
    ConsortiumSettings.forget()
    conversation = sms_conversation(library, queue)
    timers.schedule_sms_deadline(conversation, NOW)
    assert due(conversation) == {
        Kind.SMS_REMINDER: NOW + 3 * H,
        Kind.SMS_OVERDUE: NOW + 4 * H,
    }


def test_rescheduling_replaces_the_deadline_and_re_arms_a_fired_reminder(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, *_ = world
    conversation = sms_conversation(library, queue)
    timers.schedule_sms_deadline(conversation, NOW)
    assert fire(NOW + 9 * H, django_capture_on_commit_callbacks) == 1
    timers.schedule_sms_deadline(conversation, NOW + 10 * H)
    assert due(conversation) == {
        Kind.SMS_REMINDER: NOW + 19 * H,
        Kind.SMS_OVERDUE: NOW + 22 * H,
    }
    assert conversation.timers.filter(kind__in=timers.SMS_KINDS).count() == 2


def test_cancelling_the_deadline_leaves_the_other_timers(world):
    library, queue, *_ = world
    conversation = sms_conversation(library, queue)
    timers.schedule(conversation, Kind.FALLBACK, NOW + 60 * H)
    timers.schedule_sms_deadline(conversation, NOW)
    timers.cancel_sms_deadline(conversation)
    assert list(conversation.timers.values_list("kind", flat=True)) == [Kind.FALLBACK]


def test_a_transfer_keeps_the_deadline_and_the_end_cancels_it(world):
    """`timers.cancel` (a transfer, a requeue, the end) keeps the answer
    deadline while the conversation stays open."""
    library, queue, *_ = world
    conversation = sms_conversation(library, queue)
    timers.schedule_sms_deadline(conversation, NOW)
    timers.schedule(conversation, Kind.MISSED_RISK, NOW + H)
    timers.cancel(conversation)  # still waiting: open
    assert set(conversation.timers.values_list("kind", flat=True)) == set(
        timers.SMS_KINDS
    )
    conversation.status = Conversation.Status.ENDED
    timers.cancel(conversation)
    assert not conversation.timers.exists()


# --- Reminder -----------------------------------------------------------------------


def test_a_waiting_texts_reminder_emails_the_librarys_coordinators_once(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, _, coordinator = world
    conversation = sms_conversation(library, queue)
    timers.schedule_sms_deadline(conversation, NOW)
    assert (
        fire(NOW + 9 * H - timedelta(seconds=1), django_capture_on_commit_callbacks)
        == 0
    )
    assert fire(NOW + 9 * H, django_capture_on_commit_callbacks) == 1
    assert fire(NOW + 9 * H, django_capture_on_commit_callbacks) == 0
    assert alerts == []
    assert emails == [
        (conversation.pk, "reminder", (NOW + 12 * H).isoformat(), [coordinator.email])
    ]
    # The task sends it once, however often it runs.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks.timezone, "now", lambda: NOW + 9 * H)
        assert tasks.send_sms_deadline_email(*emails[0]) is True
        assert tasks.send_sms_deadline_email(*emails[0]) is False
    [sent] = mail.outbox
    assert sent.to == [coordinator.email]
    assert sent.subject.endswith(
        "An SMS question from Spring Library is due in 3 hours"
    )
    assert f"/admin/chat/conversation/{conversation.pk}/change/" in sent.body
    assert "http://testserver/desk/" in sent.body
    assert "A patron" in sent.body and "nobody" in sent.body
    assert PATRON not in sent.body + sent.subject
    assert "850" not in sent.body + sent.subject


def test_the_holder_on_the_desk_is_reminded_there_not_by_email(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, librarian, _ = world
    conversation = sms_conversation(library, queue)
    accept(conversation, queue, librarian)
    timers.schedule_sms_deadline(conversation, NOW)
    monitor(librarian, queue, NOW + 9 * H)
    fire(NOW + 9 * H, django_capture_on_commit_callbacks)
    assert alerts == [
        (
            "sms_reminder",
            [librarian.pk],
            conversation.pk,
            "An SMS question from Spring Library is due in 3 hours. Answer the "
            "patron by text.",
        )
    ]
    assert emails == []


def test_a_holder_who_left_the_desk_is_not_reminded_the_coordinators_are(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, librarian, coordinator = world
    conversation = sms_conversation(library, queue)
    accept(conversation, queue, librarian)  # then no heartbeat for 9 hours
    timers.schedule_sms_deadline(conversation, NOW)
    fire(NOW + 9 * H, django_capture_on_commit_callbacks)
    assert alerts == []
    assert [(e[1], e[3]) for e in emails] == [("reminder", [coordinator.email])]


def test_an_answered_text_gets_no_reminder_nor_overdue_alert(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, librarian, _ = world
    conversation = sms_conversation(library, queue)
    accept(conversation, queue, librarian)
    timers.schedule_sms_deadline(conversation, NOW)
    answer(conversation, librarian, NOW + H)
    monitor(librarian, queue, NOW + 12 * H)
    assert fire(NOW + 12 * H, django_capture_on_commit_callbacks) == 2
    assert alerts == [] and emails == []


def test_a_pickup_alone_is_not_an_answer(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    """Accepting records librarian activity, but the patron still waits."""
    library, queue, librarian, _ = world
    conversation = sms_conversation(library, queue)
    accept(conversation, queue, librarian, NOW + H)
    assert conversation.last_librarian_at > conversation.last_patron_at
    timers.schedule_sms_deadline(conversation, NOW)
    monitor(librarian, queue, NOW + 9 * H)
    fire(NOW + 9 * H, django_capture_on_commit_callbacks)
    assert [a[0] for a in alerts] == ["sms_reminder"]


def test_a_new_text_after_the_answer_is_unanswered_again(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, librarian, coordinator = world
    conversation = sms_conversation(library, queue)
    accept(conversation, queue, librarian)
    answer(conversation, librarian, NOW + H)
    text(conversation, "And on Monday?", NOW + 2 * H)
    timers.schedule_sms_deadline(conversation, NOW + 2 * H)
    fire(NOW + 11 * H, django_capture_on_commit_callbacks)
    assert [(e[1], e[2]) for e in emails] == [("reminder", (NOW + 14 * H).isoformat())]


def test_an_ended_conversation_gets_no_alert(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, *_ = world
    conversation = sms_conversation(library, queue)
    timers.schedule_sms_deadline(conversation, NOW)
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.MISSED
    )
    assert fire(NOW + 12 * H, django_capture_on_commit_callbacks) == 2
    assert alerts == [] and emails == []


# --- Overdue ------------------------------------------------------------------------


def test_overdue_tells_the_holder_on_the_desk_and_by_email_and_the_coordinators(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, librarian, coordinator = world
    conversation = sms_conversation(library, queue)
    accept(conversation, queue, librarian)
    timers.schedule_sms_deadline(conversation, NOW)
    timers.cancel_sms_deadline(conversation)
    timers.schedule(conversation, Kind.SMS_OVERDUE, NOW + 12 * H)
    fire(NOW + 12 * H, django_capture_on_commit_callbacks)
    assert alerts == [
        (
            "sms_overdue",
            [librarian.pk],
            conversation.pk,
            "An SMS question from Spring Library is overdue. Answer the patron "
            "by text now.",
        )
    ]
    assert emails == [
        (
            conversation.pk,
            "overdue",
            (NOW + 12 * H).isoformat(),
            sorted([coordinator.email, librarian.email]),
        )
    ]
    assert tasks.send_sms_deadline_email(*emails[0]) is True
    [sent] = mail.outbox
    assert sent.subject.endswith("An SMS question from Spring Library is overdue")
    assert "Lee" in sent.body  # held by
    assert PATRON not in sent.body + sent.subject


def test_without_coordinators_the_help_desk_is_told(
    world, alerts, emails, django_capture_on_commit_callbacks
):
    library, queue, _, coordinator = world
    coordinator.delete()
    conversation = sms_conversation(library, queue)
    timers.schedule_sms_deadline(conversation, NOW)
    fire(NOW + 12 * H, django_capture_on_commit_callbacks)
    helpdesk = ConsortiumSettings.load().helpdesk_email
    assert [(e[1], e[3]) for e in emails] == [
        ("reminder", [helpdesk]),
        ("overdue", [helpdesk]),
    ]


def test_the_email_task_refuses_an_unknown_stage(world):
    with pytest.raises(ValueError):
        tasks.send_sms_deadline_email(1, "later", NOW.isoformat(), ["a@example.org"])


# --- The live chat's timers ----------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        Kind.MISSED_RISK,
        Kind.WAITING_LONG,
        Kind.LIBRARIAN_SILENT,
        Kind.LONG_CHAT,
        Kind.PATRON_IDLE,
        Kind.PATRON_IDLE_CLOSE,
    ],
)
def test_live_chat_timers_do_nothing_for_texts(
    world, alerts, emails, django_capture_on_commit_callbacks, kind
):
    """Accepting or transferring an SMS conversation arms them (the desk's
    shared paths); they fire and alert nobody."""
    library, queue, librarian, _ = world
    conversation = sms_conversation(library, queue)
    if kind not in timers.WAITING_KINDS:
        accept(conversation, queue, librarian)
    timers.schedule(conversation, kind, NOW + H)
    monitor(librarian, queue, NOW + 2 * H)  # on the desk, could take it
    Conversation.objects.filter(pk=conversation.pk).update(patron_last_seen=NOW + 2 * H)
    assert fire(NOW + 2 * H, django_capture_on_commit_callbacks) == 1
    assert alerts == []
    # Not re-armed either: nothing more ever fires.
    assert not conversation.timers.filter(fired_at__isnull=True).exists()


def test_the_same_timer_still_alerts_for_a_live_chat(
    world, alerts, django_capture_on_commit_callbacks
):
    library, queue, librarian, _ = world
    conversation = sms_conversation(library, queue)
    Conversation.objects.filter(pk=conversation.pk).update(
        channel=Conversation.Channel.CHAT
    )
    accept(conversation, queue, librarian)
    timers.schedule(conversation, Kind.LONG_CHAT, NOW + H)
    fire(NOW + 2 * H, django_capture_on_commit_callbacks)
    assert [a[0] for a in alerts] == ["long_chat"]
