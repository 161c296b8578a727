"""On PostgreSQL the chat sockets run their database work on a few threads
of their own (`chat.consumers.db`), each keeping its pooled connection from
one frame to the next instead of giving it back and taking one again, with
its set-up, for every frame; a connection that breaks is dropped."""

import threading

import pytest
from django.db import InterfaceError, OperationalError, connection, connections
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


def _pid():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def on_every_thread(func):
    """`func`'s result (or the database error it raised) on each of the
    chat database threads: a barrier holds each until all have one."""
    barrier = threading.Barrier(consumers.DATABASE_THREADS)
    kept = consumers._on_kept_connection(func)

    def task():
        barrier.wait(timeout=10)
        try:
            return kept()
        except (OperationalError, InterfaceError) as error:
            return error

    futures = [
        consumers._database_executor.submit(task)
        for _ in range(consumers.DATABASE_THREADS)
    ]
    return [future.result(timeout=30) for future in futures]


def test_a_connection_the_server_closed_fails_once_then_is_replaced():
    before = on_every_thread(_pid)
    assert len(set(before)) == consumers.DATABASE_THREADS

    with connection.cursor() as cursor:  # a connection of its own
        for pid in before:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])

    first = on_every_thread(_pid)
    assert all(isinstance(result, Exception) for result in first)
    after = on_every_thread(_pid)
    assert all(isinstance(pid, int) for pid in after)
    assert not set(after) & set(before)
