"""`message_post` has two paths: on PostgreSQL the common case is one SQL
statement (`_append_in_one_statement`); anything else, and SQLite, takes the
general path under the row lock. Both must give the same answers, and the
fast one must stay fast: a column added to `chat_message` without a default
made its INSERT fail, a broad `except IntegrityError` hid that, and every
message silently cost six statements (issue 15). These tests count the
statements and run every case down both paths."""

import pytest
from django.db import IntegrityError, connection, transaction

from chat import services
from chat.models import Message
from chat.services import conversations
from consortium.db import is_unique_violation
from consortium.models import Staff
from consortium.services import DomainError
from tests.chat.conftest import accepted_chat

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)
PATHS = [
    pytest.param("fast", marks=on_postgresql),
    "general",
]


@pytest.fixture(params=PATHS)
def path(request, monkeypatch):
    """'general' switches the fast path off, as on SQLite."""
    if request.param == "general":
        monkeypatch.setattr(conversations, "_append_in_one_statement", _not_taken)
    return request.param


def _not_taken(*args, **kwargs):
    return None


def post(chat, body="hello", client_id="", sender="patron", author=None):
    return services.message_post(
        conversation_id=chat.pk,
        sender=sender,
        body=body,
        client_id=client_id,
        author=author,
    )


# --- The fast path is taken: one statement ------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_patron_message_is_one_sql_statement(setup, django_assert_num_queries):
    chat = accepted_chat(setup)
    with django_assert_num_queries(1):
        message, new = post(chat, "Where is the atlas?", client_id="p-1")
    assert new and message.seq == chat.last_seq + 1
    stored = Message.objects.get(pk=message.pk)
    assert (stored.body, stored.sender, stored.client_id) == (
        "Where is the atlas?",
        "patron",
        "p-1",
    )
    assert (stored.email_message_id, stored.full_text) == ("", "")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_librarian_message_and_a_note_are_one_sql_statement_each(
    setup, django_assert_num_queries
):
    chat = accepted_chat(setup)
    # The desk's signed-in librarian, whose library (for the chat name in
    # the push) the consumer has already loaded by its first message.
    librarian = Staff.objects.select_related("library").get(pk=chat.librarian_id)
    with django_assert_num_queries(1):
        answer, _ = post(chat, "Second floor.", "l-1", "librarian", librarian)
    with django_assert_num_queries(1):
        note, _ = post(chat, "Regular.", "l-2", "note", librarian)
    assert [answer.seq, note.seq] == [chat.last_seq + 1, chat.last_seq + 2]
    assert answer.author_id == note.author_id == librarian.pk
    chat.refresh_from_db()
    assert chat.last_librarian_at == answer.created_at


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_fast_path_raises_an_error_it_does_not_expect(setup, monkeypatch):
    """The regression itself: a NOT NULL column the statement leaves out is
    an error, not a quiet detour through the general path."""
    chat = accepted_chat(setup)
    broken = conversations._APPEND_SQL.replace("'', ''", "NULL, ''")
    assert broken != conversations._APPEND_SQL
    monkeypatch.setattr(conversations, "_APPEND_SQL", broken)
    with pytest.raises(IntegrityError, match="full_text|email_message_id"):
        post(chat, "hello", client_id="x-1")
    assert not Message.objects.filter(client_id="x-1").exists()


# --- Both paths, the same answers ---------------------------------------------------


def test_a_new_message_gets_the_next_number(setup, path):
    chat = accepted_chat(setup)
    message, new = post(chat, "hello", client_id="c1")
    assert new and message.seq == chat.last_seq + 1
    assert message.conversation.patron_token == chat.patron_token
    chat.refresh_from_db()
    assert chat.last_seq == message.seq
    assert chat.last_patron_at == message.created_at


def test_a_resend_returns_the_stored_message(setup, path):
    chat = accepted_chat(setup)
    first, _ = post(chat, "hello", client_id="c1")
    again, new = post(chat, "hello (resent)", client_id="c1")
    assert (again.pk, again.seq, again.body, new) == (
        first.pk,
        first.seq,
        "hello",
        False,
    )
    assert chat.messages.filter(client_id="c1").count() == 1


def test_an_ended_chat_refuses_new_messages_and_answers_resends(setup, path):
    chat = accepted_chat(setup)
    stored, _ = post(chat, "bye", client_id="last")
    services.conversation_end(conversation_id=chat.pk)
    again, new = post(chat, "bye", client_id="last")
    assert (again.pk, new) == (stored.pk, False)
    with pytest.raises(DomainError, match="has ended") as error:
        post(chat, "more", client_id="new")
    assert error.value.code == "ended"


def test_only_the_chats_librarian_writes_in_it(setup, path):
    *_, coop_librarian = setup
    chat = accepted_chat(setup)
    before = chat.messages.count()
    for sender in ("librarian", "note"):
        with pytest.raises(DomainError, match="Only the librarian") as error:
            post(chat, "hi", f"{sender}-1", sender, coop_librarian)
        assert error.value.code == "not_yours"
    assert chat.messages.count() == before


def test_a_chat_that_does_not_exist(setup, path):
    with pytest.raises(DomainError, match="does not exist") as error:
        services.message_post(conversation_id=0, sender="patron", body="x")
    assert error.value.code == "not_found"


def test_inside_a_transaction_a_message_leaves_it_usable(setup, path):
    """Callers in a transaction of their own (the file upload) keep it after a
    resend: the fast path's savepoint, the general path's lookup."""
    chat = accepted_chat(setup)
    with transaction.atomic():
        first, _ = post(chat, "file", client_id="f1")
        again, new = post(chat, "file", client_id="f1")
        assert (again.pk, new) == (first.pk, False)
        assert chat.messages.count() >= 1


# --- Telling the expected error from the others -------------------------------------


def test_is_unique_violation_names_the_constraint(setup):
    chat = accepted_chat(setup)
    message, _ = post(chat, "hello", client_id="c1")
    same = {"conversation": chat, "sender": "patron", "body": "x"}
    with pytest.raises(IntegrityError) as resent, transaction.atomic():
        Message.objects.create(**same, seq=message.seq + 1, client_id="c1")
    with pytest.raises(IntegrityError) as renumbered, transaction.atomic():
        Message.objects.create(**same, seq=message.seq, client_id="c2")
    assert is_unique_violation(resent.value, Message, "message_client_id_unique")
    assert not is_unique_violation(resent.value, Message, "message_seq_unique")
    assert is_unique_violation(renumbered.value, Message, "message_seq_unique")
    assert not is_unique_violation(
        renumbered.value, Message, "message_client_id_unique"
    )
