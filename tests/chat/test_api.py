"""Conversations, transcripts and email tickets over the REST API (SPEC A2):
who reads what (personal data only to those entitled), the ticket actions
through the desk's services, bad input, and query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import services
from chat.models import Conversation, Message, Ticket
from consortium.models import Staff
from tests.api_helpers import assert_error, client_for, ids
from tests.chat.conftest import monitor, open_all_week
from tests.consortium.factories import (
    CoopQueueFactory,
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

PATRON_EMAIL = "maria.lopez@example.net"
CARD = "21234 00567 8901"


class World:
    """Library A asks; B's librarian answers A's patron on the co-op queue;
    C is unrelated. Each library has a coordinator."""

    def __init__(self):
        now = timezone.now().replace(microsecond=0)
        self.now = now
        self.a = LibraryFactory(code="liba", name="Library A")
        self.b = LibraryFactory(code="libb", name="Library B")
        self.c = LibraryFactory(code="libc", name="Library C")
        self.local_a = open_all_week(QueueFactory(library=self.a, code="liba-local"))
        open_all_week(QueueFactory(library=self.c, code="libc-local"))
        self.coop = open_all_week(CoopQueueFactory(code="coop"))
        self.a.coops.add(self.coop)
        self.b.coops.add(self.coop)
        self.helpdesk = HelpdeskFactory(library=None)
        self.coord_a = CoordinatorFactory(library=self.a)
        self.coord_b = CoordinatorFactory(library=self.b)
        self.coord_c = CoordinatorFactory(library=self.c)
        self.lib_a = StaffFactory(library=self.a)
        self.lib_b = StaffFactory(library=self.b, first_name="Bea")
        self.intern = StaffFactory(library=self.a, role=Staff.Role.INTERN)

        # A's patron, answered by B's librarian on the co-op queue.
        monitor(self.lib_b, self.coop, now - timedelta(minutes=10))
        chat = services.conversation_start(
            library=self.a,
            question=f"Maria here, my card {CARD} is blocked",
            patron_name="Maria Lopez",
            patron_email=PATRON_EMAIL,
            referrer_url="https://liba.example.org/catalog",
            now=now - timedelta(minutes=10),
        )
        Conversation.objects.filter(pk=chat.pk).update(
            coop_at=now - timedelta(minutes=10)
        )
        monitor(self.lib_b, self.coop, now - timedelta(minutes=9))
        services.conversation_accept(
            conversation_id=chat.pk, actor=self.lib_b, now=now - timedelta(minutes=9)
        )
        services.message_post(
            conversation_id=chat.pk,
            client_id="p1",
            body=f"It is {CARD}, write to {PATRON_EMAIL}",
            sender="patron",
            now=now - timedelta(minutes=8),
        )
        self.chat = Conversation.objects.get(pk=chat.pk)

        # An email ticket in A's inbox, and one in C's.
        self.ticket_a = _offline(self.a, "Interlibrary loan for a thesis?")
        self.ticket_c = _offline(self.c, "Do you have microfilm?")


def _offline(library, question):
    conversation = services.offline_question_create(
        library=library,
        question=question,
        email=f"patron.{library.code}@example.net",
        patron_name="Pat Reader",
    )
    return conversation.ticket


@pytest.fixture
def w():
    return World()


def get(user, path, **params):
    return client_for(user).get(f"/api/v1/{path}", params)


def post(user, path, data=None):
    return client_for(user).post(f"/api/v1/{path}", data or {}, format="json")


# --- Conversations: who reads what ----------------------------------------------------


def test_the_help_desk_reads_every_conversation_with_personal_data(w):
    rows = get(w.helpdesk, "conversations/").json()["results"]
    assert {r["id"] for r in rows} == {
        w.chat.pk,
        w.ticket_a.conversation_id,
        w.ticket_c.conversation_id,
    }
    chat = next(r for r in rows if r["id"] == w.chat.pk)
    assert chat["patron_email"] == PATRON_EMAIL
    assert chat["personal_data"] is True
    assert (chat["library"], chat["librarian"], chat["answering_library"]) == (
        "liba",
        w.lib_b.username,
        "libb",
    )
    assert chat["wait_seconds"] == 60


def test_the_asking_librarys_coordinator_sees_personal_data(w):
    assert ids(get(w.coord_a, "conversations/")) == {
        w.chat.pk,
        w.ticket_a.conversation_id,
    }
    row = get(w.coord_a, f"conversations/{w.chat.pk}/").json()
    assert (row["patron_name"], row["patron_email"]) == ("Maria Lopez", PATRON_EMAIL)
    assert CARD in row["question"]
    transcript = get(w.coord_a, f"conversations/{w.chat.pk}/transcript/").json()
    assert transcript["personal_data"] is True
    assert any(PATRON_EMAIL in m["body"] for m in transcript["messages"])


def test_the_answering_librarys_coordinator_reviews_without_personal_data(w):
    """B's librarian answered A's patron: B's coordinator may review the
    transcript, but the patron is not B's."""
    assert ids(get(w.coord_b, "conversations/")) == {w.chat.pk}
    row = get(w.coord_b, f"conversations/{w.chat.pk}/").json()
    assert row["personal_data"] is False
    for name in ("patron_name", "patron_email", "patron_ip", "referrer_url"):
        assert row[name] is None
    assert CARD not in row["question"] and "Maria" not in row["question"]
    transcript = get(w.coord_b, f"conversations/{w.chat.pk}/transcript/").json()
    assert transcript["personal_data"] is False
    text = " ".join(m["body"] for m in transcript["messages"])
    assert PATRON_EMAIL not in text and CARD not in text
    assert "[email]" in text and "[number]" in text
    # Searching names would reveal whose chats these were: no rows.
    assert ids(get(w.coord_b, "conversations/", search="Maria")) == set()


