"""Admin of the chat app. Conversations are changed in the desk, through the
services; here the help desk and coordinators read them (scoped to the
coordinator's library) and manage canned messages and patron blocks."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import linebreaksbr
from django.urls import path, reverse
from django.utils.html import format_html

from chat import privacy, services
from chat.models import (
    BackupCall,
    BlockedSender,
    Conversation,
    InboundEmail,
    Message,
    PatronBlock,
    RetentionRun,
    Ticket,
)
from chat.services import blocklist
from consortium.admin.base import ALL, ReadOnlyMixin, ScopedAdmin
from consortium.admin.service_admin import ServiceAdmin, each, run_service
from consortium.models import ConsortiumSettings


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    """The transcript, for whoever may read the conversation (its admin has
    checked that): redacted when the patron is not the reader's."""

    model = Message
    fields = ("seq", "created_at", "sender", "author", "body")
    readonly_fields = (*fields, "redacted_body")
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True  # shown only inside a conversation the reader may see

    def get_queryset(self, request):
        # The conversation as stored (the page's own copy is redacted).
        return super().get_queryset(request).select_related("author", "conversation")

    def get_fields(self, request, obj=None):
        if obj is not None and not privacy.may_see_personal_data(request.user, obj):
            return ("seq", "created_at", "sender", "author", "redacted_body")
        return self.fields

    @admin.display(description="body")
    def redacted_body(self, message):
        return privacy.redact_text(message.body, message.conversation)


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
        "rating_score",
        "question_short",
    )
    # The request date as a filter (today, past 7 days, this month, this
    # year), not a date hierarchy: its year and month links cost two more
    # passes over every conversation the reader may see on each page. Other
    # periods: the API's `from`/`to`.
    list_filter = (
        ("requested_at", admin.DateFieldListFilter),
        "channel",
        "status",
        "resolution",
        "question_type",
        "library",
    )
    search_fields = ("question", "patron_name", "patron_email")
    inlines = [MessageInline]
    list_select_related = ("library", "librarian", "rating")
    exclude = ("patron_token", "transcript_token", "patron_ip_hash")

    # Coordinators also read, without the patron's personal data, the chats
    # their librarians answered for other libraries (`chat.privacy`).
    def get_queryset(self, request):
        return privacy.visible_conversations(
            request.user, super(ScopedAdmin, self).get_queryset(request)
        )

    def get_object(self, request, object_id, from_field=None):
        """Read-only here, so the page can show the conversation as the user
        may see it: without personal data when the patron is not theirs."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and not obj.personal_data:
            for name in privacy.FREE_TEXT_FIELDS:
                setattr(obj, name, privacy.redact_text(getattr(obj, name), obj))
            for name in privacy.PERSONAL_FIELDS:
                setattr(obj, name, None)
        return obj

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return super().has_view_permission(request)
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def get_search_results(self, request, queryset, search_term):
        # Searching names and addresses must not reveal whose chats another
        # library's patrons had: only the rows shown with personal data.
        if search_term:
            queryset = queryset.filter(personal_data=True)
        return super().get_search_results(request, queryset, search_term)

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.exclude)
        if obj is not None and not privacy.may_see_personal_data(request.user, obj):
            hidden |= set(privacy.PERSONAL_FIELDS)
        fields = [f.name for f in Conversation._meta.fields if f.name not in hidden]
        return [*fields, "email_ticket", "patron_rating"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

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

    @admin.display(description="rating", ordering="rating__score")
    def rating_score(self, obj):
        rating = getattr(obj, "rating", None)
        return _stars(rating.score) if rating is not None else "—"

    @admin.display(description="patron rating")
    def patron_rating(self, obj):
        """The score and the comment, escaped (the patron's own text) and,
        without personal data, redacted like the question."""
        rating = getattr(obj, "rating", None)
        if rating is None:
            return "Not rated"
        comment = privacy.rating_comment(obj, obj.personal_data)
        if not comment:
            return _stars(rating.score)
        return format_html(
            '{}<blockquote class="rating-comment">{}</blockquote>',
            _stars(rating.score),
            linebreaksbr(comment),
        )

    @admin.display(description="question")
    def question_short(self, obj):
        # Patron text is escaped by format_html like everywhere in the admin.
        question = obj.question
        if not obj.personal_data:
            question = privacy.redact_text(question, obj)
        return format_html("{}", question[:80])


def _stars(score: int):
    """★★★★☆ for screens, "4 of 5" for screen readers and search."""
    return format_html(
        '<span aria-hidden="true">{}{}</span> {} of 5',
        "★" * score,
        "☆" * (5 - score),
        score,
    )


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
    # `conversation` shows as "#id library: question".
    list_select_related = ("conversation__library", "library", "assignee")
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
    list_select_related = ("ticket",)
    search_fields = ("from_email", "subject", "message_id")
    exclude = ("raw",)
    actions = ["accept_into_ticket", "process_again", "block_senders"]

    @admin.action(
        description="Add quarantined emails anyway (to their ticket, or as a new one)"
    )
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

    @admin.action(description="Block the senders of the selected emails")
    def block_senders(self, request, queryset):
        """Each sender's address, for the library its email went to: their
        later mail is ignored (see Blocked senders)."""
        each(
            self,
            request,
            queryset,
            lambda e: blocklist.inbound_email_block_sender(
                inbound_id=e.pk, actor=request.user
            ),
            "senders blocked (their later mail is ignored)",
        )


@admin.register(BlockedSender)
class BlockedSenderAdmin(ServiceAdmin):
    """Senders whose mail intake ignores. Coordinators manage their own
    library's and see the help desk's consortium-wide ones read-only; every
    write goes through `chat.services.blocklist`."""

    coordinator_can = ALL
    list_display = (
        "pattern",
        "library",
        "reason",
        "matched_count",
        "last_matched_at",
        "created_by",
        "created_at",
    )
    list_filter = (("library", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("library", "created_by")
    search_fields = ("pattern", "reason")
    fields = (
        "pattern",
        "library",
        "reason",
        "created_by",
        "created_at",
        "matched_count",
        "last_matched_at",
    )
    readonly_fields = ("created_by", "created_at", "matched_count", "last_matched_at")

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # What is blocked is the block's identity: unblock, block again.
            fields += ["pattern", "library"]
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            run_service(
                lambda: blocklist.sender_block_update(
                    actor=request.user, block_id=obj.pk, reason=obj.reason
                )
            )
            return
        block = run_service(
            lambda: blocklist.sender_block(
                actor=request.user,
                pattern=obj.pattern,
                library=obj.library,
                reason=obj.reason,
            )
        )
        for name in ("pk", "pattern", "created_by", "created_at"):
            setattr(obj, name, getattr(block, name))
        obj._state.adding = False

    def delete_model(self, request, obj):
        run_service(
            lambda: blocklist.sender_unblock(actor=request.user, block_id=obj.pk)
        )

    def delete_queryset(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda b: blocklist.sender_unblock(actor=request.user, block_id=b.pk),
            "unblocked",
        )


@admin.register(PatronBlock)
class PatronBlockAdmin(ScopedAdmin):
    list_display = ("created_at", "until", "reason", "email", "created_by")
    readonly_fields = ("ip_hash", "conversation", "created_by", "created_at")


@admin.register(BackupCall)
class BackupCallAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("created_at", "staff", "message", "notified_at")


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyMixin, ScopedAdmin):
    """The retention job's runs (SPEC R4), for the help desk: what each one
    scrubbed, and above the list how many conversations the next run will
    scrub (`services.retention_due`). The job runs daily from beat."""

    coordinator_can = frozenset()
    list_display = (
        "ran_at",
        "retention_days",
        "cutoff",
        "conversations",
        "messages",
        "attachments",
        "left_for_next_run",
    )
    fields = (
        "ran_at",
        "retention_days",
        "cutoff",
        "conversations",
        "messages",
        "attachments",
        "details",
    )
    readonly_fields = fields

    @admin.display(description="left for the next run")
    def left_for_next_run(self, obj):
        return obj.details.get("left", 0)

    def get_urls(self):
        run = path(
            "run/",
            self.admin_site.admin_view(self.run_now),
            name="chat_retentionrun_run",
        )
        return [run, *super().get_urls()]

    def run_now(self, request):
        """Start the retention job at once (the help desk's button above the
        list), in the worker like beat's daily run: the same task, bounded and
        safe to run twice."""
        from chat import tasks

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        tasks.retention_scrub.delay()
        messages.success(
            request,
            "The retention job has started; its run is listed here when it ends.",
        )
        return HttpResponseRedirect(reverse("admin:chat_retentionrun_changelist"))

    def changelist_view(self, request, extra_context=None):
        # Callables: the COUNT runs only when the page is rendered.
        extra_context = {
            **(extra_context or {}),
            "retention_due": services.retention_due,
            "retention_days": lambda: ConsortiumSettings.load().retention_days,
        }
        return super().changelist_view(request, extra_context)
