"""Inbound email from an IMAP mailbox (SPEC T3), polled by beat.

Each unseen message is stored (`InboundEmail`) and only then flagged as
seen, so a crash between the two re-reads it next time; the Message-ID check
in processing makes the second copy a harmless duplicate.
"""

from __future__ import annotations

import imaplib
from urllib.parse import unquote, urlsplit

from django.conf import settings

from chat.models import InboundEmail
from chat.services.tickets import inbound_email_process

MAX_PER_POLL = 200


def _connect(url: str) -> tuple[imaplib.IMAP4, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError("IMAP_URL must start with imap:// or imaps://")
    cls = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
    client = cls(
        parts.hostname, parts.port or (993 if parts.scheme == "imaps" else 143)
    )
    if parts.scheme == "imap" and "STARTTLS" in client.capabilities:
        client.starttls()
    client.login(unquote(parts.username or ""), unquote(parts.password or ""))
    return client, (parts.path.strip("/") or "INBOX")


def imap_poll(url: str | None = None) -> int:
    """Fetch unseen mail; returns how many were stored."""
    client, folder = _connect(url or settings.IMAP_URL)
    stored = 0
    try:
        client.select(folder)
        _status, data = client.uid("search", None, "UNSEEN")
        for uid in (data[0] or b"").split()[:MAX_PER_POLL]:
            _status, parts = client.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if raw is None:
                continue
            inbound = InboundEmail.objects.create(
                via=InboundEmail.Via.IMAP, raw=raw, size=len(raw)
            )
            client.uid("store", uid, "+FLAGS", "(\\Seen)")
            stored += 1
            inbound_email_process(inbound_id=inbound.pk)
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return stored
