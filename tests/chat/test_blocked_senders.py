"""The sender blocklist (issue 16): automatic mail with no automatic sign
opens a ticket once; blocked from that ticket (or in the admin), its
sender's later mail is kept, settled `blocked`, and opens, reopens or adds
to nothing. The help desk blocks for any library or all of them, a
coordinator for their own library only."""

from email.message import EmailMessage

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chat import services
from chat.models import BlockedSender, InboundEmail, Ticket, normalised_sender_pattern
from chat.services import blocklist
from chat.services import tickets as ticket_services
from consortium.services import DomainError
from tests.chat.conftest import NOW, open_all_week
from tests.consortium.factories import (
    CoordinatorFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)
from tests.consortium.test_csp import assert_strict

pytestmark = pytest.mark.django_db

A = "ask@alib.example.org"
B = "ask@blib.example.org"
HOTEL = "bookings@easyhotel.com"


@pytest.fixture
def library_a(library_a):
    library_a.ticket_email = A
    library_a.save()
    open_all_week(QueueFactory(library=library_a))
    return library_a


@pytest.fixture
def library_b(library_b):
    library_b.ticket_email = B
    library_b.save()
    open_all_week(QueueFactory(library=library_b))
    return library_b


_ids = iter(range(1, 10**6))


def mail(sender=HOTEL, to=A, subject="Your booking is confirmed", **headers):
    msg = EmailMessage()
    msg["From"] = f"Sender <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<m{next(_ids)}@example.net>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Booking reference 4711: arrival 12 March, 2 nights.")
    return msg.as_bytes()


def receive(raw) -> InboundEmail:
    return services.inbound_email_receive(raw=raw, via="pipe", now=NOW)


def block(actor, pattern, library, reason=""):
    return blocklist.sender_block(
        actor=actor, pattern=pattern, library=library, reason=reason, now=NOW
    )


# --- Patterns ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Bookings@EasyHotel.com", "bookings@easyhotel.com"),
        ("  bookings@easyhotel.com ", "bookings@easyhotel.com"),
        ("EasyHotel.com", "@easyhotel.com"),
        ("@EasyHotel.COM", "@easyhotel.com"),
        ("mail.regione.vda.it", "@mail.regione.vda.it"),
        ("@bücherei.de", "@bücherei.de"),
    ],
)
def test_a_pattern_is_stored_lower_case_as_an_address_or_an_at_domain(typed, stored):
    assert normalised_sender_pattern(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "@",
        "bookings@",
        "easyhotel",  # no dot: not a domain
        "@localhost",
        "bookings @easyhotel.com",
        "easy hotel.com",
        "two@@easyhotel.com",
        "a@b.com, c@d.com",
        "<bookings@easyhotel.com>",
        "-easyhotel.com",
        "@easyhotel.c",
    ],
)
def test_anything_but_an_address_or_a_domain_is_refused_with_a_clear_message(typed):
    with pytest.raises(ValidationError) as refused:
        normalised_sender_pattern(typed)
    (message,) = refused.value.messages
    assert "address" in message or "domain" in message


def test_the_model_normalises_on_validation_and_keeps_one_block_per_library(
    library_a,
):
    row = BlockedSender(pattern="EasyHotel.com", library=library_a)
    row.full_clean()
    row.save()
    assert row.pattern == "@easyhotel.com"
    with pytest.raises(ValidationError, match="already blocked for this library"):
        BlockedSender(pattern="@EASYHOTEL.com", library=library_a).full_clean()
    BlockedSender.objects.create(pattern="@easyhotel.com", library=None)
    with pytest.raises(ValidationError, match="already blocked for every library"):
        BlockedSender(pattern="easyhotel.com", library=None).full_clean()


# --- Intake -------------------------------------------------------------------------


def test_an_address_block_ignores_the_senders_mail_whatever_its_case(
    helpdesk, library_a
):
    block(helpdesk, "Bookings@EasyHotel.com", library_a, reason="Confirmations")

    inbound = receive(mail(sender="BOOKINGS@easyHOTEL.com"))

    assert inbound.status == InboundEmail.Status.BLOCKED
    assert inbound.reason == ("Sender blocked: bookings@easyhotel.com (Confirmations)")
    assert inbound.ticket is None
    assert not Ticket.objects.exists()
    assert receive(mail(sender="reservations@easyhotel.com")).status == "created"


