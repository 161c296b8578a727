"""Starting, routing and accepting chats; messages with sequence numbers."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from chat import selectors, services
from chat.models import Conversation, Message
from consortium.services import DomainError
from tests.chat.conftest import NOW, accepted_chat, monitor, open_all_week, start
from tests.consortium.factories import LibraryFactory, QueueFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_local_online_offers_locally_then_to_the_coop_after_the_delay(setup):
    library, local, coop, local_librarian, coop_librarian = setup
    monitor(local_librarian, local)
    monitor(coop_librarian, coop)
    chat = start(library)
    assert chat.coop_at == NOW + timedelta(seconds=15)
    assert list(selectors.acceptable_by(local_librarian, NOW)) == [chat]
    assert (
        list(selectors.acceptable_by(coop_librarian, NOW + timedelta(seconds=14))) == []
    )
    assert list(
        selectors.acceptable_by(coop_librarian, NOW + timedelta(seconds=15))
    ) == [chat]


def test_local_offline_goes_to_the_coop_at_once(setup):
    library, _, coop, _, coop_librarian = setup
    monitor(coop_librarian, coop)
    chat = start(library)
    assert chat.coop_at == NOW
    assert list(selectors.acceptable_by(coop_librarian, NOW)) == [chat]


def test_nothing_online_refuses_and_stores_nothing(setup):
    library, *_ = setup
    with pytest.raises(services.NobodyOnline):
        start(library)
    assert not Conversation.objects.exists()


def test_the_question_is_message_one(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library, question="  Do you have tax forms?  ")
    assert list(chat.messages.values_list("seq", "sender", "body")) == [
        (1, "patron", "Do you have tax forms?")
    ]


def test_an_empty_question_is_refused(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    with pytest.raises(DomainError, match="type your question"):
        start(library, question="   ")


def test_residents_first_then_longest_waiting(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    early_visitor = start(library, resident=False)
    resident = services.conversation_start(
        library=library, question="q", now=NOW + timedelta(seconds=5)
    )
    later_resident = services.conversation_start(
        library=library, question="q", now=NOW + timedelta(seconds=9)
    )
    assert list(
        selectors.acceptable_by(local_librarian, NOW + timedelta(seconds=10))
    ) == [resident, later_resident, early_visitor]


def test_accept_joins_the_librarian_and_tells_the_patron(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library)
    services.conversation_accept(
        conversation_id=chat.pk, actor=local_librarian, now=NOW
    )
    chat.refresh_from_db()
    assert chat.status == "active" and chat.librarian == local_librarian
    assert chat.messages.last().body == f"{local_librarian.chat_name} joined the chat."


def test_a_second_accept_is_told_another_librarian_has_it(setup):
    library, local, _, local_librarian, _ = setup
    other = StaffFactory(library=library)
    monitor(local_librarian, local)
    monitor(other, local)
    chat = start(library)
    services.conversation_accept(
        conversation_id=chat.pk, actor=local_librarian, now=NOW
    )
    with pytest.raises(DomainError, match="Another librarian"):
        services.conversation_accept(conversation_id=chat.pk, actor=other, now=NOW)


def test_accept_is_refused_before_the_coop_instant(setup):
    library, local, coop, local_librarian, coop_librarian = setup
    monitor(local_librarian, local)
    monitor(coop_librarian, coop)
    chat = start(library)
    with pytest.raises(DomainError, match="not on a queue you monitor"):
        services.conversation_accept(
            conversation_id=chat.pk, actor=coop_librarian, now=NOW
        )


def test_accept_respects_the_max_concurrent_chats(setup):
    library, local, _, local_librarian, _ = setup
    local_librarian.max_chats = 1
    local_librarian.save()
    monitor(local_librarian, local)
    first, second = start(library), start(library)
    services.conversation_accept(
        conversation_id=first.pk, actor=local_librarian, now=NOW
    )
    with pytest.raises(DomainError, match="1 chats open"):
        services.conversation_accept(
            conversation_id=second.pk, actor=local_librarian, now=NOW
        )


def test_messages_get_consecutive_numbers_and_resends_are_stored_once(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library)
    services.conversation_accept(
        conversation_id=chat.pk, actor=local_librarian, now=NOW
    )
    msg, new = services.message_post(
        conversation_id=chat.pk, sender="patron", body="hello", client_id="c1"
    )
    again, again_new = services.message_post(
        conversation_id=chat.pk, sender="patron", body="hello", client_id="c1"
    )
    assert new and not again_new and again.pk == msg.pk
    services.message_post(
        conversation_id=chat.pk, sender="note", body="regular", author=local_librarian
    )
    assert list(chat.messages.values_list("seq", flat=True)) == [1, 2, 3, 4]
    patron_view = selectors.messages_after(chat, 2, include_notes=False)
    assert [m.body for m in patron_view] == ["hello"]
    assert [m.seq for m in selectors.messages_after(chat, 2, include_notes=True)] == [
        3,
        4,
    ]


@pytest.mark.parametrize(
    "body, error",
    [("   ", "cannot be empty"), ("x" * 4001, "at most 4000 characters")],
)
def test_bad_messages_are_refused_with_a_reason(setup, body, error):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library)
    with pytest.raises(DomainError, match=error):
        services.message_post(conversation_id=chat.pk, sender="patron", body=body)
    assert chat.messages.count() == 1


def test_only_the_chats_librarian_writes_as_librarian(setup):
    library, local, _, local_librarian, coop_librarian = setup
    monitor(local_librarian, local)
    chat = start(library)
    services.conversation_accept(
        conversation_id=chat.pk, actor=local_librarian, now=NOW
    )
    with pytest.raises(DomainError, match="Only the librarian"):
        services.message_post(
            conversation_id=chat.pk,
            sender="librarian",
            body="hi",
            author=coop_librarian,
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks race only on PostgreSQL"
)
def test_fifty_simultaneous_accepts_have_exactly_one_winner():
    library = LibraryFactory(code="race")
    local = open_all_week(QueueFactory(library=library))
    librarians = [StaffFactory(library=library) for _ in range(50)]
    for librarian in librarians:
        monitor(librarian, local)
    for _round in range(3):
        chat = start(library)
        barrier = threading.Barrier(len(librarians))
        results = []

        def accept(librarian, chat_id=chat.pk, barrier=barrier, results=results):
            barrier.wait()
            try:
                services.conversation_accept(
                    conversation_id=chat_id, actor=librarian, now=NOW
                )
                results.append("won")
            except DomainError as error:
                results.append(error.message)
            finally:
                connection.close()

        threads = [threading.Thread(target=accept, args=(lib,)) for lib in librarians]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results.count("won") == 1
        assert results.count("Another librarian has already picked up this chat.") == 49
        chat.refresh_from_db()
        assert chat.messages.filter(sender=Message.Sender.SYSTEM).count() == 1


def test_a_message_records_who_was_last_active(setup):
    chat = accepted_chat(setup)
    librarian = chat.librarian
    later = NOW + timedelta(seconds=30)
    message, _ = services.message_post(
        conversation_id=chat.pk, sender="patron", body="hi", client_id="p1", now=later
    )
    assert message.conversation.librarian_id == librarian.pk
    chat.refresh_from_db()
    assert (chat.last_seq, chat.last_patron_at, chat.patron_last_seen) == (
        message.seq,
        later,
        later,
    )
    assert chat.last_librarian_at == NOW  # joined; a patron message leaves it
    much_later = later + timedelta(seconds=30)
    services.message_post(
        conversation_id=chat.pk,
        sender="librarian",
        body="hello",
        author=librarian,
        now=much_later,
    )
    services.message_post(
        conversation_id=chat.pk, sender="note", body="n", author=librarian
    )
    chat.refresh_from_db()
    assert (chat.last_patron_at, chat.last_librarian_at) == (later, much_later)
    assert list(chat.messages.values_list("sender", "author_id"))[-3:] == [
        ("patron", None),
        ("librarian", librarian.pk),
        ("note", librarian.pk),
    ]


def test_an_ended_chat_refuses_new_messages_but_answers_a_resend(setup):
    chat = accepted_chat(setup)
    stored, _ = services.message_post(
        conversation_id=chat.pk, sender="patron", body="bye", client_id="last"
    )
    services.conversation_end(conversation_id=chat.pk)
    again, new = services.message_post(
        conversation_id=chat.pk, sender="patron", body="bye", client_id="last"
    )
    assert (again.pk, new) == (stored.pk, False)
    with pytest.raises(DomainError, match="has ended") as error:
        services.message_post(
            conversation_id=chat.pk, sender="patron", body="more", client_id="new"
        )
    assert error.value.code == "ended"
    with pytest.raises(DomainError) as error:
        services.message_post(conversation_id=0, sender="patron", body="x")
    assert error.value.code == "not_found"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks race only on PostgreSQL"
)
def test_simultaneous_messages_get_distinct_numbers_and_a_resend_is_stored_once():
    library = LibraryFactory(code="busy")
    local = open_all_week(QueueFactory(library=library))
    librarian = StaffFactory(library=library)
    monitor(librarian, local)
    chat = start(library)
    services.conversation_accept(conversation_id=chat.pk, actor=librarian, now=NOW)
    barrier = threading.Barrier(40)
    results = []

    def post(n):
        barrier.wait()
        try:
            # Half of them resend one message; the rest are new messages.
            client_id = "same" if n % 2 else f"c{n}"
            message, new = services.message_post(
                conversation_id=chat.pk,
                sender="patron",
                body=f"message {n}",
                client_id=client_id,
            )
            results.append((client_id, message.pk, message.seq, new))
        except Exception as error:  # noqa: BLE001 - the assertion below shows it
            results.append(("error", repr(error), 0, False))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r for r in results if r[0] == "error"] == []
    assert len(results) == 40
    resent = [r for r in results if r[0] == "same"]
    assert len({r[1] for r in resent}) == 1
    assert sum(r[3] for r in resent) == 1
    chat.refresh_from_db()
    seqs = list(chat.messages.values_list("seq", flat=True))
    assert seqs == list(range(1, chat.last_seq + 1))
    assert chat.last_seq == 2 + 20 + 1  # question, joined, 20 new, the resent one
