"""The chat sockets (protocol: docs/chat-protocol.md).

`PatronConsumer` (/ws/chat/<token>/): the patron's side of one chat.
`DeskConsumer` (/ws/desk/): a librarian's desk: presence, the waiting list,
accepting, and messages of all their chats.

Consumers validate frames and call services; the database is the truth and
group events are hints after which a consumer re-reads what it sends.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import validate_host

from chat import events, selectors, services
from chat.models import Conversation, Message
from consortium.consumers import JsonFrameConsumer, PresenceConsumer

FOREIGN_ORIGIN = 4403
NO_SUCH_CHAT = 4404
CHAT_FRAME_BYTES = 16 * 1024
WAITING_DEBOUNCE_SECONDS = 0.25


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


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class PatronConsumer(JsonFrameConsumer):
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

    @database_sync_to_async
    def _load(self, token: str) -> Conversation | None:
        if not isinstance(token, str) or len(token) > 64:
            return None
        return (
            Conversation.objects.select_related("library", "librarian")
            .filter(patron_token=token, channel=Conversation.Channel.CHAT)
            .first()
        )

    @database_sync_to_async
    def _seen(self, ip=None):
        services.conversation_patron_seen(conversation_id=self.conversation.pk)
        if ip:
            services.remember_patron_ip(self.conversation.pk, ip)

    @database_sync_to_async
    def _state(self) -> dict:
        conversation = Conversation.objects.select_related("library", "librarian").get(
            pk=self.conversation.pk
        )
        self.conversation = conversation
        return selectors.patron_state(conversation)

    async def _follow_waiting(self, status: str):
        """Waiting patrons hear when positions change; others need not."""
        waiting = status == Conversation.Status.WAITING
        if waiting and not self.in_waiting:
            await self.channel_layer.group_add(events.WAITING, self.channel_name)
        elif not waiting and self.in_waiting:
            await self.channel_layer.group_discard(events.WAITING, self.channel_name)
        self.in_waiting = waiting

    async def send_state(self):
        state = await self._state()
        await self._follow_waiting(state["status"])
        await self.send_json({"type": "state", "state": state})

    async def handle(self, kind, frame: dict) -> bool:
        if kind == "resume":
            after = frame.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                await self.send_error("“after” must be a whole number ≥ 0.")
                return True
            messages = await database_sync_to_async(selectors.messages_payload)(
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
            await database_sync_to_async(services.conversation_end)(
                conversation_id=self.conversation.pk
            )
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
            message, _new = await database_sync_to_async(services.message_post)(
                conversation_id=self.conversation.pk,
                sender=Message.Sender.PATRON,
                body=body,
                client_id=client_id,
            )
        except services.DomainError as error:
            code = "ended" if "ended" in error.message else "invalid"
            await self.send_error(error.message, code=code, client_id=client_id)
            return
        await self.send_json(
            {"type": "ack", "client_id": client_id, "seq": message.seq}
        )

    # --- Group events -------------------------------------------------------------

    async def chat_message(self, event):
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_state(self, event):
        await self.send_state()

    async def chat_position(self, event):
        if self.in_waiting:
            await self.send_state()

    async def chat_typing(self, event):
        await self.send_json({"type": "typing", "typing": event["typing"]})


class DeskConsumer(PresenceConsumer):
    """Presence, plus the waiting list, accepting and every chat of the
    librarian. All desk sockets of one librarian share `staff.<id>`."""

    max_frame_bytes = CHAT_FRAME_BYTES

    async def connect(self):
        await super().connect()
        if not hasattr(self, "staff"):
            return
        self.waiting_task = None
        await self.channel_layer.group_add(
            events.staff_group(self.staff.pk), self.channel_name
        )
        await self.channel_layer.group_add(events.DESK, self.channel_name)
        await self.send_waiting()
        await self.send_mine()
        await self.send_on_duty()

    async def disconnect(self, code):
        if hasattr(self, "staff"):
            await self.channel_layer.group_discard(
                events.staff_group(self.staff.pk), self.channel_name
            )
            await self.channel_layer.group_discard(events.DESK, self.channel_name)

    async def monitors_changed(self):
        await self.send_waiting()
        await self.channel_layer.group_send(events.DESK, {"type": "desk.duty"})

    async def handle(self, kind, frame: dict) -> bool:
        if await super().handle(kind, frame):
            return True
        if kind not in ("accept", "open", "message", "typing"):
            return False
        conversation_id = frame.get("conversation")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            await self.send_error("“conversation” must be a chat id (a whole number).")
            return True
        if kind == "accept":
            await self._accept(conversation_id)
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

    @database_sync_to_async
    def _is_mine(self, conversation_id: int) -> bool:
        return Conversation.objects.filter(
            pk=conversation_id, librarian=self.staff
        ).exists()

    @database_sync_to_async
    def _messages(self, conversation_id: int, after: int):
        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None or not selectors.can_view(self.staff, conversation):
            return None
        return selectors.messages_payload(conversation, after, for_patron=False)

    @database_sync_to_async
    def _do_accept(self, conversation_id: int):
        try:
            conversation = services.conversation_accept(
                conversation_id=conversation_id, actor=self.staff
            )
        except Conversation.DoesNotExist:
            return None, "taken", "This chat does not exist."
        except services.DomainError as error:
            code = (
                "taken"
                if "Another librarian" in error.message
                else "limit"
                if "your limit" in error.message
                else "not_yours"
            )
            return None, code, error.message
        conversation = Conversation.objects.select_related(
            "library", "queue", "librarian__library"
        ).get(pk=conversation.pk)
        return selectors.detail_payload(conversation, self.staff), None, None

    async def _accept(self, conversation_id: int):
        detail, code, message = await self._do_accept(conversation_id)
        if detail is None:
            await self.send_error(message, code=code, conversation=conversation_id)
            await self.send_waiting()
            return
        await self.send_json({"type": "accepted", "conversation": detail})

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
            message, _new = await database_sync_to_async(services.message_post)(
                conversation_id=conversation_id,
                sender=Message.Sender.NOTE if note else Message.Sender.LIBRARIAN,
                body=body,
                client_id=client_id,
                author=self.staff,
            )
        except services.DomainError as error:
            code = (
                "ended"
                if "ended" in error.message
                else "not_yours"
                if "Only the librarian" in error.message
                or "does not exist" in error.message
                else "invalid"
            )
            await self.send_error(
                error.message,
                code=code,
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

    # --- What the desk shows --------------------------------------------------------

    async def send_waiting(self):
        chats = await database_sync_to_async(selectors.waiting_payload)(self.staff)
        await self.send_json({"type": "waiting", "chats": chats})

    async def send_mine(self):
        chats = await database_sync_to_async(selectors.mine_payload)(self.staff)
        await self.send_json({"type": "mine", "chats": chats})

    async def send_on_duty(self):
        people = await database_sync_to_async(selectors.on_duty)()
        await self.send_json({"type": "on_duty", "librarians": people})

    @database_sync_to_async
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
        return selectors.detail_payload(conversation, self.staff)

    # --- Group events -------------------------------------------------------------

    async def desk_waiting(self, event):
        """Debounced: a burst of changes gives one re-read."""
        if self.waiting_task and not self.waiting_task.done():
            return

        async def later():
            await asyncio.sleep(WAITING_DEBOUNCE_SECONDS)
            await self.send_waiting()

        self.waiting_task = asyncio.ensure_future(later())

    async def desk_duty(self, event):
        await self.send_on_duty()

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

    async def chat_changed(self, event):
        detail = await self._detail(event["conversation"])
        if detail is not None:
            await self.send_json({"type": "conversation", "conversation": detail})
        await self.send_mine()
        await self.channel_layer.group_send(events.DESK, {"type": "desk.duty"})