def test_others_never_read_a_conversation(w):
    assert ids(get(w.coord_c, "conversations/")) == {w.ticket_c.conversation_id}
    for path in (
        f"conversations/{w.chat.pk}/",
        f"conversations/{w.chat.pk}/transcript/",
    ):
        assert_error(get(w.coord_c, path), 404)
        assert_error(get(w.lib_a, path), 403)
        assert_error(get(w.intern, path), 403)
        assert_error(get(None, path), 401)
    assert_error(get(w.helpdesk, "conversations/999999/"), 404)


def test_the_admin_shows_the_same_rows_without_personal_data(w, client):
    client.force_login(w.coord_b)
    listing = client.get("/admin/chat/conversation/")
    assert listing.status_code == 200
    assert f"/admin/chat/conversation/{w.chat.pk}/change/" in listing.text
    page = client.get(f"/admin/chat/conversation/{w.chat.pk}/change/")
    assert page.status_code == 200
    assert PATRON_EMAIL not in page.text and CARD not in page.text
    assert "Maria" not in page.text
    client.force_login(w.coord_a)
    page = client.get(f"/admin/chat/conversation/{w.chat.pk}/change/")
    assert PATRON_EMAIL in page.text
    client.force_login(w.coord_c)
    assert (
        client.get(f"/admin/chat/conversation/{w.chat.pk}/change/").status_code == 404
    )


def test_conversation_filters(w):
    assert ids(get(w.helpdesk, "conversations/", answering_library="libb")) == {
        w.chat.pk
    }
    assert ids(get(w.helpdesk, "conversations/", has_ticket="true")) == {
        w.ticket_a.conversation_id,
        w.ticket_c.conversation_id,
    }
    first = timezone.localdate(w.chat.requested_at).isoformat()
    assert len(ids(get(w.helpdesk, "conversations/", **{"from": first}))) == 3
    assert_error(get(w.helpdesk, "conversations/", channel="fax"), 400)
    assert_error(get(w.helpdesk, "conversations/", **{"from": "yesterday"}), 400)


