"""Every library's policy sections in one list (K1), for searching and
filtering by library, kind and visibility, and the review reminders (K4) for
the help desk. A section is usually edited on its policy page; here too it is
written by `services.section_save` and has its versions (History)."""

from __future__ import annotations

from django.contrib import admin

from consortium import scoping
from consortium.admin.service_admin import ReadOnlyAdmin, run_service
from knowledgebase import services
from knowledgebase.admin.base import (
    STAFF_ONLY_HELP,
    KbServiceAdmin,
    ReasonForm,
    change_reason,
    library_filter,
)
from knowledgebase.admin.pages import KIND_ORDER, audience
from knowledgebase.admin.versions import VersionsMixin
from knowledgebase.models import PolicyPage, PolicySection, ReviewReminder
from knowledgebase.richtext import to_text


class SectionAdminForm(ReasonForm):
    class Meta:
        model = PolicySection
        fields = ("page", "kind", "visibility", "body")
        help_texts = {"visibility": STAFF_ONLY_HELP}


@admin.register(PolicySection)
class PolicySectionAdmin(VersionsMixin, KbServiceAdmin):
    """Every library's sections in one list, for searching and filtering;
    a section is usually edited on its policy page."""

    coordinator_can = frozenset({"view", "add", "change"})
    form = SectionAdminForm
    history_kind = "section"
    version_text_fields = {"body": to_text}
    version_skip = frozenset({"id", "updated_by", "page"})
    list_display = (
        "kind_label",
        "library",
        "shown_to",
        "excerpt",
        "updated_at",
        "updated_by",
    )
    list_select_related = ("page__library", "updated_by")
    search_fields = ("text", "page__library__name", "page__library__code")
    radio_fields = {"visibility": admin.HORIZONTAL}
    fields = (
        "page",
        "kind",
        "visibility",
        "body",
        "change_reason",
        "updated_at",
        "updated_by",
    )
    readonly_fields = ("updated_at", "updated_by")

    def get_list_filter(self, request):
        return (*library_filter(request, "page__library"), "kind", "visibility")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .order_by("page__library__name", KIND_ORDER, "visibility")
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("page")  # a section stays on its library's page
        return fields

    def has_delete_permission(self, request, obj=None):
        return False  # a section that does not apply is left empty

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if scoping.is_coordinator(request.user):
            page = PolicyPage.objects.filter(library_id=request.user.library_id)
            initial.setdefault("page", page.values_list("pk", flat=True).first())
        return initial

    @admin.display(description="section", ordering="kind")
    def kind_label(self, obj):
        return obj.get_kind_display()

    @admin.display(description="library", ordering="page__library__name")
    def library(self, obj):
        return obj.page.library

    @admin.display(description="shown to", ordering="visibility")
    def shown_to(self, obj):
        return audience(obj)

    @admin.display(description="text")
    def excerpt(self, obj):
        text = obj.text or to_text(obj.body)
        return text[:120] + ("…" if len(text) > 120 else "")

    def save_model(self, request, obj, form, change):
        run_service(
            lambda: services.section_save(
                actor=request.user, section=obj, reason=change_reason(form)
            )
        )


@admin.register(ReviewReminder)
class ReviewReminderAdmin(ReadOnlyAdmin):
    """The review reminders sent to coordinators (K4), for the help desk."""

    coordinator_can = frozenset()
    list_display = ("page", "stage", "due_on", "created_at", "sent_at")
    list_filter = ("stage",)
    list_select_related = ("page__library",)
    search_fields = ("page__library__name", "recipients")
    date_hierarchy = "created_at"