def test_a_domain_block_ignores_everyone_at_the_domain_but_not_its_subdomains(
    helpdesk, library_a
):
    """Deliberate: `@easyhotel.com` is that domain only. A subdomain is
    blocked on its own (`@mail.easyhotel.com`); so intake's lookup stays two
    exact keys of one index, and blocking a university's domain can never
    silently take in its departments' mail."""
    block(helpdesk, "EasyHotel.com", library_a)

    assert receive(mail(sender="Bookings@EASYHOTEL.COM")).status == "blocked"
    assert receive(mail(sender="anyone@easyhotel.com")).status == "blocked"
    assert receive(mail(sender="news@mail.easyhotel.com")).status == "created"
    assert receive(mail(sender="me@noteasyhotel.com")).status == "created"


def test_a_consortium_wide_block_ignores_the_sender_at_every_library(
    helpdesk, library_a, library_b
):
    block(helpdesk, "@qq.com", None, reason="Account alerts")

    assert receive(mail(sender="10000@qq.com", to=A)).status == "blocked"
    assert receive(mail(sender="10000@qq.com", to=B)).status == "blocked"
    assert not Ticket.objects.exists()


def test_a_block_for_library_a_does_not_touch_mail_to_library_b(
    helpdesk, library_a, library_b
):
    block(helpdesk, HOTEL, library_a)

    to_b = receive(mail(to=B))

    assert to_b.status == InboundEmail.Status.CREATED
    assert to_b.ticket.library == library_b
    assert receive(mail(to=A)).status == InboundEmail.Status.BLOCKED


def test_a_blocked_patrons_reply_onto_their_open_ticket_is_kept_and_adds_nothing(
    helpdesk, library_a
):
    ticket = receive(mail(sender="pat@example.net")).ticket
    before = ticket.conversation.messages.count()
    block(helpdesk, "pat@example.net", library_a)

    reply = receive(
        mail(
            sender="pat@example.net",
            to=ticket_services.reply_address(ticket),
            subject="Re: Your booking",
        )
    )

    assert reply.status == InboundEmail.Status.BLOCKED
    assert reply.ticket == ticket
    assert ticket.conversation.messages.count() == before
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_a_blocked_senders_reply_does_not_reopen_the_closed_ticket(helpdesk, library_a):
    """The ticket's library decides, even when the mail was sent to another
    library's address as well."""
    ticket = receive(mail()).ticket
    blocklist.ticket_block_sender(ticket_id=ticket.pk, actor=helpdesk, now=NOW)

    reply = receive(mail(to=f"{ticket_services.reply_address(ticket)}, {B}"))

    assert reply.status == InboundEmail.Status.BLOCKED
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_every_ignored_mail_counts_on_its_block(helpdesk, library_a):
    row = block(helpdesk, "@easyhotel.com", library_a)
    for _ in range(3):
        receive(mail())
    receive(mail(sender="pat@example.net"))

    row.refresh_from_db()
    assert row.matched_count == 3
    assert row.last_matched_at == NOW


def test_an_unblocked_senders_next_mail_opens_a_ticket_again(helpdesk, library_a):
    row = block(helpdesk, HOTEL, library_a)
    assert receive(mail()).status == "blocked"

    blocklist.sender_unblock(actor=helpdesk, block_id=row.pk)

    assert receive(mail()).status == "created"


def test_a_blocked_email_is_processed_again_once_its_sender_is_unblocked(
    helpdesk, library_a
):
    row = block(helpdesk, HOTEL, library_a)
    inbound = receive(mail())
    assert inbound.status == InboundEmail.Status.BLOCKED
    blocklist.sender_unblock(actor=helpdesk, block_id=row.pk)

    again = services.inbound_email_retry(inbound_id=inbound.pk, actor=helpdesk)

    assert again.status == InboundEmail.Status.CREATED
    assert again.ticket.email == HOTEL


