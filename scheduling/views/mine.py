"""My shifts: a librarian's upcoming shifts, open shifts, approvals and the calendar link; every write is one POST to `action`, which validates its fields, calls one service and comes back with a message (PRG)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from consortium.models import Staff
from consortium.services import DomainError
from scheduling import selectors, services
from scheduling.views.common import (
    MAX_OPEN,
    MAX_WEEKS,
    WEEKS,
    Offer,
    instant,
    shift_row,
    when,
)

# --- My shifts -----------------------------------------------------------------


def _int(text, *, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(text), low), high)
    except (TypeError, ValueError):
        return default


@login_required
def my_shifts(request):
    user = request.user
    if user.role not in Staff.CHAT_ROLES:
        return render(request, "scheduling/no_shifts.html")
    now = timezone.now()
    zone = selectors.viewer_zone(user)
    weeks = _int(request.GET.get("weeks"), default=WEEKS, low=1, high=MAX_WEEKS)
    shifts = selectors.my_shifts(
        user, now, now + timedelta(weeks=weeks)
    ).select_related("queue__library")
    offers = selectors.claimable_offers(user, now).select_related(
        "shift__queue__library"
    )[:MAX_OPEN]
    approvals = []
    if user.is_coordinator or user.is_helpdesk:
        approvals = selectors.pending_approvals(user).select_related(
            "shift__queue__library"
        )
    feed_url = request.build_absolute_uri(
        reverse("schedule-calendar", args=[services.calendar_feed(actor=user).token])
    )
    return render(
        request,
        "scheduling/my_shifts.html",
        {
            "zone": zone,
            "rows": [shift_row(user, s, now, zone) for s in shifts],
            "open_offers": [(o, when(o.shift, zone)) for o in offers],
            "show_approvals": user.is_coordinator or user.is_helpdesk,
            "approvals": [(o, when(o.shift, zone)) for o in approvals],
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
            "weeks": weeks,
            "more_weeks": min(weeks + 26, MAX_WEEKS) if weeks < MAX_WEEKS else None,
        },
    )


# --- Actions -------------------------------------------------------------------


class ShiftForm(forms.Form):
    shift = forms.IntegerField(label="Shift", min_value=1)


class GiveUpForm(ShiftForm):
    reason = forms.CharField(label="Reason", max_length=300, required=False)


class OfferForm(forms.Form):
    offer = forms.IntegerField(label="Substitute request", min_value=1)


class DecideForm(OfferForm):
    decision = forms.ChoiceField(
        label="Decision", choices=[("approve", "Approve"), ("reject", "Turn down")]
    )
    note = forms.CharField(label="Note", max_length=300, required=False)


def _give_up(user, data) -> str:
    offer = services.shift_give_up(
        actor=user, shift_id=data["shift"], reason=data["reason"]
    )
    if offer.stage == Offer.Stage.CONSORTIUM:
        return "Shift given up: it is offered to the whole consortium now."
    return (
        f"Shift given up: it is offered to {offer.shift.library.name} until "
        f"{instant(offer.widen_at, selectors.viewer_zone(user))}, then to "
        "everyone. The shift stays yours until somebody takes it."
    )


def _withdraw(user, data) -> str:
    services.substitution_withdraw(actor=user, offer_id=data["offer"])
    return "Give-up withdrawn: the shift is covered by its librarian again."


def _widen(user, data) -> str:
    services.substitution_widen(actor=user, offer_id=data["offer"])
    return "The shift is offered to the whole consortium now."


def _claim(user, data) -> str:
    offer = services.shift_claim(actor=user, offer_id=data["offer"])
    if offer.status == Offer.Status.PENDING:
        return (
            "You claimed the shift. Its library's coordinator approves "
            "substitutes; you will hear by email."
        )
    return "The shift is yours now. Thank you for covering it!"


def _decide(user, data) -> str:
    approve = data["decision"] == "approve"
    services.substitution_decide(
        actor=user, offer_id=data["offer"], approve=approve, note=data["note"]
    )
    if approve:
        return "Approved: the substitute has the shift now."
    return "Turned down: the shift is looking for a substitute again."


def _feed_reset(user, data) -> str:
    services.calendar_feed_reset(actor=user)
    return (
        "Your calendar link is new: the old one no longer works. Subscribe again "
        "with the new link."
    )


@dataclass(frozen=True)
class Action:
    form: type[forms.Form]
    run: Callable[[Staff, dict], str]
    anchor: str = ""


ACTIONS = {
    "give-up": Action(GiveUpForm, _give_up),
    "withdraw": Action(OfferForm, _withdraw),
    "widen": Action(OfferForm, _widen),
    "claim": Action(OfferForm, _claim, "#open-shifts"),
    "decide": Action(DecideForm, _decide, "#approvals"),
    "feed-reset": Action(forms.Form, _feed_reset, "#calendar"),
}


def _problem(form: forms.Form) -> str:
    parts = [
        f"{form.fields[name].label}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    ]
    return "That did not work — " + " ".join(parts) + " Reload the page and try again."


def _back(request, anchor: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("schedule-mine") + anchor)


@login_required
@require_POST
def action(request):
    """One schedule action: `action` names it, the other fields are its form."""
    spec = ACTIONS.get(request.POST.get("action", ""))
    if spec is None:
        messages.error(request, "Unknown schedule action. Reload the page.")
        return _back(request, "")
    form = spec.form(request.POST)
    if not form.is_valid():
        messages.error(request, _problem(form))
        return _back(request, spec.anchor)
    try:
        done = spec.run(request.user, form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
    except PermissionDenied as error:
        messages.error(request, str(error) or "You are not allowed to do that.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return _back(request, spec.anchor)
