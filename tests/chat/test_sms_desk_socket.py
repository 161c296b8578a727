"""The desk socket's SMS frames (issue 18): a librarian's answer goes out as
a text and its delivery comes back as `sms_status`; `sms_retry` resends a
failed text, and bad retry frames get an error frame."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Message, SmsMessage
from chat.services import conversations
from chat.services import sms as sms_services
from consortium import services as consortium_services
from tests.chat.conftest import open_all_week
from tests.chat.test_consumers import desk_socket, receive
from tests.consortium.factories import LibraryFactory, QueueFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def sms_settings(settings):
    settings.SMS_BACKEND = "console"


@database_sync_to_async
def texting_patron():
    library = LibraryFactory(code="texts", sms_number="+18505550100")
    local = open_all_week(QueueFactory(library=library))
    librarian = StaffFactory(library=library)
    consortium_services.queue_monitor_start(actor=librarian, queue_id=local.pk)
    received = sms_services.sms_receive(
        library=library, sid="SMdesk1", phone="+18505550123", body="Tax forms?"
    )
    conversation = received.sms.message.conversation
    conversations.conversation_accept(conversation_id=conversation.pk, actor=librarian)
    return librarian, conversation


@database_sync_to_async
def fail_text(seq):
    SmsMessage.objects.filter(message__seq=seq).update(
        status=SmsMessage.Status.FAILED, error="Twilio error 30006", sent_at=None
    )


async def test_a_desk_answer_is_texted_and_a_failed_text_is_resent():
    librarian, conversation = await texting_patron()
    ws = await desk_socket(librarian)
    await ws.send_json_to(
        {
            "type": "message",
            "conversation": conversation.pk,
            "body": "Yes, at the front desk.",
            "client_id": "d-1",
        }
    )
    status = await receive(ws, "sms_status")
    assert status["conversation"] == conversation.pk
    assert status["status"] in ("pending", "queued")
    seq = status["seq"]
    assert (
        await database_sync_to_async(
            lambda: Message.objects.get(conversation=conversation, seq=seq).sender
        )()
        == Message.Sender.LIBRARIAN
    )
    await fail_text(seq)
    await ws.send_json_to(
        {"type": "sms_retry", "conversation": conversation.pk, "seq": seq}
    )
    status = await receive(ws, "sms_status")
    assert (status["seq"], status["status"], status["error"]) == (seq, "pending", "")
    await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"seq": "2"}, "invalid"),
        ({"seq": True}, "invalid"),
        ({"seq": 0}, "invalid"),
        ({"seq": 99}, "not_found"),
    ],
)
async def test_bad_retry_frames_get_an_error_and_the_socket_survives(frame, code):
    librarian, conversation = await texting_patron()
    ws = await desk_socket(librarian)
    await ws.send_json_to(
        {"type": "sms_retry", "conversation": conversation.pk, **frame}
    )
    error = await receive(ws, "error")
    assert error["code"] == code
    await ws.send_json_to({"type": "sms_retry", "conversation": "x", "seq": 1})
    assert (await receive(ws, "error"))["code"] == "bad_frame"
    await ws.disconnect()


@database_sync_to_async
def waiting_text():
    library = LibraryFactory(code="waits", sms_number="+18505550100")
    local = open_all_week(QueueFactory(library=library))
    librarian = StaffFactory(library=library)
    consortium_services.queue_monitor_start(actor=librarian, queue_id=local.pk)
    received = sms_services.sms_receive(
        library=library, sid="SMwait1", phone="+18505550123", body="Open Sunday?"
    )
    return librarian, received.sms.message.conversation


async def test_a_desk_connecting_while_a_text_waits_lists_it_with_its_deadline():
    """The rows are built on the event loop: the deadline is read with the
    board, never from the row (a query there raised SynchronousOnlyOperation
    and the desk could not connect)."""
    librarian, conversation = await waiting_text()
    ws = await desk_socket(librarian)
    waiting = await receive(ws, "waiting")
    (row,) = [c for c in waiting["chats"] if c["id"] == conversation.pk]
    assert row["channel"] == "sms"
    assert row["reply_due_at"] is not None
    await ws.disconnect()