def test_the_most_specific_block_is_named_when_several_match(helpdesk, library_a):
    block(helpdesk, "@easyhotel.com", None, reason="Everywhere")
    block(helpdesk, HOTEL, library_a, reason="Here")

    assert receive(mail()).reason == f"Sender blocked: {HOTEL} (Here)"


def _queries(raw) -> int:
    with CaptureQueriesContext(connection) as queries:
        receive(raw)
    return len(queries)


@pytest.mark.parametrize(
    "extra_headers",
    [{}, {"Auto_Submitted": "auto-replied"}],
    ids=["new question", "automatic reply"],
)
def test_the_blocklist_costs_one_query_per_email_however_long_it_is(
    helpdesk, library_a, library_b, monkeypatch, extra_headers
):
    def counted(sender):
        return _queries(mail(sender=sender, **extra_headers))

    counted("warm.up@example.net")  # settings and calendars read once
    block(helpdesk, "someone@elsewhere.example", library_a)
    one = counted("first@example.net")
    for n in range(199):
        BlockedSender.objects.create(
            pattern=f"sender{n}@example{n % 7}.org", library=library_b
        )
        BlockedSender.objects.create(pattern=f"@spam{n}.example", library=None)
    many = counted("second@example.net")
    monkeypatch.setattr(ticket_services, "_sender_block", lambda parsed, ticket: None)
    without = counted("third@example.net")

    assert BlockedSender.objects.count() == 399
    assert one == many == without + 1


# --- Who may block --------------------------------------------------------------------


def test_a_coordinator_blocks_for_their_own_library_only(
    coordinator_a, library_a, library_b
):
    mine = block(coordinator_a, HOTEL, library_a)
    assert (mine.library, mine.created_by) == (library_a, coordinator_a)

    with pytest.raises(DomainError, match="your own library only"):
        block(coordinator_a, HOTEL, library_b)
    with pytest.raises(DomainError, match="Only the help desk"):
        block(coordinator_a, "@easyhotel.com", None)


def test_a_coordinator_cannot_unblock_another_librarys_or_a_consortium_block(
    coordinator_a, helpdesk, library_b
):
    theirs = block(helpdesk, HOTEL, library_b)
    everywhere = block(helpdesk, "@qq.com", None)
    for row in (theirs, everywhere):
        with pytest.raises(DomainError):
            blocklist.sender_unblock(actor=coordinator_a, block_id=row.pk)
    assert BlockedSender.objects.count() == 2


def test_a_librarian_cannot_block_anyone(library_a):
    librarian = StaffFactory(library=library_a)
    with pytest.raises(DomainError, match="coordinator of the library or the help"):
        block(librarian, HOTEL, library_a)
    ticket = receive(mail()).ticket
    with pytest.raises(DomainError):
        blocklist.ticket_block_sender(ticket_id=ticket.pk, actor=librarian)
    assert not BlockedSender.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


def test_the_help_desk_blocks_for_any_library_and_for_every_library(
    helpdesk, library_a, library_b
):
    assert block(helpdesk, HOTEL, library_b).library == library_b
    assert block(helpdesk, HOTEL, None).library is None


def test_a_sender_blocked_already_is_refused_saying_where(helpdesk, library_a):
    block(helpdesk, "@easyhotel.com", None)
    with pytest.raises(DomainError, match="already blocked for every library"):
        block(helpdesk, "EasyHotel.com", library_a)


@pytest.mark.parametrize(
    "pattern",
    ["@tickets.localhost", "tickets.localhost", "ask+t1.abc@tickets.localhost"],
)
def test_the_services_own_reply_domain_cannot_be_blocked(helpdesk, pattern):
    with pytest.raises(DomainError, match="own reply domain"):
        block(helpdesk, pattern, None)


@pytest.mark.parametrize("pattern", ["alib.example.org", A, "ASK@alib.example.org"])
def test_a_librarys_ticket_address_and_its_domain_cannot_be_blocked(
    helpdesk, library_a, library_b, pattern
):
    with pytest.raises(DomainError, match="Library A's ticket address"):
        block(helpdesk, pattern, library_b)
    # One person at that domain can be.
    assert block(helpdesk, "student@alib.example.org", library_a)