# --- Tickets: the daily work ------------------------------------------------------


def test_the_help_desk_transfers_a_ticket_with_a_note(w):
    response = post(
        w.helpdesk,
        f"tickets/{w.ticket_a.pk}/transfer/",
        {"library": "libc", "note": "Their special collections hold it."},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["library"], response.json()["status"]) == ("libc", "open")
    thread = get(w.helpdesk, f"tickets/{w.ticket_a.pk}/messages/").json()["messages"]
    assert "Their special collections hold it." in thread[-1]["body"]
    assert thread[-1]["internal"] is True
    # Now in C's inbox, out of A's.
    assert w.ticket_a.pk in ids(get(w.coord_c, "tickets/"))
    assert_error(get(w.coord_a, f"tickets/{w.ticket_a.pk}/"), 404)


def test_a_transfer_needs_a_note_and_a_real_library(w):
    path = f"tickets/{w.ticket_a.pk}/transfer/"
    assert_error(post(w.helpdesk, path, {"library": "libc"}), 400, field="note")
    assert_error(
        post(w.helpdesk, path, {"library": "nowhere", "note": "x"}),
        400,
        field="library",
    )
    assert_error(
        post(w.helpdesk, path, {"library": "liba", "note": "x"}), 400
    )  # already there
    assert Ticket.objects.get(pk=w.ticket_a.pk).library == w.a


def test_claim_reply_close_reopen_as_the_desk_does(w):
    path = f"tickets/{w.ticket_a.pk}/"
    claimed = post(w.coord_a, path + "claim/").json()
    assert (claimed["status"], claimed["assignee"]) == ("claimed", w.coord_a.username)
    # Someone else's claim: refused with the service's words.
    error = assert_error(post(w.helpdesk, path + "claim/"), 400, code="taken")
    assert "already claimed" in error["message"]
    replied = post(w.coord_a, path + "reply/", {"body": "Yes: fill in the ILL form."})
    assert replied.status_code == 200, replied.content
    assert replied.json()["status"] == "waiting"
    reply = Message.objects.filter(conversation_id=w.ticket_a.conversation_id).last()
    assert (reply.sender, reply.body) == ("librarian", "Yes: fill in the ILL form.")
    assert (
        post(w.coord_a, path + "note/", {"body": "Sent the form."}).status_code == 200
    )
    assert post(w.coord_a, path + "close/").json()["status"] == "closed"
    reopened = post(w.coord_a, path + "reopen/").json()
    assert reopened["status"] == "claimed" and reopened["closed_at"] is None
    unclaimed = post(w.coord_a, path + "unclaim/").json()
    assert (unclaimed["status"], unclaimed["assignee"]) == ("open", None)


def test_reply_and_note_validate_their_body(w):
    path = f"tickets/{w.ticket_a.pk}/"
    assert_error(post(w.helpdesk, path + "reply/", {}), 400, field="body")
    assert_error(post(w.helpdesk, path + "reply/", {"body": "   "}), 400, field="body")
    assert_error(
        post(w.helpdesk, path + "note/", {"body": "x" * 20001}), 400, field="body"
    )
    assert_error(post(w.helpdesk, path + "reply/", {"body": ["a"]}), 400, field="body")
    assert_error(
        post(w.helpdesk, path + "reply/", {"body": "Hi", "cc": "x@example.org"}),
        400,
        field="cc",
    )
    assert (
        Message.objects.filter(
            conversation_id=w.ticket_a.conversation_id, sender="librarian"
        ).count()
        == 0
    )


