"""Admin for the consortium core. Coordinators see their own library (C8);
the help desk sees everything. Writes go through `consortium.services`."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.contrib.auth.models import Group
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from consortium import scoping, selectors, services
from consortium.admin.base import ALL, ListsMixin, ScopedAdmin, ScopedInline
from consortium.fields import format_minutes
from consortium.models import (
    Announcement,
    Closure,
    ConsortiumSettings,
    Holiday,
    Liaison,
    Library,
    PostedHours,
    ProblemReport,
    Queue,
    QueueMonitor,
    ReferralAgreement,
    Staff,
    Term,
)

admin.site.site_header = "AskTogether administration"
admin.site.site_title = "AskTogether"
admin.site.index_title = "Consortium administration"
# Roles, not Django groups, decide what staff may do.
admin.site.unregister(Group)


def embed_snippet(library: Library) -> str:
    base = settings.SITE_URL.rstrip("/")
    return (
        f"<!-- AskTogether: Chat now button for {library.name}. If your site sends a "
        f"Content-Security-Policy, allow {base} in its script-src, frame-src and "
        "connect-src. -->\n"
        f'<div data-asktogether-library="{library.code}"></div>\n'
        f'<script src="{base}/widget/embed.js" async></script>'
    )


class OnlineOnPage:
    """Who is online, read for a whole changelist page at once
    (`online_on_page(objects, at)` gives the ids online); a row shown
    elsewhere (its change form) reads its own."""

    online_on_page = None

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        online = self.online_on_page(changelist.result_list, timezone.now())
        for obj in changelist.result_list:
            obj.chat_online = obj.pk in online
        return changelist

    def online(self, obj, read_one) -> bool:
        online = getattr(obj, "chat_online", None)
        return read_one() if online is None else online


@admin.register(Library)
class LibraryAdmin(OnlineOnPage, ScopedAdmin):
    coordinator_can = frozenset({"view", "change"})
    # The help desk sets up SMS: it buys a number and points it at this
    # service, and keeps the text-string time with it.
    coordinator_readonly_fields = (
        "name",
        "code",
        "library_type",
        "coops",
        "active",
        "sms_number",
        "sms_thread_hours",
    )
    list_display = ("name", "code", "library_type", "timezone", "active", "status")
    list_filter = ("library_type", "active", "coops")
    search_fields = ("name", "code", "contact_email", "ticket_email", "sms_number")
    filter_horizontal = ("coops",)
    readonly_fields = ("embed_code", "public_pages", "status")

    class Media:
        js = ["consortium/admin.js"]  # the snippet selects itself on a click

    fieldsets = (
        (None, {"fields": ("name", "code", "library_type", "active", "timezone")}),
        (
            "Public contact",
            {"fields": ("website", "contact_email", "contact_phone")},
        ),
        (
            "Email tickets",
            {"fields": ("ticket_email", "ticket_greeting", "ticket_signature")},
        ),
        (
            "Chat service",
            {
                "fields": (
                    "coops",
                    "fallback_delay_seconds",
                    "service_area",
                    "widget_origins",
                    "status",
                )
            },
        ),
        (
            "SMS",
            {
                "fields": (
                    "sms_number",
                    "sms_thread_hours",
                    "sms_after_hours_reply",
                    "sms_after_hours_reply_es",
                )
            },
        ),
        ("Schedule", {"fields": ("substitutes_need_approval",)}),
        ("Embed code", {"fields": ("embed_code", "public_pages")}),
    )

    online_on_page = staticmethod(selectors.libraries_online)

    @admin.display(description="Chat now status")
    def status(self, obj):
        if obj.pk is None:
            return "—"
        online = self.online(obj, lambda: selectors.library_status(obj).online)
        return "Online" if online else "Offline"

    @admin.display(description="Chat now snippet")
    def embed_code(self, obj):
        if obj.pk is None:
            return "Save the library to get its snippet."
        return format_html(
            "<p>Paste this into the library website where the “Chat now” button "
            "should appear. The button shows whether chat is online.</p>"
            '<textarea readonly rows="4" cols="90" class="vLargeTextField" '
            'data-select-on-click aria-label="Embed snippet">{}</textarea>',
            embed_snippet(obj),
        )

    @admin.display(description="Public pages")
    def public_pages(self, obj):
        if obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">Public hours page</a> · <a href="{}">Status (JSON)</a>',
            reverse("library-hours", args=[obj.code]),
            reverse("widget-status", args=[obj.code]),
        )


class PostedHoursInline(ScopedInline, admin.TabularInline):
    model = PostedHours
    coordinator_can = ALL
    extra = 0
    fields = ("term_type", "weekday", "opens", "closes")


@admin.register(Queue)
class QueueAdmin(OnlineOnPage, ScopedAdmin):
    coordinator_can = frozenset({"view", "change"})
    coordinator_readonly_fields = ("code", "kind", "library", "timezone", "active")
    list_display = ("code", "name", "kind", "active", "online_now")
    list_filter = ("kind", "active")
    search_fields = ("code", "name", "library__name")
    list_select_related = ("library",)
    inlines = [PostedHoursInline]

    online_on_page = staticmethod(selectors.queues_online)

    @admin.display(description="Online now", boolean=True)
    def online_now(self, obj):
        return self.online(obj, lambda: selectors.queue_is_online(obj, timezone.now()))


class StaffChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = Staff


class StaffCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = Staff
        fields = ("username", "role", "library")


@admin.register(Staff)
class StaffAdmin(ScopedAdmin, UserAdmin):
    coordinator_can = ALL
    form = StaffChangeForm
    add_form = StaffCreationForm
    list_display = (
        "username",
        "first_name",
        "last_name",
        "role",
        "library",
        "is_active",
    )
    list_filter = ("role", "is_active", "library")
    search_fields = ("username", "first_name", "last_name", "email", "display_name")
    list_select_related = ("library",)
    ordering = ("username",)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("role", "library", "is_active")}),
        ("Chat", {"fields": ("display_name", "max_chats")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "role",
                    "library",
                    "first_name",
                    "last_name",
                    "email",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["fields"] = [
                f
                for fieldset in self.add_fieldsets
                for f in fieldset[1]["fields"]
                if f not in ("password1", "password2")
            ]
        return super().get_form(request, obj, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not scoping.is_helpdesk(request.user):
            kwargs["choices"] = [
                (value, label)
                for value, label in Staff.Role.choices
                if value != Staff.Role.HELPDESK
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.staff_save(actor=request.user, staff=obj)


@admin.register(Term)
class TermAdmin(ScopedAdmin):
    coordinator_can = ALL
    list_display = ("name", "term_type", "start_date", "end_date", "library")
    list_select_related = ("library",)
    list_filter = ("term_type", "library")
    search_fields = ("name",)
    date_hierarchy = "start_date"


@admin.register(PostedHours)
class PostedHoursAdmin(ScopedAdmin):
    coordinator_can = ALL
    list_display = ("queue__code", "term_type", "weekday", "opens_at", "closes_at")
    list_filter = ("term_type", "weekday", "queue__kind", "queue")
    search_fields = ("queue__code", "queue__name")
    list_select_related = ("queue",)

    @admin.display(description="opens", ordering="opens")
    def opens_at(self, obj):
        return format_minutes(obj.opens)

    @admin.display(description="closes", ordering="closes")
    def closes_at(self, obj):
        return format_minutes(obj.closes)


@admin.register(Holiday)
class HolidayAdmin(ScopedAdmin):
    list_display = ("name", "start_date", "end_date")
    date_hierarchy = "start_date"
    search_fields = ("name",)


@admin.register(Closure)
class ClosureAdmin(ScopedAdmin):
    coordinator_can = ALL
    list_display = ("library", "reason", "start_date", "end_date", "forwards_tickets")
    list_filter = ("forwards_tickets", "library")
    search_fields = ("reason", "library__name")
    list_select_related = ("library",)
    readonly_fields = ("forwards_tickets", "helpdesk_notified_at")

    def save_model(self, request, obj, form, change):
        services.closure_save(actor=request.user, closure=obj)


@admin.register(Liaison)
class LiaisonAdmin(ScopedAdmin):
    coordinator_can = ALL
    list_display = ("subject", "name", "email", "library")
    list_filter = ("library",)
    search_fields = ("subject", "name", "email")
    list_select_related = ("library",)


@admin.register(ReferralAgreement)
class ReferralAgreementAdmin(ScopedAdmin):
    coordinator_can = ALL
    consortium_wide_fields = ("to_library",)
    list_display = ("subject", "from_library", "to_library")
    list_filter = ("from_library", "to_library")
    search_fields = ("subject", "notes", "to_library__name")
    list_select_related = ("from_library", "to_library")


@admin.register(Announcement)
class AnnouncementAdmin(ScopedAdmin):
    list_display = ("title", "published_at", "expires_at", "email_staff", "emailed_at")
    search_fields = ("title", "body")
    readonly_fields = ("author", "emailed_at")

    def save_model(self, request, obj, form, change):
        services.announcement_save(actor=request.user, announcement=obj)


@admin.register(ProblemReport)
class ProblemReportAdmin(ScopedAdmin):
    list_display = ("summary", "reporter", "library", "status", "created_at")
    list_filter = ("status", "library")
    search_fields = ("summary", "details", "reporter__username")
    list_select_related = ("reporter", "library")
    readonly_fields = (
        "reporter",
        "library",
        "summary",
        "details",
        "page_url",
        "browser",
        "created_at",
        "status",
        "resolved_by",
        "resolved_at",
    )
    fields = readonly_fields + ("resolution",)
    actions = ["resolve"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == ProblemReport.Status.RESOLVED:
            fields.append("resolution")  # the record of how it was resolved stays
        return fields

    def has_add_permission(self, request):
        # Reports are filed from the desk by the person who had the problem.
        return False

    def save_model(self, request, obj, form, change):
        if obj.status == ProblemReport.Status.OPEN and obj.resolution.strip():
            services.problem_report_resolve(
                actor=request.user, report_id=obj.pk, resolution=obj.resolution
            )
        else:
            services.record_save(actor=request.user, instance=obj)

    @admin.action(description="Mark selected reports resolved")
    def resolve(self, request, queryset):
        done = 0
        for report in queryset.open():
            services.problem_report_resolve(
                actor=request.user,
                report_id=report.pk,
                resolution="Resolved by the help desk.",
            )
            done += 1
        self.message_user(request, f"{done} problem report(s) resolved.")


@admin.register(QueueMonitor)
class QueueMonitorAdmin(ScopedAdmin):
    """Who is monitoring which queue now (read-only)."""

    list_display = ("staff", "queue", "started_at", "last_seen")
    list_select_related = ("staff", "queue")
    list_filter = ("queue",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConsortiumSettings)
class ConsortiumSettingsAdmin(ScopedAdmin):
    coordinator_can = frozenset()

    def has_add_permission(self, request):
        return (
            scoping.is_helpdesk(request.user)
            and not ConsortiumSettings.objects.exists()
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.consortium_settings_save(actor=request.user, instance=obj)


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class ScopedLogEntryAdmin(ListsMixin, LogEntryAdmin):
    """The audit trail. Coordinators see the entries of their library's rows.

    Search: the entry's object and changes and who made it (trigram indexes
    on PostgreSQL, consortium migration 0004), not auditlog's `timestamp` as
    text, which no index can hold and which made every search read the whole
    trail: the date hierarchy picks days."""

    search_fields = [
        "object_repr",
        "changes",
        "actor__first_name",
        "actor__last_name",
        "actor__username",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if scoping.is_helpdesk(request.user):
            return queryset
        if scoping.is_coordinator(request.user):
            return queryset.filter(additional_data__library_id=request.user.library_id)
        return queryset.none()

    def has_module_permission(self, request):
        return scoping.is_helpdesk(request.user) or scoping.is_coordinator(request.user)

    def has_view_permission(self, request, obj=None):
        if (
            obj is not None
            and not self.get_queryset(request).filter(pk=obj.pk).exists()
        ):
            return False
        return self.has_module_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if (
            not str(object_id).isdigit()
            or not self.get_queryset(request).filter(pk=object_id).exists()
        ):
            raise Http404("No audit entry with this id.")
        return super().change_view(request, object_id, form_url, extra_context)
