"""Realtime payloads of the chat app and how they are published.

Groups on the channel layer:
  chat.<conversation id>   the patron's sockets of one chat (never notes)
  staff.<staff id>         every desk socket of one librarian
  desk                     every desk socket: one waiting chat offered (with
                           its row and who may pick it up) or gone, and hints
                           that the on-duty list changed
  waiting                  sockets of waiting patrons: positions changed

Services publish with `publish_on_commit`, so nothing is pushed for a
transaction that rolls back; the database stays the source of truth and a
client that missed a push re-reads it.

Consumers call services through `collect_published` and `send_published`:
the service runs in a database thread and what it publishes is sent
afterwards from the event loop, so database threads never wait for Redis.

Two hints only say "read again", and every accept, end or start repeats
them to every desk or every waiting patron: `desk.duty` and `chat.position`.
A process sends each at most once per `COALESCE_SECONDS` window (the first at
once, the rest of a burst as one at the end of the window), so a burst of
pickups costs each desk one event, not one per pickup.
"""

from __future__ import annotations

import asyncio
import threading
import weakref

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse

DESK = "desk"
WAITING = "waiting"


def patron_group(conversation_id: int) -> str:
    return f"chat.{conversation_id}"


def staff_group(staff_id: int) -> str:
    return f"staff.{staff_id}"


_collecting = threading.local()


COALESCE_SECONDS = {"desk.duty": 1.0, "chat.position": 0.25}


class _Coalescer:
    """Per event loop: when each coalesced (group, type) may next be sent,
    and which are due at the end of their window. A short-lived loop (the
    one `async_to_sync` makes in a Celery task) sends at once: it has no
    earlier send."""

    def __init__(self):
        self.loops = weakref.WeakKeyDictionary()

    def send(self, layer, group: str, event: dict):
        """An awaitable sending `event` now, or None when it joins the
        send due at the end of the current window."""
        loop = asyncio.get_running_loop()
        next_at, due = self.loops.setdefault(loop, ({}, set()))
        key, now = (group, event["type"]), loop.time()
        if key in due:
            return None
        if now >= next_at.get(key, 0.0):
            next_at[key] = now + COALESCE_SECONDS[event["type"]]
            return layer.group_send(group, event)
        due.add(key)

        def fire():
            due.discard(key)
            next_at[key] = loop.time() + COALESCE_SECONDS[event["type"]]
            asyncio.ensure_future(layer.group_send(group, event))

        loop.call_at(next_at[key], fire)
        return None


_coalescer = _Coalescer()


async def _group_send(layer, group: str, event: dict) -> None:
    if event["type"] in COALESCE_SECONDS:
        sending = _coalescer.send(layer, group, event)
        if sending is not None:
            await sending
        return
    await layer.group_send(group, event)


def publish_now(group: str, event: dict) -> None:
    """Send at once, from synchronous code. Prefer `publish_on_commit`.
    Inside `collect_published` the event is handed to the caller instead."""
    collected = getattr(_collecting, "events", None)
    if collected is not None:
        collected.append((group, event))
        return
    async_to_sync(_group_send)(get_channel_layer(), group, event)


def collect_published(func, /, *args, **kwargs):
    """Call the synchronous `func` (a service) and return `(its result, the
    events it published)`: they are collected instead of sent, for the
    caller to send from the event loop with `send_published`."""
    _collecting.events = []
    try:
        return func(*args, **kwargs), _collecting.events
    finally:
        _collecting.events = None


async def send_published(collected) -> None:
    """Send, in order, events from `collect_published`."""
    if collected:
        layer = get_channel_layer()
        groups = {}  # in order within a group; groups at once
        for group, event in collected:
            groups.setdefault(group, []).append(event)

        async def send(group, events):
            for event in events:
                await _group_send(layer, group, event)

        await asyncio.gather(*(send(g, e) for g, e in groups.items()))


def publish_on_commit(group: str, event: dict) -> None:
    transaction.on_commit(lambda: publish_now(group, event))


def iso(value):
    return value.isoformat() if value else None


def attachment_payload(message, att, *, for_patron: bool) -> dict:
    conversation = message.conversation
    url = (
        reverse("chat-patron-file", args=[conversation.patron_token, att.pk])
        if for_patron
        else reverse("desk-file", args=[conversation.pk, att.pk])
    )
    return {
        "name": att.name,
        "size": att.size,
        "content_type": att.content_type,
        "url": url,
    }


