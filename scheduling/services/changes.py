"""Permanent schedule changes (S7): once a term is under way a coordinator
asks the help desk to add, change or remove a weekly shift; approval applies
the change through `slot_save` / `slot_delete`, in the same transaction."""

from __future__ import annotations

import copy
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from consortium import scoping
from consortium.models import ConsortiumSettings, Staff
from consortium.services import DomainError, _require_helpdesk, _require_owner
from scheduling.models import ScheduleChangeRequest, ShiftSlot
from scheduling.services import alerts
from scheduling.services.shifts import slot_delete, slot_save

Action = ScheduleChangeRequest.Action
Status = ScheduleChangeRequest.Status
PROPOSAL = ("queue", "term", "weekday", "starts", "ends")


def _validate(request: ScheduleChangeRequest) -> None:
    errors = {}
    if request.action in (Action.CHANGE, Action.REMOVE):
        if request.slot_id is None:
            errors["slot"] = "Choose the weekly shift to change or remove."
        elif request.slot.library_id != request.library_id:
            errors["slot"] = "Choose one of this library's weekly shifts."
    if request.action in (Action.ADD, Action.CHANGE):
        missing = [f for f in PROPOSAL if getattr(request, f) in (None, "")]
        if request.action == Action.CHANGE and request.slot_id:
            # Unset fields keep the slot's current value.
            missing = []
        for name in missing:
            errors[name] = "Needed for a new weekly shift."
    if not (request.reason or "").strip():
        errors["reason"] = "Say why the schedule should change."
    if errors:
        raise ValidationError(errors)


def _existing_slot(request: ScheduleChangeRequest) -> ShiftSlot:
    slot = ShiftSlot.objects.filter(pk=request.slot_id).first()
    if slot is None:
        raise DomainError(
            "The weekly shift this request is about no longer exists; reject the "
            "request or file a new one."
        )
    return slot


def _proposed_slot(
    request: ScheduleChangeRequest, *, loaded: bool = False
) -> ShiftSlot:
    """The weekly shift as the request would leave it (not saved). With
    `loaded`, the weekly shift read with the request is copied rather than
    read again: for describing a list of requests, not for applying one."""
    slot_field = ScheduleChangeRequest._meta.get_field("slot")
    if request.action == Action.ADD:
        slot = ShiftSlot(library=request.library)
    elif loaded and request.slot_id and slot_field.is_cached(request):
        slot = copy.copy(request.slot)
    else:
        slot = _existing_slot(request)
    for name in (*PROPOSAL, "assignee"):
        related = name in ("queue", "term", "assignee")
        value = getattr(request, f"{name}_id" if related else name)
        if value in (None, ""):
            continue
        if related and ScheduleChangeRequest._meta.get_field(name).is_cached(request):
            # The row read with the request (a list's select_related): not
            # read again for each request described.
            setattr(slot, name, getattr(request, name))
        else:
            setattr(slot, f"{name}_id" if related else name, value)
    return slot


@transaction.atomic
def change_request_submit(
    *, actor: Staff, request: ScheduleChangeRequest
) -> ScheduleChangeRequest:
    """A coordinator (or the help desk on a library's behalf) files a change.
    The proposal is checked now as it would be on approval (hours, queue,
    assignee), so the help desk sees only changes that can be applied. The
    help desk is emailed after commit."""
    _require_owner(actor, request)
    if not (scoping.is_coordinator(actor) or scoping.is_helpdesk(actor)):
        raise PermissionDenied("Site coordinators request schedule changes.")
    request.requested_by = actor
    request.status = Status.PENDING
    _validate(request)
    request.full_clean()
    if request.action != Action.REMOVE:
        from scheduling.services.shifts import _slot_errors

        slot = _proposed_slot(request)
        slot.full_clean(exclude=["assignee"])
        errors = _slot_errors(slot)
        if errors:
            raise ValidationError(errors)
    request.save()
    config = ConsortiumSettings.load()
    alerts.outbox(
        [config.helpdesk_email],
        f"Schedule change request from {request.library.name}",
        f"{alerts._who(actor)} asks: {request.get_action_display()}.\n"
        f"{describe_request(request)}\nReason: {request.reason}\n\n"
        f"Approve or reject: {alerts._url('admin:scheduling_schedulechangerequest_change', request.pk)}\n",
    )
    return request


def describe_request(request: ScheduleChangeRequest) -> str:
    from consortium.fields import format_minutes

    parts = []
    if request.slot_id:
        parts.append(f"Weekly shift: {request.slot}")
    elif request.action != Action.ADD:
        return "The weekly shift no longer exists."
    if request.action != Action.REMOVE:
        new = _proposed_slot(request, loaded=True)
        parts.append(
            f"Proposed: {new.queue.code if new.queue_id else '?'} "
            f"{new.get_weekday_display() if new.weekday is not None else '?'} "
            f"{format_minutes(new.starts)}–{format_minutes(new.ends)}"
            f"{' (' + str(new.term) + ')' if new.term_id else ''}"
        )
    return "\n".join(parts)


@transaction.atomic
def change_request_decide(
    *,
    actor: Staff,
    request_id: int,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> ScheduleChangeRequest:
    """The help desk approves (the change is applied, with the help desk as
    the actor) or rejects a pending request. Locks the request; a rejection
    needs a note. The coordinator is emailed after commit."""
    _require_helpdesk(actor)
    now = now or timezone.now()
    request = (
        ScheduleChangeRequest.objects.select_for_update(of=("self",))
        .select_related("library", "requested_by")
        .get(pk=request_id)
    )
    if request.status != Status.PENDING:
        raise DomainError("This request has already been decided or withdrawn.")
    if not approve and not note.strip():
        raise DomainError("Say why the change is rejected; the coordinator reads it.")
    if approve:
        if request.action == Action.REMOVE:
            slot_delete(actor=actor, slot=_existing_slot(request), now=now)
        else:
            request.slot = slot_save(actor=actor, slot=_proposed_slot(request), now=now)
    request.status = Status.APPROVED if approve else Status.REJECTED
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = note.strip()
    request.save()
    alerts.outbox(
        [request.requested_by.email],
        f"Schedule change {request.get_status_display().lower()}",
        f"Your request ({request.get_action_display()}) was "
        f"{request.get_status_display().lower()} by {alerts._who(actor)}.\n"
        f"{note.strip()}\n",
    )
    return request


@transaction.atomic
def change_request_withdraw(*, actor: Staff, request_id: int) -> ScheduleChangeRequest:
    request = ScheduleChangeRequest.objects.select_for_update().get(pk=request_id)
    _require_owner(actor, request)
    if request.status != Status.PENDING:
        raise DomainError("Only a pending request can be withdrawn.")
    request.status = Status.WITHDRAWN
    request.save(update_fields=["status"])
    return request
