"""The phone simulator (`/sms/simulator/`): a demo page that plays a patron's
phone, so the SMS channel can be tried without a Twilio account.

It goes through the real webhooks exactly as Twilio would: the page asks
`sign` for a text's form fields and their `X-Twilio-Signature` (computed with
`TWILIO_AUTH_TOKEN` over `SITE_URL` + the webhook's path), then posts them
itself to `/sms/twilio/inbound/`. When the phone shows a text the console
backend "sent" (its made-up sid starts with "SMconsole"), the page reports
its delivery the same way through `/sms/twilio/status/` (`sign_status`). The
thread shows what is stored, never a status made up here.

Anyone who can open it can text as any number, signed with the real token:
every view is a 404 unless `SMS_SIMULATOR` is on and a token is set. For
demos only (`make run` turns it on); never in production.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from twilio.request_validator import RequestValidator

from chat.models import Conversation, SmsMessage
from chat.services.sms import sms_body
from consortium.models import Library
from consortium.phones import to_e164
from consortium.services import DomainError

# A number of the range North American plans keep for fiction (555-0100 to
# 555-0199), so a demo never texts a real person.
DEFAULT_PHONE = "+1 850 555 0199"
CONSOLE_SID_PREFIX = "SMconsole"
THREAD_LIMIT = 200
# What the phone reports about a text it got: Twilio's final statuses, with
# the error code Twilio gives a handset that cannot be reached.
REPORTS = {"delivered": "", "undelivered": "30003"}
STATUS_TEXT = {
    SmsMessage.Status.RECEIVED: "Received by the library",
    SmsMessage.Status.PENDING: "Waiting to be sent",
    SmsMessage.Status.QUEUED: "Queued by the provider",
    SmsMessage.Status.SENT: "Sent",
    SmsMessage.Status.DELIVERED: "Delivered",
    SmsMessage.Status.UNDELIVERED: "Not delivered",
    SmsMessage.Status.FAILED: "Failed",
}


class Invalid(Exception):
    """Input the simulator refuses; `field` names the form field at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message, self.field = message, field


def _require_enabled() -> None:
    if not (settings.SMS_SIMULATOR and settings.TWILIO_AUTH_TOKEN):
        raise Http404("The phone simulator is off.")


def _refuse(error: Invalid, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error.message, "field": error.field}, status=status)


def _libraries():
    return Library.objects.active().exclude(sms_number="").order_by("name")


def _library(code: str, *, field: str = "library") -> Library:
    library = _libraries().filter(code=(code or "").strip()).first()
    if library is None:
        raise Invalid("Pick a library that has an SMS number.", field)
    return library


def _library_by_number(number: str) -> Library:
    try:
        e164 = to_e164(number)
    except ValidationError as error:
        raise Invalid(f"The library's number: {error.messages[0]}", "To") from error
    library = _libraries().filter(sms_number=e164).first()
    if library is None:
        raise Invalid("No active library has this SMS number.", "To")
    return library


def _phone(value: str, *, field: str) -> str:
    """The patron's number in E.164; not a library's own number."""
    if not (value or "").strip():
        raise Invalid("Enter your phone number.", field)
    try:
        phone = to_e164(value)
    except ValidationError as error:
        raise Invalid(
            f"Your phone number: {error.messages[0]} Write it with its country "
            "code, like +1 850 555 0199.",
            field,
        ) from error
    if Library.objects.filter(sms_number=phone).exists():
        raise Invalid("That is a library's number; use a patron's number.", field)
    return phone


def _account_sid() -> str:
    # Twilio's are "AC" and 32 hex digits; the demo has no account.
    return settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32


def _signed(path: str, fields: dict[str, str]) -> JsonResponse:
    url = settings.SITE_URL.rstrip("/") + path
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
        url, fields
    )
    return JsonResponse({"url": path, "fields": fields, "signature": signature})


