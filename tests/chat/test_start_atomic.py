"""A start is one transaction: when anything after the conversation's INSERT
fails, nothing of it stays (the decorator once slid onto the routing
dataclass above it, and a start became a run of autocommitted statements)."""

import pytest

from chat.models import Conversation, Message
from chat.services import conversations
from tests.chat.conftest import NOW, monitor, start


@pytest.mark.django_db(transaction=True)
def test_a_start_that_fails_half_way_stores_nothing(setup, monkeypatch):
    library, local, _coop, librarian, _ = setup
    monitor(librarian, local)

    def fail(*args, **kwargs):
        raise RuntimeError("the timers could not be stored")

    monkeypatch.setattr(conversations.timers, "schedule_waiting", fail)
    with pytest.raises(RuntimeError):
        start(library, now=NOW)
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()
