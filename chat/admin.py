"""Admin of the chat app. Conversations are changed in the desk, through the
services; here the help desk and coordinators read them (scoped to the
coordinator's library) and manage canned messages and patron blocks."""

from django.contrib import admin
from django.utils.html import format_html

from chat.models import (
    BackupCall,
    CannedMessage,
    Conversation,
    FollowUp,
    Message,
    PatronBlock,
)
from consortium.admin.base import ALL, ScopedAdmin


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
        return [f.name for f in Conversation._meta.fields if f.name not in self.exclude]

    @admin.display(description="question")
    def question_short(self, obj):
        # Patron text is escaped by format_html like everywhere in the admin.
        return format_html("{}", obj.question[:80])


@admin.register(CannedMessage)
class CannedMessageAdmin(ScopedAdmin):
    coordinator_can = ALL
    list_display = ("title", "group", "key", "library", "position")
    list_filter = ("group", "library")
    search_fields = ("title", "body", "key")


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("conversation", "library", "source", "status", "email", "due_at")
    list_filter = ("status", "source", "library", "forwarded_to_helpdesk")


@admin.register(PatronBlock)
class PatronBlockAdmin(ScopedAdmin):
    list_display = ("created_at", "until", "reason", "email", "created_by")
    readonly_fields = ("ip_hash", "conversation", "created_by", "created_at")


@admin.register(BackupCall)
class BackupCallAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("created_at", "staff", "message", "notified_at")