@require_GET
def page(request):
    _require_enabled()
    libraries = list(_libraries())
    return render(
        request,
        "sms/simulator.html",
        {
            "libraries": libraries,
            "default_phone": DEFAULT_PHONE,
            "max_chars": 1600,
            "urls": {
                "sign": reverse("sms-simulator-sign"),
                "signStatus": reverse("sms-simulator-sign-status"),
                "thread": reverse("sms-simulator-thread"),
            },
        },
    )


@require_POST
def sign(request):
    """The form fields of a text from `From` to `To` as Twilio posts them to
    the inbound webhook, and their signature. CSRF-protected: only this
    site's page asks. Refuses (400, with the field) a number that is not
    one, a `To` of no active library, an empty or too long text."""
    _require_enabled()
    data = request.POST
    try:
        phone = _phone(data.get("From", ""), field="From")
        library = _library_by_number(data.get("To", ""))
        body = data.get("Body", "")
        try:
            sms_body(body, num_media=0)
        except DomainError as error:
            raise Invalid(error.message, "Body") from error
    except Invalid as error:
        return _refuse(error)
    fields = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": _account_sid(),
        "From": phone,
        "To": library.sms_number,
        "Body": body,
        "NumMedia": "0",
    }
    return _signed(reverse("sms-twilio-inbound"), fields)


@require_POST
def sign_status(request):
    """The delivery report the simulated phone gives for a text it got:
    `MessageStatus` delivered or undelivered, for a text the console backend
    sent (sid "SMconsole...") from `library` to `phone`. A text the real
    Twilio sent gets its reports from Twilio, never from here."""
    _require_enabled()
    data = request.POST
    try:
        library = _library(data.get("library", ""))
        phone = _phone(data.get("phone", ""), field="phone")
        status = data.get("MessageStatus", "")
        if status not in REPORTS:
            raise Invalid("MessageStatus is delivered or undelivered.", "MessageStatus")
        sid = data.get("MessageSid", "")
        sms = (
            _thread(library, phone)
            .filter(direction=SmsMessage.Direction.OUTBOUND, sid=sid)
            .first()
        )
        if sms is None or not sid.startswith(CONSOLE_SID_PREFIX):
            raise Invalid(
                "No text the console backend sent to this phone has this sid.",
                "MessageSid",
            )
    except Invalid as error:
        return _refuse(error)
    fields = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": _account_sid(),
        "From": library.sms_number,
        "To": phone,
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
    }
    if REPORTS[status]:
        fields["ErrorCode"] = REPORTS[status]
    return _signed(reverse("sms-twilio-status"), fields)


def _thread(library: Library, phone: str):
    return SmsMessage.objects.filter(
        message__conversation__channel=Conversation.Channel.SMS,
        message__conversation__library=library,
        message__conversation__patron_phone=phone,
    )


@require_GET
def thread(request):
    """The texts between `phone` and `library`'s number, oldest first (the
    last `THREAD_LIMIT`), with each one's stored status. Polled by the page."""
    _require_enabled()
    try:
        library = _library(request.GET.get("library", ""))
        phone = _phone(request.GET.get("phone", ""), field="phone")
    except Invalid as error:
        return _refuse(error)
    rows = list(
        _thread(library, phone)
        .select_related("message")
        # A reply stored in the same instant (the after-hours reply) comes
        # after the text it answers: its seq, not its row, says so.
        .order_by("-message__created_at", "-message__seq", "-pk")[:THREAD_LIMIT]
    )
    rows.reverse()
    return JsonResponse(
        {
            "library": {
                "code": library.code,
                "name": library.name,
                "number": library.sms_number,
            },
            "phone": phone,
            "texts": [
                {
                    "id": sms.pk,
                    "direction": sms.direction,
                    "body": sms.message.body,
                    "at": sms.message.created_at.isoformat(),
                    "sid": sms.sid,
                    "console": sms.sid.startswith(CONSOLE_SID_PREFIX),
                    "status": sms.status,
                    "statusText": STATUS_TEXT.get(sms.status, sms.status),
                    "error": sms.error,
                }
                for sms in rows
            ],
        }
    )
