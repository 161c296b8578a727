"""On PostgreSQL the chat sockets run their database work on a few threads
of their own (`chat.consumers.db`), each keeping its pooled connection from
one frame to the next instead of giving it back and taking one again, with
its set-up, for every frame; a connection that breaks is dropped."""

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError, connection, connections
from django.db.backends.signals import connection_created

from chat import consumers

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite keeps Channels' single database thread",
    ),
    pytest.mark.django_db(transaction=True),
]


@consumers.db
def backend_pid():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


async def test_the_threads_keep_their_connections_from_call_to_call():
    opened = []

    def count(sender, connection, **kwargs):
        opened.append(connection)

    connection_created.connect(count)
    try:
        pids = {await backend_pid() for _ in range(60)}
    finally:
        connection_created.disconnect(count)
    assert len(opened) <= consumers.DATABASE_THREADS
    assert len(pids) <= consumers.DATABASE_THREADS


async def test_a_connection_the_server_closed_is_dropped_and_the_next_call_works():
    pids = {await backend_pid() for _ in range(60)}

    # From a connection of its own, end every connection the threads hold.
    def end_them():
        with connection.cursor() as cursor:
            for pid in pids:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    await sync_to_async(end_them, thread_sensitive=False)()
    failures = 0
    for _ in range(4 * consumers.DATABASE_THREADS):
        try:
            await backend_pid()
        except OperationalError:
            failures += 1
    # At most one failure per dropped connection; then fresh ones work.
    assert failures <= len(pids)
    assert (await backend_pid()) not in pids
