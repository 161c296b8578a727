"""Email intake that survives real mail: several files per message, and an
email whose processing fails is marked failed once, with its reason, and can
be processed again from the admin; it is never retried in a loop."""

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from chat import services, tasks
from chat.events import message_payload
from chat.models import Attachment, Conversation, InboundEmail, Ticket
from chat.services import tickets as ticket_services
from tests.chat.conftest import open_all_week
from tests.consortium.factories import (
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db
EMAILS = Path(__file__).parent / "emails"
PATRON = "priya.n@example.com"


@pytest.fixture
def library():
    library = LibraryFactory(code="spring", ticket_email="ask@spring.example.org")
    open_all_week(QueueFactory(library=library))
    return library


def sample_files() -> list[tuple[str, bytes, str]]:
    """The PDF and the PNG of a real client's mail (tests/chat/emails)."""
    original = message_from_bytes(
        (EMAILS / "attachments_pdf_png.eml").read_bytes(), policy=policy.default
    )
    return [
        (part.get_filename(), part.get_content(), part.get_content_type())
        for part in original.iter_attachments()
    ]


def email_with_files(files, *, subject="Overdue notice", message_id="<f1@ex.com>"):
    msg = EmailMessage()
    msg["From"] = f"Priya Natarajan <{PATRON}>"
    msg["To"] = "ask@spring.example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content("Here are the notice and a screenshot of my account.")
    for name, data, content_type in files:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def receive(raw):
    return services.inbound_email_receive(raw=raw, via="pipe")


def test_an_email_with_several_files_keeps_them_all_in_order(library):
    files = sample_files()
    assert len(files) == 2

    inbound = receive(email_with_files(files))

    assert inbound.status == InboundEmail.Status.CREATED, inbound.reason
    message = inbound.ticket.conversation.messages.get(sender="patron")
    stored = list(message.attachments.all())
    assert [a.name for a in stored] == [name for name, _data, _type in files]
    assert [a.content_type for a in stored] == ["application/pdf", "image/png"]
    assert [a.file.read() for a in stored] == [data for _n, data, _t in files]
    payload = message_payload(message, for_patron=False)
    assert [a["name"] for a in payload["attachments"]] == [f[0] for f in files]
    assert payload["attachment"] == payload["attachments"][0]


def test_the_ticket_page_and_the_api_show_every_file(client, library):
    files = sample_files()
    ticket = receive(email_with_files(files)).ticket
    librarian = StaffFactory(library=library)
    client.force_login(librarian)

    page = client.get(reverse("desk-ticket", args=[ticket.pk])).content.decode()
    for attachment in Attachment.objects.filter(conversation=ticket.conversation):
        assert attachment.name in page
        assert reverse("desk-ticket-file", args=[ticket.pk, attachment.pk]) in page

    client.force_login(HelpdeskFactory())
    thread = client.get(
        f"/api/v1/conversations/{ticket.conversation_id}/transcript/"
    ).json()
    patron = next(m for m in thread["messages"] if m["sender"] == "patron")
    assert [a["name"] for a in patron["attachments"]] == [f[0] for f in files]


def test_a_chat_message_from_before_keeps_its_single_file(library):
    """Existing one-file rows read the same after the migration."""
    files = sample_files()[:1]
    message = receive(email_with_files(files)).ticket.conversation.messages.get(
        sender="patron"
    )
    payload = message_payload(message, for_patron=True)
    assert len(payload["attachments"]) == 1
    assert payload["attachment"]["name"] == files[0][0]


def broken_processing(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("storage is full")

    monkeypatch.setattr(ticket_services, "_ticket_from_email", fail)


def test_an_email_that_fails_is_marked_failed_once_and_nothing_half_stored(
    library, monkeypatch
):
    broken_processing(monkeypatch)

    inbound = receive(email_with_files(sample_files()))

    inbound.refresh_from_db()
    assert inbound.status == InboundEmail.Status.FAILED
    assert inbound.reason == "Processing failed (RuntimeError: storage is full)"
    assert inbound.processed_at is not None
    assert inbound.attempts == 1
    assert bytes(inbound.raw).startswith(b"From: Priya")  # kept as it came
    assert not Ticket.objects.exists()
    assert not Conversation.objects.exists()

    queued = []
    monkeypatch.setattr(tasks.inbound_email_process, "delay", queued.append)
    InboundEmail.objects.update(received_at=timezone.now() - timedelta(hours=1))
    tasks.tickets_sla_sweep()
    assert queued == []  # not retried in a loop
    assert services.inbound_email_process(inbound_id=inbound.pk).attempts == 1


def test_a_library_without_a_service_is_a_failure_in_plain_words(library):
    library.queues.all().delete()

    inbound = receive(email_with_files([]))

    assert inbound.status == InboundEmail.Status.FAILED
    assert inbound.reason == f"{library.name} has no question service."


def test_a_try_the_worker_never_finished_counts_and_ends_failed(library):
    inbound = InboundEmail.objects.create(
        via="pipe",
        raw=email_with_files([]),
        size=1,
        attempts=ticket_services.MAX_PROCESSING_ATTEMPTS,
    )

    inbound = services.inbound_email_process(inbound_id=inbound.pk)

    assert inbound.status == InboundEmail.Status.FAILED
    assert "interrupted 3 times" in inbound.reason
    assert not Ticket.objects.exists()


def test_the_help_desk_processes_a_failed_email_again_from_the_admin(
    client, library, monkeypatch
):
    broken_processing(monkeypatch)
    inbound = receive(email_with_files(sample_files()))
    assert inbound.status == InboundEmail.Status.FAILED
    monkeypatch.undo()  # the fix is deployed

    client.force_login(HelpdeskFactory())
    changelist = reverse("admin:chat_inboundemail_changelist")
    listed = client.get(changelist, {"status__exact": "failed"})
    assert "Processing failed" in listed.content.decode()
    client.post(
        changelist,
        {"action": "process_again", "_selected_action": [inbound.pk]},
    )

    inbound.refresh_from_db()
    assert inbound.status == InboundEmail.Status.CREATED, inbound.reason
    assert inbound.ticket.conversation.attachments.count() == 2


def test_only_quarantined_failed_or_blocked_emails_are_processed_again(library):
    created = receive(email_with_files([]))
    with pytest.raises(services.DomainError, match="quarantined, failed or blocked"):
        services.inbound_email_retry(inbound_id=created.pk, actor=HelpdeskFactory())


# --- Classification and senders ------------------------------------------------------


def raw_mail(headers: dict, body: str = "Hello.", content_type="text/plain") -> bytes:
    lines = {
        "From": "Pat <pat@example.net>",
        "To": "ask@spring.example.org",
        "Subject": "A question",
        "Message-ID": "<c1@example.net>",
        "MIME-Version": "1.0",
        "Content-Type": content_type,
        **headers,
    }
    head = "".join(f"{k}: {v}\n" for k, v in lines.items() if v is not None)
    return f"{head}\n{body}\n".encode()


def report(report_type: str, part_type: str) -> bytes:
    return raw_mail(
        {"Content-Type": 'multipart/mixed; boundary="b"', "Subject": "Report"},
        body=(
            "--b\nContent-Type: text/plain\n\nA report.\n"
            f"--b\nContent-Type: {part_type}\n\nReporting-MTA: dns; mx.example.net\n"
            "--b--"
        ),
    )


@pytest.mark.parametrize(
    ("part_type", "kind", "why"),
    [
        ("message/delivery-status", "bounce", "RFC 3464"),
        ("message/global-delivery-status", "bounce", "RFC 3464"),
        ("message/feedback-report", "auto_reply", "ARF"),
        ("message/disposition-notification", "auto_reply", "read receipt"),
    ],
)
def test_standard_reports_are_recognised_inside_any_multipart(part_type, kind, why):
    from chat.mail.inbound import parse_email

    parsed = parse_email(report("", part_type))

    assert parsed.kind == kind
    assert why in parsed.kind_reason


QMAIL_BOUNCE = """Hi. This is the qmail-send program at mx.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<no.such.patron@example.org>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.
"""


def test_a_bounce_without_a_standard_report_is_recognised_by_flufl_bounce():
    from chat.mail.inbound import parse_email

    parsed = parse_email(
        raw_mail(
            {"From": "MAILER-DAEMON@mx.example.net", "Subject": "failure notice"},
            body=QMAIL_BOUNCE,
        )
    )

    assert parsed.kind == "bounce"
    assert "flufl.bounce" in parsed.kind_reason


def test_a_person_quoting_a_bounce_is_still_a_person():
    from chat.mail.inbound import parse_email

    parsed = parse_email(
        raw_mail({"Subject": "Why did my mail come back?"}, body=QMAIL_BOUNCE)
    )

    assert parsed.kind == "message"


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated"}, "Auto-Submitted: auto-generated"),
        ({"X-Autoresponder": "yes"}, "X-Autoresponder"),
        ({"X-AutoReply-From": "pat@example.net"}, "X-AutoReply-From"),
        ({"Return-Path": "<>"}, "null return path"),
        ({"From": "Mail Delivery Subsystem <x@mx.example.net>"}, "mail server"),
        ({"Subject": "AUTO: Smith, John is out of the office"}, "by its subject"),
        ({"Subject": "Automatische Antwort: Ihre Frage"}, "by its subject"),
    ],
)
def test_automatic_mail_says_which_rule_matched(headers, why, library):
    inbound = receive(raw_mail(headers))

    assert inbound.status == InboundEmail.Status.AUTO_REPLY
    assert why in inbound.reason
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("from_header", "extra", "address"),
    [
        ("=?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <Jose@Example.es>", {}, "jose@example.es"),
        ("=?utf-8?q?Doe=2C_John?= <john@example.com>", {}, "john@example.com"),
        ("Friends: alice@example.com, bob@example.com;", {}, "alice@example.com"),
        ("JOHN@EXAMPLE.COM", {}, "john@example.com"),
        ("John Doe <john@example.com", {}, "john@example.com"),
        (
            "undisclosed-recipients:;",
            {"Reply-To": "pat@example.net"},
            "pat@example.net",
        ),
    ],
)
def test_unusual_from_headers_still_give_an_address_to_answer(
    from_header, extra, address, library
):
    inbound = receive(raw_mail({"From": from_header, **extra}))

    assert inbound.status == InboundEmail.Status.CREATED, inbound.reason
    assert inbound.ticket.email == address


