"""One shift's page: details, substitute requests and history."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from consortium import scoping
from scheduling import selectors
from scheduling.models import Shift
from scheduling.views.common import (
    Offer,
    instant,
    shift_row,
)

# --- One shift -----------------------------------------------------------------


def _may_see(user, shift: Shift, offers: list[Offer], now) -> bool:
    """The assignee, whoever gave it up or claimed it, anyone who could claim
    it now, its library's coordinator and the help desk."""
    if user.pk == shift.assignee_id or scoping.owns(user, shift):
        return True
    if any(user.pk in (o.offered_by_id, o.claimed_by_id) for o in offers):
        return True
    return selectors.claimable_offers(user, now).filter(shift=shift).exists()


@login_required
def shift_detail(request, pk):
    user = request.user
    shift = get_object_or_404(
        Shift.objects.select_related(
            "queue__library", "library", "assignee", "slot"
        ).prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.select_related(
                    "offered_by", "claimed_by", "decided_by"
                ).order_by("created_at"),
            )
        ),
        pk=pk,
    )
    offers = list(shift.offers.all())
    now = timezone.now()
    if not _may_see(user, shift, offers, now):
        raise Http404("No such shift on your schedule.")
    zone = selectors.viewer_zone(user)
    claim_ids = set(
        selectors.claimable_offers(user, now)
        .filter(shift=shift)
        .values_list("pk", flat=True)
    )
    events = shift.events.select_related("actor")
    return render(
        request,
        "scheduling/shift.html",
        {
            "row": shift_row(user, shift, now, zone, claim_ids),
            "zone": zone,
            "offers": [
                (
                    o,
                    instant(o.created_at, zone),
                    o.decided_at and instant(o.decided_at, zone),
                )
                for o in offers
            ],
            "events": [(e, instant(e.at, zone)) for e in events],
        },
    )
