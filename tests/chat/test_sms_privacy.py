"""The texting patron's number is personal data like their email address
(issue 18): shown to the library's own staff and the help desk, withheld
from a coordinator who reviews a conversation their librarian answered for
another library, redacted in the transcript however it was written, and
never written to a log."""

import logging

import pytest
from django.db import transaction
from twilio.request_validator import RequestValidator

from chat.models import Conversation, Message
from chat.privacy import redact_text
from chat.services import conversations
from tests.api_helpers import client_for
from tests.chat.conftest import NOW, open_all_week
from tests.consortium.factories import (
    CoopQueueFactory,
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

PATRON = "+18505550123"
WRITTEN = "(850) 555-0123"


class World:
    """Library A's texting patron, answered by library B's librarian on
    their co-op queue. Each library has a coordinator."""

    def __init__(self):
        self.a = LibraryFactory(code="liba", sms_number="+18505550100")
        self.b = LibraryFactory(code="libb")
        local = open_all_week(QueueFactory(library=self.a))
        coop = open_all_week(CoopQueueFactory(code="coop"))
        self.a.coops.add(coop)
        self.b.coops.add(coop)
        self.helpdesk = HelpdeskFactory(library=None)
        self.coord_a = CoordinatorFactory(library=self.a)
        self.coord_b = CoordinatorFactory(library=self.b)
        self.lib_b = StaffFactory(library=self.b)
        self.sms = Conversation.objects.create(
            channel=Conversation.Channel.SMS,
            library=self.a,
            queue=local,
            question=f"Text me back at {WRITTEN} about my hold",
            patron_phone=PATRON,
            requested_at=NOW,
            waiting_since=NOW,
            accepted_at=NOW,
            status=Conversation.Status.ACTIVE,
            librarian=self.lib_b,
            last_seq=0,
        )
        with transaction.atomic():
            locked = conversations._locked(self.sms.pk)
            for sender, body in (
                (Message.Sender.PATRON, self.sms.question),
                (Message.Sender.LIBRARIAN, f"I will text {PATRON} when it is in."),
                (Message.Sender.PATRON, "Or call 850.555.0123, or 850/555/0123"),
            ):
                conversations._append(
                    locked,
                    sender=sender,
                    body=body,
                    author=self.lib_b if sender == "librarian" else None,
                    now=NOW,
                )


@pytest.fixture
def w():
    return World()


def api(user, path):
    response = client_for(user).get(f"/api/v1/{path}")
    assert response.status_code == 200, response.content
    return response.json()


def transcript_text(user, w) -> str:
    data = api(user, f"conversations/{w.sms.pk}/transcript/")
    return "\n".join(m["body"] for m in data["messages"])


def test_another_librarys_coordinator_gets_the_number_withheld_in_the_api(w):
    row = api(w.coord_b, f"conversations/{w.sms.pk}/")
    assert row["personal_data"] is False
    assert row["patron_phone"] is None
    assert row["question"] == "Text me back at [phone] about my hold"
    text = transcript_text(w.coord_b, w)
    assert "555" not in text
    assert text.count("[phone]") == 4
    listing = client_for(w.coord_b).get("/api/v1/conversations/", {"search": "0123"})
    assert listing.json()["results"] == []


def test_the_librarys_own_coordinator_and_the_help_desk_see_the_number(w):
    for user in (w.coord_a, w.helpdesk):
        row = api(user, f"conversations/{w.sms.pk}/")
        assert (row["personal_data"], row["patron_phone"]) == (True, PATRON)
        assert WRITTEN in row["question"]
        assert f"I will text {PATRON}" in transcript_text(user, w)


def test_a_live_chat_has_an_empty_number_not_a_withheld_one(w):
    w.sms.__class__.objects.filter(pk=w.sms.pk).update(
        channel=Conversation.Channel.CHAT, patron_phone=""
    )
    assert api(w.coord_a, f"conversations/{w.sms.pk}/")["patron_phone"] == ""
    assert api(w.coord_b, f"conversations/{w.sms.pk}/")["patron_phone"] is None


def test_the_admin_withholds_the_number_from_another_librarys_coordinator(w, client):
    page_url = f"/admin/chat/conversation/{w.sms.pk}/change/"
    client.force_login(w.coord_b)
    page = client.get(page_url)
    assert page.status_code == 200
    assert "555" not in page.text
    assert "Patron phone" not in page.text
    assert "Text me back at [phone] about my hold" in page.text
    # Nor can the changelist URL filter on it, one digit at a time.
    response = client.get("/admin/chat/conversation/?patron_phone__startswith=%2B1")
    assert response.status_code == 400

    client.force_login(w.coord_a)
    page = client.get(page_url).text
    assert "Patron phone" in page and PATRON in page
    assert f"Text me back at {WRITTEN}" in page


@pytest.mark.parametrize(
    "written",
    [
        PATRON,
        "+1 850 555 0123",
        "1-850-555-0123",
        WRITTEN,
        "850.555.0123",
        "850/555/0123",
        "8505550123",
        "0018505550123",
    ],
)
def test_the_patrons_own_number_is_redacted_however_written(written):
    conversation = Conversation(patron_phone=PATRON)
    assert redact_text(f"call {written} today", conversation) == "call [phone] today"


def test_other_numbers_stay_redacted_as_numbers():
    conversation = Conversation(patron_phone=PATRON)
    assert redact_text("my card 21234 00567 8901", conversation) == ("my card [number]")
    assert redact_text("room 214, 2 pm", conversation) == "room 214, 2 pm"
    # Without a number of its own (a chat), only the long-number rule.
    assert "555" not in redact_text(f"call {WRITTEN}", Conversation())


def test_a_refused_text_logs_the_library_number_not_the_patrons(
    client, settings, caplog
):
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    path = "/sms/twilio/inbound/"
    data = {
        "From": PATRON,
        "To": "+18505550199",  # no library's
        "Body": "hello",
        "MessageSid": "SM1",
        "NumMedia": "0",
    }
    signature = RequestValidator("test-auth-token").compute_signature(
        f"http://testserver{path}", data
    )
    with caplog.at_level(logging.DEBUG):
        response = client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 404
    assert caplog.records
    assert "0123" not in caplog.text
