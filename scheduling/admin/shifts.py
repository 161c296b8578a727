"""Dated shifts and substitute requests (S3, S4): coordinators see their
library's, the help desk everybody's. One-off shifts, reassignments,
cancellations and decisions on substitutes go through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef

from consortium import scoping
from consortium.fields import DayTimeFormField
from scheduling import services
from scheduling.admin.base import (
    NoteActionForm,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ScheduleChoices,
    ServiceAdmin,
    action_note,
    each,
    library_filter,
    run_service,
    who,
)
from scheduling.models import Shift, ShiftEvent, SubstitutionRequest

OPEN = SubstitutionRequest.OPEN_STATUSES


def local_span(start, end, zone) -> str:
    """ "Tue Dec 1, 2026 14:00–16:00 EST" in `zone`."""
    s, e = start.astimezone(zone), end.astimezone(zone)
    return f"{s:%a %b %-d, %Y %H:%M}–{e:%H:%M %Z}"


class ShiftEventInline(ReadOnlyInline, admin.TabularInline):
    model = ShiftEvent
    fields = ("at", "kind", "actor", "note")
    readonly_fields = fields
    verbose_name_plural = "history"


class OfferInline(ReadOnlyInline, admin.TabularInline):
    model = SubstitutionRequest
    fields = (
        "created_at",
        "offered_by",
        "reason",
        "status",
        "stage",
        "claimed_by",
        "decided_by",
    )
    readonly_fields = fields


class ShiftAddForm(forms.ModelForm):
    """A one-off shift: the day and wall-clock times in the queue's zone."""

    starts = DayTimeFormField(help_text="HH:MM in the queue's time zone.")
    ends = DayTimeFormField(help_text="HH:MM; 24:00 is midnight at the end of the day.")

    class Meta:
        model = Shift
        fields = ("library", "queue", "date", "assignee", "note")


class ShiftChangeForm(forms.ModelForm):
    """Who covers one dated shift, and why it changed."""

    change_note = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=300,
        help_text="Kept in the shift's history.",
    )

    class Meta:
        model = Shift
        fields = ("assignee",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assignee = self.fields.get("assignee")
        if assignee is not None and self.instance.library_id:
            assignee.queryset = assignee.queryset.filter(
                library_id=self.instance.library_id
            )


@admin.register(Shift)
class ShiftAdmin(ScheduleChoices, ServiceAdmin):
    coordinator_can = frozenset({"view", "add", "change"})
    list_display = (
        "when",
        "queue",
        "library",
        "assignee",
        "status",
        "attendance",
        "unfilled",
    )
    list_select_related = ("queue__library", "library", "assignee")
    date_hierarchy = "starts_at"
    search_fields = ("assignee__username", "assignee__last_name", "queue__code")
    actions = ["cancel_shifts"]
    action_form = NoteActionForm
    inlines = [ShiftEventInline, OfferInline]
    add_fields = ("library", "queue", "date", ("starts", "ends"), "assignee", "note")
    shown = ("when", "queue", "library", "slot", "status", "attendance", "note")
    coordinator_lookups = ("slot",)  # "upcoming dated shifts" of a weekly shift

    def get_list_filter(self, request):
        return (
            ("queue", admin.RelatedOnlyFieldListFilter),
            *library_filter(request),
            "status",
            "attendance",
        )

    def get_queryset(self, request):
        open_offer = SubstitutionRequest.objects.filter(
            shift=OuterRef("pk"), status__in=OPEN
        )
        return super().get_queryset(request).annotate(open_offer=Exists(open_offer))

    def has_change_permission(self, request, obj=None):
        # A cancelled shift is history; it is not reassigned.
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == Shift.Status.SCHEDULED
        )

    def has_delete_permission(self, request, obj=None):
        return False  # cancelled, never deleted: the history stays

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        if not self.has_change_permission(request, obj):
            return (*self.shown, "assignee")
        return (*self.shown, "assignee", "change_note")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.shown

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ShiftAddForm
        elif self.has_change_permission(request, obj):
            kwargs["form"] = ShiftChangeForm
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="when", ordering="starts_at")
    def when(self, obj):
        return local_span(obj.starts_at, obj.ends_at, obj.queue.zone)

    @admin.display(description="unfilled", boolean=True)
    def unfilled(self, obj):
        if obj.status != Shift.Status.SCHEDULED:
            return None
        open_offer = getattr(obj, "open_offer", None)
        if open_offer is None:
            open_offer = obj.offers.filter(status__in=OPEN).exists()
        return obj.assignee_id is None or open_offer

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            shift = run_service(
                lambda: services.shift_create(
                    actor=request.user,
                    library=data["library"],
                    queue=data["queue"],
                    day=data["date"],
                    starts=data["starts"],
                    ends=data["ends"],
                    assignee=data.get("assignee"),
                    note=data.get("note") or "",
                )
            )
            # The admin goes on with the form's instance (messages, redirect).
            for field in Shift._meta.concrete_fields:
                setattr(obj, field.attname, getattr(shift, field.attname))
            obj._state.adding = False
            return
        if "assignee" in form.changed_data:
            run_service(
                lambda: services.shift_assign(
                    actor=request.user,
                    shift_id=obj.pk,
                    assignee=obj.assignee,
                    note=data.get("change_note") or "",
                )
            )

    @admin.action(description="Cancel selected shifts", permissions=["change"])
    def cancel_shifts(self, request, queryset):
        note = action_note(request) or f"Cancelled in the admin by {who(request.user)}."
        skipped = queryset.exclude(status=Shift.Status.SCHEDULED).count()
        if skipped:
            self.message_user(
                request, f"{skipped} shift(s) were already cancelled.", messages.INFO
            )
        each(
            self,
            request,
            queryset.filter(status=Shift.Status.SCHEDULED),
            lambda s: services.shift_cancel(
                actor=request.user, shift_id=s.pk, note=note
            ),
            "shift(s) cancelled",
        )


