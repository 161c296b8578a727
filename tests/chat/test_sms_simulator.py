"""The phone simulator (`/sms/simulator/`, issue 18's demo): off unless
SMS_SIMULATOR and a token; what it signs is what the real webhooks accept;
its thread shows one phone's texts with one library, as stored; the demo
seed gives every library a fictional number; `make run` turns it on."""

import re
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from chat.models import Conversation, Message, SmsMessage
from chat.services import sms as services
from consortium.management.commands import run_all
from consortium.models import Library, Queue
from consortium.phones import to_e164
from tests.chat.conftest import open_all_week
from tests.consortium.factories import LibraryFactory, QueueFactory
from tests.consortium.test_csp import assert_strict

pytestmark = pytest.mark.django_db
TOKEN = "test-auth-token"
NUMBER = "+18505550101"
PATRON = "+18505550199"
PAGE = "/sms/simulator/"
SIGN = "/sms/simulator/sign/"
SIGN_STATUS = "/sms/simulator/sign-status/"
THREAD = "/sms/simulator/thread/"


@pytest.fixture(autouse=True)
def simulator_on(settings):
    settings.SMS_SIMULATOR = True
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SMS_BACKEND = "console"
    return settings


@pytest.fixture
def library():
    library = LibraryFactory(code="spring", name="Springfield", sms_number=NUMBER)
    open_all_week(QueueFactory(library=library))
    return library


def sign(client, **fields):
    data = {"From": "(850) 555-0199", "To": NUMBER, "Body": "Open on Sunday?"}
    return client.post(SIGN, {**data, **fields})


def deliver(client, answer):
    """What the page does with `sign`'s answer: post it as Twilio would."""
    return client.post(
        answer["url"], answer["fields"], HTTP_X_TWILIO_SIGNATURE=answer["signature"]
    )


def thread(client, library, phone=PATRON):
    return client.get(THREAD, {"library": library.code, "phone": phone})


def librarian_text(conversation, body, *, sid, status=SmsMessage.Status.QUEUED):
    """A librarian's message stored as a text the backend took (`sid`)."""
    conversation.refresh_from_db()
    seq = conversation.last_seq + 1
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=seq)
    message = Message.objects.create(
        conversation=conversation,
        seq=seq,
        sender=Message.Sender.LIBRARIAN,
        body=body,
    )
    return SmsMessage.objects.create(
        message=message, direction=SmsMessage.Direction.OUTBOUND, sid=sid, status=status
    )


def receive(library, body, phone=PATRON, sid=None):
    received = services.sms_receive(
        library=library, sid=sid or f"SM{uuid.uuid4().hex}", phone=phone, body=body
    )
    return received.sms.message.conversation


# --- Off unless asked -----------------------------------------------------------


@pytest.mark.parametrize("on, token", [(False, TOKEN), (True, "")])
def test_every_simulator_url_is_a_404_unless_on_with_a_token(
    client, library, simulator_on, on, token
):
    simulator_on.SMS_SIMULATOR = on
    simulator_on.TWILIO_AUTH_TOKEN = token
    assert client.get(PAGE).status_code == 404
    assert sign(client).status_code == 404
    assert client.post(SIGN_STATUS, {}).status_code == 404
    assert thread(client, library).status_code == 404


def test_page_offers_the_libraries_with_an_sms_number_and_a_fictional_phone(
    client, library
):
    LibraryFactory(code="nonum", name="No Number Library", sms_number="")
    LibraryFactory(
        code="closed", name="Closed Library", sms_number="+18505550102", active=False
    )
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="spring" data-number="{NUMBER}">' in html
    assert "No Number Library" not in html and "Closed Library" not in html
    assert 'value="+1 850 555 0199"' in html
    assert 'type="module" src="/static/chat/sms-simulator/main.js"' in html
    assert_strict(response)  # no inline script, style or handler; strict CSP


def test_page_says_what_to_do_when_no_library_has_a_number(client):
    response = client.get(PAGE)
    assert "No active library has an SMS number yet" in response.content.decode()


# --- Signing, and the real webhook ------------------------------------------------


def test_signed_text_is_accepted_by_the_real_webhook_and_stored(client, library):
    response = sign(client)
    assert response.status_code == 200
    answer = response.json()
    fields = answer["fields"]
    assert answer["url"] == reverse("sms-twilio-inbound") == "/sms/twilio/inbound/"
    assert re.fullmatch(r"SM[0-9a-f]{32}", fields["MessageSid"])
    assert re.fullmatch(r"AC[0-9a-f]{32}", fields["AccountSid"])
    assert fields["From"] == PATRON  # normalized to E.164, as Twilio sends it
    assert (fields["To"], fields["Body"], fields["NumMedia"]) == (
        NUMBER,
        "Open on Sunday?",
        "0",
    )

    webhook = deliver(client, answer)
    assert webhook.status_code == 200
    assert b"<Response/>" in webhook.content
    sms = SmsMessage.objects.get(sid=fields["MessageSid"])
    assert sms.direction == SmsMessage.Direction.INBOUND
    conversation = sms.message.conversation
    assert conversation.channel == Conversation.Channel.SMS
    assert (conversation.library, conversation.patron_phone) == (library, PATRON)
    assert sms.message.body == "Open on Sunday?"


