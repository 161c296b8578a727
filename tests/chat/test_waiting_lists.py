"""The desks' waiting lists follow one chat at a time (issue 15): a chat that
starts, is transferred or reaches the co-op is read once and offered to the
desks that may pick it up (`waiting_add`); one picked up or ended leaves
every list (`waiting_remove`). No desk re-reads its whole list for another
librarian's accept. What is offered is what `acceptable_by` lets each
librarian take."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import events, selectors, services
from chat.models import Conversation
from consortium import services as consortium_services
from consortium.models import Staff
from tests.chat.conftest import open_all_week
from tests.chat.test_consumers import desk_socket, receive, receive_each
from tests.consortium.factories import (
    CoopQueueFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)


def monitor(staff, queue, at):
    consortium_services.queue_monitor_start(actor=staff, queue_id=queue.pk, now=at)


def who_may_take(conversation, at):
    return {
        staff.pk
        for staff in Staff.objects.all()
        if selectors.acceptable_by(staff, at).filter(pk=conversation.pk).exists()
    }


@pytest.fixture
def world(db):
    """A library with a local queue (co-op after 15 s), a co-op queue, a
    local librarian, a second local one, a co-op librarian, an idle one."""
    now = timezone.now()
    library = LibraryFactory(code="home", fallback_delay_seconds=15)
    local = open_all_week(QueueFactory(library=library))
    coop = open_all_week(CoopQueueFactory(code="coop-state"))
    library.coops.add(coop)
    mine, colleague = StaffFactory(library=library), StaffFactory(library=library)
    coop_librarian = StaffFactory(library=LibraryFactory(code="away"))
    StaffFactory(library=library)  # online nowhere
    for staff in (mine, colleague):
        monitor(staff, local, now)
    monitor(coop_librarian, coop, now)
    return library, local, coop, mine, colleague, coop_librarian, now


def test_a_new_chat_is_offered_to_who_may_take_it_and_to_nobody_else(world):
    library, _local, _coop, mine, colleague, coop_librarian, now = world
    chat = services.conversation_start(library=library, question="Atlas?", now=now)
    event = selectors.waiting_event(chat.pk, at=now)
    assert event["type"] == "desk.waiting_offer"
    assert set(event["staff"]) == who_may_take(chat, now) == {mine.pk, colleague.pk}
    assert event["seq"] == chat.last_seq
    # Once the co-op instant has passed, the co-op's librarians have it too.
    later = chat.coop_at + timedelta(seconds=1)
    for staff in (mine, colleague, coop_librarian):
        consortium_services.presence_heartbeat(actor=staff, now=later)
    event = selectors.waiting_event(chat.pk, at=later)
    assert set(event["staff"]) == who_may_take(chat, later)
    assert set(event["staff"]) == {mine.pk, colleague.pk, coop_librarian.pk}


def test_a_transferred_chat_is_offered_as_acceptable_by_says(world):
    library, local, _coop, mine, colleague, _coop_librarian, now = world
    chat = services.conversation_start(library=library, question="Atlas?", now=now)
    services.conversation_accept(conversation_id=chat.pk, actor=mine, now=now)
    services.conversation_transfer(
        conversation_id=chat.pk, actor=mine, note="Maps", to_queue_id=local.pk, now=now
    )
    chat.refresh_from_db()
    event = selectors.waiting_event(chat.pk, at=now)
    # The one who transferred it away cannot take it back.
    assert set(event["staff"]) == who_may_take(chat, now) == {colleague.pk}
    assert event["seq"] == chat.last_seq and event["frame_for_me"] is None

    services.conversation_accept(conversation_id=chat.pk, actor=colleague, now=now)
    services.conversation_transfer(
        conversation_id=chat.pk,
        actor=colleague,
        note="Yours",
        to_librarian_id=mine.pk,
        now=now,
    )
    chat.refresh_from_db()
    event = selectors.waiting_event(chat.pk, at=now)
    assert set(event["staff"]) == who_may_take(chat, now) == {mine.pk}
    assert event["transfer_to"] == mine.pk
    assert '"for_me": true' in event["frame_for_me"]


def test_a_chat_picked_up_or_ended_is_gone_with_its_latest_seq(world):
    library, _local, _coop, mine, *_rest, now = world
    chat = services.conversation_start(library=library, question="Atlas?", now=now)
    offered = selectors.waiting_event(chat.pk, at=now)
    services.conversation_accept(conversation_id=chat.pk, actor=mine, now=now)
    gone = selectors.waiting_event(chat.pk, at=now)
    assert gone == {
        "type": "desk.waiting_gone",
        "conversation": chat.pk,
        "seq": Conversation.objects.get(pk=chat.pk).last_seq,
    }
    assert gone["seq"] > offered["seq"]


def test_a_pickup_tells_the_desks_gone_without_reading_the_chat_again(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    library, _local, _coop, mine, *_rest, now = world
    chat = services.conversation_start(library=library, question="Atlas?", now=now)
    sent = []
    monkeypatch.setattr(events, "publish_now", lambda group, e: sent.append(e))
    with django_capture_on_commit_callbacks() as callbacks:
        services.conversation_accept(conversation_id=chat.pk, actor=mine, now=now)
    with CaptureQueriesContext(connection) as captured:
        for callback in callbacks:
            callback()
    assert [e for e in sent if e["type"].startswith("desk.waiting")] == [
        {
            "type": "desk.waiting_gone",
            "conversation": chat.pk,
            "seq": Conversation.objects.get(pk=chat.pk).last_seq,
        }
    ]
    assert not [q for q in captured if "chat_conversation" in q["sql"]]


def test_the_offer_is_read_in_the_same_few_queries_however_many_are_online(world):
    library, local, *_rest, now = world

    def queries():
        chat = services.conversation_start(library=library, question="?", now=now)
        with CaptureQueriesContext(connection) as captured:
            selectors.waiting_event(chat.pk, at=now)
        return len(captured)

    few = queries()
    for _ in range(20):
        monitor(StaffFactory(library=library), local, now)
    assert queries() == few


def test_the_pickup_key_sorts_as_pickup_order(world):
    library, *_rest, now = world
    chats = [
        services.conversation_start(
            library=library,
            question=str(i),
            resident=resident,
            now=now + timedelta(seconds=i % 3),
        )
        for i, resident in enumerate([False, True, False, True, True, False])
    ]
    by_key = sorted(chats, key=selectors.pickup_key)
    expected = list(
        Conversation.objects.filter(pk__in=[c.pk for c in chats]).pickup_order()
    )
    assert [c.pk for c in by_key] == [c.pk for c in expected]


# --- Over the sockets ---------------------------------------------------------------


@database_sync_to_async
def two_desks_world():
    library = LibraryFactory(code="desks", website="https://desks.example.org/")
    local = open_all_week(QueueFactory(library=library))
    other_queue = open_all_week(QueueFactory(library=LibraryFactory(code="far")))
    first, second = StaffFactory(library=library), StaffFactory(library=library)
    elsewhere = StaffFactory(library=other_queue.library)
    now = timezone.now()
    monitor(first, local, now)
    monitor(second, local, now)
    monitor(elsewhere, other_queue, now)
    return library, first, second, elsewhere


start = database_sync_to_async(services.conversation_start)
accept = database_sync_to_async(services.conversation_accept)


async def nothing_more(ws, kinds, wait=0.3):
    """No frame of `kinds` arrives within `wait` seconds. (A receive that
    times out would stop the application: look before taking.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while (left := deadline - loop.time()) > 0:
        if await ws.receive_nothing(timeout=min(left, 0.05), interval=0.01):
            continue
        frame = await ws.receive_json_from()
        assert frame["type"] not in kinds, frame


@pytest.mark.django_db(transaction=True)
async def test_desks_follow_a_chat_from_start_to_pickup_without_rereading_lists():
    library, first, second, elsewhere = await two_desks_world()
    desks = [await desk_socket(s) for s in (first, second, elsewhere)]
    for desk in desks:
        assert (await receive(desk, "waiting"))["chats"] == []

    chat = await start(library=library, question="Where are the maps?")
    for desk in desks[:2]:
        added = (await receive(desk, "waiting_add"))["chat"]
        assert (added["id"], added["question"], added["for_me"]) == (
            chat.pk,
            "Where are the maps?",
            False,
        )
    await nothing_more(desks[2], {"waiting_add", "waiting"})

    await desks[0].send_json_to({"type": "accept", "conversation": chat.pk})
    assert (await receive(desks[0], "accepted"))["conversation"]["id"] == chat.pk
    removed = await receive(desks[1], "waiting_remove")
    assert removed == {"type": "waiting_remove", "conversation": chat.pk}
    # The winner's chat is not read a second time for it; nobody re-reads a list.
    await nothing_more(desks[0], {"conversation", "waiting"})
    await nothing_more(desks[1], {"waiting"})
    await nothing_more(desks[2], {"waiting_remove", "waiting"})
    for desk in desks:
        await desk.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_offer_that_crossed_a_later_gone_is_ignored():
    library, first, _second, _elsewhere = await two_desks_world()
    desk = await desk_socket(first)
    await receive(desk, "waiting")
    chat = await start(library=library, question="Late?")
    offer = await database_sync_to_async(selectors.waiting_event)(chat.pk)
    await receive(desk, "waiting_add")
    await accept(conversation_id=chat.pk, actor=first)
    await receive(desk, "waiting_remove")
    # The offer, published by a slower process, arrives after the pickup.
    await get_channel_layer().group_send(events.DESK, offer)
    await nothing_more(desk, {"waiting_add"})
    await desk.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_full_list_takes_the_chats_it_left_out_when_one_leaves(monkeypatch):
    monkeypatch.setattr(selectors, "WAITING_LIST_LENGTH", 2)
    library, first, second, _elsewhere = await two_desks_world()
    chats = [
        await start(library=library, question=f"Q{i}", resident=False) for i in range(2)
    ]
    desk = await desk_socket(first)
    assert [c["id"] for c in (await receive(desk, "waiting"))["chats"]] == [
        c.pk for c in chats
    ]
    # After the end of the list:
    third = await start(library=library, question="Q2", resident=False)
    await nothing_more(desk, {"waiting_add"})
    resident = await start(library=library, question="R", resident=True)
    frames = await receive_each(desk, "waiting_remove", "waiting_add")
    assert frames["waiting_remove"]["conversation"] == chats[1].pk  # pushed out
    assert frames["waiting_add"]["chat"]["id"] == resident.pk

    await accept(conversation_id=resident.pk, actor=second)
    assert (await receive(desk, "waiting_remove"))["conversation"] == resident.pk
    refreshed = await receive(desk, "waiting")
    assert [c["id"] for c in refreshed["chats"]] == [chats[0].pk, chats[1].pk]
    assert third.pk not in [c["id"] for c in refreshed["chats"]]
    await desk.disconnect()


def _desk_events(func, **kwargs):
    _result, published = events.collect_published(func, **kwargs)
    return [event["type"] for group, event in published if group == events.DESK]


@pytest.mark.django_db(transaction=True)
def test_only_a_chat_that_was_waiting_leaves_the_waiting_lists_when_it_ends(world):
    library, _local, _coop, mine, _colleague, _coop_librarian, now = world
    left = services.conversation_start(library=library, question="Maps?", now=now)
    assert _desk_events(services.conversation_end, conversation_id=left.pk) == [
        "desk.waiting_gone",
        "desk.duty",
    ]
    taken = services.conversation_start(library=library, question="Atlas?", now=now)
    services.conversation_accept(conversation_id=taken.pk, actor=mine, now=now)
    # An active chat was on no waiting list: the desks are not told of it.
    assert _desk_events(
        services.conversation_end, conversation_id=taken.pk, actor=mine
    ) == ["desk.duty"]


class RecordingLayer:
    def __init__(self):
        self.sent = []

    async def group_send(self, group, event):
        self.sent.append((group, event["type"], asyncio.get_running_loop().time()))

    def times(self, kind):
        return [at for _group, sent_kind, at in self.sent if sent_kind == kind]


async def test_a_burst_of_read_again_hints_reaches_each_group_once_now_and_once_after(
    monkeypatch,
):
    """Every pickup tells every desk that the on-duty list changed: ten in a
    row cost each desk two events (one at once, one at the end of the
    window, so the last change is never missed), not ten; other events are
    all sent."""
    layer = RecordingLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(
        events, "COALESCE_SECONDS", {"desk.duty": 0.2, "chat.position": 0.1}
    )
    for _ in range(10):
        await events.send_published(
            [
                ("chat.7", {"type": "chat.state", "conversation": 7}),
                (events.DESK, {"type": "desk.duty"}),
                (events.WAITING, {"type": "chat.position"}),
            ]
        )
        await asyncio.sleep(0.005)
    assert len(layer.times("chat.state")) == 10
    assert len(layer.times("desk.duty")) == len(layer.times("chat.position")) == 1
    await asyncio.sleep(0.3)
    first, last = layer.times("desk.duty")
    assert last - first >= 0.2 - 0.01
    assert len(layer.times("chat.position")) == 2
    await asyncio.sleep(0.3)  # nothing more is due
    assert len(layer.times("desk.duty")) == len(layer.times("chat.position")) == 2
    # After a quiet window the next hint goes at once again.
    await events.send_published([(events.DESK, {"type": "desk.duty"})])
    assert len(layer.times("desk.duty")) == 3


def test_hints_from_synchronous_code_are_sent_at_once(monkeypatch):
    """A Celery task's `async_to_sync` runs each send on a loop of its own,
    which would never run a send left for later: it sends every time."""
    layer = RecordingLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    for _ in range(3):
        events.publish_now(events.DESK, {"type": "desk.duty"})
    assert len(layer.times("desk.duty")) == 3