def test_a_reply_with_several_files_emails_them_all(library):
    from chat.mail.outbound import ticket_reply_email

    ticket = receive(email_with_files([])).ticket
    librarian = StaffFactory(library=library)
    files = [(name, data) for name, data, _type in sample_files()]

    message = services.ticket_reply(
        ticket_id=ticket.pk, actor=librarian, body="Both attached.", files=files
    )

    mail = ticket_reply_email(message)
    assert [name for name, _content, _type in mail.attachments] == [
        name for name, _data in files
    ]


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"List-Id": "<news.example.net>"}, "List-Id"),
        ({"Feedback-ID": "123:campaign:esp"}, "Feedback-ID"),
        ({"Sender": "bookclub-request@lists.example.net"}, "mailing list's own"),
        ({"X-Spam-Flag": "YES"}, "spam"),
        ({"X-Mandrill-User": "md_1"}, "X-Mandrill-User"),
        ({"Return-Path": "<bounce-md_3.55a@mandrill.example.com>"}, "return path"),
        ({"From": "Library <no-reply@library.example.org>"}, "no-reply address"),
        ({"Subject": "complaint about message from 192.0.2.222"}, "abuse report"),
        ({"Subject": "Returned mail: see transcript"}, "delivery failed"),
    ],
)
def test_signs_a_person_s_mail_can_carry_too_quarantine_it_with_the_reason(
    headers, why, library
):
    inbound = receive(raw_mail(headers))

    assert inbound.status == InboundEmail.Status.QUARANTINED
    assert why in inbound.reason and inbound.reason.startswith("Not opened")
    assert not Ticket.objects.exists()


def test_a_quarantined_patron_email_is_opened_as_a_ticket_by_hand(library):
    inbound = receive(raw_mail({"Precedence": "bulk"}))
    helpdesk = HelpdeskFactory()

    accepted = services.inbound_email_accept(inbound_id=inbound.pk, actor=helpdesk)

    assert accepted.status == InboundEmail.Status.CREATED
    assert accepted.ticket.library == library
    assert accepted.ticket.email == "pat@example.net"
    with pytest.raises(services.DomainError, match="Only a quarantined email"):
        services.inbound_email_accept(inbound_id=inbound.pk, actor=helpdesk)


def test_nul_characters_are_dropped_so_any_database_keeps_the_mail(library):
    """PostgreSQL text columns refuse NUL; mail from old clients has them."""
    inbound = receive(raw_mail({"Subject": "Hours\x00?"}, body="Open\x00 on Sunday?"))

    assert inbound.status == InboundEmail.Status.CREATED, inbound.reason
    assert inbound.subject == "Hours?"
    assert "\x00" not in inbound.ticket.conversation.question
    assert "Open on Sunday?" in inbound.ticket.conversation.question
