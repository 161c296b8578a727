"""The desk's presence socket: a signed-in librarian says which queues they
monitor and sends heartbeats. The database holds who monitors what; a monitor
whose heartbeats stop is expired by `presence_expire` within a minute.

Frames from the client (JSON objects):
  {"type": "heartbeat"}
  {"type": "monitor", "queue": <queue id>}
  {"type": "unmonitor", "queue": <queue id>}
Replies: {"type": "monitoring", "queues": [ids]} or {"type": "error", "message": "..."}.
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from consortium import services
from consortium.models import Queue, QueueMonitor, Staff

MAX_FRAME_BYTES = 4096
NOT_SIGNED_IN = 4401
NOT_ALLOWED = 4403


class JsonFrameConsumer(AsyncWebsocketConsumer):
    """Validated JSON text frames: a frame too large, not JSON, or not an
    object gets an error frame and the socket stays open."""

    max_frame_bytes = MAX_FRAME_BYTES

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > self.max_frame_bytes:
            await self.send_error(
                f"Send JSON text frames of at most {self.max_frame_bytes // 1024} KB.",
                code="too_large",
            )
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.send_error("That frame is not valid JSON.", code="bad_json")
            return
        if not isinstance(frame, dict):
            await self.send_error(
                "A frame is a JSON object with a “type”.", code="bad_frame"
            )
            return
        kind = frame.get("type")
        if not await self.handle(kind, frame):
            await self.send_error(
                f"Unknown frame type {str(kind)[:40]!r}.", code="bad_frame"
            )

    async def handle(self, kind, frame: dict) -> bool:
        """Act on one frame; False when its type is unknown."""
        return False

    async def refuse(self, code: int, message: str, error: str = "forbidden"):
        """Accept, say why, and close: a browser sees the reason and the code
        (a refused handshake would only show 1006)."""
        await self.accept()
        await self.send_error(message, code=error)
        await self.close(code=code)

    async def send_json(self, payload: dict):
        await self.send(json.dumps(payload))

    async def send_error(self, message: str, code: str = "bad_frame", **extra):
        await self.send_json(
            {"type": "error", "code": code, "message": message, **extra}
        )


class PresenceConsumer(JsonFrameConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(
                NOT_SIGNED_IN, "Sign in to use the desk.", "not_signed_in"
            )
            return
        if user.role not in Staff.CHAT_ROLES or not user.is_active:
            await self.refuse(NOT_ALLOWED, "Your role does not staff chat queues.")
            return
        self.staff = user
        await self.accept()
        # A reconnecting desk is alive again: refresh its monitors before
        # anything is computed from presence.
        await database_sync_to_async(services.presence_heartbeat)(actor=self.staff)
        await self.send_monitoring()

    async def handle(self, kind, frame: dict) -> bool:
        if kind == "heartbeat":
            await database_sync_to_async(services.presence_heartbeat)(actor=self.staff)
            await self.send_json({"type": "heartbeat_ack"})
            return True
        if kind in ("monitor", "unmonitor"):
            queue_id = frame.get("queue")
            if not isinstance(queue_id, int) or isinstance(queue_id, bool):
                await self.send_error("“queue” must be a queue id (a whole number).")
                return True
            error = await self._change_monitor(kind, queue_id)
            if error:
                await self.send_error(error, code="invalid")
                return True
            await self.send_monitoring()
            await self.monitors_changed()
            return True
        return False

    async def monitors_changed(self):
        """Hook: the desk tells the other desks who is on duty now."""

    @database_sync_to_async
    def _change_monitor(self, kind: str, queue_id: int) -> str | None:
        if not Queue.objects.filter(pk=queue_id, active=True).exists():
            return "No such queue."
        try:
            if kind == "monitor":
                services.queue_monitor_start(actor=self.staff, queue_id=queue_id)
            else:
                services.queue_monitor_stop(actor=self.staff, queue_id=queue_id)
        except services.DomainError as error:
            return error.message
        return None

    @database_sync_to_async
    def _monitored(self) -> list[int]:
        return list(
            QueueMonitor.objects.filter(staff=self.staff)
            .order_by("queue_id")
            .values_list("queue_id", flat=True)
        )

    async def send_monitoring(self):
        await self.send_json({"type": "monitoring", "queues": await self._monitored()})
