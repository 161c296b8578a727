"""Twilio's webhooks: texts in (`inbound`) and delivery reports (`status`).
Both are signed by Twilio with the account's auth token over the public URL
(`SITE_URL` + path) and the form fields; anything unsigned is refused
before it is read."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator

from chat.services import sms as services
from consortium.models import Library
from consortium.phones import to_e164
from consortium.services import DomainError

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _twiml(reply: str = "") -> HttpResponse:
    """Twilio's answer: empty, or one text sent back at once."""
    if not reply:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        f"{escape(reply)}</Message></Response>"
    )
    return HttpResponse(body, content_type="text/xml")


def _media_urls(data, num_media: int) -> tuple[str, ...]:
    return tuple(
        url for i in range(num_media) if (url := data.get(f"MediaUrl{i}", "").strip())
    )


def _refuse(status: int, reason: str) -> HttpResponse:
    return HttpResponse(reason, status=status, content_type="text/plain")


def signed(request) -> bool:
    """Whether Twilio signed this request with our auth token. Without a
    token nothing is signed (an empty key would let anyone sign)."""
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    url = settings.SITE_URL.rstrip("/") + request.get_full_path()
    return RequestValidator(token).validate(url, request.POST, signature)


@csrf_exempt
@require_POST
def inbound(request):
    if not signed(request):
        return _refuse(403, "Invalid Twilio signature.")
    data = request.POST
    try:
        to = to_e164(data.get("To", ""))
        phone = to_e164(data.get("From", ""))
    except ValidationError:
        return _refuse(400, "From and To must be phone numbers.")
    try:
        num_media = max(0, int(data.get("NumMedia") or 0))
    except ValueError:
        return _refuse(400, "NumMedia must be a number.")
    library = Library.objects.filter(sms_number=to, active=True).first()
    if library is None:
        # The patron's number is personal data: never logged.
        logger.warning("SMS to %s, a number of no active library", to)
        return _refuse(404, "No library has this number.")
    num_media = min(num_media, 10)
    try:
        received = services.sms_receive(
            library=library,
            sid=data.get("MessageSid", ""),
            phone=phone,
            body=data.get("Body", ""),
            num_media=num_media,
            media_urls=_media_urls(data, num_media),
        )
    except DomainError as error:
        if error.code == "not_found":
            logger.warning("SMS to %s: %s", to, error)
            return _refuse(404, str(error))
        if error.code == "flood":
            logger.warning("SMS to %s: a flood from one number refused", to)
            return _refuse(429, str(error))
        return _refuse(400, str(error))
    return _twiml(received.reply)


@csrf_exempt
@require_POST
def status(request):
    if not signed(request):
        return _refuse(403, "Invalid Twilio signature.")
    sid = request.POST.get("MessageSid", "")
    if not sid:
        return _refuse(400, "MessageSid is missing.")
    services.sms_status_record(
        sid=sid,
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)
