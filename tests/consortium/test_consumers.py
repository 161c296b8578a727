"""The desk's presence socket: authenticated staff, origin-checked, validated frames."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from consortium.asgi import application
from consortium.models import QueueMonitor
from tests.consortium.factories import CoopQueueFactory, QueueFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"sessionid={session.session_key}"


async def communicator(user=None, origin=b"http://localhost"):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/desk/presence/", headers=headers)


@pytest.fixture
def librarian_and_queues():
    local = QueueFactory()
    coop = CoopQueueFactory()
    other = QueueFactory()
    return StaffFactory(library=local.library), local, coop, other


async def test_a_librarian_monitors_and_unmonitors_queues(librarian_and_queues):
    librarian, local, coop, _ = librarian_and_queues
    ws = await communicator(librarian)
    connected, _ = await ws.connect()
    assert connected
    assert await ws.receive_json_from() == {"type": "monitoring", "queues": []}
    await ws.send_json_to({"type": "monitor", "queue": local.pk})
    assert await ws.receive_json_from() == {"type": "monitoring", "queues": [local.pk]}
    await ws.send_json_to({"type": "monitor", "queue": coop.pk})
    assert (await ws.receive_json_from())["queues"] == sorted([local.pk, coop.pk])
    await ws.send_json_to({"type": "heartbeat"})
    assert await ws.receive_json_from() == {"type": "heartbeat_ack"}
    await ws.send_json_to({"type": "unmonitor", "queue": local.pk})
    assert (await ws.receive_json_from())["queues"] == [coop.pk]
    await ws.disconnect()
    assert await database_sync_to_async(QueueMonitor.objects.count)() == 1


async def test_another_librarys_local_queue_cannot_be_monitored(librarian_and_queues):
    librarian, _, _, other = librarian_and_queues
    ws = await communicator(librarian)
    await ws.connect()
    await ws.receive_json_from()
    await ws.send_json_to({"type": "monitor", "queue": other.pk})
    reply = await ws.receive_json_from()
    assert reply["type"] == "error" and "cannot monitor" in reply["message"]
    await ws.disconnect()


@pytest.mark.parametrize(
    "frame, message",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "monitor", "queue": "1"}', "whole number"),
        ('{"type": "monitor", "queue": 999999}', "No such queue"),
        ('{"type": "dance"}', "Unknown frame type"),
        ("x" * 5000, "at most 4 KB"),
    ],
)
async def test_bad_frames_get_a_clear_error_and_keep_the_socket(
    librarian_and_queues, frame, message
):
    librarian, *_ = librarian_and_queues
    ws = await communicator(librarian)
    await ws.connect()
    await ws.receive_json_from()
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from()
    assert reply["type"] == "error" and message in reply["message"]
    await ws.send_json_to({"type": "heartbeat"})
    assert await ws.receive_json_from() == {"type": "heartbeat_ack"}
    await ws.disconnect()


async def test_anonymous_sockets_are_closed():
    ws = await communicator()
    await ws.connect()
    assert (await ws.receive_json_from())["message"] == "Sign in to use the desk."
    assert (await ws.receive_output())["code"] == 4401


async def test_interns_cannot_monitor_chat_queues(librarian_and_queues):
    _, local, *_ = librarian_and_queues
    intern = await database_sync_to_async(StaffFactory)(
        library=local.library, role="intern"
    )
    ws = await communicator(intern)
    await ws.connect()
    assert "does not staff chat queues" in (await ws.receive_json_from())["message"]
    assert (await ws.receive_output())["code"] == 4403


async def test_foreign_origins_are_refused(librarian_and_queues):
    librarian, *_ = librarian_and_queues
    connected, _ = await (
        await communicator(librarian, origin=b"https://evil.example")
    ).connect()
    assert not connected
