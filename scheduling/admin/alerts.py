"""What the alerts sent and when (S4-S6): for the help desk only."""

from __future__ import annotations

from django.contrib import admin

from scheduling.admin.base import ReadOnlyAdmin
from scheduling.models import Alert, AlertEmail


@admin.register(AlertEmail)
class AlertEmailAdmin(ReadOnlyAdmin):
    coordinator_can = frozenset()
    list_display = ("subject", "recipients_shown", "created_at", "sent_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    search_fields = ("subject", "to", "body")
    date_hierarchy = "created_at"

    @admin.display(description="to")
    def recipients_shown(self, obj):
        return ", ".join(obj.recipients)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    coordinator_can = frozenset()
    list_display = ("kind", "key", "created_at", "queue", "shift", "email_sent_at")
    list_filter = ("kind",)
    list_select_related = ("queue__library", "shift__queue__library", "email")
    search_fields = ("key",)
    date_hierarchy = "created_at"

    @admin.display(description="email sent", ordering="email__sent_at")
    def email_sent_at(self, obj):
        return obj.email.sent_at if obj.email_id else None
