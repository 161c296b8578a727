"""Pictures and files sent by text (MMS): fetched from Twilio after the
text is stored (task `chat.tasks.sms_fetch_media`), checked by their content
as a chat's files are, and kept as attachments of the text's message.

Only Twilio's media addresses are fetched (https, api.twilio.com or a host
under twilio.com, or one of the `SMS_MEDIA_HOSTS` setting's): an address
from anywhere else could make the server fetch what it should not (SSRF).
Twilio answers with a redirect to its CDN, followed over https only and
without the account's credentials. A file that cannot be fetched or is
refused is said in a note to the librarian, once: never retried in a loop.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import filetype
import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat import events
from chat.models import Attachment, Message, SmsMessage
from chat.services.conversations import _append, _locked
from chat.services.files import (
    ALLOWED_TYPES,
    MAX_FILE_BYTES,
    attach,
    sniff_content_type,
)
from consortium.services import DomainError

logger = logging.getLogger(__name__)

# Twilio sends at most 10 media with a text.
MAX_MEDIA = 10
MAX_URL_CHARS = 2000
TIMEOUT_SECONDS = 10
# `timeout` bounds each wait for the network; this bounds a whole download.
MAX_DOWNLOAD_SECONDS = 30
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK_BYTES = 64 * 1024


def note_client_id(sms_id: int) -> str:
    """The client id of the note about a text's unfetched media: unique in
    its conversation, so a text gets that note once."""
    return f"sms-media-{sms_id}"


def twilio_media_host(host: str) -> bool:
    host = (host or "").lower().rstrip(".")
    extra = {h.lower() for h in getattr(settings, "SMS_MEDIA_HOSTS", ())}
    return host == "api.twilio.com" or host.endswith(".twilio.com") or host in extra


def _check_media_url(url: str) -> None:
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not twilio_media_host(parts.hostname or "")
        or parts.username is not None
        or parts.password is not None
        or parts.port not in (None, 443)
    ):
        raise DomainError(
            "its address is not one of Twilio's media addresses, so it was not fetched"
        )


def _download(url: str) -> bytes:
    """The file at `url` (a Twilio media address), following redirects over
    https; Twilio's credentials go to Twilio's hosts only. Raises
    `DomainError` with the reason, or `requests.RequestException`."""
    _check_media_url(url)
    started = time.monotonic()
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise DomainError("Twilio redirected it to an address that is not https")
        auth = None
        if twilio_media_host(parts.hostname) and settings.TWILIO_ACCOUNT_SID:
            auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        response = requests.get(
            url,
            auth=auth,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        )
        try:
            location = response.headers.get("Location")
            if response.status_code in REDIRECTS and location:
                url = urljoin(url, location)
                continue
            if response.status_code != 200:
                raise DomainError(f"Twilio answered HTTP {response.status_code}")
            return _read(response, started)
        finally:
            response.close()
    raise DomainError("Twilio redirected it too many times")


def _too_large() -> DomainError:
    return DomainError(f"it is over {MAX_FILE_BYTES // 2**20} MB, the limit for files")


def _read(response, started: float) -> bytes:
    try:
        declared = int(response.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_FILE_BYTES:
        raise _too_large()
    data = bytearray()
    for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
        data += chunk
        if len(data) > MAX_FILE_BYTES:
            raise _too_large()
        if time.monotonic() - started > MAX_DOWNLOAD_SECONDS:
            raise DomainError(
                f"it took over {MAX_DOWNLOAD_SECONDS} seconds to download"
            )
    return bytes(data)


def _checked_type(data: bytes) -> str:
    """The type of `data` by its content, refused as a chat's files are."""
    if not data:
        raise DomainError("the file is empty")
    content_type = sniff_content_type(data)
    if content_type not in ALLOWED_TYPES:
        raise DomainError(
            "this kind of file cannot be shared (images, PDFs, Word, Excel or "
            "PowerPoint files and plain text can)"
        )
    return content_type


def _network_reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout):
        return f"Twilio did not answer within {TIMEOUT_SECONDS} seconds"
    if isinstance(error, requests.ConnectionError):
        return "Twilio could not be reached"
    return "the download failed"