def test_ticket_permission_matrix(w):
    for user in (w.lib_a, w.intern):
        assert_error(get(user, "tickets/"), 403)
        assert_error(post(user, f"tickets/{w.ticket_a.pk}/claim/"), 403)
    assert_error(get(None, "tickets/"), 401)
    assert_error(post(None, f"tickets/{w.ticket_a.pk}/claim/"), 401)
    # Another library's ticket does not exist for a coordinator.
    assert ids(get(w.coord_a, "tickets/")) == {w.ticket_a.pk}
    assert_error(post(w.coord_a, f"tickets/{w.ticket_c.pk}/claim/"), 404)
    assert_error(get(w.coord_a, f"tickets/{w.ticket_c.pk}/messages/"), 404)
    assert Ticket.objects.get(pk=w.ticket_c.pk).assignee is None
    # No plain writes: tickets change through their actions only.
    for method in ("put", "patch", "delete"):
        response = getattr(client_for(w.helpdesk), method)(
            f"/api/v1/tickets/{w.ticket_a.pk}/", {}, format="json"
        )
        assert_error(response, 405)
    assert post(w.helpdesk, "tickets/", {}).status_code in (403, 405)


def test_ticket_filters(w):
    assert ids(get(w.helpdesk, "tickets/", library="libc")) == {w.ticket_c.pk}
    Ticket.objects.filter(pk=w.ticket_c.pk).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    assert ids(get(w.helpdesk, "tickets/", overdue="true")) == {w.ticket_c.pk}
    assert ids(get(w.helpdesk, "tickets/", overdue="false")) == {w.ticket_a.pk}
    post(w.helpdesk, f"tickets/{w.ticket_a.pk}/claim/")
    assert ids(get(w.helpdesk, "tickets/", assignee=w.helpdesk.username)) == {
        w.ticket_a.pk
    }
    assert ids(get(w.helpdesk, "tickets/", status="open")) == {w.ticket_c.pk}
    assert_error(get(w.helpdesk, "tickets/", status="lost"), 400)


# --- Query counts ------------------------------------------------------------------


def _count(user, path):
    with CaptureQueriesContext(connection) as queries:
        response = get(user, path, page_size=200)
    assert response.status_code == 200, response.content
    return len(queries)


def test_no_query_count_grows_with_the_page(w):
    paths = ["conversations/", "tickets/", f"tickets/{w.ticket_a.pk}/messages/"]
    before = {p: _count(w.helpdesk, p) for p in paths}
    before_b = _count(w.coord_b, "conversations/")
    for n in range(8):
        ticket = _offline(w.a, f"Question number {n}?")
        services.ticket_note(ticket_id=w.ticket_a.pk, actor=w.helpdesk, body=f"n{n}")
        librarian = StaffFactory(library=w.b)
        monitor(librarian, w.coop, timezone.now())
        chat = services.conversation_start(library=w.a, question=f"Chat {n}?")
        Conversation.objects.filter(pk=chat.pk).update(coop_at=timezone.now())
        services.conversation_accept(conversation_id=chat.pk, actor=librarian)
        assert ticket.pk
    after = {p: _count(w.helpdesk, p) for p in paths}
    assert after == before
    assert _count(w.coord_b, "conversations/") == before_b


def test_statistics_count_what_each_reader_reads(w):
    """B's coordinator counts the chat B's librarian answered for A (the
    co-op give); C's coordinator does not; the help desk counts all."""
    first = timezone.localdate(w.chat.requested_at).isoformat()
    params = {"from": first, "to": timezone.localdate().isoformat()}
    params["by"] = "answering_library"

    def groups(user):
        body = get(user, "statistics/", **params).json()
        return {g["key"]: g["answered"] for g in body["groups"] if g["asked"]}, body

    answered_b, body_b = groups(w.coord_b)
    assert answered_b == {"libb": 1}
    assert body_b["totals"]["asked"] == 1
    answered_c, body_c = groups(w.coord_c)
    assert body_c["totals"]["asked"] == 1  # C's own unanswered ticket
    assert "libb" not in answered_c
    assert groups(w.helpdesk)[1]["totals"]["asked"] == 3


