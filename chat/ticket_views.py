"""The desk's email tickets (SPEC T2, T6): inboxes and one ticket's thread
with its actions. Plain server-rendered pages: every action is a POST that
calls a service and comes back with a message saying what happened."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from chat import services
from chat.models import Attachment, BlockedSender, Conversation, Ticket
from chat.services import blocklist
from chat.services.tickets import can_work, helpdesk_inbox, inbox, reply_address
from consortium.models import Library
from consortium.services import DomainError
from knowledgebase import views as kb_views

S = Ticket.Status
VIEWS = {
    "inbox": ("Inbox", Q(status__in=[S.OPEN, S.CLAIMED])),
    "mine": ("Claimed by me", None),
    "waiting": ("Waiting on the patron", Q(status=S.WAITING)),
    "closed": ("Closed", Q(status=S.CLOSED)),
}


class ReplyForm(forms.Form):
    """The text of an answer or a note; files come as `files` (several)."""

    body = forms.CharField(max_length=20000)


class EmailForm(forms.Form):
    email = forms.EmailField(label="The patron's email address")


class BlockSenderForm(forms.Form):
    scope = forms.ChoiceField(
        choices=[("address", "This address"), ("domain", "The whole domain")],
        initial="address",
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField()


class TransferForm(forms.Form):
    library = forms.ModelChoiceField(queryset=Library.objects.filter(active=True))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


@login_required
def ticket_list(request):
    staff = request.user
    view = request.GET.get("view", "inbox")
    if view not in VIEWS:
        view = "inbox"
    tickets = inbox(staff)
    if view == "mine":
        tickets = tickets.filter(assignee=staff).exclude(status=S.CLOSED)
    else:
        tickets = tickets.filter(VIEWS[view][1])
    if staff.is_helpdesk and request.GET.get("helpdesk"):
        tickets = helpdesk_inbox(tickets)
    if view == "closed":
        tickets = tickets.order_by("-closed_at")
    page = Paginator(tickets, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "chat/tickets.html",
        {
            "page": page,
            "view": view,
            "views": VIEWS,
            "helpdesk": request.GET.get("helpdesk"),
        },
    )


def _ticket_for(request, ticket_id) -> Ticket:
    ticket = get_object_or_404(
        Ticket.objects.select_related("conversation", "library", "assignee"),
        pk=ticket_id,
    )
    if not can_work(request.user, ticket):
        raise Http404("No such ticket in your inboxes.")
    return ticket


@login_required
def ticket_detail(request, ticket_id):
    ticket = _ticket_for(request, ticket_id)
    thread = (
        ticket.conversation.messages.select_related("author")
        .prefetch_related("attachments")
        .order_by("seq")
    )
    return render(
        request,
        "chat/ticket.html",
        {
            "ticket": ticket,
            "thread": thread,
            "transfer_form": TransferForm(),
            "reply_address": reply_address(ticket),
            "emails": ticket.emails.order_by("-received_at")[:20],
            "kb": kb_views.ticket_panel(request, ticket),
            **_block_context(request.user, ticket),
        },
    )


def _block_context(staff, ticket: Ticket) -> dict:
    """The "Close and block sender" form, for those who may block for the
    ticket's library (its coordinators, the help desk), and the block
    already in force."""
    if not ticket.email or not blocklist.may_block(staff, ticket.library):
        return {}
    return {
        "block_form": BlockSenderForm(),
        "sender_domain": ticket.email.rpartition("@")[2].lower(),
        "sender_blocked": BlockedSender.objects.matching(
            ticket.email, library_id=ticket.library_id
        )
        .select_related("library")
        .first(),
    }


def _files(request) -> list[tuple[str, bytes]]:
    uploads = request.FILES.getlist("files")
    if len(uploads) > 5:
        raise DomainError("Attach at most 5 files at once.")
    return [(upload.name, services.read_upload(upload)) for upload in uploads]


def _act(request, ticket_id, action) -> str:
    staff = request.user
    post = request.POST
    if action == "claim":
        services.ticket_claim(ticket_id=ticket_id, actor=staff)
        return "You claimed this ticket."
    if action == "unclaim":
        services.ticket_unclaim(ticket_id=ticket_id, actor=staff)
        return "The ticket is back in the inbox."
    if action in ("reply", "note"):
        form = ReplyForm(post, request.FILES)
        if not form.is_valid():
            raise DomainError("Write something first (at most 20,000 characters).")
        write, done = {
            "reply": (
                services.ticket_reply,
                "Your answer is on its way to the patron.",
            ),
            "note": (services.ticket_note, "Note added (staff only)."),
        }[action]
        write(
            ticket_id=ticket_id,
            actor=staff,
            body=form.cleaned_data["body"],
            files=_files(request),
        )
        return done
    if action == "transfer":
        form = TransferForm(post)
        if not form.is_valid():
            raise DomainError("Choose a library and say in a note why.")
        ticket = services.ticket_transfer(
            ticket_id=ticket_id,
            actor=staff,
            library=form.cleaned_data["library"],
            note=form.cleaned_data["note"],
        )
        return f"Transferred to {ticket.library.name}."
    if action == "close":
        services.ticket_close(ticket_id=ticket_id, actor=staff)
        return "Ticket closed. A reply from the patron reopens it."
    if action == "reopen":
        services.ticket_reopen(ticket_id=ticket_id, actor=staff)
        return "Ticket reopened."
    if action == "block":
        form = BlockSenderForm(post)
        if not form.is_valid():
            raise DomainError(
                "Choose the address or the domain, and tick the box to confirm."
            )
        block = blocklist.ticket_block_sender(
            ticket_id=ticket_id, actor=staff, scope=form.cleaned_data["scope"]
        )
        return (
            f"Ticket closed; mail from {block.pattern} is ignored from now on "
            "(Blocked senders in the admin lists it)."
        )
    raise Http404("Unknown action.")


@login_required
@require_POST
def ticket_action(request, ticket_id, action):
    ticket = _ticket_for(request, ticket_id)
    try:
        done = _act(request, ticket.pk, action)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    if not can_work(request.user, Ticket.objects.get(pk=ticket.pk)):
        return redirect("desk-tickets")  # transferred out of reach
    return redirect("desk-ticket", ticket_id=ticket.pk)


@login_required
def ticket_file(request, ticket_id, attachment_id):
    ticket = _ticket_for(request, ticket_id)
    attachment = get_object_or_404(
        Attachment, pk=attachment_id, conversation_id=ticket.conversation_id
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )


@login_required
def sms_to_ticket(request, conversation_id):
    """Turn an SMS conversation into an email ticket (T1), claimed by the
    staff member doing it."""
    conversation = get_object_or_404(Conversation, pk=conversation_id)
    form = EmailForm(request.POST or None, initial={"email": conversation.patron_email})
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_from_sms(
                conversation_id=conversation.pk,
                actor=request.user,
                email=form.cleaned_data["email"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "The conversation is now your email ticket.")
            return redirect("desk-ticket", ticket_id=ticket.pk)
    return render(
        request,
        "chat/sms_to_ticket.html",
        {"conversation": conversation, "form": form},
    )
