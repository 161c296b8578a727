"""What the scheduling admins share: a service's refusal shown on the form it
came from, per-row reports of actions, a note field in the actions bar, and
the relation choices of a library's schedule."""

from __future__ import annotations

from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from consortium import scoping
from consortium.admin.service_admin import (  # noqa: F401 (re-exported)
    SERVICE_ERRORS,
    NoteActionForm,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceAdmin,
    ServiceRefused,
    action_note,
    add_refusal,
    admin_redirect,
    each,
    refusal_messages,
    run_service,
    who,
)
from consortium.models import Library, Queue, Staff, Term

# --- Choices -------------------------------------------------------------------


def staffed_queues(user):
    """Queues a library schedules: its own and its co-ops (help desk: all)."""
    queues = Queue.objects.all()
    if scoping.is_helpdesk(user):
        return queues
    member_of = Library.coops.through.objects.filter(library_id=user.library_id).values(
        "queue_id"
    )
    return queues.filter(Q(library_id=user.library_id) | Q(pk__in=member_of))


def schedule_terms(user):
    """Consortium terms and the library's own (help desk: all)."""
    terms = Term.objects.all()
    if scoping.is_helpdesk(user):
        return terms
    return terms.filter(Q(library__isnull=True) | Q(library_id=user.library_id))


def chat_librarians(user, library_id: int | None = None):
    """Active staff who can cover chat shifts: the coordinator's library's;
    for the help desk every library's (or `library_id`'s)."""
    staff = Staff.objects.filter(
        is_active=True, role__in=Staff.CHAT_ROLES, library__isnull=False
    ).select_related("library")
    if not scoping.is_helpdesk(user):
        return staff.filter(library_id=user.library_id)
    if library_id is not None:
        return staff.filter(library_id=library_id)
    return staff


class ScheduleChoices:
    """Queue, term and assignee choices as a library schedules them."""

    consortium_wide_fields = ("queue", "term", "assignee")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.name == "queue":
            kwargs["queryset"] = staffed_queues(user)
        elif db_field.name == "term":
            kwargs["queryset"] = schedule_terms(user)
        elif db_field.name == "assignee":
            kwargs["queryset"] = chat_librarians(user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def library_filter(request) -> tuple:
    """The library filter, for the help desk only (a coordinator has one)."""
    return ("library",) if scoping.is_helpdesk(request.user) else ()


def week_grid_url(queue_code: str) -> str | None:
    """The queue's week grid page, when the schedule pages are installed."""
    try:
        return reverse("schedule-grid", args=[queue_code])
    except NoReverseMatch:
        return None