@admin.register(SubstitutionRequest)
class SubstitutionRequestAdmin(ReadOnlyAdmin):
    """Given-up shifts. Librarians give up and claim in the desk; here the
    coordinator decides on claims that need approval, or moves an offer on."""

    list_display = (
        "shift",
        "library",
        "offered_by",
        "status",
        "stage",
        "claimed_by",
        "created_at",
        "widen_at",
    )
    list_select_related = (
        "shift__queue__library",
        "shift__library",
        "offered_by",
        "claimed_by",
    )
    actions = ["approve_claims", "turn_down_claims", "offer_widely", "withdraw_offers"]
    action_form = NoteActionForm

    def get_list_filter(self, request):
        extra = ("shift__library",) if scoping.is_helpdesk(request.user) else ()
        return ("status", "stage", "last_minute", *extra)

    @admin.display(description="library", ordering="shift__library__name")
    def library(self, obj):
        return obj.shift.library

    def _decide(self, request, queryset, approve: bool):
        note = action_note(request)
        each(
            self,
            request,
            queryset,
            lambda o: services.substitution_decide(
                actor=request.user, offer_id=o.pk, approve=approve, note=note
            ),
            "claim(s) approved" if approve else "claim(s) turned down",
        )

    @admin.action(description="Approve claim")
    def approve_claims(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description="Turn down claim")
    def turn_down_claims(self, request, queryset):
        self._decide(request, queryset, approve=False)

    @admin.action(description="Offer to the whole consortium now")
    def offer_widely(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda o: services.substitution_widen(actor=request.user, offer_id=o.pk),
            "request(s) offered to the whole consortium",
        )

    @admin.action(description="Withdraw")
    def withdraw_offers(self, request, queryset):
        each(
            self,
            request,
            queryset,
            lambda o: services.substitution_withdraw(actor=request.user, offer_id=o.pk),
            "request(s) withdrawn",
        )
