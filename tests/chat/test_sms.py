"""SMS through Twilio (issue 18): numbers, the signed webhooks, threading by
the text-string time, bad input, and texts out sent once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from chat import tasks
from chat.models import Conversation, Message, SmsMessage
from chat.services import conversations
from chat.services import sms as services
from chat.sms.backends import SmsError
from consortium.models import Library
from tests.chat.conftest import open_all_week
from tests.consortium.factories import LibraryFactory, QueueFactory, StaffFactory

pytestmark = pytest.mark.django_db
TOKEN = "test-auth-token"
LIBRARY_NUMBER = "+18505550100"
PATRON = "+18505550123"
INBOUND = "/sms/twilio/inbound/"
STATUS = "/sms/twilio/status/"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SMS_BACKEND = "console"


@pytest.fixture
def library():
    # No after-hours reply here (nobody is online in these tests): what is
    # stored is the patron's texts only. tests/chat/test_sms_routing.py has it.
    library = LibraryFactory(
        code="spring",
        sms_number=LIBRARY_NUMBER,
        sms_after_hours_reply="",
        sms_after_hours_reply_es="",
    )
    open_all_week(QueueFactory(library=library))
    return library


def sign(path, data, token=TOKEN):
    return RequestValidator(token).compute_signature(f"http://testserver{path}", data)


def text(client, body="Are you open on Sunday?", *, sid="SM1", sender=PATRON, **more):
    data = {
        "From": sender,
        "To": LIBRARY_NUMBER,
        "Body": body,
        "MessageSid": sid,
        "NumMedia": "0",
        **more,
    }
    return client.post(INBOUND, data, HTTP_X_TWILIO_SIGNATURE=sign(INBOUND, data))


# --- Numbers -----------------------------------------------------------------


def test_sms_number_is_stored_in_e164():
    library = LibraryFactory.build(code="north", sms_number="(850) 555-0100")
    library.full_clean(exclude=["coops"])
    assert library.sms_number == LIBRARY_NUMBER


def test_malformed_sms_number_is_refused():
    library = LibraryFactory.build(code="north", sms_number="555-CALL-NOW-PLEASE")
    with pytest.raises(ValidationError) as error:
        library.full_clean()
    assert "sms_number" in error.value.message_dict


def test_an_sms_number_belongs_to_one_library(library):
    other = LibraryFactory.build(code="north", sms_number="+1 850 555 0100")
    with pytest.raises(ValidationError) as error:
        other.full_clean()
    assert "Another library has this SMS number." in str(error.value)


def test_libraries_without_sms_numbers_do_not_clash(library):
    LibraryFactory(code="a", sms_number="")
    LibraryFactory(code="b", sms_number="")
    assert Library.objects.filter(sms_number="").count() == 2


# --- Signatures ------------------------------------------------------------------


def test_signed_text_starts_a_waiting_sms_conversation(
    client, library, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = text(client)
    assert callbacks  # the message and the waiting offer, published after commit
    assert response.status_code == 200
    assert b"<Response/>" in response.content
    conversation = Conversation.objects.get()
    assert conversation.channel == Conversation.Channel.SMS
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.queue == library.queues.get()
    assert conversation.patron_phone == PATRON
    assert conversation.question == "Are you open on Sunday?"
    message = conversation.messages.get()
    assert message.sender == Message.Sender.PATRON
    assert message.sms.sid == "SM1"
    assert message.sms.direction == SmsMessage.Direction.INBOUND


def test_forged_signature_is_refused_and_nothing_stored(client, library):
    data = {"From": PATRON, "To": LIBRARY_NUMBER, "Body": "hi", "MessageSid": "SM1"}
    response = client.post(
        INBOUND, data, HTTP_X_TWILIO_SIGNATURE=sign(INBOUND, data, token="guess")
    )
    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_signature_of_other_fields_is_refused(client, library):
    data = {"From": PATRON, "To": LIBRARY_NUMBER, "Body": "hi", "MessageSid": "SM1"}
    signature = sign(INBOUND, data)
    response = client.post(
        INBOUND, {**data, "Body": "changed"}, HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_missing_signature_is_refused_and_nothing_stored(client, library):
    data = {"From": PATRON, "To": LIBRARY_NUMBER, "Body": "hi", "MessageSid": "SM1"}
    assert client.post(INBOUND, data).status_code == 403
    assert not Conversation.objects.exists()


def test_without_an_auth_token_every_text_is_refused(client, library, settings):
    data = {"From": PATRON, "To": LIBRARY_NUMBER, "Body": "hi", "MessageSid": "SM1"}
    signature = sign(INBOUND, data, token="")
    settings.TWILIO_AUTH_TOKEN = ""
    response = client.post(INBOUND, data, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403


def test_get_is_not_allowed(client, library):
    assert client.get(INBOUND).status_code == 405


# --- Bad input ---------------------------------------------------------------


def test_text_to_an_unknown_number_is_404_and_logged_without_the_patron(
    client, library, caplog
):
    data = {"From": PATRON, "To": "+18505550199", "Body": "hi", "MessageSid": "SM1"}
    response = client.post(INBOUND, data, HTTP_X_TWILIO_SIGNATURE=sign(INBOUND, data))
    assert response.status_code == 404
    assert not Conversation.objects.exists()
    assert "+18505550199" in caplog.text
    assert PATRON not in caplog.text


def test_duplicate_message_sid_is_stored_once(client, library):
    assert text(client).status_code == 200
    assert text(client).status_code == 200
    assert Message.objects.count() == 1
    assert SmsMessage.objects.count() == 1


def test_a_concurrent_retry_losing_on_the_constraint_stores_nothing(library):
    services.sms_receive(library=library, sid="SM1", phone=PATRON, body="one")
    real_filter = services.SmsMessage.objects.filter

    def filter_(*args, **kwargs):
        if kwargs == {"sid": "SM1"}:  # the lookup misses it, as a race would
            return mock.Mock(exists=mock.Mock(return_value=False))
        return real_filter(*args, **kwargs)

    with mock.patch.object(services.SmsMessage.objects, "filter", filter_):
        received = services.sms_receive(
            library=library, sid="SM1", phone=PATRON, body="one"
        )
    assert received.created is False
    assert Message.objects.count() == 1


def test_malformed_from_is_refused(client, library):
    response = text(client, sender="not-a-number")
    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_empty_body_is_refused(client, library):
    response = text(client, body="   ")
    assert response.status_code == 400
    assert b"empty" in response.content
    assert not Conversation.objects.exists()


def test_empty_body_with_media_is_stored_as_a_note_of_the_media(client, library):
    response = text(client, body="", NumMedia="2")
    assert response.status_code == 200
    message = Message.objects.get()
    assert "2 picture(s)" in message.body
    assert message.sms.num_media == 2


def test_text_of_1600_characters_is_stored(client, library):
    assert text(client, body="a" * 1600).status_code == 200
    assert len(Message.objects.get().body) == 1600


def test_text_of_1601_characters_is_refused(client, library):
    response = text(client, body="a" * 1601)
    assert response.status_code == 400
    assert b"1600" in response.content
    assert not Message.objects.exists()


def test_emoji_text_is_stored_as_sent(client, library):
    body = "📚 do you have 🦖 books? ¿Español también? 👍🏽"
    assert text(client, body=body).status_code == 200
    assert Message.objects.get().body == body


def test_library_without_a_local_queue_is_404(client):
    LibraryFactory(code="noq", sms_number=LIBRARY_NUMBER)
    assert text(client).status_code == 404
    assert not Conversation.objects.exists()


# --- Threading by the text-string time ---------------------------------------


def receive(library, sid, *, at, phone=PATRON, body="more"):
    return services.sms_receive(
        library=library, sid=sid, phone=phone, body=body, now=at
    )


def test_text_within_the_thread_window_joins_the_conversation(library):
    start = timezone.now()
    first = receive(library, "SM1", at=start).sms.message.conversation
    joined = receive(library, "SM2", at=start + timedelta(hours=11)).sms.message
    assert joined.conversation_id == first.pk
    assert joined.seq == 2
    assert joined.sender == Message.Sender.PATRON
    first.refresh_from_db()
    assert first.last_seq == 2
    assert first.last_patron_at == start + timedelta(hours=11)


def test_text_after_the_thread_window_starts_a_new_conversation(library):
    start = timezone.now()
    first = receive(library, "SM1", at=start).sms.message.conversation
    later = receive(library, "SM2", at=start + timedelta(hours=13)).sms.message
    assert later.conversation_id != first.pk
    assert later.seq == 1
    assert Conversation.objects.count() == 2


def test_thread_window_is_per_library(library):
    library.sms_thread_hours = 24
    library.save()
    start = timezone.now()
    first = receive(library, "SM1", at=start).sms.message.conversation
    later = receive(library, "SM2", at=start + timedelta(hours=13)).sms.message
    assert later.conversation_id == first.pk


def test_other_numbers_start_their_own_conversations(library):
    now = timezone.now()
    receive(library, "SM1", at=now)
    receive(library, "SM2", at=now, phone="+18505550124")
    assert Conversation.objects.count() == 2


def test_text_after_the_conversation_ended_starts_a_new_one(library):
    now = timezone.now()
    first = receive(library, "SM1", at=now).sms.message.conversation
    Conversation.objects.filter(pk=first.pk).update(status=Conversation.Status.MISSED)
    later = receive(library, "SM2", at=now + timedelta(hours=1)).sms.message
    assert later.conversation_id != first.pk


def test_waiting_sms_conversation_is_not_abandoned(library):
    now = timezone.now()
    receive(library, "SM1", at=now - timedelta(hours=1))
    from chat.services import conversations_abandon_sweep

    assert conversations_abandon_sweep(now=now) == 0
    assert Conversation.objects.get().status == Conversation.Status.WAITING


# --- Texts out ---------------------------------------------------------------------


def post_reply(library, capture=None):
    """A librarian's answer in the library's SMS conversation, through the
    service the desk calls."""
    librarian = StaffFactory(library=library)
    conversation = receive(library, "SM1", at=timezone.now()).sms.message.conversation
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.ACTIVE, librarian=librarian
    )
    message, _ = conversations.message_post(
        conversation_id=conversation.pk,
        sender=Message.Sender.LIBRARIAN,
        author=librarian,
        body="Yes, 1–5 pm on Sundays 📚",
    )
    return message


@pytest.fixture
def reply(library):
    return post_reply(library)


def queued(message):
    return SmsMessage.objects.get(message=message)


def test_reply_is_queued_and_sent_after_commit(
    library, django_capture_on_commit_callbacks
):
    with mock.patch.object(tasks.send_sms, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            message = post_reply(library)
    sms = queued(message)
    delay.assert_called_once_with(sms.pk)
    assert sms.status == SmsMessage.Status.PENDING
    assert sms.direction == SmsMessage.Direction.OUTBOUND


def test_patron_messages_are_not_sent_by_text(library):
    message = receive(library, "SM1", at=timezone.now()).sms.message
    assert message.sms.direction == SmsMessage.Direction.INBOUND
    assert not SmsMessage.objects.filter(
        direction=SmsMessage.Direction.OUTBOUND
    ).exists()


def test_console_backend_prints_and_the_task_sends_once(reply, capsys):
    sms = queued(reply)
    assert tasks.send_sms(sms.pk) is True
    assert tasks.send_sms(sms.pk) is False
    out = capsys.readouterr().out
    # The patron's number is personal data: masked even on the console.
    assert out.count("--- SMS from +18505550100 to +1••••••••23 ---") == 1
    assert PATRON not in out
    assert "Yes, 1–5 pm on Sundays 📚" in out
    sms.refresh_from_db()
    assert sms.status == SmsMessage.Status.QUEUED
    assert sms.sid.startswith("SMconsole")
    assert sms.sent_at is not None


def test_twilio_backend_sends_with_the_status_callback(reply, settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC123"
    sms = queued(reply)
    with mock.patch("twilio.rest.Client") as client:
        client.return_value.messages.create.return_value.sid = "SMabc"
        assert tasks.send_sms(sms.pk) is True
        assert tasks.send_sms(sms.pk) is False
    client.assert_called_once_with("AC123", TOKEN)
    client.return_value.messages.create.assert_called_once_with(
        to=PATRON,
        from_=LIBRARY_NUMBER,
        body="Yes, 1–5 pm on Sundays 📚",
        status_callback="http://testserver" + reverse("sms-twilio-status"),
    )
    sms.refresh_from_db()
    assert (sms.sid, sms.status) == ("SMabc", SmsMessage.Status.QUEUED)


def test_provider_failure_marks_the_text_failed_once(reply, settings):
    settings.SMS_BACKEND = "twilio"
    from twilio.base.exceptions import TwilioRestException

    sms = queued(reply)
    with mock.patch("twilio.rest.Client") as client:
        client.return_value.messages.create.side_effect = TwilioRestException(
            400,
            "https://api.twilio.com",
            msg=f"The 'To' number {PATRON} is not a valid phone number.",
        )
        assert tasks.send_sms(sms.pk) is False
        assert tasks.send_sms(sms.pk) is False
    assert client.return_value.messages.create.call_count == 1
    sms.refresh_from_db()
    assert sms.status == SmsMessage.Status.FAILED
    assert "not a valid phone number" in sms.error
    assert PATRON not in sms.error  # stored masked: shown on the desk


def test_backend_error_type_is_the_one_the_service_catches():
    assert issubclass(SmsError, Exception)


# --- Delivery reports ---------------------------------------------------------------


def report(client, sid, status, **more):
    data = {"MessageSid": sid, "MessageStatus": status, **more}
    return client.post(STATUS, data, HTTP_X_TWILIO_SIGNATURE=sign(STATUS, data))


@pytest.fixture
def sent(reply):
    sms = queued(reply)
    tasks.send_sms(sms.pk)
    sms.refresh_from_db()
    return sms


def test_status_callback_records_delivery(client, sent):
    assert report(client, sent.sid, "sent").status_code == 204
    sent.refresh_from_db()
    assert sent.status == SmsMessage.Status.SENT
    assert report(client, sent.sid, "delivered").status_code == 204
    sent.refresh_from_db()
    assert sent.status == SmsMessage.Status.DELIVERED


def test_late_sent_report_does_not_undo_delivered(client, sent):
    report(client, sent.sid, "delivered")
    report(client, sent.sid, "sent")
    sent.refresh_from_db()
    assert sent.status == SmsMessage.Status.DELIVERED


def test_undelivered_report_keeps_the_error_code(client, sent):
    report(client, sent.sid, "undelivered", ErrorCode="30003")
    sent.refresh_from_db()
    assert sent.status == SmsMessage.Status.UNDELIVERED
    assert sent.error == "Twilio error 30003"


def test_failed_report_marks_failed(client, sent):
    report(client, sent.sid, "failed", ErrorCode="30008")
    sent.refresh_from_db()
    assert sent.status == SmsMessage.Status.FAILED


def test_unsigned_status_callback_is_refused(client, sent):
    data = {"MessageSid": sent.sid, "MessageStatus": "failed"}
    assert client.post(STATUS, data).status_code == 403
    sent.refresh_from_db()
    assert sent.status == SmsMessage.Status.QUEUED


def test_report_of_an_unknown_sid_is_ignored(client, sent):
    assert report(client, "SMnobody", "delivered").status_code == 204


# --- Admin -------------------------------------------------------------------------


def test_help_desk_sets_the_sms_number_in_the_admin(client, library):
    from tests.consortium.factories import CoordinatorFactory, HelpdeskFactory

    coordinator = CoordinatorFactory(library=library)
    client.force_login(coordinator)
    url = reverse("admin:consortium_library_change", args=[library.pk])
    page = client.get(url).content.decode()
    assert 'name="sms_number"' not in page
    assert LIBRARY_NUMBER in page
    client.force_login(HelpdeskFactory())
    page = client.get(url).content.decode()
    assert 'name="sms_number"' in page
    assert 'name="sms_thread_hours"' in page


def test_the_coordinator_edits_the_after_hours_replies(client, library):
    from tests.consortium.factories import CoordinatorFactory

    client.force_login(CoordinatorFactory(library=library))
    url = reverse("admin:consortium_library_change", args=[library.pk])
    page = client.get(url).content.decode()
    assert 'name="sms_after_hours_reply"' in page
    assert 'name="sms_after_hours_reply_es"' in page
    assert 'maxlength="150"' in page
    assert 'name="sms_number"' not in page  # the help desk's


# --- Keywords, floods and media through the webhook --------------------------------


def test_stop_is_answered_in_the_webhook_reply_and_stores_no_conversation(
    client, library
):
    library.name = "Spring & Fall <Library>"
    library.save()
    response = text(client, body="Stop")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert b"<Message>Spring &amp; Fall &lt;Library&gt;: you will get no more" in (
        response.content
    )
    assert not Conversation.objects.exists()


def test_a_flood_from_one_number_is_429_and_stores_nothing_more(client, library):
    for i in range(services.FLOOD_TEXTS):
        assert text(client, body=f"question {i}", sid=f"SMf{i}").status_code == 200
    response = text(client, body="and another", sid="SMf-last")
    assert response.status_code == 429
    assert b"Too many texts" in response.content
    assert Message.objects.count() == services.FLOOD_TEXTS


def test_media_urls_are_fetched_after_commit(
    client, library, django_capture_on_commit_callbacks
):
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    with mock.patch.object(tasks.sms_fetch_media, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = text(
                client,
                body="",
                NumMedia="1",
                MediaUrl0=url,
                MediaContentType0="image/jpeg",
            )
    assert response.status_code == 200
    sms = SmsMessage.objects.get()
    delay.assert_called_once_with(sms.pk, [url])
