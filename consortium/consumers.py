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


class PresenceConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(NOT_SIGNED_IN, "Sign in to use the desk.")
            return
        if user.role not in Staff.CHAT_ROLES or not user.is_active:
            await self.refuse(NOT_ALLOWED, "Your role does not staff chat queues.")
            return
        self.staff = user
        await self.accept()
        await self.send_monitoring()

    async def refuse(self, code: int, message: str):
        """Accept, say why, and close: a browser sees the reason and the code
        (a refused handshake would only show 1006)."""
        await self.accept()
        await self.send_error(message)
        await self.close(code=code)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None or len(text_data) > MAX_FRAME_BYTES:
            await self.send_error("Send JSON text frames of at most 4 KB.")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.send_error("That frame is not valid JSON.")
            return
        if not isinstance(frame, dict):
            await self.send_error("A frame is a JSON object with a “type”.")
            return
        kind = frame.get("type")
        if kind == "heartbeat":
            await database_sync_to_async(services.presence_heartbeat)(actor=self.staff)
            await self.send(json.dumps({"type": "heartbeat_ack"}))
            return
        if kind in ("monitor", "unmonitor"):
            queue_id = frame.get("queue")
            if not isinstance(queue_id, int) or isinstance(queue_id, bool):
                await self.send_error("“queue” must be a queue id (a whole number).")
                return
            error = await self._change_monitor(kind, queue_id)
            if error:
                await self.send_error(error)
                return
            await self.send_monitoring()
            return
        await self.send_error(f"Unknown frame type {str(kind)[:40]!r}.")

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
        await self.send(
            json.dumps({"type": "monitoring", "queues": await self._monitored()})
        )

    async def send_error(self, message: str):
        await self.send(json.dumps({"type": "error", "message": message}))
