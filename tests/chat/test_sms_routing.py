"""SMS conversations on the desk (issue 18, items 4 and 5): routed like
chats, a reply back to the librarian who holds the thread or to the queue,
texts out for every librarian message, after-hours replies, STOP/START/HELP,
retries and floods."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import events, selectors
from chat.models import ChatTimer, Conversation, Message, SmsMessage, SmsOptOut
from chat.services import conversations, sms
from chat.sms import keywords
from consortium.services import DomainError
from tests.chat.conftest import NOW, monitor

pytestmark = pytest.mark.django_db
LIBRARY_NUMBER = "+18505550100"
PATRON = "+18505550123"


@pytest.fixture(autouse=True)
def sms_settings(settings):
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.SMS_BACKEND = "console"


@pytest.fixture
def lib(setup):
    library = setup[0]
    library.sms_number = LIBRARY_NUMBER
    library.save()
    return setup


_sids = iter(range(1, 10_000))


def receive(library, body="Do you have tax forms?", *, at=NOW, phone=PATRON, **kw):
    return sms.sms_receive(
        library=library, sid=f"SM{next(_sids)}", phone=phone, body=body, now=at, **kw
    )


def texts_out(conversation):
    return SmsMessage.objects.filter(
        message__conversation=conversation, direction=SmsMessage.Direction.OUTBOUND
    )


def accept(conversation, librarian, at):
    return conversations.conversation_accept(
        conversation_id=conversation.pk, actor=librarian, now=at
    )


# --- Routing ---------------------------------------------------------------------


def test_a_text_while_the_local_queue_is_online_goes_to_the_co_op_after_the_delay(
    lib,
):
    library, local, _coop, librarian, _ = lib
    monitor(librarian, local)
    conversation = receive(library).sms.message.conversation
    assert conversation.coop_at == NOW + timedelta(seconds=15)
    assert conversation.resident
    assert ChatTimer.objects.filter(
        conversation=conversation, kind=ChatTimer.Kind.FALLBACK
    ).exists()
    # No after-hours reply: someone can answer.
    assert not texts_out(conversation).exists()
    assert selectors.acceptable_by(librarian, NOW).filter(pk=conversation.pk).exists()


def test_a_text_while_only_the_co_op_is_online_is_offered_there_at_once(lib):
    library, _local, coop, _librarian, coop_librarian = lib
    monitor(coop_librarian, coop)
    conversation = receive(library).sms.message.conversation
    assert conversation.coop_at == NOW
    assert (
        selectors.acceptable_by(coop_librarian, NOW).filter(pk=conversation.pk).exists()
    )
    assert not texts_out(conversation).exists()


def test_residents_texting_are_picked_up_before_earlier_non_residents(lib):
    library, local, _, librarian, _ = lib
    monitor(librarian, local)
    web = conversations.conversation_start(
        library=library, question="Chat", resident=False, now=NOW
    )
    texted = receive(library, at=NOW + timedelta(seconds=5)).sms.message.conversation
    order = list(selectors.acceptable_by(librarian, NOW + timedelta(seconds=6)))
    assert order.index(texted) < order.index(web)


def test_a_text_nobody_can_answer_waits_and_gets_one_after_hours_reply(lib):
    library = lib[0]
    first = receive(library).sms
    conversation = first.message.conversation
    assert conversation.status == Conversation.Status.WAITING
    reply = texts_out(conversation).get()
    assert reply.automatic
    assert reply.message.sender == Message.Sender.SYSTEM
    assert reply.message.body == library.sms_after_hours_reply
    # A second text in the same thread window: no second reply.
    receive(library, "Also, are you open Sunday?", at=NOW + timedelta(minutes=5))
    assert texts_out(conversation).count() == 1
    assert conversation.messages.filter(sender=Message.Sender.PATRON).count() == 2


def test_the_after_hours_reply_is_in_spanish_for_a_text_in_spanish(lib):
    library = lib[0]
    conversation = receive(
        library, "Hola, ¿tienen libros en español?"
    ).sms.message.conversation
    assert conversation.lang == "es"
    assert texts_out(conversation).get().message.body == (
        library.sms_after_hours_reply_es
    )


def test_an_empty_after_hours_reply_sends_nothing(lib):
    library = lib[0]
    library.sms_after_hours_reply = ""
    library.save()
    conversation = receive(library).sms.message.conversation
    assert not texts_out(conversation).exists()


def test_the_after_hours_reply_is_at_most_150_characters(lib):
    library = lib[0]
    library.sms_after_hours_reply = "x" * 151
    with pytest.raises(Exception) as error:
        library.full_clean()
    assert "sms_after_hours_reply" in str(error.value)


# --- The thread's librarian ------------------------------------------------------------


def test_a_reply_goes_to_the_librarian_who_holds_the_thread(lib):
    library, local, _, librarian, _ = lib
    monitor(librarian, local)
    conversation = receive(library).sms.message.conversation
    accept(conversation, librarian, NOW + timedelta(seconds=30))
    later = NOW + timedelta(minutes=2)
    monitor(librarian, local, later)
    receive(library, "Thanks, and the 1040?", at=later)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE
    assert conversation.librarian == librarian


def test_a_reply_to_a_librarian_who_has_gone_goes_back_to_the_queue(lib):
    library, local, _, librarian, _ = lib
    monitor(librarian, local)
    conversation = receive(library).sms.message.conversation
    accept(conversation, librarian, NOW + timedelta(seconds=30))
    # Hours later the librarian's desk is closed (no fresh heartbeat).
    later = NOW + timedelta(hours=3)
    receive(library, "One more question", at=later)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.librarian is None
    assert conversation.waiting_since == later
    assert conversation.messages.filter(
        sender=Message.Sender.SYSTEM, body__contains="back on the queue"
    ).exists()


def test_an_ended_thread_is_not_joined(lib):
    library, local, _, librarian, _ = lib
    monitor(librarian, local)
    first = receive(library).sms.message.conversation
    accept(first, librarian, NOW + timedelta(seconds=30))
    conversations.conversation_end(
        conversation_id=first.pk, actor=librarian, now=NOW + timedelta(minutes=5)
    )
    second = receive(library, at=NOW + timedelta(minutes=6)).sms.message.conversation
    assert second != first


# --- Texts out ------------------------------------------------------------------------


def _active_thread(lib):
    library, local, _, librarian, _ = lib
    monitor(librarian, local)
    conversation = receive(library).sms.message.conversation
    accept(conversation, librarian, NOW + timedelta(seconds=30))
    return conversation, librarian


def post(conversation, librarian, body="Yes: the 1040 is at the desk.", **kw):
    return conversations.message_post(
        conversation_id=conversation.pk,
        sender=Message.Sender.LIBRARIAN,
        body=body,
        author=librarian,
        now=NOW + timedelta(minutes=1),
        **kw,
    )


def test_every_librarian_message_of_an_sms_conversation_goes_out_as_a_text(
    lib, django_capture_on_commit_callbacks
):
    conversation, librarian = _active_thread(lib)
    with django_capture_on_commit_callbacks(execute=False):
        message, created = post(conversation, librarian)
    assert created
    text = SmsMessage.objects.get(message=message)
    assert text.direction == SmsMessage.Direction.OUTBOUND
    assert text.status == SmsMessage.Status.PENDING
    assert not text.automatic
    # Notes stay on the desk.
    conversations.message_post(
        conversation_id=conversation.pk,
        sender=Message.Sender.NOTE,
        body="Patron sounded rushed",
        author=librarian,
        now=NOW + timedelta(minutes=1),
    )
    assert texts_out(conversation).count() == 1


def test_a_resent_librarian_message_is_texted_once(lib):
    conversation, librarian = _active_thread(lib)
    post(conversation, librarian, client_id="c1")
    _message, created = post(conversation, librarian, client_id="c1")
    assert not created
    assert texts_out(conversation).count() == 1


def test_a_librarian_message_meets_the_answer_deadline(lib):
    conversation, librarian = _active_thread(lib)
    due = ChatTimer.objects.filter(
        conversation=conversation,
        kind__in=[ChatTimer.Kind.SMS_REMINDER, ChatTimer.Kind.SMS_OVERDUE],
        fired_at__isnull=True,
    )
    assert due.count() == 2
    post(conversation, librarian)
    assert not due.exists()
    # The patron writes again: a new deadline from that text.
    receive(lib[0], "And the state form?", at=NOW + timedelta(minutes=3))
    assert due.count() == 2


def test_the_sms_deadline_shows_on_the_waiting_list(lib):
    library, local, _, librarian, _ = lib
    monitor(librarian, local)
    conversation = receive(library).sms.message.conversation
    (row,) = selectors.waiting_payload(librarian, NOW)
    assert row["channel"] == "sms"
    assert row["reply_due_at"] == events.iso(NOW + timedelta(hours=12))
    detail = selectors.detail_payload(
        Conversation.objects.get(pk=conversation.pk), librarian
    )
    assert detail["channel"] == "sms"
    assert detail["patron"]["phone"] == PATRON
    assert detail["messages"][0]["sms"] == {"status": "received", "error": ""}


def test_chat_rows_and_messages_say_they_are_chats(setup):
    library, local, _, librarian, _ = setup
    monitor(librarian, local)
    conversations.conversation_start(library=library, question="Hi", now=NOW)
    (row,) = selectors.waiting_payload(librarian, NOW)
    assert row["channel"] == "chat"
    assert row["reply_due_at"] is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL fast path")
@pytest.mark.django_db(transaction=True)
def test_a_chat_message_is_still_one_statement_and_an_sms_one_adds_only_its_text(
    lib,
):
    library, local, _, librarian, _ = lib
    monitor(librarian, local)
    librarian = type(librarian).objects.select_related("library").get(pk=librarian.pk)
    chat = conversations.conversation_start(library=library, question="Hi", now=NOW)
    accept(chat, librarian, NOW + timedelta(seconds=5))
    with CaptureQueriesContext(connection) as chat_queries:
        post(chat, librarian)
    assert len(chat_queries) == 1
    conversation = receive(library).sms.message.conversation
    accept(conversation, librarian, NOW + timedelta(seconds=30))
    with CaptureQueriesContext(connection) as sms_queries:
        post(conversation, librarian)
    # The message in one statement, then in one transaction (BEGIN, COMMIT):
    # the deadline's two timers cancelled, the opt-out looked up, the text
    # stored. Nothing is read back that the first statement returned.
    statements = [q["sql"].split()[0] for q in sms_queries]
    assert statements == ["WITH", "BEGIN", "DELETE", "SELECT", "INSERT", "COMMIT"]


def test_a_text_to_an_opted_out_number_is_stored_failed_not_sent(lib):
    conversation, librarian = _active_thread(lib)
    SmsOptOut.objects.create(library=lib[0], phone=PATRON)
    message, _ = post(conversation, librarian)
    text = SmsMessage.objects.get(message=message)
    assert text.status == SmsMessage.Status.FAILED
    assert "STOP" in text.error
    assert sms.sms_send(sms_id=text.pk) is False


# --- Retry ----------------------------------------------------------------------------


def _failed_text(lib):
    conversation, librarian = _active_thread(lib)
    message, _ = post(conversation, librarian)
    text = SmsMessage.objects.get(message=message)
    SmsMessage.objects.filter(pk=text.pk).update(
        status=SmsMessage.Status.FAILED, error="Twilio error 30003", sent_at=NOW
    )
    return conversation, librarian, message


def test_the_holder_can_resend_a_failed_text(lib, django_capture_on_commit_callbacks):
    conversation, librarian, message = _failed_text(lib)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        text = sms.sms_retry(
            conversation_id=conversation.pk, seq=message.seq, actor=librarian
        )
    assert text.status == SmsMessage.Status.PENDING
    assert text.error == "" and text.sent_at is None
    assert callbacks  # sent again after commit, and the desk told
    assert sms.sms_send(sms_id=text.pk) is True
    text.refresh_from_db()
    assert text.status == SmsMessage.Status.QUEUED


def test_only_a_failed_text_of_ones_own_is_resent(lib):
    conversation, librarian, message = _failed_text(lib)
    other = type(librarian).objects.exclude(pk=librarian.pk).first()
    with pytest.raises(DomainError, match="Only the librarian"):
        sms.sms_retry(conversation_id=conversation.pk, seq=message.seq, actor=other)
    with pytest.raises(DomainError, match="not sent by text"):
        sms.sms_retry(conversation_id=conversation.pk, seq=999, actor=librarian)
    sms.sms_retry(conversation_id=conversation.pk, seq=message.seq, actor=librarian)
    with pytest.raises(DomainError, match="did not fail"):
        sms.sms_retry(conversation_id=conversation.pk, seq=message.seq, actor=librarian)


# --- Keywords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "action", "lang"),
    [
        ("STOP", keywords.STOP, "en"),
        ("stop.", keywords.STOP, "en"),
        (" Unsubscribe ", keywords.STOP, "en"),
        ("PARAR", keywords.STOP, "es"),
        ("¡Parar!", keywords.STOP, "es"),
        ("START", keywords.START, "en"),
        ("Comenzar", keywords.START, "es"),
        ("help", keywords.HELP, "en"),
        ("AYUDA", keywords.HELP, "es"),
    ],
)
def test_keywords(body, action, lang):
    assert keywords.keyword(body) == keywords.Keyword(action, lang)


@pytest.mark.parametrize(
    "body", ["stop by the library?", "yes", "Sí", "help me find a book", "", "STOPS"]
)
def test_questions_are_not_keywords(body):
    assert keywords.keyword(body) is None


def test_stop_opts_out_until_start(lib):
    library = lib[0]
    received = receive(library, "STOP")
    assert received.sms is None and "START" in received.reply
    assert SmsOptOut.objects.filter(library=library, phone=PATRON).exists()
    assert not Conversation.objects.exists()
    # A question while opted out is kept for the librarians, but gets no reply.
    conversation = receive(library, "Is the branch open?").sms.message.conversation
    assert not texts_out(conversation).exists()
    assert "COMENZAR" in receive(library, "PARAR").reply  # twice: still one row
    assert SmsOptOut.objects.count() == 1
    assert "again" in receive(library, "START").reply
    assert not SmsOptOut.objects.exists()


def test_help_says_what_the_number_is(lib):
    reply = receive(lib[0], "HELP").reply
    assert lib[0].name in reply and "STOP" in reply
    assert "AYUDA" not in reply
    assert "PARAR" in receive(lib[0], "ayuda").reply


def test_opt_outs_are_per_library(lib):
    SmsOptOut.objects.create(library=lib[0], phone=PATRON)
    assert sms.opted_out(lib[0].pk, PATRON)
    assert not sms.opted_out(lib[0].pk, "+18505550199")


# --- Floods ----------------------------------------------------------------------------


def test_a_flood_from_one_number_is_refused_and_others_still_get_through(lib):
    library = lib[0]
    for i in range(sms.FLOOD_TEXTS):
        receive(library, f"text {i}", at=NOW + timedelta(seconds=i))
    with pytest.raises(DomainError) as error:
        receive(library, "one more", at=NOW + timedelta(seconds=40))
    assert error.value.code == "flood"
    assert receive(library, "hello", phone="+18505550199").sms is not None
    # Ten minutes later the number may text again.
    assert receive(library, "later", at=NOW + timedelta(minutes=11)).sms is not None


def test_the_desk_lists_the_numbers_earlier_texts_to_this_library(lib):
    library, local, _, librarian, _ = lib
    monitor(librarian, local)
    first = receive(library, "First question").sms.message.conversation
    Conversation.objects.filter(pk=first.pk).update(status=Conversation.Status.MISSED)
    later = NOW + timedelta(days=2)
    second = receive(library, "Second question", at=later).sms.message.conversation
    receive(library, "Someone else", at=later, phone="+18505550199")
    detail = selectors.detail_payload(second, librarian)
    assert [c["id"] for c in detail["prior"]] == [first.pk]
