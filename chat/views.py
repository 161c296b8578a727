"""HTTP side of live chat (protocol: docs/chat-protocol.md): the patron's
hosted page and JSON endpoints, transcripts, and the desk's JSON actions.
Views validate input and call services; errors are
`{"error": "...", "fields": {...}}` with a 4xx status."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import selectors, services, tasks
from chat.models import Attachment, Conversation, Message
from chat.services.sms import MAX_SMS_CHARS
from chat.services.tickets import inbox_summary
from chat.texts import TRANSCRIPT_LABELS
from consortium import scoping
from consortium import selectors as consortium_selectors
from consortium.models import Announcement, ConsortiumSettings, Library, Queue, Staff

TRANSCRIPT_DAYS = 30
START_LIMIT = 10  # chats or offline questions per address per window
START_WINDOW = 600


def error(message: str, status: int = 400, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def form_error(form) -> JsonResponse:
    fields = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    first = next(iter(fields.values()))[0] if fields else "Please check the form."
    return JsonResponse({"error": first, "fields": fields}, status=400)


def read_json(request) -> dict:
    """The request's JSON object body, or a ValueError with a reason. An
    empty body is an empty object."""
    if request.content_type != "application/json":
        if request.POST or request.FILES:
            raise ValueError("Send the data as JSON (Content-Type: application/json).")
        return {}
    if not request.body:
        return {}
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise ValueError("The request body must be a JSON object.")
    return data


def json_endpoint(view=None, *, files: bool = False):
    """Parse the JSON body into `request.json` (or take a multipart upload
    when `files`) and turn domain errors into 400 answers, for every JSON
    endpoint alike."""
    if view is None:
        return lambda v: json_endpoint(v, files=files)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.json = {}
        if request.method == "POST" and not files:
            try:
                request.json = read_json(request)
            except ValueError as exc:
                return error(str(exc))
        try:
            return view(request, *args, **kwargs)
        except services.DomainError as exc:
            return error(exc.message, status=getattr(exc, "status", 400))

    return wrapper


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def rate_limited(request, what: str) -> bool:
    key = f"rate:{what}:{services.hash_ip(client_ip(request))}"
    cache.add(key, 0, START_WINDOW)
    try:
        return cache.incr(key) > START_LIMIT
    except ValueError:
        return False


# --- The patron's pages and endpoints ----------------------------------------------


def allow_library_frames(response, library: Library):
    """Let this site and `library`'s websites frame `response`: its
    Content-Security-Policy (django-csp, settings.CONTENT_SECURITY_POLICY)
    gets their frame-ancestors instead of 'none'. The view is
    `xframe_options_exempt` too: X-Frame-Options cannot list origins."""
    response._csp_replace = {"frame-ancestors": ["'self'", *library.allowed_origins()]}
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.netloc else ""


def foreign_origin_error(request, library: Library) -> JsonResponse | None:
    """A 403 answer when the request's `Origin` is neither this site nor one
    of `library`'s websites (`Library.allowed_origins`), else None. Used by
    every patron endpoint that stores something (start, offline, upload)
    before it reads or stores anything.

    A request with no Origin is allowed: browsers send Origin on every
    cross-origin POST (fetch and forms alike), so its absence means a
    same-origin request from an older browser or a client that is not a
    browser (curl), which another site's page cannot make on a patron's
    behalf. "null" (a sandboxed frame, a privacy redirect) is an Origin
    header like any other and is refused."""
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    allowed = {
        _origin(request.build_absolute_uri("/")),
        _origin(settings.SITE_URL),
        *library.allowed_origins(),
    }
    if origin.strip().lower() in allowed:
        return None
    return error(
        f"This page ({origin[:100]}) is not {library.name}'s website, so it "
        f"cannot send questions to {library.name}'s chat. Open the chat from the "
        "library's own website instead.",
        403,
    )


@require_GET
@xframe_options_exempt
def chat_page(request, code: str):
    """The hosted chat page of a library, also shown in the widget's frame."""
    library = get_object_or_404(Library, code=code, active=True)
    lang = request.GET.get("lang", "en")
    lang = lang if lang in ("en", "es") else "en"
    config = ConsortiumSettings.load()
    hours_url = request.build_absolute_uri(library.get_absolute_url())
    service_area = library.service_area or config.service_area
    widget_config = {
        "code": library.code,
        "name": library.name,
        "hours_url": hours_url,
        "time_zone": library.timezone,
        "service_area": service_area,
        "lang": lang,
        "embed": request.GET.get("embed") == "1",
        "statuses": list(Conversation.PatronStatus.choices),
        "max_message_chars": services.MAX_MESSAGE_CHARS,
        "max_file_bytes": services.MAX_FILE_BYTES,
        "max_rating_comment_chars": services.MAX_RATING_COMMENT_CHARS,
        "referrer": request.GET.get("ref", "")[:1000]
        or request.headers.get("Referer", "")[:1000],
    }
    response = render(
        request,
        "chat/patron.html",
        {
            "library": library,
            "lang": lang,
            "embed": widget_config["embed"],
            "hours_url": hours_url,
            "service_area": service_area,
            "consortium_name": config.name,
            "widget_config": widget_config,
        },
    )
    return allow_library_frames(response, library)


