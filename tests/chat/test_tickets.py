"""Email tickets: mail in (new tickets, threading, reopening, what is
ignored or quarantined), the workflow, mail out, and the SLA stages."""

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from chat import services, tasks
from chat.models import InboundEmail, Message, Ticket, TicketReminder
from chat.services.tickets import reply_address
from consortium.models import ConsortiumSettings
from consortium.services import DomainError
from tests.chat.conftest import open_all_week
from tests.consortium.factories import (
    ClosureFactory,
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now().replace(microsecond=0)
PATRON = "pat.reader@example.net"


@pytest.fixture
def library():
    library = LibraryFactory(code="spring", ticket_email="ask@spring.example.org")
    open_all_week(QueueFactory(library=library))
    return library


@pytest.fixture
def librarian(library):
    return StaffFactory(library=library, email="lib@spring.example.org")


def email(
    body="Do you have the 1920 census on microfilm?",
    *,
    to="ask@spring.example.org",
    sender=PATRON,
    subject="Census question",
    message_id=None,
    in_reply_to=None,
    headers=(),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Pat Reader <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(NOW)
    msg["Message-ID"] = (
        message_id or f"<{abs(hash((body, to, subject)))}@mail.example.net>"
    )
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
        msg["References"] = f"<{in_reply_to}>"
    for name, value in headers:
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def receive(raw, now=NOW):
    return services.inbound_email_receive(raw=raw, via="pipe", now=now)


def new_ticket(library, **kwargs) -> Ticket:
    inbound = receive(email(**kwargs))
    assert inbound.status == InboundEmail.Status.CREATED, inbound.reason
    return inbound.ticket


def test_an_email_to_a_library_address_becomes_a_ticket_in_its_inbox(library):
    ticket = new_ticket(library)
    conversation = ticket.conversation
    assert (ticket.library, ticket.source, ticket.status) == (library, "email", "open")
    assert (conversation.channel, conversation.patron_email) == ("email", PATRON)
    assert ticket.subject == "Census question"
    assert ticket.due_at == NOW + timedelta(hours=48)
    [message] = conversation.messages.all()
    assert message.sender == "patron"
    assert "1920 census" in message.body


def test_a_closed_library_s_new_tickets_go_to_the_help_desk(library):
    today = timezone.localdate(NOW)
    ClosureFactory(
        library=library,
        start_date=today - timedelta(days=2),
        end_date=today + timedelta(days=20),
        forwards_tickets=True,
    )
    assert new_ticket(library).forwarded_to_helpdesk


def test_claiming_is_one_at_a_time(library, librarian):
    ticket = new_ticket(library)
    other = StaffFactory(library=library)
    services.ticket_claim(ticket_id=ticket.pk, actor=librarian)
    with pytest.raises(DomainError, match="already claimed"):
        services.ticket_claim(ticket_id=ticket.pk, actor=other)
    with pytest.raises(DomainError, match="Only the claimant"):
        services.ticket_unclaim(ticket_id=ticket.pk, actor=other)
    services.ticket_unclaim(ticket_id=ticket.pk, actor=librarian)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("open", None)


def test_another_library_s_staff_cannot_work_the_ticket(library):
    ticket = new_ticket(library)
    outsider = StaffFactory(library=LibraryFactory(code="other"))
    with pytest.raises(DomainError, match="another library's inbox"):
        services.ticket_claim(ticket_id=ticket.pk, actor=outsider)
    services.ticket_claim(ticket_id=ticket.pk, actor=HelpdeskFactory())


def test_a_reply_is_emailed_as_multipart_mail_that_threads_back(
    library, librarian, django_capture_on_commit_callbacks, monkeypatch
):
    ticket = new_ticket(library, message_id="<q1@mail.example.net>")
    sent = []
    monkeypatch.setattr(tasks.send_ticket_message, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply(
            ticket_id=ticket.pk,
            actor=librarian,
            body="Yes: ask at the genealogy desk <b>upstairs</b>.",
            files=[("hours.txt", b"Open 9-5\n")],
        )
    assert sent == [reply.pk]
    assert tasks.send_ticket_message(reply.pk) is True
    assert tasks.send_ticket_message(reply.pk) is False  # once
    [out] = mail.outbox
    address = reply_address(ticket)
    assert out.to == [PATRON] and out.reply_to == [address]
    assert address in out.from_email
    assert out.extra_headers["In-Reply-To"] == "<q1@mail.example.net>"
    assert out.extra_headers["Message-ID"] == f"<{reply.email_message_id}>"
    assert "Hello Pat Reader," in out.body and "<b>upstairs</b>" in out.body
    html, mime = out.alternatives[0]
    assert mime == "text/html" and "&lt;b&gt;upstairs&lt;/b&gt;" in html
    assert out.attachments[0][0] == "hours.txt"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.first_response_at) == (
        "waiting",
        librarian,
        reply.created_at,
    )


def test_the_patron_s_reply_threads_back_and_reopens_a_closed_ticket(
    library, librarian
):
    ticket = new_ticket(library)
    services.ticket_reply(ticket_id=ticket.pk, actor=librarian, body="Here you go.")
    services.ticket_close(ticket_id=ticket.pk, actor=librarian)
    later = NOW + timedelta(days=3)
    inbound = receive(
        email(
            "Thanks! One more thing: can I borrow it?\n\n"
            "On Mon, Mar 2, 2026 at 10:00 AM Springfield <x@y> wrote:\n> Here you go.",
            to=reply_address(ticket),
            subject="Re: Census question",
        ),
        now=later,
    )
    assert (inbound.status, inbound.ticket) == ("appended", ticket)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("claimed", librarian)
    assert ticket.due_at == later + timedelta(hours=48)
    last = ticket.conversation.messages.filter(sender="patron").last()
    assert last.body.startswith("Thanks! One more thing")
    assert "Here you go" not in last.body and "Here you go" in last.full_text


def test_a_reply_without_the_reply_address_threads_by_its_references(
    library, librarian
):
    ticket = new_ticket(library)
    reply = services.ticket_reply(ticket_id=ticket.pk, actor=librarian, body="Hi.")
    inbound = receive(
        email("Got it, thanks.", subject="Re: x", in_reply_to=reply.email_message_id)
    )
    assert (inbound.status, inbound.ticket) == ("appended", ticket)


@pytest.mark.parametrize(
    "headers, subject, status",
    [
        ([("Auto-Submitted", "auto-replied")], "Out of office", "auto_reply"),
        ([("X-AskTogether-Loop", "ticket-1")], "Re: Census", "loop"),
    ],
)
def test_auto_replies_and_our_own_mail_never_reopen_a_ticket(
    library, librarian, headers, subject, status
):
    ticket = new_ticket(library)
    services.ticket_reply(ticket_id=ticket.pk, actor=librarian, body="Answer.")
    services.ticket_close(ticket_id=ticket.pk, actor=librarian)
    inbound = receive(
        email("I am away.", to=reply_address(ticket), subject=subject, headers=headers)
    )
    assert inbound.status == status
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_a_bounce_is_noted_on_the_ticket_and_does_not_reopen_it(library, librarian):
    ticket = new_ticket(library)
    reply = services.ticket_reply(ticket_id=ticket.pk, actor=librarian, body="A.")
    bounce = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r\n"
        f"To: {reply_address(ticket)}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce1@mx.example.net>\r\n"
        f"In-Reply-To: <{reply.email_message_id}>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
        "Delivery to the following recipient failed permanently.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        "Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b1--\r\n"
    ).encode()
    inbound = receive(bounce)
    assert (inbound.status, inbound.ticket) == ("bounce", ticket)
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    assert "bounced" in ticket.conversation.messages.last().body


def test_unknown_reply_addresses_strangers_and_broken_mail_are_quarantined(
    library, librarian
):
    ticket = new_ticket(library)
    forged = reply_address(ticket).replace(ticket.reply_token, "0" * 16)
    assert receive(email("hi", to=forged)).reason == (
        "Sent to a reply address of a ticket that does not exist."
    )
    stranger = receive(email("me too", to=reply_address(ticket), sender="x@evil.test"))
    assert stranger.status == "quarantined" and "not the patron's" in stranger.reason
    broken = receive(b"\x00\xff garbage without headers")
    assert broken.status == "quarantined" and broken.raw
    nowhere = receive(email("hello", to="someone@elsewhere.test"))
    assert nowhere.status == "quarantined"
    assert ticket.conversation.messages.count() == 1  # nothing appended
    # A person looks at the stranger's reply and lets it in.
    accepted = services.inbound_email_accept(inbound_id=stranger.pk, actor=librarian)
    assert accepted.status == "appended"
    assert ticket.conversation.messages.filter(body="me too").exists()


def test_the_same_email_received_twice_is_stored_once(library):
    raw = email(message_id="<same@mail.example.net>")
    first, second = receive(raw), receive(raw)
    assert (first.status, second.status) == ("created", "duplicate")
    assert Ticket.objects.count() == 1
    # Processing is idempotent too.
    assert services.inbound_email_process(inbound_id=first.pk).status == "created"


def test_transfer_needs_a_note_and_returns_the_ticket_to_the_new_inbox(
    library, librarian
):
    ticket = new_ticket(library)
    services.ticket_claim(ticket_id=ticket.pk, actor=librarian)
    other = LibraryFactory(code="north")
    with pytest.raises(DomainError, match="note"):
        services.ticket_transfer(
            ticket_id=ticket.pk, actor=librarian, library=other, note=" "
        )
    services.ticket_transfer(
        ticket_id=ticket.pk, actor=librarian, library=other, note="Their archive."
    )
    ticket.refresh_from_db()
    assert (ticket.library, ticket.status, ticket.assignee) == (other, "open", None)
    assert "Their archive." in ticket.conversation.messages.last().body


def test_notes_stay_internal_and_are_never_emailed(library, librarian):
    ticket = new_ticket(library)
    note = services.ticket_note(ticket_id=ticket.pk, actor=librarian, body="Call them?")
    assert note.sender == Message.Sender.NOTE and not note.email_message_id
    assert ticket.conversation.messages.get(pk=note.pk).author == librarian


def test_dangerous_files_are_refused_before_anything_is_stored(library, librarian):
    ticket = new_ticket(library)
    with pytest.raises(DomainError, match="cannot be attached"):
        services.ticket_reply(
            ticket_id=ticket.pk,
            actor=librarian,
            body="see file",
            files=[("tool.exe", b"MZ\x90\x00" + b"\x00" * 200)],
        )
    assert ticket.conversation.messages.count() == 1


# --- SLAs ------------------------------------------------------------------------


def sweep(at):
    return services.tickets_sla_sweep(now=at)


def test_overdue_reminders_go_once_to_the_claimant_then_escalate_once(
    library, librarian
):
    ticket = new_ticket(library)
    services.ticket_claim(ticket_id=ticket.pk, actor=librarian)
    assert sweep(NOW + timedelta(hours=47))["overdue"] == 0
    due = NOW + timedelta(hours=48)
    assert sweep(due)["overdue"] == 1
    assert sweep(due)["overdue"] == 0  # beat ran again
    reminder = TicketReminder.objects.get(stage="overdue")
    assert reminder.recipients == librarian.email
    assert tasks.send_ticket_reminder(reminder.pk) is True
    assert tasks.send_ticket_reminder(reminder.pk) is False
    assert mail.outbox[0].to == [librarian.email]
    assert "Overdue" in mail.outbox[0].subject
    assert sweep(due + timedelta(hours=23))["escalated"] == 0
    assert sweep(due + timedelta(hours=24))["escalated"] == 1
    assert sweep(due + timedelta(hours=25))["escalated"] == 0
    escalation = TicketReminder.objects.get(stage="escalated")
    assert escalation.recipients == ConsortiumSettings.load().helpdesk_email


def test_an_unclaimed_overdue_ticket_reminds_the_library_s_coordinators(library):
    coordinator = CoordinatorFactory(library=library, email="coord@spring.example.org")
    new_ticket(library)
    sweep(NOW + timedelta(hours=49))
    assert TicketReminder.objects.get().recipients == coordinator.email


def test_an_answered_ticket_is_not_reminded(library, librarian):
    ticket = new_ticket(library)
    services.ticket_reply(ticket_id=ticket.pk, actor=librarian, body="Answer.")
    assert sweep(NOW + timedelta(hours=60)) == {
        "overdue": 0,
        "escalated": 0,
        "closed": 0,
    }


def test_a_ticket_waiting_on_a_silent_patron_closes_after_72_hours(library, librarian):
    ticket = new_ticket(library)
    services.ticket_reply(
        ticket_id=ticket.pk, actor=librarian, body="Does this help?", now=NOW
    )
    assert sweep(NOW + timedelta(hours=71))["closed"] == 0
    assert sweep(NOW + timedelta(hours=72))["closed"] == 1
    assert sweep(NOW + timedelta(hours=73))["closed"] == 0
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert "no answer from the patron" in ticket.conversation.messages.last().body


def test_a_reopened_ticket_gets_a_new_deadline_and_new_reminders(library, librarian):
    ticket = new_ticket(library)
    services.ticket_reply(ticket_id=ticket.pk, actor=librarian, body="A.", now=NOW)
    later = NOW + timedelta(days=1)
    receive(email("And?", to=reply_address(ticket), subject="Re: c"), now=later)
    sweep(later + timedelta(hours=48))
    assert TicketReminder.objects.filter(stage="overdue").count() == 1


def test_receive_email_command_delivers_a_mail_from_standard_input(
    library, monkeypatch, capsys
):
    import io
    import sys

    raw = email("From the pipe.", subject="Piped")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("receive_email")
    assert "Created a ticket" in capsys.readouterr().out
    assert Ticket.objects.get().subject == "Piped"


# --- Webhook and desk pages ---------------------------------------------------------

SIGNING_KEY = "test-signing-key"


def mailgun_post(client, raw: bytes, *, key=SIGNING_KEY):
    import hashlib
    import hmac
    import time

    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(
        key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return client.post(
        "/anymail/mailgun/inbound/",
        {
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
            "body-mime": raw.decode(),
        },
    )


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}


def test_the_mailgun_webhook_stores_signed_mail_and_refuses_forged_calls(
    client, library, mailgun, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.inbound_email_process, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = mailgun_post(client, email("By webhook."))
    assert response.status_code == 200
    stored = InboundEmail.objects.get()
    assert (stored.via, queued) == ("webhook", [stored.pk])
    assert tasks.inbound_email_process(stored.pk) == "created"
    forged = mailgun_post(client, email("Forged."), key="wrong-key")
    assert forged.status_code == 400
    unsigned = client.post("/anymail/mailgun/inbound/", {"body-mime": "x"})
    assert unsigned.status_code == 400
    assert InboundEmail.objects.count() == 1


def test_the_webhook_is_not_served_without_a_signing_key(client, library):
    assert mailgun_post(client, email()).status_code == 404


def test_the_desk_lists_and_works_the_library_s_tickets(client, library, librarian):
    ticket = new_ticket(library)
    client.force_login(librarian)
    page = client.get("/desk/tickets/")
    assert page.status_code == 200 and b"Census question" in page.content
    detail = client.get(f"/desk/tickets/{ticket.pk}/")
    assert b"1920 census" in detail.content
    response = client.post(f"/desk/tickets/{ticket.pk}/claim", follow=True)
    assert b"You claimed this ticket." in response.content
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply", {"body": "Yes, on reel 12."}, follow=True
    )
    assert b"on its way" in response.content
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    empty = client.post(f"/desk/tickets/{ticket.pk}/note", {"body": ""}, follow=True)
    assert b"Write something first" in empty.content


def test_interns_work_tickets_and_outsiders_cannot_see_them(client, library):
    ticket = new_ticket(library)
    intern = StaffFactory(library=library, role="intern")
    client.force_login(intern)
    client.post(f"/desk/tickets/{ticket.pk}/claim")
    ticket.refresh_from_db()
    assert ticket.assignee == intern
    outsider = StaffFactory(library=LibraryFactory(code="far"))
    client.force_login(outsider)
    assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == 404
    assert client.post(f"/desk/tickets/{ticket.pk}/close").status_code == 404
    assert b"Census question" not in client.get("/desk/tickets/").content
    client.logout()
    assert client.get("/desk/tickets/").status_code == 302


def test_the_help_desk_inbox_holds_forwarded_and_escalated_tickets(client, library):
    from chat.services.tickets import helpdesk_inbox

    waiting = new_ticket(library, subject="Plain", message_id="<a@x>")
    escalated = new_ticket(library, subject="Late one", message_id="<b@x>")
    forwarded = new_ticket(library, subject="Closed library", message_id="<c@x>")
    Ticket.objects.filter(pk=forwarded.pk).update(forwarded_to_helpdesk=True)
    Ticket.objects.filter(pk=escalated.pk).update(due_at=NOW - timedelta(days=3))
    Ticket.objects.filter(pk=waiting.pk).update(due_at=NOW + timedelta(days=3))
    sweep(NOW)
    assert set(helpdesk_inbox(Ticket.objects.all())) == {escalated, forwarded}
    client.force_login(HelpdeskFactory())
    page = client.get("/desk/tickets/?view=inbox&helpdesk=1").content.decode()
    assert "Late one" in page and "Closed library" in page and "Plain" not in page


# --- Real-world replies and the IMAP mailbox ---------------------------------------

EMAILS = Path(__file__).parent / "emails"


@pytest.mark.parametrize(
    "fixture, patron, replied_to, new_text",
    [
        (
            "gmail_reply",
            "Maria.Lopez@gmail.com",
            "ticket-123.reply-1",
            "renew it online",
        ),
        ("outlook_reply", "john.smith@example.com", "ticket-456.reply-1", "JSTOR"),
        ("apple_mail_reply", "tom.baker@icloud.com", "ticket-789.reply-1", "Friday"),
        (
            "gmail_reply_spanish",
            "lucia.fernandez@gmail.com",
            "ticket-321.reply-1",
            "sala",
        ),
    ],
)
def test_replies_from_real_mail_programs_thread_back_by_their_references(
    library, librarian, settings, fixture, patron, replied_to, new_text
):
    settings.TICKET_REPLY_ADDRESS = "help@tickets.test"  # not the fixtures' domain
    ticket = new_ticket(library, sender=patron.lower())
    reply = services.ticket_reply(ticket_id=ticket.pk, actor=librarian, body="A.")
    Message.objects.filter(pk=reply.pk).update(
        email_message_id=f"{replied_to}@ask.example.org"
    )
    inbound = receive((EMAILS / f"{fixture}.eml").read_bytes())
    assert (inbound.status, inbound.ticket) == ("appended", ticket), inbound.reason
    last = ticket.conversation.messages.filter(sender="patron").last()
    assert new_text in last.body
    assert len(last.full_text) > len(last.body)  # the quoted history is kept
    ticket.refresh_from_db()
    assert ticket.status == "claimed"


class FakeMailbox:
    """Enough of imaplib.IMAP4 for `imap_poll`: unseen mail by uid, flags."""

    def __init__(self, messages):
        self.messages, self.seen, self.logged_in = messages, set(), None
        self.capabilities = ()

    def __call__(self, host, port):
        return self

    def login(self, user, password):
        self.logged_in = (user, password)

    def select(self, folder):
        self.folder = folder

    def uid(self, command, *args):
        if command == "search":
            unseen = [u for u in self.messages if u not in self.seen]
            return "OK", [b" ".join(unseen)]
        if command == "fetch":
            return "OK", [(b"1 (UID BODY[] {n}", self.messages[args[0]]), b")"]
        if command == "store":
            self.seen.add(args[0])
            return "OK", []
        raise AssertionError(command)

    def logout(self):
        pass


def test_imap_polling_stores_each_new_mail_once_and_marks_it_seen(library, monkeypatch):
    from chat.mail import imap

    box = FakeMailbox(
        {
            b"7": email("First question.", subject="One", message_id="<m7@x>"),
            b"8": email("Second question.", subject="Two", message_id="<m8@x>"),
        }
    )
    monkeypatch.setattr(imap.imaplib, "IMAP4", box)
    assert imap.imap_poll("imap://ask%40spring:secret@imap.test/Tickets") == 2
    assert (box.logged_in, box.folder, box.seen) == (
        ("ask@spring", "secret"),
        "Tickets",
        {b"7", b"8"},
    )
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["One", "Two"]
    # A crash before the flags were stored: the same mail is read again.
    box.seen.clear()
    assert imap.imap_poll("imap://ask:secret@imap.test/") == 2
    assert Ticket.objects.count() == 2
    assert InboundEmail.objects.filter(status="duplicate").count() == 2


def test_the_desk_shows_the_inbox_counts(client, library, librarian):
    mine, _other = (
        new_ticket(library, message_id="<a@x>"),
        new_ticket(library, subject="Other", message_id="<b@x>"),
    )
    services.ticket_claim(ticket_id=mine.pk, actor=librarian)
    Ticket.objects.filter(pk=mine.pk).update(due_at=NOW - timedelta(hours=1))
    client.force_login(librarian)
    assert client.get("/desk/api/tickets/summary").json() == {
        "unclaimed": 1,
        "mine": 1,
        "overdue": 1,
    }
    page = client.get("/desk/").content.decode()
    assert "1 unclaimed, 1 claimed by you" in page and "1 overdue" in page
    client.logout()
    assert client.get("/desk/api/tickets/summary").status_code == 302


def test_staff_convert_an_sms_conversation_into_an_email_ticket(
    client, library, librarian
):
    from chat.models import Conversation

    sms = Conversation.objects.create(
        channel="sms",
        status="active",
        librarian=librarian,
        library=library,
        queue=library.queues.first(),
        question="Can you text me the hours for the holidays?",
    )
    client.force_login(librarian)
    bad = client.post(f"/desk/conversations/{sms.pk}/to-ticket", {"email": "nope"})
    assert b"Enter a valid email address" in bad.content
    assert not Ticket.objects.exists()
    client.post(f"/desk/conversations/{sms.pk}/to-ticket", {"email": PATRON})
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.assignee, ticket.email) == ("sms", librarian, PATRON)
    assert ticket.due_at - ticket.created_at == timedelta(hours=12)  # SMS SLA
    with pytest.raises(DomainError, match="already a ticket"):
        services.ticket_from_sms(conversation_id=sms.pk, actor=librarian, email=PATRON)
    chat = new_ticket(library).conversation
    with pytest.raises(DomainError, match="Only SMS"):
        services.ticket_from_sms(conversation_id=chat.pk, actor=librarian, email=PATRON)
    outsider = StaffFactory(library=LibraryFactory(code="far"))
    other_sms = Conversation.objects.create(
        channel="sms", library=library, queue=sms.queue, question="q"
    )
    with pytest.raises(DomainError, match="another library"):
        services.ticket_from_sms(
            conversation_id=other_sms.pk, actor=outsider, email=PATRON
        )


