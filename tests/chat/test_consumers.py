"""The chat sockets with Channels' WebsocketCommunicator: patron and desk
talk through the real channel layer (Redis); reconnects get exactly what
they missed; bad frames get error frames and the socket survives."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from chat import services
from chat.models import Conversation, Message
from consortium import services as consortium_services
from consortium.asgi import application
from tests.chat.conftest import open_all_week
from tests.consortium.factories import LibraryFactory, QueueFactory, StaffFactory
from tests.consortium.test_consumers import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_world():
    library = LibraryFactory(code="sockets", website="https://sockets.example.org/")
    local = open_all_week(QueueFactory(library=library))
    librarian = StaffFactory(library=library)
    consortium_services.queue_monitor_start(actor=librarian, queue_id=local.pk)
    chat = services.conversation_start(library=library, question="Tax forms?")
    return library, local, librarian, chat


async def patron_socket(token, origin=b"http://localhost"):
    ws = WebsocketCommunicator(
        application,
        f"/ws/chat/{token}/",
        headers=[(b"origin", origin), (b"host", b"localhost")],
    )
    connected, _ = await ws.connect()
    assert connected
    return ws


async def desk_socket(user):
    cookie = await database_sync_to_async(session_cookie)(user)
    ws = WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[
            (b"origin", b"http://localhost"),
            (b"host", b"localhost"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, _ = await ws.connect()
    assert connected
    return ws


async def receive(ws, kind, timeout=10):
    """The next frame of `kind`, skipping others (a generous timeout: a
    busy CI machine can take seconds; a passing test never waits for it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await ws.receive_json_from(timeout=max(0.05, deadline - loop.time()))
        if frame["type"] == kind:
            return frame


async def receive_each(ws, *kinds, timeout=10):
    """The next frame of each of `kinds`, in whatever order they come."""
    found = {}
    while len(found) < len(kinds):
        frame = await ws.receive_json_from(timeout=timeout)
        if frame["type"] in kinds and frame["type"] not in found:
            found[frame["type"]] = frame
    return found


async def test_patron_and_librarian_chat_through_the_sockets():
    _library, _local, librarian, chat = await make_world()
    desk = await desk_socket(librarian)
    waiting = await receive(desk, "waiting")
    assert [c["id"] for c in waiting["chats"]] == [chat.pk]
    patron = await patron_socket(chat.patron_token)
    await patron.send_json_to({"type": "resume", "after": 0})
    messages = await receive(patron, "messages")
    assert [m["body"] for m in messages["messages"]] == ["Tax forms?"]
    state = (await receive(patron, "state"))["state"]
    assert state["status"] == "waiting" and state["position"] == 1

    await desk.send_json_to({"type": "accept", "conversation": chat.pk})
    accepted = await receive(desk, "accepted")
    assert accepted["conversation"]["id"] == chat.pk
    joined = await receive(patron, "message")
    assert joined["message"]["body"].endswith("joined the chat.")
    assert (await receive(patron, "state"))["state"]["status"] == "active"

    await desk.send_json_to(
        {"type": "message", "conversation": chat.pk, "body": "Hi!", "client_id": "d1"}
    )
    assert (await receive(desk, "ack"))["seq"] == 3
    got = await receive(patron, "message")
    assert got["message"]["body"] == "Hi!" and got["message"]["sender"] == "librarian"

    await desk.send_json_to(
        {
            "type": "message",
            "conversation": chat.pk,
            "body": "patron seems lost",
            "client_id": "d2",
            "note": True,
        }
    )
    await receive(desk, "ack")
    await patron.send_json_to({"type": "typing", "typing": True})
    typing = await receive(desk, "typing")
    assert typing == {"type": "typing", "conversation": chat.pk, "typing": True}
    await patron.send_json_to(
        {"type": "message", "body": "<script>alert(1)</script>", "client_id": "p1"}
    )
    assert (await receive(patron, "ack"))["seq"] == 5
    # The patron never received the note (seq 4); the desk gets the message.
    arrived = await receive(patron, "message")
    assert arrived["message"]["seq"] == 5
    assert arrived["message"]["body"] == "<script>alert(1)</script>"
    desk_got = await receive(desk, "message")
    while desk_got["message"]["seq"] != 5:
        desk_got = await receive(desk, "message")
    await patron.disconnect()
    await desk.disconnect()


async def test_a_reconnecting_patron_gets_exactly_the_missed_messages_once():
    _library, _local, librarian, chat = await make_world()
    await database_sync_to_async(services.conversation_accept)(
        conversation_id=chat.pk, actor=librarian
    )
    patron = await patron_socket(chat.patron_token)
    await patron.send_json_to({"type": "message", "body": "one", "client_id": "p1"})
    assert (await receive(patron, "ack"))["seq"] == 3
    await patron.disconnect()  # the network drops

    for n in range(3):  # the librarian keeps writing meanwhile
        await database_sync_to_async(services.message_post)(
            conversation_id=chat.pk,
            sender="librarian",
            body=f"while away {n}",
            author=librarian,
        )
    await database_sync_to_async(services.message_post)(
        conversation_id=chat.pk, sender="note", body="secret", author=librarian
    )
    patron = await patron_socket(chat.patron_token)
    # The client resends "one" (it never saw the ack) and asks for what it missed.
    await patron.send_json_to({"type": "message", "body": "one", "client_id": "p1"})
    assert (await receive(patron, "ack"))["seq"] == 3
    await patron.send_json_to({"type": "resume", "after": 3})
    missed = (await receive(patron, "messages"))["messages"]
    assert [m["body"] for m in missed] == [
        "while away 0",
        "while away 1",
        "while away 2",
    ]
    assert [m["seq"] for m in missed] == [4, 5, 6]
    stored = await database_sync_to_async(
        lambda: list(
            Message.objects.filter(conversation=chat, sender="patron").values_list(
                "body", flat=True
            )
        )
    )()
    assert stored == ["Tax forms?", "one"]
    await patron.disconnect()


async def test_a_reloaded_desk_resumes_with_notes_and_its_chats():
    _library, _local, librarian, chat = await make_world()
    await database_sync_to_async(services.conversation_accept)(
        conversation_id=chat.pk, actor=librarian
    )
    await database_sync_to_async(services.message_post)(
        conversation_id=chat.pk, sender="note", body="remember ILL", author=librarian
    )
    desk = await desk_socket(librarian)
    mine = await receive(desk, "mine")
    assert [c["id"] for c in mine["chats"]] == [chat.pk]
    await desk.send_json_to({"type": "open", "conversation": chat.pk, "after": 2})
    got = await receive(desk, "messages")
    assert [(m["seq"], m["sender"]) for m in got["messages"]] == [(3, "note")]
    await desk.disconnect()


async def test_when_two_librarians_accept_at_once_the_loser_is_told():
    library, local, librarian, chat = await make_world()
    other = await database_sync_to_async(StaffFactory)(library=library)
    await database_sync_to_async(consortium_services.queue_monitor_start)(
        actor=other, queue_id=local.pk
    )
    first, second = await desk_socket(librarian), await desk_socket(other)
    await first.send_json_to({"type": "accept", "conversation": chat.pk})
    await second.send_json_to({"type": "accept", "conversation": chat.pk})

    async def outcome(ws):
        """`accepted`; or the loser's answer and the chat leaving its list,
        in either order."""
        found = {}
        while "accepted" not in found and not {"error", "waiting_remove"} <= set(found):
            frame = await ws.receive_json_from(timeout=10)
            found.setdefault(frame["type"], frame)
        return found

    # The two accepts run on different database threads: either may win.
    outcomes = await asyncio.gather(outcome(first), outcome(second))
    won = [o for o in outcomes if "accepted" in o]
    lost = [o for o in outcomes if "accepted" not in o]
    assert len(won) == len(lost) == 1
    assert won[0]["accepted"]["conversation"]["id"] == chat.pk
    error = lost[0]["error"]
    assert error["code"] == "taken" and error["conversation"] == chat.pk
    assert lost[0]["waiting_remove"] == {
        "type": "waiting_remove",
        "conversation": chat.pk,
    }
    await first.disconnect()
    await second.disconnect()


@pytest.mark.parametrize(
    "frame, code",
    [
        ("not json", "bad_json"),
        ("[1]", "bad_frame"),
        ('{"type": "dance"}', "bad_frame"),
        ('{"type": "message", "body": "", "client_id": "x"}', "invalid"),
        ('{"type": "message", "body": 5, "client_id": "x"}', "invalid"),
        (
            '{"type": "message", "body": "hi", "client_id": "' + "c" * 65 + '"}',
            "invalid",
        ),
        ('{"type": "resume", "after": "zero"}', "bad_frame"),
        ('{"type": "typing", "typing": "yes"}', "bad_frame"),
        (
            '{"type": "message", "body": "' + "x" * 4001 + '", "client_id": "y"}',
            "invalid",
        ),
        ("x" * 17000, "too_large"),
    ],
)
async def test_bad_patron_frames_get_an_error_and_the_socket_survives(frame, code):
    _library, _local, _librarian, chat = await make_world()
    patron = await patron_socket(chat.patron_token)
    await patron.send_to(text_data=frame)
    error = await receive(patron, "error")
    assert error["code"] == code and error["message"]
    await patron.send_json_to({"type": "heartbeat"})
    assert await receive(patron, "heartbeat_ack")
    count = await database_sync_to_async(chat.messages.count)()
    assert count == 1
    await patron.disconnect()


async def test_a_message_to_an_ended_chat_is_refused_with_ended():
    _library, _local, _librarian, chat = await make_world()
    await database_sync_to_async(services.conversation_end)(conversation_id=chat.pk)
    patron = await patron_socket(chat.patron_token)
    await patron.send_json_to({"type": "message", "body": "hi", "client_id": "z"})
    assert (await receive(patron, "error"))["code"] == "ended"
    await patron.disconnect()


async def test_unknown_tokens_and_foreign_origins_are_closed_with_a_reason():
    _library, _local, _librarian, chat = await make_world()
    ws = await patron_socket("not-a-token")
    assert (await ws.receive_json_from())["code"] == "not_found"
    assert (await ws.receive_output())["code"] == 4404

    ws = await patron_socket(chat.patron_token, origin=b"https://evil.example")
    assert (await ws.receive_json_from())["code"] == "forbidden"
    assert (await ws.receive_output())["code"] == 4403

    ws = await patron_socket(chat.patron_token, origin=b"https://sockets.example.org")
    await ws.send_json_to({"type": "heartbeat"})
    assert await receive(ws, "heartbeat_ack")
    await ws.disconnect()


async def test_a_librarian_cannot_write_in_or_open_another_librarians_chat():
    library, local, librarian, chat = await make_world()
    await database_sync_to_async(services.conversation_accept)(
        conversation_id=chat.pk, actor=librarian
    )
    other = await database_sync_to_async(StaffFactory)(library=library)
    desk = await desk_socket(other)
    await desk.send_json_to(
        {"type": "message", "conversation": chat.pk, "body": "hi", "client_id": "q"}
    )
    assert (await receive(desk, "error"))["code"] == "not_yours"
    await desk.send_json_to({"type": "open", "conversation": chat.pk, "after": 0})
    assert (await receive(desk, "error"))["code"] == "not_yours"
    await desk.disconnect()


async def test_a_patron_heartbeat_keeps_a_waiting_chat_alive():
    _library, _local, _librarian, chat = await make_world()
    before = timezone.now()
    patron = await patron_socket(chat.patron_token)
    await patron.send_json_to({"type": "heartbeat"})
    await receive(patron, "heartbeat_ack")
    seen = await database_sync_to_async(
        lambda: Conversation.objects.get(pk=chat.pk).patron_last_seen
    )()
    assert seen >= before
    await patron.disconnect()


async def test_a_shared_file_is_pushed_with_its_attachment():
    _library, _local, librarian, chat = await make_world()
    await database_sync_to_async(services.conversation_accept)(
        conversation_id=chat.pk, actor=librarian
    )
    patron = await patron_socket(chat.patron_token)
    desk = await desk_socket(librarian)
    await receive(desk, "mine")  # the desk has joined its groups
    await database_sync_to_async(services.attachment_post)(
        conversation_id=chat.pk, sender="patron", name="notes.txt", data=b"hello"
    )
    pushed = (await receive(patron, "message"))["message"]["attachment"]
    assert pushed["name"] == "notes.txt" and pushed["url"].startswith("/chat/c/")
    staff = (await receive(desk, "message"))["message"]["attachment"]
    assert staff["url"].startswith("/desk/api/conversations/")
    await patron.disconnect()
    await desk.disconnect()


async def test_a_waiting_patron_hears_its_position_only_when_it_moves():
    library, _local, librarian, first = await make_world()
    start = database_sync_to_async(services.conversation_start)
    second = await start(library=library, question="Census maps?")
    patron = await patron_socket(second.patron_token)
    await patron.send_json_to({"type": "resume", "after": 0})
    assert (await receive(patron, "state"))["state"]["position"] == 2
    # A chat starting behind it moves nobody ahead of it: no frame.
    await start(library=library, question="Deeds?")
    assert await patron.receive_nothing(timeout=1.0)
    # The chat ahead is picked up: it is next.
    await database_sync_to_async(services.conversation_accept)(
        conversation_id=first.pk, actor=librarian
    )
    state = (await receive(patron, "state"))["state"]
    assert state["position"] == 1 and state["status"] == "waiting"
    assert state["library"]["code"] == "sockets"  # the whole state, not a patch
    await patron.disconnect()


async def test_the_waiting_patrons_of_a_process_move_up_on_one_read_of_the_places(
    monkeypatch,
):
    from chat import selectors

    library, _local, librarian, first = await make_world()
    start = database_sync_to_async(services.conversation_start)
    behind = [await start(library=library, question=f"Maps {n}?") for n in range(3)]
    patrons = []
    for chat in behind:
        patron = await patron_socket(chat.patron_token)
        await patron.send_json_to({"type": "resume", "after": 0})
        await receive(patron, "state")
        patrons.append(patron)
    reads = []
    counted = selectors.waiting_positions

    def counting(at):
        reads.append(at)
        return counted(at)

    monkeypatch.setattr(selectors, "waiting_positions", counting)
    await database_sync_to_async(services.conversation_accept)(
        conversation_id=first.pk, actor=librarian
    )
    places = [(await receive(p, "state"))["state"]["position"] for p in patrons]
    assert places == [1, 2, 3]
    assert len(reads) == 1
    for patron in patrons:
        await patron.disconnect()


async def test_the_waiting_list_keeps_moving_while_an_accept_waits_for_the_database(
    monkeypatch,
):
    from chat.consumers import DeskConsumer

    library, _local, librarian, first = await make_world()
    released = asyncio.Event()
    do_accept = DeskConsumer.__dict__["_do_accept"]  # unbound: given self below

    async def slow_accept(self, conversation_id):
        await released.wait()
        return await do_accept(self, conversation_id)

    monkeypatch.setattr(DeskConsumer, "_do_accept", slow_accept)
    desk = await desk_socket(librarian)
    await receive(desk, "waiting")
    await desk.send_json_to({"type": "accept", "conversation": first.pk})
    second = await database_sync_to_async(services.conversation_start)(
        library=library, question="Deeds?"
    )
    added = await receive(desk, "waiting_add")
    assert added["chat"]["id"] == second.pk
    released.set()
    assert (await receive(desk, "accepted"))["conversation"]["id"] == first.pk
    await desk.disconnect()


async def test_two_accepts_from_one_desk_take_their_turn_under_the_chat_limit():
    library, _local, librarian, first = await make_world()
    librarian.max_chats = 1
    await database_sync_to_async(librarian.save)(update_fields=["max_chats"])
    second = await database_sync_to_async(services.conversation_start)(
        library=library, question="Deeds?"
    )
    desk = await desk_socket(librarian)
    await receive(desk, "waiting")
    await desk.send_json_to({"type": "accept", "conversation": first.pk})
    await desk.send_json_to({"type": "accept", "conversation": second.pk})
    assert (await receive(desk, "accepted"))["conversation"]["id"] == first.pk
    refused = await receive(desk, "error")
    assert refused["code"] == "limit" and refused["conversation"] == second.pk
    count = database_sync_to_async(
        Conversation.objects.filter(librarian=librarian, status="active").count
    )
    assert await count() == 1
    await desk.disconnect()
