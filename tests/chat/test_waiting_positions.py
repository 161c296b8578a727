"""Every waiting patron is told at once that positions moved, and each
process counts them all in one read (`selectors.waiting_positions`): the
same places `patron_position` counts for one chat, whatever mix of
residents, co-op chats and transfers is waiting."""

from datetime import timedelta

import pytest

from chat import selectors, services
from chat.models import Conversation
from tests.chat.conftest import NOW, monitor, open_all_week, start
from tests.consortium.factories import (
    CoopQueueFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)


@pytest.fixture
def crowd(db):
    """Libraries A and B share the co-op queue C, B and D share E; chats of
    all three wait, some still local, some at the co-op (after 15 s), one
    transferred to C and one to a named librarian."""
    c = open_all_week(CoopQueueFactory(code="coop-c"))
    e = open_all_week(CoopQueueFactory(code="coop-e"))
    libraries = {}
    for code, coops in (("a", [c]), ("b", [c, e]), ("d", [e])):
        library = LibraryFactory(code=code, fallback_delay_seconds=15)
        queue = open_all_week(QueueFactory(library=library))
        library.coops.add(*coops)
        librarian = StaffFactory(library=library)
        monitor(librarian, queue, NOW + timedelta(seconds=25))
        libraries[code] = library, queue, librarian
    for queue in (c, e):
        monitor(libraries["a"][2], queue, NOW + timedelta(seconds=25))
    chats = []
    for second, code, resident in (
        (0, "a", False),
        (1, "b", True),
        (2, "a", True),
        (3, "d", False),
        (4, "b", False),
        (5, "d", True),
        (20, "a", False),
        (21, "b", True),
        (22, "d", True),
        (23, "a", True),
    ):
        chats.append(
            start(
                libraries[code][0],
                now=NOW + timedelta(seconds=second),
                resident=resident,
            )
        )
    # Two of them are picked up and handed on: one to the co-op queue C,
    # one to a librarian by name.
    at = NOW + timedelta(seconds=30)
    a_librarian, b_librarian = libraries["a"][2], libraries["b"][2]
    for chat, holder, target in (
        (chats[6], a_librarian, {"to_queue_id": c.pk}),
        (chats[7], b_librarian, {"to_librarian_id": a_librarian.pk}),
    ):
        services.conversation_accept(conversation_id=chat.pk, actor=holder, now=at)
        services.conversation_transfer(
            conversation_id=chat.pk, actor=holder, note="Over to you.", now=at, **target
        )
    return at, libraries


def test_every_waiting_chat_has_the_place_patron_position_counts(crowd):
    at = crowd[0] + timedelta(seconds=1)
    waiting = list(Conversation.objects.waiting().select_related("library"))
    assert len(waiting) == 10
    assert {c.transfer_queue_id is not None for c in waiting} == {True, False}
    assert any(c.transfer_to_id for c in waiting)
    expected = {c.pk: selectors.patron_position(c, at) for c in waiting}
    assert selectors.waiting_positions(at) == expected
    # Early on, before any chat reached the co-op, the places differ.
    early = NOW + timedelta(seconds=6)
    assert selectors.waiting_positions(early) == {
        c.pk: selectors.patron_position(c, early) for c in waiting
    }
    assert selectors.waiting_positions(early) != expected


def test_a_chat_picked_up_leaves_and_the_others_move_up(crowd):
    at, libraries = crowd
    library, _queue, librarian = libraries["a"]
    first = Conversation.objects.waiting().filter(library=library).order_by("pk")[0]
    before = selectors.waiting_positions(at)
    services.conversation_accept(conversation_id=first.pk, actor=librarian, now=at)
    after = selectors.waiting_positions(at)
    assert set(after) == set(before) - {first.pk}
    moved = {pk for pk in after if after[pk] == before[pk] - 1}
    assert moved, "someone behind the chat picked up moves up"
    for chat in Conversation.objects.waiting().select_related("library"):
        assert after[chat.pk] == selectors.patron_position(chat, at)


def test_positions_are_two_queries_however_many_wait(crowd, django_assert_num_queries):
    at = crowd[0] + timedelta(seconds=1)
    with django_assert_num_queries(2):
        few = selectors.waiting_positions(at)
    library = crowd[1]["b"][0]
    for second in range(30):
        start(library, now=at + timedelta(seconds=second), resident=second % 2 == 0)
    with django_assert_num_queries(2):
        many = selectors.waiting_positions(at + timedelta(seconds=30))
    assert len(many) == len(few) + 30


def test_no_one_waiting_is_one_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.waiting_positions(NOW) == {}