def test_a_bad_pattern_is_refused_by_the_service_with_the_same_message(helpdesk):
    with pytest.raises(DomainError, match="not a domain name"):
        block(helpdesk, "easyhotel", None)


def test_blocking_and_unblocking_are_in_the_audit_trail(coordinator_a, library_a):
    row = block(coordinator_a, HOTEL, library_a, reason="Confirmations")
    created = LogEntry.objects.get_for_object(row).get()
    assert created.actor == coordinator_a
    assert created.action == LogEntry.Action.CREATE
    assert created.additional_data == {"library_id": library_a.pk}

    blocklist.sender_unblock(actor=coordinator_a, block_id=row.pk)

    deleted = LogEntry.objects.filter(
        object_pk=str(row.pk), action=LogEntry.Action.DELETE
    ).get()
    assert deleted.actor == coordinator_a


# --- From the ticket ---------------------------------------------------------------------


def test_blocking_from_the_ticket_closes_it_and_ignores_the_senders_later_mail(
    coordinator_a, library_a
):
    ticket = receive(mail()).ticket

    row = blocklist.ticket_block_sender(
        ticket_id=ticket.pk, actor=coordinator_a, now=NOW
    )

    assert (row.pattern, row.library, row.created_by) == (
        HOTEL,
        library_a,
        coordinator_a,
    )
    assert row.reason == f"Blocked from ticket #{ticket.conversation_id}"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    notes = list(
        ticket.conversation.messages.filter(sender="note").values_list(
            "body", flat=True
        )
    )
    who = coordinator_a.chat_name
    assert notes == [
        f"{who} blocked {HOTEL} for Library A: mail from it is ignored from now "
        "on (unblock it in the admin's blocked senders list).",
        f"Closed by {who}.",
    ]
    later = receive(mail())
    assert later.status == InboundEmail.Status.BLOCKED
    assert Ticket.objects.count() == 1


def test_blocking_the_domain_from_the_ticket_covers_everyone_there(helpdesk, library_a):
    ticket = receive(mail()).ticket
    row = blocklist.ticket_block_sender(
        ticket_id=ticket.pk, actor=helpdesk, scope="domain"
    )
    assert row.pattern == "@easyhotel.com"
    assert receive(mail(sender="offers@easyhotel.com")).status == "blocked"


def test_blocking_from_a_second_ticket_of_a_blocked_sender_keeps_the_one_block(
    helpdesk, library_a
):
    first = receive(mail()).ticket
    second = receive(mail()).ticket
    existing = blocklist.ticket_block_sender(ticket_id=first.pk, actor=helpdesk)

    again = blocklist.ticket_block_sender(ticket_id=second.pk, actor=helpdesk)

    assert again == existing
    second.refresh_from_db()
    assert second.status == Ticket.Status.CLOSED


def test_blocking_from_a_ticket_of_the_own_reply_domain_is_refused_and_changes_nothing(
    helpdesk, library_a
):
    ticket = receive(mail()).ticket
    Ticket.objects.filter(pk=ticket.pk).update(email="someone@tickets.localhost")
    with pytest.raises(DomainError, match="own reply domain"):
        blocklist.ticket_block_sender(
            ticket_id=ticket.pk, actor=helpdesk, scope="domain"
        )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN


# --- Pages ------------------------------------------------------------------------------


def test_the_ticket_page_offers_close_and_block_to_its_coordinators_and_the_help_desk(
    client, coordinator_a, helpdesk, library_a
):
    ticket = receive(mail()).ticket
    url = reverse("desk-ticket", args=[ticket.pk])
    for staff in (coordinator_a, helpdesk):
        client.force_login(staff)
        response = client.get(url)
        assert_strict(response)
        page = response.content.decode()
        assert "Close and block sender" in page
        assert "everyone at @easyhotel.com" in page
    for staff in (
        StaffFactory(library=library_a),
        CoordinatorFactory(library=LibraryFactory(code="other")),
    ):
        ticket.assignee = staff  # a claimant from elsewhere may work it
        ticket.status = Ticket.Status.CLAIMED
        ticket.save()
        client.force_login(staff)
        page = client.get(url).content.decode()
        assert "Close and block sender" not in page


