"""Admin of the chat app. Conversations are changed in the desk, through the
services; here the help desk and coordinators read them (scoped to the
coordinator's library) and manage canned messages and patron blocks."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from chat import services
from chat.models import (
    BackupCall,
    Conversation,
    InboundEmail,
    Message,
    PatronBlock,
    Ticket,
)
from consortium.admin.base import ReadOnlyMixin, ScopedAdmin
from consortium.admin.service_admin import each


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    fields = ("seq", "created_at", "sender", "author", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = (
        "pk",
        "library",
        "channel",
        "status",
        "requested_at",
        "librarian",
        "resolution",
        "question_short",
    )
    list_filter = ("channel", "status", "resolution", "question_type", "library")
    search_fields = ("question", "patron_name", "patron_email")
    date_hierarchy = "requested_at"
    inlines = [MessageInline]
    list_select_related = ("library", "librarian")
    exclude = ("patron_token", "transcript_token", "patron_ip_hash")

    def get_readonly_fields(self, request, obj=None):
        fields = [
            f.name for f in Conversation._meta.fields if f.name not in self.exclude
        ]
        return [*fields, "email_ticket"]

    @admin.display(description="email ticket")
    def email_ticket(self, obj):
        ticket = Ticket.objects.filter(conversation=obj).first()
        if ticket is not None:
            return format_html(
                '<a href="{}">Ticket in the desk</a>',
                reverse("desk-ticket", args=[ticket.pk]),
            )
        if obj.channel == Conversation.Channel.SMS:
            return format_html(
                '<a href="{}">Convert to an email ticket</a>',
                reverse("desk-sms-to-ticket", args=[obj.pk]),
            )
        return "—"

    @admin.display(description="question")
    def question_short(self, obj):
        # Patron text is escaped by format_html like everywhere in the admin.
        return format_html("{}", obj.question[:80])


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, ScopedAdmin):
    """Tickets are worked in the desk (/desk/tickets/); here the help desk
    and coordinators find them and claim, close or reopen in bulk."""

    list_display = (
        "conversation",
        "work_in_desk",
        "subject",
        "library",
        "source",
        "status",
        "assignee",
        "email",
        "due_at",
        "forwarded_to_helpdesk",
    )
    list_filter = ("status", "source", "forwarded_to_helpdesk", "library")
    search_fields = ("subject", "email", "conversation__question")
    list_select_related = ("conversation", "library", "assignee")
    actions = ["claim", "close", "reopen"]

    @admin.display(description="desk")
    def work_in_desk(self, obj):
        """Answering, notes and transfers happen on the ticket's desk page."""
        return format_html(
            '<a href="{}">Open in the desk</a>', reverse("desk-ticket", args=[obj.pk])
        )

    @admin.action(description="Claim the selected tickets (I will answer them)")
    def claim(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda t: services.ticket_claim(ticket_id=t.pk, actor=request.user),
            "claimed",
        )

    @admin.action(description="Close the selected tickets")
    def close(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda t: services.ticket_close(ticket_id=t.pk, actor=request.user),
            "closed",
        )

    @admin.action(description="Reopen the selected tickets")
    def reopen(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda t: services.ticket_reopen(ticket_id=t.pk, actor=request.user),
            "reopened",
        )


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyMixin, ScopedAdmin):
    """Every email received, as it arrived; quarantined ones wait here for
    the help desk."""

    list_display = (
        "received_at",
        "via",
        "from_email",
        "subject",
        "status",
        "reason",
        "ticket",
    )
    list_filter = ("status", "via")
    search_fields = ("from_email", "subject", "message_id")
    exclude = ("raw",)
    actions = ["accept_into_ticket", "process_again"]

    @admin.action(description="Add quarantined replies to their ticket anyway")
    def accept_into_ticket(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda e: services.inbound_email_accept(
                inbound_id=e.pk, actor=request.user
            ),
            "added to their tickets",
        )

    @admin.action(description="Process the selected emails again")
    def process_again(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda e: services.inbound_email_retry(inbound_id=e.pk, actor=request.user),
            "processed again",
        )


@admin.register(PatronBlock)
class PatronBlockAdmin(ScopedAdmin):
    list_display = ("created_at", "until", "reason", "email", "created_by")
    readonly_fields = ("ip_hash", "conversation", "created_by", "created_at")


@admin.register(BackupCall)
class BackupCallAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("created_at", "staff", "message", "notified_at")
