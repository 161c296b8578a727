"""The chat sockets (protocol: docs/chat-protocol.md).

`PatronConsumer` (/ws/chat/<token>/): the patron's side of one chat.
`DeskConsumer` (/ws/desk/): a librarian's desk: presence, the waiting list,
accepting, and messages of all their chats.

Consumers validate frames and call services; the database is the truth and
group events are hints after which a consumer re-reads what it sends.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http.request import validate_host
from django.utils import timezone

from chat import events, selectors, services
from chat.models import Conversation, Message
from chat.services import sms as sms_services
from consortium.consumers import JsonFrameConsumer, PresenceConsumer

logger = logging.getLogger(__name__)

FOREIGN_ORIGIN = 4403
NO_SUCH_CHAT = 4404
CHAT_FRAME_BYTES = 16 * 1024
WAITING_DEBOUNCE_SECONDS = 0.25
WAITING_VERSIONS_KEPT = 64
ON_DUTY_DEBOUNCE_SECONDS = 1.0


def _client_id(frame: dict) -> str | None:
    client_id = frame.get("client_id", "")
    if not isinstance(client_id, str) or len(client_id) > 64:
        return None
    return client_id


def _origin_allowed(origin: str | None, library) -> bool:
    """Browsers always send Origin: it must be this site or one of the
    library's widget origins. Clients that send none are not browsers, which
    an origin check cannot protect anyway."""
    if origin is None:
        return True
    parts = urlsplit(origin)
    if parts.hostname and validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        return True
    return origin.lower().rstrip("/") in library.allowed_origins()


def _waiting_remove(conversation_id: int) -> str:
    return json.dumps({"type": "waiting_remove", "conversation": conversation_id})


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


DATABASE_THREADS = 6


def _database_threads() -> ThreadPoolExecutor | None:
    """`database_sync_to_async` runs everything on one thread per process,
    so every socket's database work queued behind every other's and behind
    each of their round trips to PostgreSQL. The chat sockets use a few
    threads instead, each with a pooled connection; row locks keep the writes
    to one conversation in order. SQLite (development, tests) takes one
    writer at a time anyway: there they keep the single thread."""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return None
    return ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="chat-db")


_database_executor = _database_threads()


def _drop_if_unusable() -> None:
    """What `close_old_connections` does, but for a connection this thread
    keeps: drop it only if a transaction was left open or an error broke it.
    (Django's `close_if_unusable_or_obsolete` would close it at any age under
    the pool's CONN_MAX_AGE = 0, and mark the next query for a health check.)"""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.connection is None:
        return
    if connection.get_autocommit() != connection.settings_dict["AUTOCOMMIT"]:
        connection.close()
    elif connection.errors_occurred:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


def _on_kept_connection(func):
    """Run `func` on a chat database thread, which keeps its pooled
    connection: `database_sync_to_async` gave it back to the pool after
    every call and took one again before the next, with its set-up, for
    every frame (5 % of a worker's time at 500 chats)."""

    @functools.wraps(func)
    def call(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            _drop_if_unusable()

    return call


def db(func):
    """`database_sync_to_async` on the chat sockets' database threads."""
    if _database_executor is None:
        return database_sync_to_async(func)
    return sync_to_async(
        _on_kept_connection(func),
        thread_sensitive=False,
        executor=_database_executor,
    )


class DirectDispatch:
    """Channels runs `close_old_connections` in the database thread before
    every frame and group event it dispatches. These consumers reach the
    database only through `db`, which looks after the connection around each
    call itself, so the extra hop only queued every frame and every relayed
    message behind the database work of the whole process."""

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class SharedRead:
    """One read serving every socket of this process that asks for the same
    data at the same moment: a caller joins a read that started after
    `not_before`, else starts a new one."""

    def __init__(self, read):
        self.read = read
        self.task = self.started = self.loop = None

    async def get(self, not_before: float):
        loop = asyncio.get_running_loop()
        if self.loop is not loop or self.started < not_before:
            self.loop, self.started = loop, loop.time()
            self.task = asyncio.ensure_future(self.read())
        return await asyncio.shield(self.task)


async def _on_duty_frame() -> str:
    people = await db(selectors.on_duty)()
    return json.dumps({"type": "on_duty", "librarians": people})


class _WaitingLists:
    def __init__(self, board):
        self.board = board
        self.frames: dict[tuple, str] = {}  # encoded once per distinct list

    def read(self, staff) -> tuple[str, dict[int, list]]:
        """A desk's `waiting` frame and the pickup keys of the chats in it."""
        chats = self.board.chats_for(staff)
        key = tuple((c.pk, c.transfer_to_id == staff.pk) for c in chats)
        if key not in self.frames:
            rows = [
                {**self.board.row(c), "for_me": for_me}
                for c, (_pk, for_me) in zip(chats, key, strict=True)
            ]
            self.frames[key] = json.dumps({"type": "waiting", "chats": rows})
        return self.frames[key], {c.pk: selectors.pickup_key(c) for c in chats}


async def _waiting_lists() -> _WaitingLists:
    return _WaitingLists(await db(selectors.waiting_board)())


# A desk reads its whole waiting list when it connects or changes its monitors
# (then follows `desk.waiting_offer` and `desk.waiting_gone`), and the on-duty
# list is the same for every desk: read (and encode) them once for all the
# desks of a process that ask at the same moment.
on_duty_frame = SharedRead(_on_duty_frame)
waiting_lists = SharedRead(_waiting_lists)


async def _waiting_positions() -> dict[int, int]:
    return await db(selectors.waiting_positions)(timezone.now())


# Every waiting patron of a process re-counts its place on `chat.position`:
# one read of all the places serves them all.
waiting_positions = SharedRead(_waiting_positions)


class PatronConsumer(DirectDispatch, JsonFrameConsumer):
    max_frame_bytes = CHAT_FRAME_BYTES

    async def connect(self):
        token = self.scope["url_route"]["kwargs"]["token"]
        self.conversation = await self._load(token)
        if self.conversation is None:
            await self.refuse(
                NO_SUCH_CHAT, "This chat does not exist or has expired.", "not_found"
            )
            return
        if not _origin_allowed(
            _header(self.scope, b"origin"), self.conversation.library
        ):
            await self.refuse(
                FOREIGN_ORIGIN,
                "This chat cannot be opened from this site.",
                "forbidden",
            )
            return
        self.group = events.patron_group(self.conversation.pk)
        self.in_waiting = False
        self.position_task = self.last_state = None
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        client = self.scope.get("client") or [None]
        await self._seen(client[0])
        await self._follow_waiting(self.conversation.status)

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if getattr(self, "in_waiting", False):
            await self.channel_layer.group_discard(events.WAITING, self.channel_name)

    @db
    def _load(self, token: str) -> Conversation | None:
        if not isinstance(token, str) or len(token) > 64:
            return None
        return (
            Conversation.objects.select_related("library", "librarian")
            .filter(patron_token=token, channel=Conversation.Channel.CHAT)
            .first()
        )

    @db
    def _seen(self, ip=None):
        services.conversation_patron_seen(conversation_id=self.conversation.pk)
        if ip:
            services.remember_patron_ip(self.conversation.pk, ip)

    @db
    def _state(self) -> dict:
        self.conversation, state = selectors.patron_state_read(self.conversation.pk)
        return state

    async def _follow_waiting(self, status: str):
        """Waiting patrons hear when positions change; others need not."""
        waiting = status == Conversation.Status.WAITING
        if waiting and not self.in_waiting:
            await self.channel_layer.group_add(events.WAITING, self.channel_name)
        elif not waiting and self.in_waiting:
            await self.channel_layer.group_discard(events.WAITING, self.channel_name)
        self.in_waiting = waiting

    async def send_state(self):
        state = self.last_state = await self._state()
        await self._follow_waiting(state["status"])
        await self.send_json({"type": "state", "state": state})

    async def send_position(self, since: float):
        """Only the position of a waiting chat moves on `chat.position`
        (any other change comes as `chat.state`): look it up in the places
        read at or after `since`, and send the state only when it moved."""
        if self.last_state is None:
            await self.send_state()
            return
        position = (await waiting_positions.get(not_before=since)).get(
            self.conversation.pk
        )
        if position is None:  # not waiting after all: read it all
            await self.send_state()
        elif position != self.last_state["position"]:
            self.last_state = {**self.last_state, "position": position}
            await self.send_json({"type": "state", "state": self.last_state})

    async def handle(self, kind, frame: dict) -> bool:
        if kind == "resume":
            after = frame.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                await self.send_error("“after” must be a whole number ≥ 0.")
                return True
            messages = await db(selectors.messages_payload)(
                self.conversation, after, for_patron=True
            )
            await self.send_json({"type": "messages", "messages": messages})
            await self.send_state()
        elif kind == "message":
            await self._message(frame)
        elif kind == "typing":
            typing = frame.get("typing")
            if not isinstance(typing, bool):
                await self.send_error("“typing” must be true or false.")
                return True
            librarian_id = self.conversation.librarian_id
            if librarian_id:
                await self.channel_layer.group_send(
                    events.staff_group(librarian_id),
                    {
                        "type": "chat.typing",
                        "conversation": self.conversation.pk,
                        "typing": typing,
                    },
                )
        elif kind == "heartbeat":
            await self._seen()
            await self.send_json({"type": "heartbeat_ack"})
        elif kind == "end":
            _result, published = await db(events.collect_published)(
                services.conversation_end, conversation_id=self.conversation.pk
            )
            await events.send_published(published)
        else:
            return False
        return True

    async def _message(self, frame: dict):
        body, client_id = frame.get("body"), _client_id(frame)
        if not isinstance(body, str) or client_id is None:
            await self.send_error(
                "A message needs a text “body” and a “client_id” of at most 64 "
                "characters.",
                code="invalid",
            )
            return
        try:
            (message, _new), published = await db(events.collect_published)(
                services.message_post,
                conversation_id=self.conversation.pk,
                sender=Message.Sender.PATRON,
                body=body,
                client_id=client_id,
            )
        except services.DomainError as error:
            await self.send_error(error.message, code=error.code, client_id=client_id)
            return
        await self.send_json(
            {"type": "ack", "client_id": client_id, "seq": message.seq}
        )
        await events.send_published(published)

    # --- Group events -------------------------------------------------------------

    async def chat_message(self, event):
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_state(self, event):
        await self.send_state()

    async def chat_position(self, event):
        """Debounced like the desks' waiting lists: every chat that starts or
        is picked up moves every waiting patron, and a burst of such changes
        gives one re-read per patron."""
        if not self.in_waiting or (
            self.position_task and not self.position_task.done()
        ):
            return
        since = asyncio.get_running_loop().time()

        async def later():
            await asyncio.sleep(WAITING_DEBOUNCE_SECONDS)
            if self.in_waiting:
                await self.send_position(since)

        self.position_task = asyncio.ensure_future(later())

    async def chat_typing(self, event):
        await self.send_json({"type": "typing", "typing": event["typing"]})


class DeskConsumer(DirectDispatch, PresenceConsumer):
    """Presence, plus the waiting list, accepting and every chat of the
    librarian. All desk sockets of one librarian share `staff.<id>`.

    The waiting list is read whole on connect and on monitor changes, then
    kept by events about one chat each: `waiting_keys` are the chats this
    desk shows (at most `WAITING_LIST_LENGTH`, in pickup order; `waiting_cut`
    when more were left out, so that a removal reads the list again), and
    `waiting_versions` the latest event applied per chat, because events of
    one chat published by different processes may cross."""

    max_frame_bytes = CHAT_FRAME_BYTES

    async def connect(self):
        await super().connect()
        if not hasattr(self, "staff"):
            return
        self.waiting_task = self.duty_task = None
        self.waiting_keys: dict[int, list] = {}
        self.waiting_cut = False
        self.waiting_versions: dict[int, int] = {}
        self.just_accepted: set[int] = set()
        # Accepts wait for the database: they run beside the socket's other
        # frames and events (the waiting list keeps moving meanwhile), one
        # at a time, so two accepts of this desk cannot both pass the limit.
        self.accepting = asyncio.Lock()
        self.accept_tasks: set[asyncio.Task] = set()
        await self.channel_layer.group_add(
            events.staff_group(self.staff.pk), self.channel_name
        )
        await self.channel_layer.group_add(events.DESK, self.channel_name)
        await self.send_waiting()
        await self.send_mine()
        await self.send_on_duty()

    async def disconnect(self, code):
        for task in getattr(self, "accept_tasks", ()):
            task.cancel()
        if hasattr(self, "staff"):
            await self.channel_layer.group_discard(
                events.staff_group(self.staff.pk), self.channel_name
            )
            await self.channel_layer.group_discard(events.DESK, self.channel_name)

    async def monitors_changed(self):
        await self.send_waiting()
        await events.send_published([(events.DESK, {"type": "desk.duty"})])

    async def handle(self, kind, frame: dict) -> bool:
        if await super().handle(kind, frame):
            return True
        if kind not in ("accept", "open", "message", "typing", "sms_retry"):
            return False
        conversation_id = frame.get("conversation")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            await self.send_error("“conversation” must be a chat id (a whole number).")
            return True
        if kind == "accept":
            task = asyncio.ensure_future(self._accept_in_turn(conversation_id))
            self.accept_tasks.add(task)
            task.add_done_callback(self._accept_done)
        elif kind == "open":
            after = frame.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                await self.send_error("“after” must be a whole number ≥ 0.")
                return True
            messages = await self._messages(conversation_id, after)
            if messages is None:
                await self.send_error(
                    "This chat is not yours.",
                    code="not_yours",
                    conversation=conversation_id,
                )
            else:
                await self.send_json(
                    {
                        "type": "messages",
                        "conversation": conversation_id,
                        "messages": messages,
                    }
                )
        elif kind == "message":
            await self._message(conversation_id, frame)
        elif kind == "sms_retry":
            await self._sms_retry(conversation_id, frame)
        elif kind == "typing":
            typing = frame.get("typing")
            if not isinstance(typing, bool):
                await self.send_error("“typing” must be true or false.")
                return True
            if await self._is_mine(conversation_id):
                await self.channel_layer.group_send(
                    events.patron_group(conversation_id),
                    {"type": "chat.typing", "typing": typing},
                )
        return True

    @db
    def _is_mine(self, conversation_id: int) -> bool:
        return Conversation.objects.filter(
            pk=conversation_id, librarian=self.staff
        ).exists()

    @db
    def _messages(self, conversation_id: int, after: int):
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None or not selectors.can_view(self.staff, conversation):
            return None
        return selectors.messages_payload(conversation, after, for_patron=False)

    # The conversation's row lock decides a race between desks: one wins.
    @db
    def _do_accept(self, conversation_id: int):
        """(detail, None, None, published) or (None, code, message, [])."""
        try:
            conversation, published = events.collect_published(
                services.conversation_accept,
                conversation_id=conversation_id,
                actor=self.staff,
            )
        except services.DomainError as error:
            return None, error.code, error.message, []
        conversation = Conversation.objects.select_related(
            "library", "queue", "librarian__library"
        ).get(pk=conversation.pk)
        detail = selectors.detail_payload(
            conversation, self.staff, with_transfer_targets=False
        )
        return detail, None, None, published

    async def _accept_in_turn(self, conversation_id: int):
        async with self.accepting:
            await self._accept(conversation_id)

    def _accept_done(self, task: asyncio.Task):
        self.accept_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "An accept failed on the desk of %s",
                self.staff.pk,
                exc_info=task.exception(),
            )

    async def _accept(self, conversation_id: int):
        detail, code, message, published = await self._do_accept(conversation_id)
        if detail is None:
            await self.send_error(message, code=code, conversation=conversation_id)
            if code == "not_yours":
                await self.send_waiting()  # the desk's list was out of date
            return
        # The chat's `chat.changed` to this librarian follows: this socket
        # has the detail already.
        self.just_accepted.add(conversation_id)
        await self.send_json({"type": "accepted", "conversation": detail})
        await events.send_published(published)

    async def _sms_retry(self, conversation_id: int, frame: dict):
        seq = frame.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            await self.send_error(
                "“seq” must be the number of a message (a whole number ≥ 1).",
                code="invalid",
                conversation=conversation_id,
            )
            return
        try:
            _sms, published = await db(events.collect_published)(
                sms_services.sms_retry,
                conversation_id=conversation_id,
                seq=seq,
                actor=self.staff,
            )
        except services.DomainError as error:
            await self.send_error(
                error.message, code=error.code, conversation=conversation_id, seq=seq
            )
            return
        await events.send_published(published)

    async def _message(self, conversation_id: int, frame: dict):
        body, client_id = frame.get("body"), _client_id(frame)
        note = frame.get("note", False)
        if not isinstance(body, str) or client_id is None or not isinstance(note, bool):
            await self.send_error(
                "A message needs a text “body”, a “client_id” of at most 64 "
                "characters and “note” true or false.",
                code="invalid",
                conversation=conversation_id,
            )
            return
        try:
            (message, _new), published = await db(events.collect_published)(
                services.message_post,
                conversation_id=conversation_id,
                sender=Message.Sender.NOTE if note else Message.Sender.LIBRARIAN,
                body=body,
                client_id=client_id,
                author=self.staff,
            )
        except services.DomainError as error:
            await self.send_error(
                error.message,
                code=error.code,
                conversation=conversation_id,
                client_id=client_id,
            )
            return
        await self.send_json(
            {
                "type": "ack",
                "conversation": conversation_id,
                "client_id": client_id,
                "seq": message.seq,
            }
        )
        await events.send_published(published)

    # --- What the desk shows --------------------------------------------------------

    async def send_waiting(self, since: float | None = None):
        """The waiting list as read at or after `since` (default: now)."""
        if since is None:
            since = asyncio.get_running_loop().time()
        lists = await waiting_lists.get(not_before=since)
        text, self.waiting_keys = lists.read(self.staff)
        self.waiting_cut = len(self.waiting_keys) >= selectors.WAITING_LIST_LENGTH
        await self.send(text)

    async def send_mine(self):
        chats = await db(selectors.mine_payload)(self.staff)
        await self.send_json({"type": "mine", "chats": chats})

    async def send_on_duty(self, since: float | None = None):
        """The on-duty list as read at or after `since` (default: now)."""
        if since is None:
            since = asyncio.get_running_loop().time()
        await self.send(await on_duty_frame.get(not_before=since))

    @db
    def _detail(self, conversation_id: int):
        conversation = (
            Conversation.objects.select_related(
                "library", "queue", "librarian__library"
            )
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            return None
        if conversation.librarian_id != self.staff.pk:
            # Transferred away: the desk drops it.
            return {"id": conversation.pk, "status": "transferred", "mine": False}
        return selectors.detail_payload(
            conversation, self.staff, with_transfer_targets=False
        )

    # --- Group events -------------------------------------------------------------

    def _newer(self, conversation_id: int, version: int) -> bool:
        """Is this event of the chat newer than the last one applied? Its
        version is 2 × the chat's `seq`, + 1 when the chat is gone: a pickup
        or transfer appends a message, and of two events of the same `seq`,
        gone wins. A few dozen chats are remembered: events cross within
        moments."""
        versions = self.waiting_versions
        if version < versions.get(conversation_id, -1):
            return False
        versions.pop(conversation_id, None)
        versions[conversation_id] = version  # the latest last
        if len(versions) > WAITING_VERSIONS_KEPT:
            del versions[next(iter(versions))]
        return True

    async def desk_waiting_offer(self, event):
        """A waiting chat's row, for the desks of `event["staff"]`."""
        conversation_id = event["conversation"]
        if not self._newer(conversation_id, 2 * event["seq"]):
            return
        if self.staff.pk not in event["staff"]:
            await self._drop_waiting(conversation_id)
            return
        keys, key = self.waiting_keys, event["key"]
        if conversation_id not in keys and len(keys) >= selectors.WAITING_LIST_LENGTH:
            self.waiting_cut = True
            last = max(keys, key=keys.__getitem__)
            if key > keys[last]:
                return  # beyond the end of this desk's list
            del keys[last]
            await self.send(_waiting_remove(last))
        keys[conversation_id] = key
        for_me = event["transfer_to"] == self.staff.pk
        await self.send(event["frame_for_me"] if for_me else event["frame"])

    async def desk_waiting_gone(self, event):
        conversation_id = event["conversation"]
        if self._newer(conversation_id, 2 * event["seq"] + 1):
            await self._drop_waiting(conversation_id)

    async def _drop_waiting(self, conversation_id: int):
        if self.waiting_keys.pop(conversation_id, None) is None:
            return
        await self.send(_waiting_remove(conversation_id))
        if self.waiting_cut:
            await self.desk_waiting({})  # chats left out of the list move up

    async def desk_waiting(self, event):
        """Read the whole list again; debounced: a burst gives one re-read."""
        if self.waiting_task and not self.waiting_task.done():
            return
        since = asyncio.get_running_loop().time()

        async def later():
            await asyncio.sleep(WAITING_DEBOUNCE_SECONDS)
            await self.send_waiting(since)

        self.waiting_task = asyncio.ensure_future(later())

    async def desk_duty(self, event):
        """Debounced, and read once for every desk of the process: each
        accept, end or transfer changes who has how many chats."""
        if self.duty_task and not self.duty_task.done():
            return
        since = asyncio.get_running_loop().time()

        async def later():
            await asyncio.sleep(ON_DUTY_DEBOUNCE_SECONDS)
            await self.send_on_duty(since)

        self.duty_task = asyncio.ensure_future(later())

    async def desk_tickets(self, event):
        """A ticket changed somewhere: the desk's ticket inbox may refresh."""
        await self.send_json(
            {"type": "tickets", "ticket": event["ticket"], "library": event["library"]}
        )

    async def desk_alert(self, event):
        await self.send_json(
            {
                "type": "alert",
                "kind": event["kind"],
                "conversation": event["conversation"],
                "message": event["message"],
                "suggestion": event["suggestion"],
            }
        )

    async def chat_message(self, event):
        await self.send_json(
            {
                "type": "message",
                "conversation": event["conversation"],
                "message": event["message"],
            }
        )

    async def chat_typing(self, event):
        await self.send_json(
            {
                "type": "typing",
                "conversation": event["conversation"],
                "typing": event["typing"],
            }
        )

    async def chat_sms_status(self, event):
        await self.send_json(
            {
                "type": "sms_status",
                "conversation": event["conversation"],
                "seq": event["seq"],
                "status": event["status"],
                "error": event["error"],
            }
        )

    async def chat_changed(self, event):
        conversation_id = event["conversation"]
        if conversation_id in self.just_accepted:
            self.just_accepted.discard(conversation_id)
            return
        detail = await self._detail(conversation_id)
        if detail is not None:
            await self.send_json({"type": "conversation", "conversation": detail})
        await self.send_mine()
