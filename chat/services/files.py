"""Files shared in a chat (SPEC L4): limited in size and checked by content,
whatever their name says."""

from __future__ import annotations

import os
import re
from datetime import datetime

import filetype
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from chat.models import Attachment, Message
from chat.services.conversations import _append, _locked
from consortium.models import Staff
from consortium.services import DomainError

MAX_FILE_BYTES = 10 * 1024 * 1024
ALLOWED_TYPES = {
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "PowerPoint"
    ),
    "text/plain": "plain text",
}


def sniff_content_type(data: bytes) -> str | None:
    """The type of `data` judged by its content: a known signature, or UTF-8
    text without control bytes. None when it is neither."""
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if re.search(r"[\x00-\x08\x0e-\x1f]", text):
        return None
    return "text/plain"


def clean_file_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:200] or "file"


def read_upload(upload) -> bytes:
    if upload is None:
        raise DomainError("Choose a file to send.")
    if upload.size > MAX_FILE_BYTES:
        raise DomainError(
            f"Files can be at most {MAX_FILE_BYTES // (1024 * 1024)} MB; "
            f"this one has {upload.size / (1024 * 1024):.1f} MB."
        )
    data = upload.read(MAX_FILE_BYTES + 1)
    if not data:
        raise DomainError("This file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError("Files can be at most 10 MB.")
    return data


@transaction.atomic
def attachment_post(
    *,
    conversation_id: int,
    sender: str,
    name: str,
    data: bytes,
    client_id: str = "",
    author: Staff | None = None,
    now: datetime | None = None,
) -> tuple[Message, bool]:
    """Share a file in an open chat: stored with a message saying so. A
    resend with the same `client_id` is stored once. Locks the row."""
    content_type = sniff_content_type(data)
    if content_type not in ALLOWED_TYPES:
        raise DomainError(
            "This kind of file cannot be shared. Send an image (PNG, JPEG, GIF, "
            "WebP), a PDF, a Word, Excel or PowerPoint file, or plain text."
        )
    if len(client_id) > 64:
        raise DomainError("client_id can be at most 64 characters.")
    conversation = _locked(conversation_id)
    if client_id:
        existing = conversation.messages.filter(client_id=client_id).first()
        if existing:
            return existing, False
    if not conversation.is_open:
        raise DomainError("This chat has ended.", code="ended")
    if sender == Message.Sender.LIBRARIAN and (
        author is None or conversation.librarian_id != author.pk
    ):
        raise DomainError("Only the librarian who has this chat can share files in it.")
    name = clean_file_name(name)
    now = now or timezone.now()
    with transaction.atomic():
        message = _append(
            conversation,
            sender=sender,
            body=f"Shared a file: {name}",
            client_id=client_id,
            author=author,
            now=now,
        )
        attach(message, name=name, data=data, content_type=content_type, now=now)
    return message, True


def attach(message: Message, *, name: str, data: bytes, content_type: str, now):
    """Store a checked file on `message` (under the caller's transaction),
    after any it has already."""
    attachment = Attachment.objects.create(
        conversation_id=message.conversation_id,
        message=message,
        file=ContentFile(data, name=name),
        name=name,
        size=len(data),
        content_type=content_type,
        created_at=now,
    )
    message.know_files([*message.files, attachment])
    return attachment
