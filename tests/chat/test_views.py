"""The chat's HTTP side: the pre-chat form, the offline form, files checked
by content, transcripts, and the desk's actions with their permissions."""

import io
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import services
from chat.models import Conversation, Ticket
from consortium import services as consortium_services
from consortium.models import QueueMonitor
from tests.chat.conftest import open_all_week
from tests.consortium.factories import (
    CoopQueueFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def library():
    library = LibraryFactory(code="web", website="https://web.example.org/")
    open_all_week(QueueFactory(library=library))
    return library


@pytest.fixture
def librarian(library):
    staff = StaffFactory(library=library)
    consortium_services.queue_monitor_start(
        actor=staff, queue_id=library.queues.get().pk
    )
    return staff


def post_json(client, url, data, **kwargs):
    return client.post(url, json.dumps(data), content_type="application/json", **kwargs)


def start_chat(client, library, **data):
    data.setdefault("question", "Do you have tax forms?")
    return post_json(client, f"/chat/{library.code}/start", data)


def test_the_hosted_chat_page_can_be_framed_by_the_library_only(client, library):
    response = client.get("/chat/web/?embed=1&lang=es")
    assert response.status_code == 200
    assert (
        "frame-ancestors 'self' https://web.example.org"
        in response["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response
    assert client.get("/chat/nope/").status_code == 404


def test_starting_a_chat_returns_the_token_and_state(client, library, librarian):
    response = start_chat(
        client,
        library,
        name="Ann",
        email="ann@example.org",
        patron_status="graduate",
        resident=False,
        referrer_url="https://web.example.org/research",
    )
    assert response.status_code == 201
    body = response.json()
    chat = Conversation.objects.get(patron_token=body["token"])
    assert body["ws_url"] == f"/ws/chat/{chat.patron_token}/"
    assert body["state"]["status"] == "waiting"
    assert (chat.patron_name, chat.patron_status, chat.resident) == (
        "Ann",
        "graduate",
        False,
    )
    assert chat.referrer_url == "https://web.example.org/research"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"question": ""}, "question"),
        ({"question": "x" * 4001}, "question"),
        ({"question": "ok", "email": "not-an-email"}, "email"),
        ({"question": "ok", "patron_status": "astronaut"}, "patron_status"),
        ({"question": ["a", "list"]}, "question"),
        ({"question": "ok", "resident": "maybe"}, "resident"),
    ],
)
def test_a_bad_pre_chat_form_names_the_field(client, library, librarian, data, field):
    response = post_json(client, "/chat/web/start", data)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Conversation.objects.exists()


