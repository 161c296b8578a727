"""A chat's life after pickup: transfers, ending, wrap-up and its rules,
abandoned chats, the offline form, blocks, canned messages, backup calls."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from chat import selectors, services, tasks
from chat.models import BackupCall, Conversation, Message, Ticket
from consortium.models import Staff
from consortium.services import DomainError
from knowledgebase.models import CannedMessage
from tests.chat.conftest import NOW, accepted_chat, monitor, open_all_week, start
from tests.consortium.factories import ClosureFactory, QueueFactory, StaffFactory

pytestmark = pytest.mark.django_db

LATER = NOW + timedelta(minutes=1)


def wrap_up(chat, actor, **kwargs):
    params = {
        "resolution": "answered",
        "question_type": "research",
        "read_scale": 2,
        "now": LATER,
    }
    params.update(kwargs)
    return services.conversation_wrap_up(conversation_id=chat.pk, actor=actor, **params)


# --- Transfers (L5) ---------------------------------------------------------------


def test_transfer_to_a_librarian_hands_over_history_and_note(setup):
    library, local, coop, local_librarian, coop_librarian = setup
    chat = accepted_chat(setup)
    monitor(coop_librarian, coop)
    services.conversation_transfer(
        conversation_id=chat.pk,
        actor=local_librarian,
        to_librarian_id=coop_librarian.pk,
        note="Needs the nursing databases",
        now=NOW,
    )
    chat.refresh_from_db()
    assert chat.status == "waiting" and chat.librarian is None
    assert chat.transfer_to == coop_librarian
    # Only the named librarian may take it; the sender cannot take it back.
    assert list(selectors.acceptable_by(coop_librarian, NOW)) == [chat]
    assert list(selectors.acceptable_by(local_librarian, NOW)) == []
    services.conversation_accept(conversation_id=chat.pk, actor=coop_librarian, now=NOW)
    staff_view = selectors.messages_after(chat, 0, include_notes=True)
    assert any("Needs the nursing databases" in m.body for m in staff_view)
    patron_view = [
        m.body for m in selectors.messages_after(chat, 0, include_notes=False)
    ]
    assert any("transferred the chat" in body for body in patron_view)
    assert not any("nursing databases" in body for body in patron_view)


def test_transfer_to_a_queue_offers_it_to_that_queue_only(setup):
    library, local, coop, local_librarian, coop_librarian = setup
    chat = accepted_chat(setup)
    other = StaffFactory(library=library)
    monitor(other, local)
    monitor(coop_librarian, coop)
    services.conversation_transfer(
        conversation_id=chat.pk,
        actor=local_librarian,
        to_queue_id=coop.pk,
        note="Co-op please",
        now=NOW,
    )
    assert [c.pk for c in selectors.acceptable_by(coop_librarian, NOW)] == [chat.pk]
    assert list(selectors.acceptable_by(other, NOW)) == []


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"note": "  ", "to_queue_id": 0}, "Add a note"),
        ({"note": "x"}, "Choose one librarian or one queue"),
        ({"note": "x", "to_queue_id": 0, "to_librarian_id": 0}, "Choose one"),
    ],
)
def test_bad_transfers_are_refused_and_the_chat_stays(setup, kwargs, error):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup)
    with pytest.raises(DomainError, match=error):
        services.conversation_transfer(
            conversation_id=chat.pk, actor=local_librarian, now=NOW, **kwargs
        )
    chat.refresh_from_db()
    assert chat.status == "active" and chat.librarian == local_librarian


def test_transfer_to_an_offline_librarian_or_queue_is_refused(setup):
    _, _, coop, local_librarian, coop_librarian = setup
    chat = accepted_chat(setup)
    with pytest.raises(DomainError, match="is not online"):
        services.conversation_transfer(
            conversation_id=chat.pk,
            actor=local_librarian,
            to_librarian_id=coop_librarian.pk,
            note="x",
            now=NOW,
        )
    with pytest.raises(DomainError, match="offline"):
        services.conversation_transfer(
            conversation_id=chat.pk,
            actor=local_librarian,
            to_queue_id=coop.pk,
            note="x",
            now=NOW,
        )


def test_only_the_chats_librarian_can_transfer_it(setup):
    library, local, coop, _, coop_librarian = setup
    chat = accepted_chat(setup)
    monitor(coop_librarian, coop)
    with pytest.raises(DomainError, match="Only the librarian"):
        services.conversation_transfer(
            conversation_id=chat.pk,
            actor=coop_librarian,
            to_queue_id=coop.pk,
            note="mine now",
            now=NOW,
        )


# --- Ending and wrap-up (L7) --------------------------------------------------------


def test_a_patron_leaving_before_pickup_is_a_missed_chat(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library)
    services.conversation_end(conversation_id=chat.pk, now=NOW)
    chat.refresh_from_db()
    assert chat.status == "missed" and chat.ended_at == NOW
    assert not chat.timers.filter(fired_at__isnull=True).exists()


def test_waiting_chats_whose_patron_went_silent_become_missed(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    gone, present = start(library), start(library)
    services.conversation_patron_seen(
        conversation_id=present.pk, now=NOW + timedelta(seconds=50)
    )
    assert services.conversations_abandon_sweep(now=NOW + timedelta(seconds=61)) == 1
    assert Conversation.objects.get(pk=gone.pk).status == "missed"
    assert Conversation.objects.get(pk=present.pk).status == "waiting"
    assert services.conversations_abandon_sweep(now=NOW + timedelta(seconds=61)) == 0


def test_wrap_up_ends_an_active_chat_and_records_the_codes(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup)
    wrap_up(chat, local_librarian, bad_patron=True, bad_patron_reason="rude")
    chat.refresh_from_db()
    assert chat.status == "ended" and chat.resolution == "answered"
    assert (chat.question_type, chat.read_scale, chat.bad_patron) == (
        "research",
        2,
        True,
    )
    with pytest.raises(DomainError, match="already wrapped up"):
        wrap_up(chat, local_librarian)


def test_lost_call_is_refused_when_patron_wrote_after_the_librarian_joined(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup)
    services.message_post(conversation_id=chat.pk, sender="patron", body="hello?")
    with pytest.raises(DomainError, match="wrote after you joined"):
        wrap_up(chat, local_librarian, resolution="lost_call")
    chat.refresh_from_db()
    assert chat.status == "active" and chat.wrapped_up_at is None


def test_lost_call_is_refused_when_patron_gave_email(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup, patron_email="pat@example.org")
    with pytest.raises(DomainError, match="gave an email"):
        wrap_up(chat, local_librarian, resolution="lost_call")


def test_lost_call_is_accepted_when_the_patron_never_answered(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup)
    services.message_post(
        conversation_id=chat.pk,
        sender="librarian",
        body="Hello?",
        author=local_librarian,
    )
    wrap_up(chat, local_librarian, resolution="lost_call")
    assert Conversation.objects.get(pk=chat.pk).resolution == "lost_call"


def test_follow_up_by_library_needs_email_and_deadline_and_opens_a_followup(setup):
    library, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup)
    with pytest.raises(DomainError, match="needs the patron's email"):
        wrap_up(chat, local_librarian, resolution="followup_library")
    with pytest.raises(DomainError, match="needs a deadline"):
        wrap_up(
            chat,
            local_librarian,
            resolution="followup_library",
            followup_email="pat@example.org",
        )
    with pytest.raises(DomainError, match="not an email"):
        wrap_up(
            chat,
            local_librarian,
            resolution="followup_library",
            followup_email="pat at example",
            followup_due=date(2026, 3, 4),
        )
    assert not Ticket.objects.exists()
    wrap_up(
        chat,
        local_librarian,
        resolution="followup_library",
        followup_email="pat@example.org",
        followup_due=date(2026, 3, 4),
    )
    followup = Ticket.objects.get()
    assert followup.conversation == chat and followup.library == library
    assert followup.status == "open" and followup.assignee is None
    assert followup.email == "pat@example.org"
    assert Conversation.objects.get(pk=chat.pk).patron_email == "pat@example.org"


def test_follow_up_by_me_is_assigned_to_the_librarian(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup, patron_email="pat@example.org")
    wrap_up(
        chat, local_librarian, resolution="followup_me", followup_due=date(2026, 3, 3)
    )
    followup = Ticket.objects.get()
    assert followup.assignee == local_librarian and followup.status == "claimed"


def test_a_follow_up_deadline_in_the_past_is_refused(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup, patron_email="pat@example.org")
    with pytest.raises(DomainError, match="cannot be in the past"):
        wrap_up(
            chat,
            local_librarian,
            resolution="followup_me",
            followup_due=date(2026, 3, 1),
        )


def test_only_the_chats_librarian_wraps_it_up(setup):
    _, _, _, _, coop_librarian = setup
    chat = accepted_chat(setup)
    with pytest.raises(DomainError, match="Only the librarian"):
        wrap_up(chat, coop_librarian)


# --- Offline form (L2, T1) -------------------------------------------------------------


def test_the_offline_form_becomes_an_email_question_due_in_48_hours(setup):
    library, *_ = setup
    conversation = services.offline_question_create(
        library=library, question="Renew my card?", email="pat@example.org", now=NOW
    )
    assert conversation.channel == "email" and conversation.status == "ticket"
    followup = conversation.ticket
    assert followup.source == "offline_form" and followup.library == library
    assert followup.due_at == NOW + timedelta(hours=48)
    assert not followup.forwarded_to_helpdesk
    assert conversation.messages.get().body == "Renew my card?"


def test_offline_questions_of_a_long_closed_library_go_to_the_help_desk(setup):
    library, *_ = setup
    ClosureFactory(
        library=library,
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 31),
        forwards_tickets=True,
    )
    conversation = services.offline_question_create(
        library=library, question="Hello?", email="pat@example.org", now=NOW
    )
    assert conversation.ticket.forwarded_to_helpdesk


def test_the_offline_form_needs_an_email(setup):
    library, *_ = setup
    with pytest.raises(DomainError, match="needs the patron's email"):
        services.offline_question_create(library=library, question="q", email="")
    assert not Conversation.objects.exists()


# --- Inappropriate use, crisis, blocks (L8) -----------------------------------------


def test_a_blocked_patron_cannot_start_a_chat(setup):
    library, local, _, local_librarian, _ = setup
    chat = accepted_chat(setup, ip="203.0.113.9", patron_email="troll@example.org")
    services.patron_block(
        conversation_id=chat.pk,
        actor=local_librarian,
        days=7,
        reason="Threats",
        now=NOW,
    )
    with pytest.raises(services.PatronBlocked):
        start(library, ip="203.0.113.9")
    with pytest.raises(services.PatronBlocked):
        start(library, ip="198.51.100.1", patron_email="TROLL@example.org")
    start(library, ip="198.51.100.1")  # someone else
    later = NOW + timedelta(days=8)
    monitor(local_librarian, local, later)
    start(library, now=later, ip="203.0.113.9")  # the block has expired


def test_ip_captured_keeps_the_address_in_clear_and_tells_the_help_desk(
    setup, django_capture_on_commit_callbacks
):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup, ip="203.0.113.9")
    services.remember_patron_ip(chat.pk, "203.0.113.9")
    assert chat.patron_ip is None and chat.patron_ip_hash
    with django_capture_on_commit_callbacks(execute=False):
        services.conversation_inappropriate(
            conversation_id=chat.pk, actor=local_librarian, kind="ip_captured", now=NOW
        )
    chat.refresh_from_db()
    assert chat.patron_ip == "203.0.113.9" and chat.status == "ended"
    last_two = list(chat.messages.order_by("-seq")[:2])
    assert last_two[1].body.startswith("This conversation violates")
    assert tasks.send_helpdesk_notice("ip_captured", chat.pk, local_librarian.pk)
    assert not tasks.send_helpdesk_notice("ip_captured", chat.pk, local_librarian.pk)
    assert len(mail.outbox) == 1 and "203.0.113.9" in mail.outbox[0].body


def test_the_other_inappropriate_messages_do_not_keep_the_address(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup, ip="203.0.113.9")
    services.remember_patron_ip(chat.pk, "203.0.113.9")
    services.conversation_inappropriate(
        conversation_id=chat.pk, actor=local_librarian, kind="no_purpose", now=NOW
    )
    chat.refresh_from_db()
    assert chat.patron_ip is None and chat.status == "active"
    with pytest.raises(DomainError, match="Unknown kind"):
        services.conversation_inappropriate(
            conversation_id=chat.pk, actor=local_librarian, kind="rude", now=NOW
        )


def test_crisis_sends_the_resources_then_ends_the_chat(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup)
    services.conversation_crisis(
        conversation_id=chat.pk, actor=local_librarian, now=NOW
    )
    chat.refresh_from_db()
    bodies = list(chat.messages.values_list("sender", "body"))
    assert "988" in bodies[-2][1] and bodies[-2][0] == "librarian"
    assert bodies[-1] == ("system", f"{local_librarian.chat_name} ended the chat.")
    assert chat.status == "ended"


# --- Canned messages (L4, K6) -----------------------------------------------------------


def test_placeholders_are_filled_and_unknown_ones_left_as_typed(setup):
    _, _, _, local_librarian, _ = setup
    chat = accepted_chat(setup, patron_name="Ann")
    text = services.canned_render(
        "Hi {patron_name}, I'm {librarian_name} of {library_name}: "
        "{library_hours_url} {nope}",
        conversation=chat,
        librarian=local_librarian,
    )
    assert text == (
        f"Hi Ann, I'm {local_librarian.chat_name} of {chat.library.name}: "
        f"http://testserver/libraries/{chat.library.code}/ {{nope}}"
    )


def test_a_canned_message_with_an_unknown_placeholder_is_refused():
    canned = CannedMessage(group="closing", key="bye2", title="Bye", body="Bye {nme}")
    with pytest.raises(ValidationError, match=r"Unknown placeholder \{nme\}"):
        canned.full_clean()


def test_a_librarys_greeting_overrides_the_global_one_and_coop_staff_get_theirs(
    setup,
):
    library, local, coop, local_librarian, coop_librarian = setup
    CannedMessage.objects.create(
        library=library, group="greeting", key="greeting", title="Ours", body="Howdy"
    )
    chat = accepted_chat(setup)
    local_keys = {(c.key, c.body) for c in services.canned_for(chat, local_librarian)}
    assert ("greeting", "Howdy") in local_keys
    assert "coop_greeting" not in {k for k, _ in local_keys}
    coop_keys = {c.key for c in services.canned_for(chat, coop_librarian)}
    assert "coop_greeting" in coop_keys and "greeting" not in coop_keys
    for key in ("no_purpose", "bad_customer", "ip_captured", "crisis"):
        assert key in coop_keys


# --- Backup (L12) ----------------------------------------------------------------------


def test_a_backup_call_emails_help_desk_and_listserv_once_per_ten_minutes(
    setup, django_capture_on_commit_callbacks
):
    _, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    with django_capture_on_commit_callbacks(execute=False):
        call = services.backup_call_create(
            actor=local_librarian, message="Busy!", now=NOW
        )
    tasks.send_backup_call(call.pk)
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"helpdesk@example.org", "askref-l@example.org"}
    assert "Busy!" in mail.outbox[0].body
    with pytest.raises(DomainError, match="less than 10 minutes ago"):
        services.backup_call_create(
            actor=local_librarian, now=NOW + timedelta(minutes=5)
        )
    services.backup_call_create(actor=local_librarian, now=NOW + timedelta(minutes=11))
    assert BackupCall.objects.count() == 2


def test_the_backup_email_is_sent_once_when_the_task_runs_twice(setup):
    _, _, _, local_librarian, _ = setup
    call = BackupCall.objects.create(staff=local_librarian)
    assert tasks.send_backup_call(call.pk) is True
    assert tasks.send_backup_call(call.pk) is False
    assert len(mail.outbox) == 1


# --- On duty and positions --------------------------------------------------------------


def test_on_duty_lists_online_librarians_with_queues_and_chat_counts(setup):
    _, _, coop, local_librarian, coop_librarian = setup
    accepted_chat(setup)
    monitor(coop_librarian, coop)
    rows = {r["id"]: r for r in selectors.on_duty(NOW)}
    assert rows[local_librarian.pk]["chats"] == 1
    assert rows[coop_librarian.pk]["queues"] == ["coop-state"]


def test_on_duty_names_librarians_as_their_chat_name(setup):
    library, local, coop, local_librarian, coop_librarian = setup
    named = StaffFactory(library=library, display_name="Ask Ana")
    bare = StaffFactory(library=library, first_name="")
    helpdesk = StaffFactory(library=None, role=Staff.Role.HELPDESK, first_name="Hal")
    everyone = [local_librarian, coop_librarian, named, bare, helpdesk]
    for staff in everyone:
        monitor(staff, coop)
    rows = {r["id"]: r for r in selectors.on_duty(NOW)}
    for staff in everyone:
        assert rows[staff.pk]["name"] == staff.chat_name
        expected = staff.library.name if staff.library_id else "Help desk"
        assert rows[staff.pk]["library"] == expected
    assert rows[named.pk]["name"] == "Ask Ana"
    assert rows[helpdesk.pk]["name"] == "Hal"


def test_the_patron_sees_their_place_in_line(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    visitor = start(library, resident=False)
    first = start(library, now=NOW + timedelta(seconds=1))
    second = start(library, now=NOW + timedelta(seconds=2))
    at = NOW + timedelta(seconds=3)
    assert selectors.patron_position(first, at) == 1
    assert selectors.patron_position(second, at) == 2
    assert selectors.patron_position(visitor, at) == 3
    other_library_chat = QueueFactory()
    open_all_week(other_library_chat)
    assert Message.objects.count() == 3
