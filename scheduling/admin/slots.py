"""Weekly shifts (S2) and schedule-change requests (S7).

Coordinators keep their library's weekly shifts for terms not yet begun; once
a term is under way they change only who covers a slot, and ask the help desk
for anything else with a schedule-change request.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from consortium import scoping
from consortium.admin.base import ALL
from consortium.fields import format_minutes
from scheduling import services
from scheduling.admin.base import (
    SERVICE_ERRORS,
    NoteActionForm,
    ScheduleChoices,
    ServiceAdmin,
    action_note,
    each,
    library_filter,
    refusal_messages,
    run_service,
    week_grid_url,
)
from scheduling.models import ScheduleChangeRequest, Shift, ShiftSlot

SLOT_HOURS = ("library", "queue", "term", "weekday", "starts", "ends")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class SlotForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts is not None and ends is not None and ends <= starts:
            self.add_error(
                "ends",
                "The shift must end after it starts (24:00 is midnight at the end "
                "of the day).",
            )
        return data


@admin.register(ShiftSlot)
class ShiftSlotAdmin(ScheduleChoices, ServiceAdmin):
    coordinator_can = ALL
    form = SlotForm
    list_display = (
        "queue",
        "weekday",
        "hours",
        "term",
        "assignee",
        "library",
        "upcoming_shifts",
        "week_grid",
    )
    list_select_related = ("queue__library", "term", "assignee", "library")
    search_fields = (
        "queue__code",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
    )

    def get_list_filter(self, request):
        return (
            ("term", admin.RelatedOnlyFieldListFilter),
            ("queue", admin.RelatedOnlyFieldListFilter),
            "weekday",
            *library_filter(request),
        )

    def get_queryset(self, request):
        upcoming = Q(shifts__status=Shift.Status.SCHEDULED, shifts__starts_at__gt=Now())
        return (
            super()
            .get_queryset(request)
            .annotate(upcoming=Count("shifts", filter=upcoming))
        )

    def get_fields(self, request, obj=None):
        fields = ["library", "queue", "term", "weekday", ("starts", "ends"), "assignee"]
        if obj is not None:
            fields += ["upcoming_shifts", "week_grid"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        fields += ["upcoming_shifts", "week_grid"]
        if not scoping.is_helpdesk(request.user) and services.term_started(obj.term):
            # Only who covers the slot changes once the term is under way (S7).
            fields += SLOT_HOURS
        return fields

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return (
            obj is None
            or scoping.is_helpdesk(request.user)
            or not services.term_started(obj.term)
        )

    @admin.display(description="hours", ordering="starts")
    def hours(self, obj):
        return f"{format_minutes(obj.starts)}–{format_minutes(obj.ends)}"

    @admin.display(description="upcoming dated shifts", ordering="upcoming")
    def upcoming_shifts(self, obj):
        count = getattr(obj, "upcoming", None)
        if count is None:
            count = obj.shifts.live().filter(starts_at__gt=timezone.now()).count()
        url = reverse("admin:scheduling_shift_changelist")
        return format_html('<a href="{}?slot__id__exact={}">{}</a>', url, obj.pk, count)

    @admin.display(description="week grid")
    def week_grid(self, obj):
        url = week_grid_url(obj.queue.code)
        if url is None:
            return "—"
        return format_html('<a href="{}">Week of {}</a>', url, obj.queue.code)

    def save_model(self, request, obj, form, change):
        slot = run_service(lambda: services.slot_save(actor=request.user, slot=obj))
        upcoming = slot.shifts.live().filter(starts_at__gt=timezone.now()).count()
        self.message_user(
            request,
            f"{_plural(upcoming, 'upcoming dated shift')} on the schedule from "
            "this weekly shift.",
            messages.INFO,
        )

    def delete_model(self, request, obj):
        run_service(lambda: services.slot_delete(actor=request.user, slot=obj))

    def delete_queryset(self, request, queryset):
        for slot in queryset:
            try:
                services.slot_delete(actor=request.user, slot=slot)
            except SERVICE_ERRORS as error:
                for text in refusal_messages(error):
                    self.message_user(request, f"{slot}: {text}", messages.ERROR)


# --- Schedule-change requests (S7) ---------------------------------------------------


def decide(actor, request_id: int, approve: bool, note: str):
    return services.change_request_decide(
        actor=actor, request_id=request_id, approve=approve, note=note or ""
    )


class DecisionForm(forms.ModelForm):
    """The help desk's decision on a pending request."""

    decision = forms.ChoiceField(
        choices=[
            ("", "Not yet"),
            ("approve", "Approve: change the schedule now"),
            ("reject", "Reject"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    note = forms.CharField(
        label="Decision note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="The coordinator reads it. Say why when you reject.",
    )

    class Meta:
        model = ScheduleChangeRequest
        fields = ()

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("note", "").strip():
            self.add_error("note", "Say why the change is rejected.")
        return data


@admin.register(ScheduleChangeRequest)
class ScheduleChangeRequestAdmin(ScheduleChoices, ServiceAdmin):
    """Coordinators file requests for their library and withdraw pending ones;
    the help desk approves (the change is applied) or rejects with a note."""

    coordinator_can = frozenset({"view", "add"})
    list_display = (
        "library",
        "action",
        "summary",
        "status",
        "requested_by",
        "created_at",
    )
    # `summary` shows the weekly shift (its queue and term) and the proposal.
    list_select_related = (
        "library",
        "requested_by",
        "queue",
        "term",
        "slot__queue",
        "slot__term",
    )
    actions = ["approve_requests", "reject_requests", "withdraw_requests"]
    action_form = NoteActionForm
    add_fieldsets = (
        (None, {"fields": ("library", "action", "slot", "reason")}),
        (
            "Proposed weekly shift",
            {
                "fields": (
                    "queue",
                    "term",
                    "weekday",
                    ("starts", "ends"),
                    "assignee",
                ),
                "description": "To add a weekly shift fill in all of these; to "
                "change one, only what changes (empty keeps the current value). "
                "Nothing is needed to remove one.",
            },
        ),
    )
    shown = ("library", "action", "summary", "reason", "requested_by", "created_at")
    decided = ("status", "decided_by", "decided_at", "decision_note")

    def get_list_filter(self, request):
        return ("status", "action", *library_filter(request))

    def _deciding(self, request, obj) -> bool:
        return (
            obj is not None
            and obj.status == ScheduleChangeRequest.Status.PENDING
            and self.has_change_permission(request, obj)
        )

    def has_change_permission(self, request, obj=None):
        # Coordinators cannot edit a filed request; decided ones are history.
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == ScheduleChangeRequest.Status.PENDING
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return scoping.is_helpdesk(request.user)

    def has_withdraw_permission(self, request):
        return scoping.is_helpdesk(request.user) or scoping.is_coordinator(request.user)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        decision = (
            ("status", "decision", "note")
            if self._deciding(request, obj)
            else self.decided
        )
        return ((None, {"fields": self.shown}), ("Decision", {"fields": decision}))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.shown + self.decided

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self._deciding(request, obj):
            kwargs["form"] = DecisionForm
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="weekly shift")
    def summary(self, obj):
        text = services.describe_request(obj)
        return format_html_join(
            mark_safe("<br>"), "{}", ((line,) for line in text.splitlines())
        )

    def save_model(self, request, obj, form, change):
        if not change:
            run_service(
                lambda: services.change_request_submit(actor=request.user, request=obj)
            )
            self.message_user(
                request,
                "The help desk has been asked; you will get an email with its decision.",
                messages.INFO,
            )
            return
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        decided = run_service(
            lambda: decide(
                request.user, obj.pk, decision == "approve", form.cleaned_data["note"]
            )
        )
        obj.status = decided.status
        self.message_user(
            request,
            f"{decided.get_status_display()}; {decided.requested_by} is told by email.",
            messages.SUCCESS,
        )

    def _decide(self, request, queryset, approve: bool):
        note = action_note(request)
        if not approve and not note:
            self.message_user(
                request,
                "Write why in the note field next to the action, then reject.",
                messages.ERROR,
            )
            return
        each(
            self,
            request,
            queryset,
            lambda r: decide(request.user, r.pk, approve, note),
            "approved" if approve else "rejected",
        )

    @admin.action(description="Approve the selected requests", permissions=["decide"])
    def approve_requests(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(
        description="Reject the selected requests (with the note)",
        permissions=["decide"],
    )
    def reject_requests(self, request, queryset):
        self._decide(request, queryset, approve=False)

    @admin.action(
        description="Withdraw the selected requests", permissions=["withdraw"]
    )
    def withdraw_requests(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda r: services.change_request_withdraw(
                actor=request.user, request_id=r.pk
            ),
            "withdrawn",
        )
