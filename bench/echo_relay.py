"""The ceiling for `bench/chat_load.py`: a minimal pure-ASGI websocket relay.

`/pair/<id>/<side>` (side `patron` or `desk`): the two sockets of a pair are
relayed to each other in memory, with the same frames the chat sockets use —
a `message` frame gets an `ack` (with the pair's next `seq`) and is pushed as
a `message` frame to both sockets of the pair; `heartbeat` gets
`heartbeat_ack`. No Django, no database, no channel layer: what is left is
the ASGI server, the websocket protocol and JSON.

    uvicorn bench.echo_relay:app --loop uvloop --ws websockets-sansio

A pair must live in one process, so the bench runs one single-worker uvicorn
per port and puts both sockets of a pair on the same port.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime


class Pair:
    __slots__ = ("seq", "sockets")

    def __init__(self):
        self.seq = 0
        self.sockets: dict[str, object] = {}


pairs: dict[str, Pair] = {}


def _text(payload: dict) -> dict:
    return {"type": "websocket.send", "text": json.dumps(payload)}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        body = b"echo relay: connect a websocket to /pair/<id>/<patron|desk>\n"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    parts = scope["path"].strip("/").split("/")
    if len(parts) != 3 or parts[0] != "pair" or parts[2] not in ("patron", "desk"):
        await receive()
        await send({"type": "websocket.close", "code": 4404})
        return
    pair_id, side = parts[1], parts[2]
    conversation = int(pair_id) if pair_id.isdigit() else pair_id
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    pair = pairs.get(pair_id)
    if pair is None:
        pair = pairs[pair_id] = Pair()
    pair.sockets[side] = send
    try:
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                break
            try:
                frame = json.loads(event.get("text") or "")
            except ValueError:
                continue
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind == "heartbeat":
                await send(_text({"type": "heartbeat_ack"}))
            elif kind == "message":
                pair.seq += 1
                client_id = frame.get("client_id", "")
                ack = {"type": "ack", "client_id": client_id, "seq": pair.seq}
                if side == "desk":
                    ack["conversation"] = conversation
                await send(_text(ack))
                message = {
                    "seq": pair.seq,
                    "sender": "librarian" if side == "desk" else "patron",
                    "body": str(frame.get("body", "")).strip(),
                    "author": None,
                    "client_id": client_id,
                    "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "attachment": None,
                }
                for to_side, to_send in list(pair.sockets.items()):
                    frame_out = {"type": "message", "message": message}
                    if to_side == "desk":
                        frame_out = {
                            "type": "message",
                            "conversation": conversation,
                            "message": message,
                        }
                    try:
                        await to_send(_text(frame_out))
                    except Exception:  # noqa: BLE001 - the other side just left
                        pass
    finally:
        if pair.sockets.get(side) is send:
            del pair.sockets[side]
        if not pair.sockets:
            pairs.pop(pair_id, None)
