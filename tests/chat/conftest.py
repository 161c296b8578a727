"""Shared set-up of the chat tests: a library with a local queue and a co-op
queue open all week, a local librarian and a co-op librarian of another
library."""

from datetime import UTC, datetime

import pytest

from chat import services
from consortium import services as consortium_services
from tests.consortium.factories import (
    CoopQueueFactory,
    HoursFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York


def open_all_week(queue):
    for day in range(7):
        HoursFactory(queue=queue, weekday=day, opens=0, closes=24 * 60)
    return queue


@pytest.fixture
def setup(db):
    library = LibraryFactory(code="home", fallback_delay_seconds=15)
    local = open_all_week(QueueFactory(library=library))
    coop = open_all_week(CoopQueueFactory(code="coop-state"))
    library.coops.add(coop)
    local_librarian = StaffFactory(library=library)
    coop_librarian = StaffFactory(library=LibraryFactory(code="away"))
    return library, local, coop, local_librarian, coop_librarian


def monitor(staff, queue, at=NOW):
    consortium_services.queue_monitor_start(actor=staff, queue_id=queue.pk, now=at)


def start(library, now=NOW, **kwargs):
    return services.conversation_start(
        library=library,
        question=kwargs.pop("question", "Where are the books?"),
        now=now,
        **kwargs,
    )


def accepted_chat(setup, now=NOW, **kwargs):
    """A chat of the local library picked up by its local librarian."""
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local, now)
    chat = start(library, now=now, **kwargs)
    services.conversation_accept(
        conversation_id=chat.pk, actor=local_librarian, now=now
    )
    chat.refresh_from_db()
    return chat
