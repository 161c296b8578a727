"""Substitutes (S3, S4): a librarian gives up a shift; it is offered to their
own library, then to the whole consortium; another librarian claims it (the
library's coordinator approves when the library asks for that)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from consortium import scoping
from consortium.models import ConsortiumSettings, Staff
from consortium.services import DomainError
from scheduling.models import Shift, ShiftEvent, SubstitutionRequest
from scheduling.services import alerts
from scheduling.services.shifts import _check_free, _lock_staff, describe, record

LAST_MINUTE = timedelta(hours=24)
Status = SubstitutionRequest.Status
Stage = SubstitutionRequest.Stage


def _lock_offer(offer_id: int) -> SubstitutionRequest:
    """Lock the request's shift, then the request: every writer locks a
    shift before its requests, so two of them never wait on each other."""
    shift_id = (
        SubstitutionRequest.objects.filter(pk=offer_id)
        .values_list("shift_id", flat=True)
        .first()
    )
    if shift_id is None:
        raise DomainError("This substitute request does not exist.", code="not_found")
    shift = _lock_shift(shift_id)
    offer = (
        SubstitutionRequest.objects.select_for_update(of=("self",))
        .select_related("offered_by")
        .get(pk=offer_id)
    )
    offer.shift = shift
    return offer


def _lock_shift(shift_id: int) -> Shift:
    return (
        Shift.objects.select_for_update(of=("self",))
        .select_related("queue__library", "library")
        .get(pk=shift_id)
    )


def _may_manage(actor: Staff, offer: SubstitutionRequest) -> bool:
    """The librarian who gave it up, their coordinator, the help desk."""
    return actor.pk == offer.offered_by_id or scoping.owns(actor, offer.shift)


@transaction.atomic
def shift_give_up(
    *, actor: Staff, shift_id: int, reason: str = "", now: datetime | None = None
) -> SubstitutionRequest:
    """Post a shift for a substitute. Locks the shift.

    Offered to the shift's library until `widen_at` (the consortium's library
    window, but no later than 24 h before the shift), then to everyone. Less
    than 24 h ahead it goes to everyone at once and the listserv and the help
    desk are alerted after commit (S4). The librarian stays on the shift until
    somebody takes it.
    """
    now = now or timezone.now()
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("queue", "library", "assignee")
        .filter(pk=shift_id)
        .first()
    )
    if shift is None:
        raise DomainError("This shift does not exist.", code="not_found")
    if actor.pk != shift.assignee_id and not scoping.owns(actor, shift):
        raise PermissionDenied(
            "Only the librarian on this shift or their coordinator can give it up."
        )
    if shift.status != Shift.Status.SCHEDULED or shift.starts_at <= now:
        raise DomainError(
            "Only a scheduled shift that has not started can be given up."
        )
    if shift.assignee_id is None:
        raise DomainError(
            "Nobody is on this shift yet, so there is nothing to give up."
        )
    if shift.offers.filter(status__in=SubstitutionRequest.OPEN_STATUSES).exists():
        raise DomainError("This shift is already looking for a substitute.")
    config = ConsortiumSettings.load()
    last_minute = shift.starts_at - now < LAST_MINUTE
    widen_at = max(
        now,
        min(
            now + timedelta(hours=config.substitute_library_hours),
            shift.starts_at - LAST_MINUTE,
        ),
    )
    wide = last_minute or widen_at <= now
    offer = SubstitutionRequest.objects.create(
        shift=shift,
        offered_by=actor if actor.pk == shift.assignee_id else shift.assignee,
        reason=reason.strip()[:300],
        created_at=now,
        last_minute=last_minute,
        stage=Stage.CONSORTIUM if wide else Stage.LIBRARY,
        widen_at=widen_at,
        widened_at=now if wide else None,
    )
    note = reason.strip() or "No reason given."
    if actor.pk != shift.assignee_id:
        note = f"By {actor.get_full_name() or actor.username} for the librarian. {note}"
    record(shift, ShiftEvent.Kind.GIVEN_UP, actor, note)
    if last_minute:
        alerts.alert_last_minute(offer)
    elif wide:
        alerts.alert_widened(offer)
    return offer


@transaction.atomic
def substitution_widen(
    *, offer_id: int, actor: Staff | None = None, now: datetime | None = None
) -> SubstitutionRequest:
    """Offer a shift still offered to its library to the whole consortium,
    with an email to the listserv (once). By hand (the giver, their
    coordinator, the help desk) or by the sweep when `widen_at` passes."""
    now = now or timezone.now()
    offer = _lock_offer(offer_id)
    if actor is not None and not _may_manage(actor, offer):
        raise PermissionDenied("You cannot change this substitute request.")
    if offer.status != Status.OPEN or offer.stage == Stage.CONSORTIUM:
        return offer
    offer.stage = Stage.CONSORTIUM
    offer.widened_at = now
    offer.save(update_fields=["stage", "widened_at"])
    record(
        offer.shift,
        ShiftEvent.Kind.WIDENED,
        actor,
        "Nobody in the library took it." if actor is None else "",
    )
    alerts.alert_widened(offer)
    return offer


@transaction.atomic
def substitution_withdraw(*, actor: Staff, offer_id: int) -> SubstitutionRequest:
    """Take a give-up back before a substitute is confirmed: the librarian
    covers the shift after all."""
    offer = _lock_offer(offer_id)
    if not _may_manage(actor, offer):
        raise PermissionDenied("You cannot change this substitute request.")
    if offer.status not in SubstitutionRequest.OPEN_STATUSES:
        raise DomainError("This substitute request is already closed.")
    offer.status = Status.WITHDRAWN
    offer.save(update_fields=["status"])
    record(offer.shift, ShiftEvent.Kind.WITHDRAWN, actor)
    return offer


def _needs_approval(offer: SubstitutionRequest, actor: Staff) -> bool:
    return offer.shift.library.substitutes_need_approval and not scoping.owns(
        actor, offer.shift
    )


def _hand_over(offer: SubstitutionRequest, to: Staff, actor: Staff, now) -> None:
    shift = offer.shift
    shift.assignee = to
    shift.assignee_overridden = True
    shift.attendance = ""
    shift.attendance_checked_at = None
    shift.save(
        update_fields=[
            "assignee",
            "assignee_overridden",
            "attendance",
            "attendance_checked_at",
        ]
    )
    alerts.notify_filled(offer)


@transaction.atomic
def shift_claim(
    *, actor: Staff, offer_id: int, now: datetime | None = None
) -> SubstitutionRequest:
    """Claim a shift offered for a substitute. Locks the request (so of two
    librarians claiming at once one wins and the other is told it is taken)
    and the claimer's staff row (overlap check).

    While offered to its library only that library's librarians may claim;
    the claimer's library must staff the queue (its own, or a co-op it belongs
    to). With `substitutes_need_approval` the claim waits for the coordinator.
    """
    now = now or timezone.now()
    offer = _lock_offer(offer_id)
    shift = offer.shift
    if actor.role not in Staff.CHAT_ROLES or not actor.is_active:
        raise PermissionDenied("Only librarians can cover chat shifts.")
    if offer.status != Status.OPEN:
        if offer.status in (Status.PENDING, Status.FILLED):
            raise DomainError("Someone has already claimed this shift.", code="taken")
        raise DomainError("This shift is no longer looking for a substitute.")
    if shift.starts_at <= now or shift.status != Shift.Status.SCHEDULED:
        raise DomainError("This shift has already started or was cancelled.")
    if shift.assignee_id != offer.offered_by_id:
        raise DomainError("This shift has been given to someone else meanwhile.")
    if actor.pk == shift.assignee_id:
        raise DomainError(
            "This is your own shift: withdraw the give-up to cover it yourself."
        )
    if offer.stage == Stage.LIBRARY and actor.library_id != shift.library_id:
        raise DomainError(
            f"This shift is offered to {shift.library.name} first; it opens to "
            f"everyone at {describe_instant(offer.widen_at, actor)}."
        )
    queue = shift.queue
    staffs_queue = (
        actor.library is not None and actor.library.coops.filter(pk=queue.pk).exists()
        if queue.is_coop
        else actor.library_id == queue.library_id
    )
    if not staffs_queue and not scoping.is_helpdesk(actor):
        raise DomainError(
            f"Your library does not staff {queue.name}, so you cannot cover this shift."
        )
    _lock_staff(actor.pk)
    _check_free(actor, [(shift.starts_at, shift.ends_at)], exclude=[shift.pk])
    pending = _needs_approval(offer, actor)
    won = SubstitutionRequest.objects.filter(pk=offer.pk, status=Status.OPEN).update(
        status=Status.PENDING if pending else Status.FILLED,
        claimed_by=actor,
        claimed_at=now,
    )
    if not won:
        raise DomainError("Someone has already claimed this shift.", code="taken")
    offer.refresh_from_db()
    record(
        shift,
        ShiftEvent.Kind.CLAIMED,
        actor,
        "Waiting for the coordinator's approval." if pending else "",
    )
    if pending:
        alerts.notify_pending(offer)
    else:
        _hand_over(offer, actor, actor, now)
    return offer


@transaction.atomic
def substitution_decide(
    *,
    actor: Staff,
    offer_id: int,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> SubstitutionRequest:
    """The shift library's coordinator (or the help desk) approves a pending
    claim (the substitute takes the shift) or turns it down (the shift is
    offered again)."""
    now = now or timezone.now()
    offer = _lock_offer(offer_id)
    if not scoping.owns(actor, offer.shift):
        raise PermissionDenied(
            "Only the library's coordinator can approve substitutes."
        )
    if offer.status != Status.PENDING:
        raise DomainError("This claim is not waiting for approval.")
    claimer = offer.claimed_by
    if approve:
        if offer.shift.starts_at <= now:
            raise DomainError("The shift has already started.")
        _lock_staff(claimer.pk)
        _check_free(
            claimer,
            [(offer.shift.starts_at, offer.shift.ends_at)],
            exclude=[offer.shift_id],
        )
        offer.status = Status.FILLED
    else:
        offer.status = Status.OPEN
        offer.claimed_by = None
        offer.claimed_at = None
    offer.decided_by = actor
    offer.decided_at = now
    offer.save()
    record(
        offer.shift,
        ShiftEvent.Kind.APPROVED if approve else ShiftEvent.Kind.REJECTED,
        actor,
        note or f"{claimer.get_full_name() or claimer.username}",
    )
    if approve:
        _hand_over(offer, claimer, actor, now)
    else:
        alerts.notify_rejected(offer, claimer, note)
    return offer


def offers_sweep(*, now: datetime | None = None) -> int:
    """Beat: widen library offers whose window passed; close offers whose
    shift started without a substitute. Each row changes once."""
    now = now or timezone.now()
    done = 0
    due = SubstitutionRequest.objects.filter(
        status=Status.OPEN,
        stage=Stage.LIBRARY,
        widen_at__lte=now,
        shift__starts_at__gt=now,
    ).values_list("pk", flat=True)
    for offer_id in list(due):
        substitution_widen(offer_id=offer_id, now=now)
        done += 1
    stale = SubstitutionRequest.objects.filter(
        status__in=SubstitutionRequest.OPEN_STATUSES, shift__starts_at__lte=now
    ).values_list("pk", flat=True)
    for offer_id in list(stale):
        with transaction.atomic():
            offer = _lock_offer(offer_id)
            if offer.status not in SubstitutionRequest.OPEN_STATUSES:
                continue
            offer.status = Status.EXPIRED
            offer.save(update_fields=["status"])
            record(offer.shift, ShiftEvent.Kind.EXPIRED)
            done += 1
    return done


def describe_instant(at: datetime, viewer) -> str:
    from scheduling.selectors import viewer_zone

    return f"{at.astimezone(viewer_zone(viewer)):%a %b %-d, %H:%M %Z}"


__all__ = [
    "describe",
    "offers_sweep",
    "shift_claim",
    "shift_give_up",
    "substitution_decide",
    "substitution_widen",
    "substitution_withdraw",
]
