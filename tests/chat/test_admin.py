"""The chat admin: conversations read-only and scoped like the rest of the
admin (SPEC C8), patron text inert, canned messages validated."""

import pytest

from chat.models import Conversation
from knowledgebase.models import CannedMessage
from tests.consortium.factories import QueueFactory

pytestmark = pytest.mark.django_db


def conversation(library, question):
    return Conversation.objects.create(
        library=library,
        queue=QueueFactory(library=library),
        question=question,
        status="missed",
    )


def test_coordinators_see_only_their_librarys_conversations(
    client, coordinator_a, library_a, library_b
):
    ours = conversation(library_a, "Our question")
    theirs = conversation(library_b, "Their question")
    client.force_login(coordinator_a)
    page = client.get("/admin/chat/conversation/").content.decode()
    assert "Our question" in page and "Their question" not in page
    assert client.get(f"/admin/chat/conversation/{theirs.pk}/change/").status_code in (
        302,
        404,
    )
    assert client.get(f"/admin/chat/conversation/{ours.pk}/change/").status_code == 200


def test_patron_text_is_inert_in_the_admin(client, helpdesk, library_a):
    chat = conversation(library_a, "<script>alert('x')</script>")
    client.force_login(helpdesk)
    for url in (
        "/admin/chat/conversation/",
        f"/admin/chat/conversation/{chat.pk}/change/",
    ):
        page = client.get(url).content.decode()
        assert "<script>alert('x')</script>" not in page
        assert "&lt;script&gt;" in page


def test_a_canned_message_with_an_unknown_placeholder_is_refused_in_the_admin(
    client, coordinator_a, library_a
):
    client.force_login(coordinator_a)
    response = client.post(
        "/admin/knowledgebase/cannedmessage/add/",
        {
            "library": library_a.pk,
            "group": "closing",
            "key": "bye",
            "title": "Bye",
            "body": "Bye {patron}",
            "position": 0,
        },
    )
    assert response.status_code == 200
    assert "Unknown placeholder {patron}" in response.content.decode()
    assert not CannedMessage.objects.filter(key="bye").exists()


def ticket(library, subject):
    from chat.models import Ticket

    return Ticket.objects.create(
        conversation=conversation(library, subject),
        library=library,
        source="email",
        email="pat@example.net",
        subject=subject,
        due_at="2026-03-02T15:00Z",
    )


def test_coordinators_see_and_act_on_only_their_librarys_tickets_and_emails(
    client, coordinator_a, library_a, library_b
):
    from chat.models import InboundEmail

    ours, theirs = ticket(library_a, "Our ticket"), ticket(library_b, "Their ticket")
    for t in (ours, theirs):
        InboundEmail.objects.create(
            via="pipe", raw=b"x", size=1, subject=f"Mail of {t.subject}", ticket=t
        )
    InboundEmail.objects.create(
        via="pipe", raw=b"x", size=1, subject="Unmatched mail", status="quarantined"
    )
    client.force_login(coordinator_a)
    tickets = client.get("/admin/chat/ticket/").content.decode()
    assert "Our ticket" in tickets and "Their ticket" not in tickets
    emails = client.get("/admin/chat/inboundemail/").content.decode()
    assert "Mail of Our ticket" in emails
    assert "Mail of Their ticket" not in emails and "Unmatched mail" not in emails
    # A bulk action posted with another library's id does nothing to it.
    client.post(
        "/admin/chat/ticket/",
        {"action": "close", "_selected_action": [ours.pk, theirs.pk]},
    )
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.status, theirs.status) == ("closed", "open")


def test_the_help_desk_sees_every_email_including_unmatched_ones(client, helpdesk):
    from chat.models import InboundEmail

    InboundEmail.objects.create(
        via="pipe", raw=b"x", size=1, subject="Unmatched mail", status="quarantined"
    )
    client.force_login(helpdesk)
    assert "Unmatched mail" in client.get("/admin/chat/inboundemail/").content.decode()


def test_an_sms_conversation_links_to_its_conversion_into_an_email_ticket(
    client, helpdesk, library_a
):
    sms = conversation(library_a, "Text me the hours")
    Conversation.objects.filter(pk=sms.pk).update(channel="sms")
    client.force_login(helpdesk)
    page = client.get(f"/admin/chat/conversation/{sms.pk}/change/").content.decode()
    assert f"/desk/conversations/{sms.pk}/to-ticket" in page


def test_coordinators_edit_their_library_s_email_reply_greeting_and_signature(
    client, coordinator_a, library_a
):
    client.force_login(coordinator_a)
    page = client.get(f"/admin/consortium/library/{library_a.pk}/change/")
    assert b"ticket_greeting" in page.content and b"ticket_signature" in page.content
    tickets = client.get("/admin/chat/ticket/")
    assert tickets.status_code == 200