def test_the_block_form_needs_the_confirmation_box_then_closes_and_blocks(
    client, coordinator_a, library_a
):
    ticket = receive(mail()).ticket
    client.force_login(coordinator_a)
    url = reverse("desk-ticket-action", args=[ticket.pk, "block"])

    client.post(url, {"scope": "domain"})
    assert not BlockedSender.objects.exists()

    response = client.post(url, {"scope": "domain", "confirm": "on"}, follow=True)

    assert "mail from @easyhotel.com is ignored from now on" in (
        response.content.decode()
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert BlockedSender.objects.get().pattern == "@easyhotel.com"
    page = client.get(reverse("desk-ticket", args=[ticket.pk])).content.decode()
    assert "Mail from @easyhotel.com is already blocked for Library A." in page


def test_the_blocked_senders_admin_scopes_coordinators(
    client, coordinator_a, helpdesk, library_a, library_b
):
    ours = block(helpdesk, "ours@example.net", library_a)
    theirs = block(helpdesk, "theirs@example.net", library_b)
    everywhere = block(helpdesk, "@qq.com", None)
    client.force_login(coordinator_a)

    page = client.get("/admin/chat/blockedsender/").content.decode()

    assert "ours@example.net" in page and "@qq.com" in page
    assert "theirs@example.net" not in page
    change = "/admin/chat/blockedsender/{}/change/"
    assert client.get(change.format(theirs.pk)).status_code == 404
    assert client.get(change.format(ours.pk)).status_code == 200
    shared = client.get(change.format(everywhere.pk)).content.decode()
    assert 'name="reason"' not in shared  # consortium-wide: read-only
    assert client.get("/admin/chat/blockedsender/add/").status_code == 200

    client.force_login(helpdesk)
    page = client.get("/admin/chat/blockedsender/").content.decode()
    assert "theirs@example.net" in page
    assert client.get("/admin/chat/blockedsender/add/").status_code == 200


def test_the_admin_blocks_and_unblocks_through_the_services(
    client, coordinator_a, library_a, library_b
):
    client.force_login(coordinator_a)
    response = client.post(
        "/admin/chat/blockedsender/add/",
        {"pattern": "Bookings@EasyHotel.com", "library": library_a.pk, "reason": "x"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    row = BlockedSender.objects.get()
    assert (row.pattern, row.created_by) == (HOTEL, coordinator_a)
    assert LogEntry.objects.get_for_object(row).get().actor == coordinator_a

    refused = client.post(
        "/admin/chat/blockedsender/add/",
        {"pattern": "alib.example.org", "library": library_a.pk},
    )
    assert "Library A&#x27;s ticket address&#x27;s domain" in refused.content.decode()
    other = client.post(
        "/admin/chat/blockedsender/add/",
        {"pattern": "x@example.net", "library": library_b.pk},
    )
    assert other.status_code == 200
    assert BlockedSender.objects.count() == 1

    client.post(f"/admin/chat/blockedsender/{row.pk}/delete/", {"post": "yes"})
    assert not BlockedSender.objects.exists()


def test_the_emails_admin_blocks_the_senders_of_the_selected_emails(
    client, coordinator_a, helpdesk, library_a
):
    opened = receive(mail())
    other = receive(mail(sender="10000@qq.com"))
    unaddressed = receive(mail(sender="meteo@regione.vda.it", to="x@example.net"))
    client.force_login(coordinator_a)

    client.post(
        "/admin/chat/inboundemail/",
        {"action": "block_senders", "_selected_action": [opened.pk, other.pk]},
    )

    assert sorted(BlockedSender.objects.values_list("pattern", "library")) == [
        ("10000@qq.com", library_a.pk),
        (HOTEL, library_a.pk),
    ]
    client.force_login(helpdesk)
    response = client.post(
        "/admin/chat/inboundemail/",
        {"action": "block_senders", "_selected_action": [unaddressed.pk]},
        follow=True,
    )
    assert "not sent to a library" in response.content.decode()
    blocked = client.get("/admin/chat/inboundemail/?status__exact=blocked")
    assert blocked.status_code == 200
    assert (
        "Sender blocked (ignored)"
        in client.get("/admin/chat/inboundemail/").content.decode()
    )