def message_payload(message, *, for_patron: bool) -> dict:
    """A message as clients show it. `attachments` lists its files in order;
    `attachment` is the first of them (or null), as clients older than
    several files per message read it. (Fresh messages know their files:
    `_append` and `attach` keep them, so this needs no query.)"""
    files = message.files if message.sender != "system" else []
    attachments = [
        attachment_payload(message, att, for_patron=for_patron) for att in files
    ]
    author = None
    if message.author_id and message.sender in ("librarian", "note"):
        author = message.author.chat_name
    return {
        "seq": message.seq,
        "sender": message.sender,
        "body": message.body,
        "author": author,
        "client_id": message.client_id,
        "created_at": iso(message.created_at),
        "attachment": attachments[0] if attachments else None,
        "attachments": attachments,
        "sms": None if for_patron else _sms_state(message),
    }


def _sms_state(message) -> dict | None:
    """The text's delivery (`{"status", "error"}`) of a message sent or
    received by SMS, without a query: set by the SMS services on a fresh
    message, or read with `select_related("sms")` (`messages_after`)."""
    if "sms_state" in message.__dict__:
        return message.__dict__["sms_state"]
    return sms_state(message._state.fields_cache.get("sms"))


def sms_state(sms) -> dict | None:
    """A text's delivery (an `SmsMessage`) as message payloads carry it."""
    if sms is None:
        return None
    return {"status": sms.status, "error": sms.error}


def publish_message(message) -> None:
    """A new message to the patron (unless it is a note) and to the chat's
    librarian, after commit. The payload is built at commit time, so what
    the transaction added to the message (its attachment) is in it."""
    conversation = message.conversation
    librarian_id = conversation.librarian_id

    def send():
        if message.sender != "note":
            publish_now(
                patron_group(conversation.pk),
                {
                    "type": "chat.message",
                    "message": message_payload(message, for_patron=True),
                },
            )
        if librarian_id:
            publish_now(
                staff_group(librarian_id),
                {
                    "type": "chat.message",
                    "conversation": conversation.pk,
                    "message": message_payload(message, for_patron=False),
                },
            )

    transaction.on_commit(send)


def publish_state(conversation, *, was_waiting: bool = True) -> None:
    """The conversation changed: the patron re-reads its state, the librarian
    its chat, the desks that list it as waiting add or drop it (unless it
    was not waiting and is not now), and the on-duty list (who has how many
    chats) is read again."""
    publish_on_commit(
        patron_group(conversation.pk),
        {"type": "chat.state", "conversation": conversation.pk},
    )
    for staff_id in {conversation.librarian_id, conversation.transferred_from_id}:
        if staff_id:
            publish_on_commit(
                staff_group(staff_id),
                {"type": "chat.changed", "conversation": conversation.pk},
            )
    if was_waiting or conversation.status == conversation.Status.WAITING:
        publish_waiting(conversation)
    publish_on_commit(DESK, {"type": "desk.duty"})


def publish_waiting(conversation, *, as_stored: bool = False) -> None:
    """The chat's place on the waiting lists may have changed (it started,
    was picked up, ended, was transferred, reached the co-op queues). After
    commit its row is read once and offered to the desks that may pick it up
    (`desk.waiting_offer`), or every desk drops it (`desk.waiting_gone`): no
    desk re-reads its whole list. Waiting patrons re-read their position.

    `as_stored`: `conversation` holds exactly what the transaction stored,
    with its library and queue (a chat just started), so the offer is built
    from it without reading the chat again. A change committed meanwhile
    elsewhere (a pickup) appended a message: its event has a higher `seq`
    and wins at every desk, whichever arrives first."""
    conversation_id = conversation.pk

    def send():
        from chat.selectors import waiting_event  # selectors import this module

        if conversation.status == conversation.Status.WAITING:
            stored = conversation if as_stored else None
            publish_now(DESK, waiting_event(conversation_id, stored=stored))
        else:
            # Committed as not waiting (picked up, ended): nothing to read.
            # A later wait (a transfer) appends a message, so its offer
            # comes with a higher `seq` and wins over this.
            publish_now(DESK, waiting_gone(conversation_id, conversation.last_seq))
        publish_now(WAITING, {"type": "chat.position"})

    transaction.on_commit(send)


def waiting_gone(conversation_id: int, seq: int) -> dict:
    """Every desk drops the chat from its waiting list (`seq`: see
    `selectors.waiting_event`)."""
    return {"type": "desk.waiting_gone", "conversation": conversation_id, "seq": seq}


def publish_alert(
    staff_ids, *, kind: str, message: str, conversation_id=None, suggestion=None
) -> None:
    event = {
        "type": "desk.alert",
        "kind": kind,
        "conversation": conversation_id,
        "message": message,
        "suggestion": suggestion,
    }
    for staff_id in set(staff_ids):
        publish_on_commit(staff_group(staff_id), event)


def publish_ticket(ticket) -> None:
    """A ticket changed: desks showing tickets refresh their inbox."""
    publish_on_commit(
        DESK,
        {"type": "desk.tickets", "ticket": ticket.pk, "library": ticket.library_id},
    )