def _fetched_before(sms: SmsMessage) -> bool:
    return (
        Attachment.objects.filter(message_id=sms.message_id).exists()
        or Message.objects.filter(
            conversation_id=sms.message.conversation_id,
            client_id=note_client_id(sms.pk),
        ).exists()
    )


def _valid_urls(urls) -> list[str]:
    if not isinstance(urls, (list, tuple)) or not all(
        isinstance(url, str) and 0 < len(url) <= MAX_URL_CHARS for url in urls
    ):
        raise DomainError(
            f"urls must be a list of addresses of at most {MAX_URL_CHARS} characters."
        )
    return list(urls)


def sms_media_fetch(
    *, sms_id: int, urls: list[str], now: datetime | None = None
) -> int:
    """Fetch the media Twilio listed for the text `sms_id` (`MediaUrl0..N`)
    and store those that pass the chat's file checks as attachments of its
    message, in order; publish the message again (now with its files) after
    commit. What could not be fetched or was refused is told to the
    librarian in one note, with why. Returns how many files were stored.

    Idempotent: a text whose message has attachments, or has had that note,
    is not fetched again; the downloads run outside any transaction and the
    result is stored under the conversation's row lock, so of two runs at
    once one stores. Raises `DomainError` only for `urls` that is not a list
    of addresses."""
    urls = _valid_urls(urls)
    sms = (
        SmsMessage.objects.select_related("message")
        .filter(pk=sms_id, direction=SmsMessage.Direction.INBOUND)
        .first()
    )
    if sms is None or not urls or _fetched_before(sms):
        return 0
    fetched, failures = [], []
    for index, url in enumerate(urls[:MAX_MEDIA], start=1):
        try:
            data = _download(url)
            content_type = _checked_type(data)
        except DomainError as error:
            failures.append((index, str(error)))
        except requests.RequestException as error:
            failures.append((index, _network_reason(error)))
        except Exception:  # never lose the others, never retry in a loop
            logger.exception("SMS %s: media %s failed unexpectedly", sms_id, index)
            failures.append((index, "an unexpected error stopped the download"))
        else:
            fetched.append((index, data, content_type))
    for index, reason in failures:
        # The number and the address stay out of the log (personal data).
        logger.warning("SMS %s: media %s not stored: %s", sms_id, index, reason)
    skipped = len(urls) - MAX_MEDIA
    return _store(sms, fetched, failures, len(urls), skipped, now or timezone.now())


def _failure_note(failures, total: int, skipped: int) -> str:
    if total == 1 and failures:
        return (
            f"The picture or file the patron texted could not be fetched: "
            f"{failures[0][1]}. Ask the patron to send it again if you need it."
        )
    parts = [f"file {index}: {reason}" for index, reason in failures]
    if skipped > 0:
        parts.append(f"{skipped} more after the first {MAX_MEDIA} were not fetched")
    count = len(failures) + max(skipped, 0)
    return (
        f"{count} of the {total} pictures or files the patron texted could not "
        f"be fetched — {'; '.join(parts)}. Ask the patron to send them again if "
        "you need them."
    )


@transaction.atomic
def _store(sms, fetched, failures, total: int, skipped: int, now) -> int:
    """Locks the conversation row; stores nothing when another run did."""
    conversation = _locked(sms.message.conversation_id)
    if _fetched_before(sms):
        return 0
    message = Message.objects.get(pk=sms.message_id)
    message.conversation = conversation
    message.know_files([])
    for index, data, content_type in fetched:
        extension = "txt" if content_type == "text/plain" else None
        kind = filetype.get_type(mime=content_type)
        extension = extension or (kind.extension if kind else "bin")
        attach(
            message,
            name=f"text-{message.seq}-{index}.{extension}",
            data=data,
            content_type=content_type,
            now=now,
        )
    if fetched:
        events.publish_message(message)
    if failures or skipped > 0:
        _append(
            conversation,
            sender=Message.Sender.NOTE,
            body=_failure_note(failures, total, skipped),
            client_id=note_client_id(sms.pk),
            now=now,
        )
    return len(fetched)
