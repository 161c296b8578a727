"""Starting and picking up a chat are on every chat's path: their SQL
statements are counted here (issue 15), in the service and in what runs
after its commit (the offer to the desks), and they do not grow with the
number of librarians online or of chats waiting. The calendar and the
consortium settings are kept per process (read once, below, before
counting)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import selectors, services
from tests.chat.conftest import NOW, monitor, start
from tests.consortium.factories import StaffFactory

START, START_AFTER_COMMIT = 5, 2
ACCEPT, ACCEPT_AFTER_COMMIT = 10, 0


def statements(captured) -> int:
    return sum(
        1
        for query in captured
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    )


def counted(capture_on_commit, work) -> tuple[object, int, int]:
    with capture_on_commit(execute=False) as callbacks:
        with CaptureQueriesContext(connection) as during:
            result = work()
    with CaptureQueriesContext(connection) as after:
        for callback in callbacks:
            callback()
    return result, statements(during), statements(after)


@pytest.mark.parametrize("crowd", [0, 20], ids=["alone", "20 more online, 20 waiting"])
def test_a_start_and_a_pickup_take_a_fixed_number_of_statements(
    setup, crowd, django_capture_on_commit_callbacks
):
    library, local, _coop, librarian, _ = setup
    monitor(librarian, local)
    for _ in range(crowd):
        monitor(StaffFactory(library=library), local)
        start(library)
    start(library)  # the kept calendar and settings are read
    chat, during, after = counted(
        django_capture_on_commit_callbacks, lambda: start(library)
    )
    assert (during, after) == (START, START_AFTER_COMMIT)
    _, during, after = counted(
        django_capture_on_commit_callbacks,
        lambda: services.conversation_accept(
            conversation_id=chat.pk, actor=librarian, now=NOW
        ),
    )
    assert (during, after) == (ACCEPT, ACCEPT_AFTER_COMMIT)


def test_a_started_chat_is_offered_as_a_read_of_it_would_offer_it(setup):
    """The offer after a start is built from the chat as stored, not read
    again (the 2 statements after commit above): it is the offer a read
    gives."""
    library, local, _coop, librarian, _ = setup
    monitor(librarian, local)
    chat = start(library)
    assert selectors.waiting_event(chat.pk, NOW, stored=chat) == (
        selectors.waiting_event(chat.pk, NOW)
    )


def test_a_patron_state_is_one_read_and_its_place_one_more_while_waiting(
    setup, django_assert_num_queries
):
    library, local, _coop, librarian, _ = setup
    monitor(librarian, local)
    chat = start(library)
    with django_assert_num_queries(2):
        _, waiting = selectors.patron_state_read(chat.pk, NOW)
    assert waiting["position"] == 1
    services.conversation_accept(conversation_id=chat.pk, actor=librarian, now=NOW)
    with django_assert_num_queries(1):
        _, active = selectors.patron_state_read(chat.pk, NOW)
    chat.refresh_from_db()
    assert active == selectors.patron_state(chat, NOW)
    assert active["librarian"] == librarian.chat_name