class PatronForm(forms.Form):
    question = forms.CharField(
        max_length=services.MAX_MESSAGE_CHARS,
        error_messages={"required": "Please type your question."},
    )
    name = forms.CharField(max_length=120, required=False)
    email = forms.EmailField(required=False)
    patron_status = forms.ChoiceField(
        choices=Conversation.PatronStatus.choices, required=False
    )
    resident = forms.BooleanField(required=False)
    referrer_url = forms.CharField(max_length=1000, required=False)
    lang = forms.ChoiceField(choices=[("en", "en"), ("es", "es")], required=False)

    def __init__(self, data, **kwargs):
        data = dict(data)
        # JSON gives real booleans; a missing residency means resident.
        resident = data.get("resident", True)
        self.bad_resident = resident not in (True, False, None, "true", "false")
        data["resident"] = resident not in (False, "false")
        self.not_text = [
            key
            for key, value in data.items()
            if key != "resident" and value is not None and not isinstance(value, str)
        ]
        super().__init__(data, **kwargs)

    def clean(self):
        for key in self.not_text:
            if key in self.fields:
                self.add_error(key, "Send this as text.")
        if self.bad_resident:
            self.add_error("resident", "Answer true or false.")
        return super().clean()

    def service_kwargs(self, request) -> dict:
        data = self.cleaned_data
        return {
            "question": data["question"],
            "patron_name": data["name"],
            "patron_email": data["email"],
            "patron_status": data["patron_status"] or Conversation.PatronStatus.PUBLIC,
            "resident": data["resident"],
            "referrer_url": data["referrer_url"],
            "user_agent": request.headers.get("User-Agent", "")[:400],
            "ip": client_ip(request),
            "lang": data["lang"] or "en",
        }


class OfflineForm(PatronForm):
    email = forms.EmailField(
        error_messages={"required": "Give your email address so we can answer you."}
    )


@csrf_exempt
@require_POST
@json_endpoint
def chat_start(request, code: str):
    library = Library.objects.filter(code=code, active=True).first()
    if library is None:
        return error(f"No library with code “{code[:40]}”.", 404)
    if refused := foreign_origin_error(request, library):
        return refused
    form = PatronForm(request.json)
    if not form.is_valid():
        return form_error(form)
    if rate_limited(request, "start"):
        return error(
            "Too many chats from your address; please wait a few minutes.", 429
        )
    try:
        conversation = services.conversation_start(
            library=library, **form.service_kwargs(request)
        )
    except services.PatronBlocked as exc:
        return error(exc.message, 403)
    except services.NobodyOnline as exc:
        now = timezone.now()
        queues = [*library.queues.active().local(), *library.coops.active()]
        message, opening = exc.message, None
        if any(consortium_selectors.queue_is_open(q, now) for q in queues):
            message = (
                "Chat is open, but no librarian is signed in right now. Leave your "
                "question and we will answer by email."
            )
        else:
            openings = [consortium_selectors.next_opening(q, now) for q in queues]
            opening = min((o for o in openings if o), default=None)
        return error(
            message,
            409,
            offline=True,
            hours_url=request.build_absolute_uri(library.get_absolute_url()),
            next_opening=opening.isoformat() if opening else None,
        )
    services.remember_patron_ip(conversation.pk, client_ip(request))
    return JsonResponse(
        {
            "token": conversation.patron_token,
            "ws_url": f"/ws/chat/{conversation.patron_token}/",
            "state": selectors.patron_state(conversation),
        },
        status=201,
    )


