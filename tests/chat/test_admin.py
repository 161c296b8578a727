"""The chat admin: conversations read-only and scoped like the rest of the
admin (SPEC C8), patron text inert, canned messages validated."""

import pytest

from chat.models import CannedMessage, Conversation
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
        "/admin/chat/cannedmessage/add/",
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