def test_replies_use_the_library_s_greeting_and_signature(library, librarian):
    from chat.mail.outbound import ticket_reply_email

    ticket = new_ticket(library)
    reply = services.ticket_reply(ticket_id=ticket.pk, actor=librarian, body="Yes.")
    library.ticket_greeting = "Dear {name}:"
    library.ticket_signature = "Springfield Reference Team\n555-0100"
    library.save()
    body = ticket_reply_email(Message.objects.get(pk=reply.pk)).body
    assert body.startswith("Dear Pat Reader:") and "555-0100" in body
    library.ticket_greeting = ""
    library.save()
    body = ticket_reply_email(Message.objects.get(pk=reply.pk)).body
    assert body.startswith("Hello Pat Reader,")


def test_what_a_dead_worker_left_undone_is_done_later(library, monkeypatch):
    ticket = new_ticket(library)
    now = timezone.now()
    stale = TicketReminder.objects.create(
        ticket=ticket,
        stage="overdue",
        due_at=ticket.due_at,
        created_at=now - timedelta(minutes=11),
    )
    TicketReminder.objects.create(
        ticket=ticket, stage="escalated", due_at=ticket.due_at, created_at=now
    )
    left = InboundEmail.objects.create(
        via="webhook", raw=b"x", size=1, received_at=now - timedelta(minutes=11)
    )
    InboundEmail.objects.create(via="webhook", raw=b"y", size=1, received_at=now)
    queued, processed = [], []
    monkeypatch.setattr(tasks.send_ticket_reminder, "delay", queued.append)
    monkeypatch.setattr(tasks.inbound_email_process, "delay", processed.append)
    tasks.tickets_sla_sweep()
    assert (queued, processed) == ([stale.pk], [left.pk])
