"""Coverage requirements (S1): the help desk sets them for many hours at once
with the add form ("Set coverage requirements"); coordinators read them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from scheduling import services
from scheduling.admin.base import ServiceAdmin, run_service
from scheduling.models import CoverageRequirement, Weekday

HOURS = [(h, f"{h:02d}:00") for h in range(25)]


class RequirementsForm(forms.ModelForm):
    """Many requirement rows in one go: `services.requirements_set` writes and
    checks them, so this form does not validate a single instance."""

    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    from_hour = forms.TypedChoiceField(
        label="From", choices=HOURS[:-1], coerce=int, initial=9
    )
    to_hour = forms.TypedChoiceField(
        label="To",
        choices=HOURS[1:],
        coerce=int,
        initial=17,
        help_text="Hours in the queue's time zone; 24:00 is midnight at the end of "
        "the day.",
    )
    librarians = forms.IntegerField(
        label="Librarians required",
        min_value=0,
        max_value=50,
        initial=1,
        help_text="0 removes the requirement in these hours.",
    )

    class Meta:
        model = CoverageRequirement
        fields = ("queue", "term")

    def clean(self):
        data = super().clean()
        start, end = data.get("from_hour"), data.get("to_hour")
        if start is not None and end is not None and end <= start:
            self.add_error("to_hour", "The end must be after the start.")
        return data

    def _post_clean(self):
        # Not one row: there is no instance to build or validate.
        pass


def _plural_days(weekdays: list[int]) -> str:
    return ", ".join(f"{Weekday(d).label}s" for d in sorted(weekdays))


@admin.register(CoverageRequirement)
class CoverageRequirementAdmin(ServiceAdmin):
    """Help desk edits; coordinators see the co-op requirements read-only."""

    list_display = ("queue", "term", "weekday", "hours", "librarians")
    list_filter = (
        ("queue", admin.RelatedOnlyFieldListFilter),
        ("term", admin.RelatedOnlyFieldListFilter),
        "weekday",
    )
    list_select_related = ("queue", "term")
    fields = ("queue", "term", "weekday", "hour", "librarians")
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "queue",
                    "term",
                    "weekdays",
                    ("from_hour", "to_hour"),
                    "librarians",
                ),
                "description": "Require this many librarians on a co-op queue in "
                "these hours of each chosen weekday of the term. Setting hours again "
                "replaces their number; 0 removes them.",
            },
        ),
    )

    @admin.display(description="hours", ordering="hour")
    def hours(self, obj):
        return f"{obj.hour:02d}:00–{obj.hour + 1:02d}:00"

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # One row's number changes here; its hour is its identity.
        return ("queue", "term", "weekday", "hour")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = RequirementsForm
        return super().get_form(request, obj, change, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {"title": "Set coverage requirements", **(extra_context or {})}
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            run_service(
                lambda: services.requirements_set(
                    actor=request.user,
                    queue=obj.queue,
                    term=obj.term,
                    weekdays=[obj.weekday],
                    from_hour=obj.hour,
                    to_hour=obj.hour + 1,
                    librarians=obj.librarians,
                )
            )
            return
        data = form.cleaned_data
        notes = run_service(
            lambda: services.requirements_set(
                actor=request.user,
                queue=data["queue"],
                term=data["term"],
                weekdays=data["weekdays"],
                from_hour=data["from_hour"],
                to_hour=data["to_hour"],
                librarians=data["librarians"],
            )
        )
        span = (
            f"{data['queue'].code}, {_plural_days(data['weekdays'])} "
            f"{data['from_hour']:02d}:00–{data['to_hour']:02d}:00, {data['term']}"
        )
        count = data["librarians"]
        self.message_user(
            request,
            f"{count} librarian{'s' if count != 1 else ''} required: {span}."
            if count
            else f"No librarians required any more: {span}.",
            messages.SUCCESS,
        )
        for note in notes:
            self.message_user(request, note, messages.WARNING)
        # Where response_add sends the user: the rows just set.
        obj.queue, obj.term = data["queue"], data["term"]

    def log_addition(self, request, obj, message):
        # The add form sets many rows (or none); the audit log records each.
        if obj.pk is not None:
            super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        url = reverse("admin:scheduling_coveragerequirement_changelist")
        if "_addanother" in request.POST:
            url = reverse("admin:scheduling_coveragerequirement_add")
        else:
            url += f"?queue__id__exact={obj.queue_id}&term__id__exact={obj.term_id}"
        return HttpResponseRedirect(url)

    def delete_model(self, request, obj):
        run_service(lambda: self._remove(request, obj))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._remove(request, obj)

    def _remove(self, request, obj):
        services.requirements_set(
            actor=request.user,
            queue=obj.queue,
            term=obj.term,
            weekdays=[obj.weekday],
            from_hour=obj.hour,
            to_hour=obj.hour + 1,
            librarians=0,
        )