def test_malformed_json_is_a_clear_400(client, library, librarian):
    response = client.post("/chat/web/start", "{oops", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    form = client.post("/chat/web/start", {"question": "hi"})
    assert "as JSON" in form.json()["error"]


def test_nobody_online_answers_409_with_the_hours_and_the_offline_form_works(
    client, library
):
    response = start_chat(client, library)
    assert response.status_code == 409
    assert response.json()["offline"] is True
    assert response.json()["hours_url"].endswith("/libraries/web/")
    # Open now, nobody signed in: no "opens again tomorrow".
    assert response.json()["next_opening"] is None
    assert "no librarian is signed in" in response.json()["error"]
    offline = post_json(
        client,
        "/chat/web/offline",
        {"question": "Renew?", "email": "pat@example.org"},
    )
    assert offline.status_code == 201
    assert Ticket.objects.get().email == "pat@example.org"
    no_email = post_json(client, "/chat/web/offline", {"question": "Renew?"})
    assert no_email.status_code == 400 and "email" in no_email.json()["fields"]


def test_anonymous_chat_creation_is_rate_limited(client, library, librarian):
    codes = [start_chat(client, library).status_code for _ in range(11)]
    assert codes[:10] == [201] * 10 and codes[10] == 429


def test_files_are_checked_by_content_not_name(client, library, librarian):
    token = start_chat(client, library).json()["token"]
    url = f"/chat/c/{token}/files"
    fake = io.BytesIO(b"MZ\x90\x00\x03" + bytes(range(256)) * 4)
    fake.name = "cat.png"
    refused = client.post(url, {"file": fake})
    assert refused.status_code == 400
    assert "cannot be shared" in refused.json()["error"]
    image = io.BytesIO(PNG)
    image.name = "../../etc/map.png"
    ok = client.post(url, {"file": image, "client_id": "f1"})
    assert ok.status_code == 201
    attachment = ok.json()["message"]["attachment"]
    assert attachment["name"] == "map.png" and attachment["content_type"] == "image/png"
    again = io.BytesIO(PNG)
    again.name = "map.png"
    assert client.post(url, {"file": again, "client_id": "f1"}).status_code == 200
    download = client.get(attachment["url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PNG
    empty = io.BytesIO(b"")
    empty.name = "empty.txt"
    assert "empty" in client.post(url, {"file": empty}).json()["error"]


def test_files_over_the_limit_are_refused(client, library, librarian, monkeypatch):
    monkeypatch.setattr("chat.services.files.MAX_FILE_BYTES", 100)
    token = start_chat(client, library).json()["token"]
    big = io.BytesIO(b"a" * 101)
    big.name = "big.txt"
    response = client.post(f"/chat/c/{token}/files", {"file": big})
    assert response.status_code == 400 and "at most" in response.json()["error"]


def test_another_chats_token_opens_nothing(client, library, librarian):
    token = start_chat(client, library).json()["token"]
    assert client.get("/chat/c/wrong-token/state").status_code == 404
    assert client.get(f"/chat/c/{token}/state").status_code == 200


def test_the_transcript_is_inert_printable_downloadable_and_expires(
    client, library, librarian
):
    token = start_chat(client, library, question="<img src=x onerror=alert(1)>").json()[
        "token"
    ]
    chat = Conversation.objects.get(patron_token=token)
    services.conversation_accept(conversation_id=chat.pk, actor=librarian)
    services.message_post(
        conversation_id=chat.pk, sender="note", body="STAFF ONLY", author=librarian
    )
    assert client.post(f"/chat/c/{token}/end").status_code == 200
    state = client.get(f"/chat/c/{token}/state").json()
    page = client.get(state["transcript_url"])
    html = page.content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html and "STAFF ONLY" not in html
    text = client.get(state["transcript_url"] + "?format=txt")
    assert text["Content-Disposition"].startswith("attachment")
    assert "STAFF ONLY" not in text.content.decode()
    emailed = post_json(
        client, state["transcript_url"] + "email", {"email": "ann@example.org"}
    )
    assert emailed.status_code == 202
    Conversation.objects.filter(pk=chat.pk).update(
        ended_at=timezone.now() - timedelta(days=31)
    )
    assert client.get(state["transcript_url"]).status_code == 410


def test_the_transcript_email_is_multipart_and_leaves_out_notes(library, librarian):
    from chat import tasks

    chat = services.conversation_start(library=library, question="Hours <b>?</b>")
    services.conversation_accept(conversation_id=chat.pk, actor=librarian)
    services.message_post(
        conversation_id=chat.pk, sender="note", body="STAFF ONLY", author=librarian
    )
    services.conversation_end(conversation_id=chat.pk)
    assert tasks.send_transcript_email(chat.pk, "ann@example.org")
    sent = mail.outbox[0]
    html = sent.alternatives[0][0]
    assert "Hours <b>?</b>" in sent.body and "Hours &lt;b&gt;?&lt;/b&gt;" in html
    assert "STAFF ONLY" not in sent.body + html


# --- The desk's actions -------------------------------------------------------------------


def test_the_desk_needs_a_chat_role(client, library):
    assert client.get("/desk/").status_code == 302
    intern = StaffFactory(library=library, role="intern")
    client.force_login(intern)
    assert client.get("/desk/api/on-duty").status_code == 403
    assert client.get("/desk/").status_code == 200


def test_the_desk_page_carries_its_config(client, librarian):
    client.force_login(librarian)
    page = client.get("/desk/")
    assert page.status_code == 200 and b'id="desk-config"' in page.content


def test_wrap_up_errors_point_at_the_field(client, library, librarian):
    chat = services.conversation_start(
        library=library, question="q", patron_email="p@example.org"
    )
    services.conversation_accept(conversation_id=chat.pk, actor=librarian)
    client.force_login(librarian)
    url = f"/desk/api/conversations/{chat.pk}/wrapup"
    lost = post_json(client, url, {"resolution": "lost_call", "question_type": "other"})
    assert lost.status_code == 400 and "resolution" in lost.json()["fields"]
    bad = post_json(client, url, {"resolution": "maybe", "read_scale": 9})
    assert bad.status_code == 400
    assert {"resolution", "question_type", "read_scale"} <= set(bad.json()["fields"])
    ok = post_json(
        client,
        url,
        {"resolution": "answered", "question_type": "directional", "read_scale": 1},
    )
    assert ok.status_code == 200 and ok.json()["wrapped_up"] is True


def test_another_librarians_chat_is_not_found_in_the_desk_api(client, library):
    owner = StaffFactory(library=library)
    consortium_services.queue_monitor_start(
        actor=owner, queue_id=library.queues.get().pk
    )
    chat = services.conversation_start(library=library, question="q")
    services.conversation_accept(conversation_id=chat.pk, actor=owner)
    stranger = StaffFactory(library=LibraryFactory(code="far"))
    client.force_login(stranger)
    for path in ("", "/canned"):
        assert client.get(f"/desk/api/conversations/{chat.pk}{path}").status_code == 404
    for path in ("/end", "/crisis", "/transfer"):
        response = post_json(client, f"/desk/api/conversations/{chat.pk}{path}", {})
        assert response.status_code == 404
    chat.refresh_from_db()
    assert chat.status == "active"


def test_canned_messages_come_filled_in_for_the_chat(client, library, librarian):
    chat = services.conversation_start(library=library, question="q", patron_name="Ann")
    services.conversation_accept(conversation_id=chat.pk, actor=librarian)
    client.force_login(librarian)
    groups = client.get(f"/desk/api/conversations/{chat.pk}/canned").json()["groups"]
    greeting = next(g for g in groups if g["group"] == "greeting")["messages"][0]
    assert greeting["body"].startswith("Hi Ann, I'm ")


def test_the_backup_call_answers_202_then_429(client, librarian):
    client.force_login(librarian)
    assert (
        post_json(client, "/desk/api/backup", {"message": "alone"}).status_code == 202
    )
    again = post_json(client, "/desk/api/backup", {})
    assert again.status_code == 429 and "10 minutes" in again.json()["error"]


def test_the_transfer_form_offers_online_colleagues_and_open_monitored_queues(
    client, library, librarian
):
    chat = services.conversation_start(library=library, question="q")
    services.conversation_accept(conversation_id=chat.pk, actor=librarian)
    colleague = StaffFactory(library=library, display_name="Colleague")
    consortium_services.queue_monitor_start(
        actor=colleague, queue_id=library.queues.get().pk
    )
    # Co-op queues the colleague monitors (rows made directly).
    evening = CoopQueueFactory(code="coop-evening")
    QueueMonitor.objects.create(staff=colleague, queue=evening)
    client.force_login(librarian)
    url = f"/desk/api/conversations/{chat.pk}"
    # No posted hours: the evening queue is closed, whoever monitors it.
    targets = client.get(url).json()["transfer_targets"]
    assert targets["librarians"] == [{"id": colleague.pk, "name": "Colleague"}]
    assert [q["code"] for q in targets["queues"]] == [library.queues.get().code]

    def queries_with(more_queues):
        for _ in range(more_queues):
            other = open_all_week(CoopQueueFactory())
            QueueMonitor.objects.create(staff=colleague, queue=other)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return len(queries), len(response.json()["transfer_targets"]["queues"])

    # The queues' hours are read for all of them at once, not one by one.
    three, offered_three = queries_with(3)
    ten, offered_ten = queries_with(7)
    assert (offered_three, offered_ten) == (4, 11)
    assert ten == three