def test_each_signed_text_gets_its_own_sid(client, library):
    first = sign(client).json()["fields"]["MessageSid"]
    assert sign(client).json()["fields"]["MessageSid"] != first


def test_a_changed_field_breaks_the_signature(client, library):
    answer = sign(client).json()
    answer["fields"]["Body"] = "Something else"
    assert deliver(client, answer).status_code == 403
    assert not SmsMessage.objects.exists()


def test_signature_is_for_the_site_url(client, library, simulator_on):
    simulator_on.SITE_URL = "https://ask.example.org/"
    answer = sign(client).json()
    # The webhook checks against SITE_URL too, so it still matches ...
    assert deliver(client, answer).status_code == 200
    # ... and a server with another public address refuses it.
    simulator_on.SITE_URL = "https://elsewhere.example.org"
    answer = sign(client).json()
    simulator_on.SITE_URL = "https://ask.example.org"
    assert deliver(client, answer).status_code == 403


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"From": "555-CALL-NOW"}, "From", "Your phone number: "),
        ({"From": "+1 850 555 01"}, "From", "Your phone number: "),
        ({"From": ""}, "From", "Enter your phone number."),
        ({"From": NUMBER}, "From", "That is a library's number"),
        ({"To": "+18505550177"}, "To", "No active library has this SMS number."),
        ({"To": "nowhere"}, "To", "The library's number: "),
        ({"Body": "   "}, "Body", "The text is empty."),
        ({"Body": "x" * 1601}, "Body", "at most 1600 characters"),
    ],
)
def test_sign_refuses_bad_input_with_a_clear_message(
    client, library, fields, field, message
):
    response = sign(client, **fields)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["error"]


def test_sign_is_csrf_protected(library):
    client = Client(enforce_csrf_checks=True)
    assert sign(client).status_code == 403
    assert client.post(SIGN_STATUS, {}).status_code == 403


def test_sign_refuses_a_library_that_is_not_active(client, library):
    Library.objects.filter(pk=library.pk).update(active=False)
    assert sign(client).json()["field"] == "To"


# --- The thread -------------------------------------------------------------------


def test_thread_has_both_directions_of_one_phone_and_one_library_oldest_first(
    client, library
):
    other_library = LibraryFactory(code="other", sms_number="+18505550102")
    open_all_week(QueueFactory(library=other_library))
    conversation = receive(library, "Open on Sunday?")
    librarian_text(conversation, "Yes, 1 to 5.", sid="SMconsole" + "a" * 32)
    receive(library, "Thanks!", sid="SM" + "b" * 32)
    receive(library, "Someone else's question", phone="+18505550198")
    receive(other_library, "Same phone, other library")

    response = thread(client, library, phone="(850) 555-0199")
    assert response.status_code == 200
    data = response.json()
    assert data["phone"] == PATRON
    assert data["library"] == {
        "code": "spring",
        "name": "Springfield",
        "number": NUMBER,
    }
    texts = data["texts"]
    bodies = [t["body"] for t in texts]
    assert "Someone else's question" not in bodies
    assert "Same phone, other library" not in bodies
    mine = [
        t for t in texts if t["body"] in ("Open on Sunday?", "Yes, 1 to 5.", "Thanks!")
    ]
    assert [(t["body"], t["direction"], t["status"]) for t in mine] == [
        ("Open on Sunday?", "in", "received"),
        ("Yes, 1 to 5.", "out", "queued"),
        ("Thanks!", "in", "received"),
    ]
    reply = mine[1]
    assert reply["console"] is True
    assert reply["statusText"] == "Queued by the provider"


def test_thread_shows_the_stored_status_and_error(client, library):
    conversation = receive(library, "Hello?")
    sms = librarian_text(
        conversation, "Hi!", sid="SM" + "c" * 32, status=SmsMessage.Status.FAILED
    )
    SmsMessage.objects.filter(pk=sms.pk).update(error="Twilio error 30003")
    text = next(
        t for t in thread(client, library).json()["texts"] if t["body"] == "Hi!"
    )
    assert (text["status"], text["error"], text["console"]) == (
        "failed",
        "Twilio error 30003",
        False,
    )


def test_thread_puts_a_reply_stored_in_the_same_instant_after_the_text(client, library):
    conversation = receive(library, "Hello?")
    first = conversation.messages.get(seq=1)
    # The reply's row comes first, as the after-hours reply's does.
    SmsMessage.objects.filter(message=first).delete()
    reply = librarian_text(conversation, "We are closed.", sid="SM" + "9" * 32)
    Message.objects.filter(pk=reply.message_id).update(created_at=first.created_at)
    SmsMessage.objects.create(
        message=first,
        direction=SmsMessage.Direction.INBOUND,
        sid="SM" + "8" * 32,
        status=SmsMessage.Status.RECEIVED,
    )
    bodies = [t["body"] for t in thread(client, library).json()["texts"]]
    assert bodies.index("Hello?") < bodies.index("We are closed.")