@csrf_exempt
@require_POST
@json_endpoint
def chat_offline(request, code: str):
    library = Library.objects.filter(code=code, active=True).first()
    if library is None:
        return error(f"No library with code “{code[:40]}”.", 404)
    if refused := foreign_origin_error(request, library):
        return refused
    form = OfflineForm(request.json)
    if not form.is_valid():
        return form_error(form)
    if rate_limited(request, "offline"):
        return error("Too many questions from your address; please wait a while.", 429)
    kwargs = form.service_kwargs(request)
    kwargs["email"] = kwargs.pop("patron_email")
    try:
        conversation = services.offline_question_create(library=library, **kwargs)
    except services.PatronBlocked as exc:
        return error(exc.message, 403)
    return JsonResponse(
        {
            "ticket": conversation.pk,
            "message": f"Thank you. {library.name} will answer by email at "
            f"{conversation.patron_email}.",
        },
        status=201,
    )


def _patron_conversation(token: str) -> Conversation:
    conversation = (
        Conversation.objects.select_related("library", "librarian")
        .filter(patron_token=token[:64], channel=Conversation.Channel.CHAT)
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def patron_view(view=None, *, files: bool = False):
    """Resolve the patron token; an unknown one is a JSON 404."""
    if view is None:
        return lambda v: patron_view(v, files=files)

    @wraps(view)
    def wrapper(request, token, *args, **kwargs):
        try:
            conversation = _patron_conversation(token)
        except Http404:
            return error("This chat does not exist or has expired.", 404)
        return view(request, conversation, *args, **kwargs)

    return csrf_exempt(json_endpoint(wrapper, files=files))


@require_GET
@patron_view
def patron_state(request, conversation):
    return JsonResponse(selectors.patron_state(conversation))


@require_http_methods(["GET", "POST"])
@patron_view
def patron_messages(request, conversation):
    if request.method == "POST":
        body, client_id = request.json.get("body"), request.json.get("client_id", "")
        if not isinstance(body, str) or not isinstance(client_id, str):
            return error("Send a text “body” and a text “client_id”.")
        message, new = services.message_post(
            conversation_id=conversation.pk,
            sender=Message.Sender.PATRON,
            body=body,
            client_id=client_id,
        )
        return JsonResponse(
            {"message": _message_json(message, for_patron=True)},
            status=201 if new else 200,
        )
    try:
        after = max(0, int(request.GET.get("after", 0)))
    except ValueError:
        return error("“after” must be a whole number.")
    return JsonResponse(
        {
            "messages": selectors.messages_payload(
                conversation, after, for_patron=True
            ),
            "state": selectors.patron_state(conversation),
        }
    )


def _message_json(message, *, for_patron: bool) -> dict:
    from chat.events import message_payload

    message = (
        Message.objects.select_related("conversation", "author__library")
        .prefetch_related("attachments")
        .get(pk=message.pk)
    )
    return message_payload(message, for_patron=for_patron)


def _upload(request, conversation, *, sender, author=None):
    upload = request.FILES.get("file")
    client_id = request.POST.get("client_id", "")
    data = services.read_upload(upload)
    message, new = services.attachment_post(
        conversation_id=conversation.pk,
        sender=sender,
        name=upload.name,
        data=data,
        client_id=client_id,
        author=author,
    )
    return JsonResponse(
        {"message": _message_json(message, for_patron=sender == Message.Sender.PATRON)},
        status=201 if new else 200,
    )


@require_POST
@patron_view(files=True)
def patron_file_upload(request, conversation):
    if refused := foreign_origin_error(request, conversation.library):
        return refused
    if not conversation.is_open:
        return error("This chat has ended.", 409)
    return _upload(request, conversation, sender=Message.Sender.PATRON)


def _download(attachment: Attachment) -> FileResponse:
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@patron_view
def patron_file(request, conversation, attachment_id: int):
    attachment = get_object_or_404(
        Attachment,
        pk=attachment_id,
        conversation=conversation,
        message__sender__in=[Message.Sender.PATRON, Message.Sender.LIBRARIAN],
    )
    return _download(attachment)


@require_POST
@patron_view
def patron_end(request, conversation):
    conversation = services.conversation_end(conversation_id=conversation.pk)
    return JsonResponse({"state": selectors.patron_state(conversation)})


RATING_FIELDS = {
    "invalid_score": "score",
    "invalid_comment": "comment",
    "comment_too_long": "comment",
}


@require_POST
@patron_view
def patron_rating(request, conversation):
    """The patron's "How did we do?" (`services.rating_submit`): {"score":
    1-5, "comment": "..."}. Errors carry a `code` so that the widget shows
    its own words in the patron's language."""
    if refused := foreign_origin_error(request, conversation.library):
        return refused
    try:
        rating = services.rating_submit(
            conversation=conversation,
            score=request.json.get("score"),
            comment=request.json.get("comment", ""),
        )
    except services.RatingRefused as exc:
        field = RATING_FIELDS.get(exc.code)
        return error(
            exc.message,
            exc.status,
            code=exc.code,
            fields={field: [exc.message]} if field else {},
        )
    return JsonResponse(
        {
            "rating": {"score": rating.score, "comment": rating.comment},
            "state": selectors.patron_state(conversation),
        },
        status=201,
    )


@require_GET
def demo_site(request, code: str):
    """A stand-in for a member library's website with its embed snippet, so
    the widget can be tried as patrons meet it."""
    from consortium.admin import embed_snippet

    library = get_object_or_404(Library, code=code, active=True)
    return render(
        request,
        "chat/demo_site.html",
        {"library": library, "snippet": embed_snippet(library)},
    )


# --- Transcripts (SPEC L10) ---------------------------------------------------------------


def _transcript_conversation(token: str) -> Conversation:
    conversation = (
        Conversation.objects.select_related("library", "librarian")
        .filter(transcript_token=token[:64])
        .exclude(ended_at__isnull=True)
        .first()
    )
    if conversation is None:
        raise Http404("No such transcript.")
    return conversation


def _transcript_expired(conversation) -> bool:
    return timezone.now() > conversation.ended_at + timedelta(days=TRANSCRIPT_DAYS)


@require_GET
@xframe_options_exempt
def transcript(request, token: str):
    conversation = _transcript_conversation(token)
    if _transcript_expired(conversation):
        return render(
            request,
            "chat/transcript_expired.html",
            {"conversation": conversation},
            status=410,
        )
    messages = selectors.messages_after(conversation, 0, include_notes=False)
    context = {
        "conversation": conversation,
        "messages": messages,
        "config": ConsortiumSettings.load(),
        "expires_at": conversation.ended_at + timedelta(days=TRANSCRIPT_DAYS),
        "site_url": settings.SITE_URL.rstrip("/"),
        "lang": conversation.lang,
        "t": TRANSCRIPT_LABELS.get(conversation.lang, TRANSCRIPT_LABELS["en"]),
    }
    if request.GET.get("format") == "txt":
        response = render(
            request,
            "chat/email/transcript.txt",
            context,
            content_type="text/plain; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="chat-{conversation.library.code}-'
            f'{conversation.requested_at:%Y-%m-%d}.txt"'
        )
        return response
    response = render(request, "chat/transcript.html", context)
    return allow_library_frames(response, conversation.library)


class EmailForm(forms.Form):
    email = forms.EmailField(error_messages={"required": "Give an email address."})


@csrf_exempt
@require_POST
@json_endpoint
def transcript_email(request, token: str):
    try:
        conversation = _transcript_conversation(token)
    except Http404:
        return error("No such transcript.", 404)
    if _transcript_expired(conversation):
        return error("This transcript has expired.", 410)
    form = EmailForm({k: v for k, v in request.json.items() if isinstance(v, str)})
    if not form.is_valid():
        return form_error(form)
    if not cache.add(
        f"transcript-mail:{conversation.pk}:{form.cleaned_data['email']}", 1, 600
    ):
        return error("This transcript was just sent to that address.", 429)
    tasks.send_transcript_email.delay(conversation.pk, form.cleaned_data["email"])
    return JsonResponse(
        {"message": f"We are sending the transcript to {form.cleaned_data['email']}."},
        status=202,
    )


# --- The desk -----------------------------------------------------------------------------


def _desk_queues(staff):
    from django.db.models import Q

    queues = Queue.objects.active().select_related("library")
    if not scoping.is_helpdesk(staff):
        queues = queues.filter(Q(kind=Queue.Kind.COOP) | Q(library_id=staff.library_id))
    return queues


@ensure_csrf_cookie
def desk(request):
    """The librarian's desk: monitoring, the waiting list, chats, wrap-up."""
    from django.contrib.auth.views import redirect_to_login

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    staff = request.user
    desk_config = {
        "me": {
            "id": staff.pk,
            "name": staff.chat_name,
            "library": staff.library.name if staff.library_id else "Help desk",
            "max_chats": staff.max_chats,
        },
        "ws_url": "/ws/desk/",
        "api": "/desk/api/",
        "resolutions": list(Conversation.Resolution.choices),
        "question_types": list(Conversation.QuestionType.choices),
        "read_scale": [
            [1, "1 – answer with no effort, no specialised knowledge"],
            [2, "2 – some effort, basic resources"],
            [3, "3 – some knowledge of sources and search skills"],
            [4, "4 – several sources, more time, subject knowledge"],
            [5, "5 – substantial time, consultation, in-depth research"],
            [6, "6 – most effort and time; no single answer"],
        ],
        "max_message_chars": services.MAX_MESSAGE_CHARS,
        "max_file_bytes": services.MAX_FILE_BYTES,
        # The SMS composer's warning length (SPEC M1) and Twilio's limit.
        "sms_message_chars": ConsortiumSettings.load().sms_message_chars,
        "sms_max_chars": MAX_SMS_CHARS,
    }
    return render(
        request,
        "chat/desk.html",
        {
            "queues": _desk_queues(staff),
            "monitoring": set(staff.monitors.values_list("queue_id", flat=True)),
            "can_chat": staff.role in Staff.CHAT_ROLES,
            "announcements": Announcement.objects.current()[:5],
            "desk_config": desk_config,
            "tickets": inbox_summary(staff),
        },
    )


@login_required
def desk_tickets_summary(request):
    """The desk's ticket counts (it re-reads them when a ticket changes)."""
    return JsonResponse(inbox_summary(request.user))


def staff_api(view=None, *, files: bool = False):
    """Signed-in chat staff only (JSON 401/403), with the JSON body parsed."""
    if view is None:
        return lambda v: staff_api(v, files=files)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return error("Sign in to use the desk.", 401)
        if not user.is_active or user.role not in Staff.CHAT_ROLES:
            return error("Your role does not staff live chat.", 403)
        return view(request, *args, **kwargs)

    return json_endpoint(wrapper, files=files)


def _desk_conversation(request, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("library", "queue", "librarian__library")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None or not selectors.can_view(request.user, conversation):
        raise Http404
    return conversation


def desk_conversation_view(view=None, *, files: bool = False):
    if view is None:
        return lambda v: desk_conversation_view(v, files=files)

    @wraps(view)
    def wrapper(request, conversation_id, *args, **kwargs):
        try:
            conversation = _desk_conversation(request, conversation_id)
        except Http404:
            return error("No such chat, or it is not yours.", 404)
        return view(request, conversation, *args, **kwargs)

    return staff_api(wrapper, files=files)


def _detail(request, conversation_id: int) -> JsonResponse:
    conversation = Conversation.objects.select_related(
        "library", "queue", "librarian__library"
    ).get(pk=conversation_id)
    return JsonResponse(selectors.detail_payload(conversation, request.user))


@require_GET
@desk_conversation_view
def desk_detail(request, conversation):
    return JsonResponse(selectors.detail_payload(conversation, request.user))


def _int_or_none(value, name: str):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise services.DomainError(f"“{name}” must be an id.")
    try:
        return int(value)
    except ValueError as exc:
        raise services.DomainError(f"“{name}” must be an id.") from exc


@require_POST
@desk_conversation_view
def desk_transfer(request, conversation):
    data = request.json
    note = data.get("note", "")
    if not isinstance(note, str):
        return error("“note” must be text.")
    services.conversation_transfer(
        conversation_id=conversation.pk,
        actor=request.user,
        note=note,
        to_librarian_id=_int_or_none(data.get("to_librarian"), "to_librarian"),
        to_queue_id=_int_or_none(data.get("to_queue"), "to_queue"),
    )
    return JsonResponse({"id": conversation.pk, "status": "transferred"})


@require_POST
@desk_conversation_view
def desk_end(request, conversation):
    services.conversation_end(conversation_id=conversation.pk, actor=request.user)
    return _detail(request, conversation.pk)


class WrapUpForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=Conversation.Resolution.choices,
        error_messages={"required": "Choose a resolution."},
    )
    question_type = forms.ChoiceField(
        choices=Conversation.QuestionType.choices,
        error_messages={"required": "Choose a question type."},
    )
    read_scale = forms.IntegerField(min_value=1, max_value=6, required=False)
    bad_patron = forms.BooleanField(required=False)
    bad_patron_reason = forms.CharField(max_length=300, required=False)
    followup_email = forms.EmailField(required=False)
    followup_due = forms.DateField(required=False, input_formats=["%Y-%m-%d"])


@require_POST
@desk_conversation_view
def desk_wrapup(request, conversation):
    data = {
        k: v
        for k, v in request.json.items()
        if isinstance(v, (str, int, bool)) and v is not None
    }
    form = WrapUpForm(data)
    if not form.is_valid():
        return form_error(form)
    try:
        services.conversation_wrap_up(
            conversation_id=conversation.pk, actor=request.user, **form.cleaned_data
        )
    except services.DomainError as exc:
        field = (
            "resolution"
            if "Lost Call" in exc.message
            else "followup_email"
            if "email" in exc.message
            else "followup_due"
            if "deadline" in exc.message
            else "bad_patron_reason"
            if "flag" in exc.message
            else None
        )
        return error(exc.message, fields={field: [exc.message]} if field else {})
    return _detail(request, conversation.pk)


@require_POST
@desk_conversation_view(files=True)
def desk_file_upload(request, conversation):
    return _upload(
        request, conversation, sender=Message.Sender.LIBRARIAN, author=request.user
    )


@require_GET
@desk_conversation_view
def desk_file(request, conversation, attachment_id: int):
    return _download(
        get_object_or_404(Attachment, pk=attachment_id, conversation=conversation)
    )


@require_GET
@desk_conversation_view
def desk_canned(request, conversation):
    groups: dict[str, dict] = {}
    for row in services.canned_for(conversation, request.user):
        group = groups.setdefault(
            row.group,
            {"group": row.group, "label": row.get_group_display(), "messages": []},
        )
        group["messages"].append(
            {
                "id": row.pk,
                "key": row.key,
                "title": row.title,
                "body": services.canned_render(
                    row.body, conversation=conversation, librarian=request.user
                ),
            }
        )
    return JsonResponse({"groups": list(groups.values())})


@require_POST
@desk_conversation_view
def desk_inappropriate(request, conversation):
    kind = request.json.get("kind")
    if not isinstance(kind, str):
        return error("Choose the kind of inappropriate use.")
    services.conversation_inappropriate(
        conversation_id=conversation.pk, actor=request.user, kind=kind
    )
    return _detail(request, conversation.pk)


@require_POST
@desk_conversation_view
def desk_crisis(request, conversation):
    services.conversation_crisis(conversation_id=conversation.pk, actor=request.user)
    return _detail(request, conversation.pk)


@require_POST
@desk_conversation_view
def desk_block(request, conversation):
    days, reason = request.json.get("days"), request.json.get("reason", "")
    if isinstance(days, str) and days.isdigit():
        days = int(days)
    if not isinstance(days, int) or isinstance(days, bool):
        return error("“days” must be a whole number from 1 to 365.")
    if not isinstance(reason, str):
        return error("“reason” must be text.")
    services.patron_block(
        conversation_id=conversation.pk, actor=request.user, days=days, reason=reason
    )
    return _detail(request, conversation.pk)


@require_GET
@staff_api
def desk_on_duty(request):
    return JsonResponse({"librarians": selectors.on_duty()})


@require_POST
@staff_api
def desk_backup(request):
    message = request.json.get("message", "")
    if not isinstance(message, str):
        return error("“message” must be text.")
    try:
        services.backup_call_create(actor=request.user, message=message)
    except services.DomainError as exc:
        return error(exc.message, 429)
    return JsonResponse(
        {"message": "The help desk and the listserv are asked to help."}, status=202
    )