def test_out_of_range_dates_and_nul_codes_are_400(w):
    for params in ({"month": "0000-01"}, {"month": "9999-12"}, {"library": "\x00"}):
        assert_error(get(w.helpdesk, "statistics/", **params), 400)
    assert_error(
        get(w.helpdesk, "statistics/", **{"from": "0001-01-01", "to": "0001-01-02"}),
        400,
        field="from",
    )
    assert_error(
        post(
            w.helpdesk,
            f"tickets/{w.ticket_a.pk}/transfer/",
            {"library": "a\x00", "note": "x"},
        ),
        400,
        field="library",
    )


def test_the_helpdesk_inbox_filter(w):
    assert ids(get(w.helpdesk, "tickets/", helpdesk_inbox="true")) == set()
    Ticket.objects.filter(pk=w.ticket_c.pk).update(forwarded_to_helpdesk=True)
    assert ids(get(w.helpdesk, "tickets/", helpdesk_inbox="true")) == {w.ticket_c.pk}
    assert ids(get(w.helpdesk, "tickets/", helpdesk_inbox="false")) == {w.ticket_a.pk}


# --- What the review found --------------------------------------------------------


def test_admin_urls_cannot_filter_on_what_the_page_does_not_show(w, client):
    """Django would filter a changelist on any field named in the URL: a
    coordinator could learn a withheld email, or a secret transcript token,
    one character at a time."""
    client.force_login(w.coord_b)
    base = "/admin/chat/conversation/"
    for lookup in (
        f"transcript_token__startswith={w.chat.transcript_token[:1]}",
        "patron_token__regex=.",
        "patron_email__istartswith=maria",
        "question__icontains=card",
    ):
        assert client.get(f"{base}?{lookup}").status_code == 400, lookup
    assert client.get(f"{base}?channel__exact=chat").status_code == 200
    # Staff password hashes are not a filter either.
    client.force_login(w.coord_a)
    response = client.get("/admin/consortium/staff/?password__startswith=p")
    assert response.status_code == 400
    # The help desk keeps Django's full filtering.
    client.force_login(w.helpdesk)
    assert client.get(f"{base}?patron_email__istartswith=maria").status_code == 200


def test_redaction_takes_whole_words_and_staff_notes(w):
    from chat.privacy import redact_text

    chat = Conversation(patron_name="Al Li")
    assert redact_text("Al asked about Algebra; Li too", chat) == (
        "[patron] asked about Algebra; [patron] too"
    )
    Conversation.objects.filter(pk=w.chat.pk).update(
        bad_patron=True, bad_patron_reason=f"Maria gave {PATRON_EMAIL}"
    )
    row = get(w.coord_b, f"conversations/{w.chat.pk}/").json()
    assert row["bad_patron_reason"] == "[patron] gave [email]"


def test_the_admin_shows_the_redacted_transcript_to_the_answering_coordinator(
    w, client
):
    client.force_login(w.coord_b)
    page = client.get(f"/admin/chat/conversation/{w.chat.pk}/change/").text
    assert "It is [number], write to [email]" in page
    client.force_login(w.coord_a)
    page = client.get(f"/admin/chat/conversation/{w.chat.pk}/change/").text
    assert f"It is {CARD}, write to {PATRON_EMAIL}" in page


def test_transcript_queries_do_not_grow_with_librarians_messages(w):
    path = f"conversations/{w.chat.pk}/transcript/"
    before = _count(w.helpdesk, path)
    for n in range(5):
        services.message_post(
            conversation_id=w.chat.pk,
            client_id=f"l{n}",
            body=f"Checking {n}",
            sender="librarian",
            author=w.lib_b,
        )
    assert _count(w.helpdesk, path) == before


def test_another_librarys_ticket_is_404_whatever_the_body(w):
    for action in ("reply", "note", "transfer"):
        assert_error(post(w.coord_a, f"tickets/{w.ticket_c.pk}/{action}/", {}), 404)