def test_thread_refuses_a_bad_phone_or_library(client, library):
    response = thread(client, library, phone="not a number")
    assert response.status_code == 400
    assert response.json()["field"] == "phone"
    response = client.get(THREAD, {"library": "nope", "phone": PATRON})
    assert response.status_code == 400
    assert response.json()["field"] == "library"


def test_thread_of_a_phone_that_never_texted_is_empty(client, library):
    assert thread(client, library).json()["texts"] == []


# --- Delivery reports of console texts --------------------------------------------


def test_phone_reports_a_console_text_delivered_through_the_real_status_webhook(
    client, library
):
    conversation = receive(library, "Hello?")
    sid = "SMconsole" + "d" * 32
    sms = librarian_text(conversation, "Hi!", sid=sid)
    response = client.post(
        SIGN_STATUS,
        {
            "library": library.code,
            "phone": PATRON,
            "MessageSid": sid,
            "MessageStatus": "delivered",
        },
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["url"] == "/sms/twilio/status/"
    assert answer["fields"]["From"] == NUMBER and answer["fields"]["To"] == PATRON
    assert deliver(client, answer).status_code == 204
    sms.refresh_from_db()
    assert sms.status == SmsMessage.Status.DELIVERED


def test_phone_off_reports_undelivered_with_twilios_error_code(client, library):
    conversation = receive(library, "Hello?")
    sid = "SMconsole" + "e" * 32
    sms = librarian_text(conversation, "Hi!", sid=sid)
    answer = client.post(
        SIGN_STATUS,
        {
            "library": library.code,
            "phone": PATRON,
            "MessageSid": sid,
            "MessageStatus": "undelivered",
        },
    ).json()
    assert answer["fields"]["ErrorCode"] == "30003"
    assert deliver(client, answer).status_code == 204
    sms.refresh_from_db()
    assert (sms.status, sms.error) == ("undelivered", "Twilio error 30003")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"MessageSid": "SM" + "f" * 32}, "MessageSid"),  # sent by the real Twilio
        ({"phone": "+18505550198"}, "MessageSid"),  # a text to another phone
        ({"MessageStatus": "read"}, "MessageStatus"),
        ({"library": "nope"}, "library"),
    ],
)
def test_phone_reports_only_console_texts_it_got(client, library, change, field):
    conversation = receive(library, "Hello?")
    librarian_text(conversation, "Hi!", sid="SMconsole" + "1" * 32)
    librarian_text(conversation, "Real", sid="SM" + "f" * 32)
    data = {
        "library": library.code,
        "phone": PATRON,
        "MessageSid": "SMconsole" + "1" * 32,
        "MessageStatus": "delivered",
        **change,
    }
    response = client.post(SIGN_STATUS, data)
    assert response.status_code == 400
    assert response.json()["field"] == field


# --- The demo ---------------------------------------------------------------------


def test_demo_seed_gives_every_library_with_a_chat_service_a_fictional_number():
    call_command("seed_demo", verbosity=0)
    with_queue = Library.objects.filter(
        queues__kind=Queue.Kind.LOCAL, active=True
    ).distinct()
    numbers = list(with_queue.values_list("sms_number", flat=True))
    assert numbers and all(numbers)
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert to_e164(number) == number
        assert re.fullmatch(r"\+1\d{3}55501\d\d", number)  # kept for fiction
    call_command("seed_demo", verbosity=0)  # idempotent
    assert list(with_queue.values_list("sms_number", flat=True)) == numbers


def test_make_run_turns_the_simulator_on_with_a_demo_token_when_twilio_is_unset():
    env = {"SITE_URL": "http://localhost:8000"}
    assert run_all.demo_sms(env) is True
    assert env["TWILIO_AUTH_TOKEN"] == run_all.DEMO_TWILIO_AUTH_TOKEN
    assert (env["SMS_BACKEND"], env["SMS_SIMULATOR"]) == ("console", "true")


def test_make_run_leaves_a_real_twilio_alone_and_the_simulator_off():
    env = {"TWILIO_AUTH_TOKEN": "real", "SMS_BACKEND": "twilio"}
    assert run_all.demo_sms(env) is False
    assert env == {"TWILIO_AUTH_TOKEN": "real", "SMS_BACKEND": "twilio"}
    assert run_all.demo_sms({"SMS_BACKEND": "twilio"}) is False


def test_make_run_respects_sms_simulator_set_off():
    env = {"SMS_SIMULATOR": "false"}
    assert run_all.demo_sms(env) is False
    assert env["SMS_SIMULATOR"] == "false"


def test_banner_shows_the_simulator_only_when_on():
    out = StringIO()
    run_all.Command(stdout=out)._banner("127.0.0.1", 8123, True, simulator=True)
    assert "http://localhost:8123/sms/simulator/" in out.getvalue()
    out = StringIO()
    run_all.Command(stdout=out)._banner("127.0.0.1", 8123, True)
    assert "/sms/simulator/" not in out.getvalue()
