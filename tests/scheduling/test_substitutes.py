import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection

from consortium.services import DomainError
from scheduling import selectors, services
from scheduling.models import Alert, ShiftEvent, ShiftSlot, SubstitutionRequest

H = 60
Status = SubstitutionRequest.Status


@pytest.fixture
def sunday_shift(world):
    """Rob's shift on Sunday Jan 24 2027, 09:00–12:00 Eastern."""
    s = services.slot_save(
        actor=world.coord_a,
        slot=ShiftSlot(
            library=world.lib_a,
            queue=world.queue,
            term=world.spring,
            weekday=6,
            starts=9 * H,
            ends=12 * H,
            assignee=world.rob,
        ),
        now=world.now,
    )
    return s.shifts.get(date=date(2027, 1, 24))


def give_up(world, shift, hours_ahead, who=None):
    now = shift.starts_at - timedelta(hours=hours_ahead)
    return services.shift_give_up(
        actor=who or world.rob, shift_id=shift.pk, reason="Dentist", now=now
    ), now


def test_give_up_offers_to_own_library_first(
    world, sunday_shift, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer, now = give_up(world, sunday_shift, hours_ahead=72)
    assert offer.stage == "library" and not offer.last_minute
    assert offer.widen_at == now + timedelta(hours=24)
    assert mail.outbox == []  # no listserv yet
    assert selectors.claimable_offers(world.nan, now).get() == offer
    assert not selectors.claimable_offers(world.cal, now).exists()
    with pytest.raises(DomainError) as err:
        services.shift_claim(actor=world.cal, offer_id=offer.pk, now=now)
    assert "offered to Library A first" in err.value.message
    # Still Rob's shift until someone takes it, but counted as unfilled.
    sunday_shift.refresh_from_db()
    assert sunday_shift.assignee == world.rob
    assert sunday_shift in selectors.unfilled_shifts(now, now + timedelta(days=7))


def test_widening_emails_the_listserv_once_then_anyone_may_claim(
    world, sunday_shift, django_capture_on_commit_callbacks
):
    offer, now = give_up(world, sunday_shift, hours_ahead=72)
    later = now + timedelta(hours=25)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.offers_sweep(now=later) == 1
        assert services.offers_sweep(now=later) == 0
    offer.refresh_from_db()
    assert offer.stage == "consortium"
    assert [m.to for m in mail.outbox] == [["askref-l@example.org"]]
    assert "Substitute needed" in mail.outbox[0].subject
    assert "08:00–11:00 CST" in mail.outbox[0].body  # member libraries' zones too
    with django_capture_on_commit_callbacks(execute=True):
        services.shift_claim(actor=world.cal, offer_id=offer.pk, now=later)
    sunday_shift.refresh_from_db()
    assert sunday_shift.assignee == world.cal
    assert list(sunday_shift.events.values_list("kind", flat=True)) == [
        "created",
        "given_up",
        "widened",
        "claimed",
    ]
    assert "Shift covered" in mail.outbox[-1].subject
    assert set(mail.outbox[-1].to) >= {
        world.rob.email,
        world.cal.email,
        world.coord_a.email,
    }


def test_last_minute_give_up_alerts_listserv_and_helpdesk_at_once(
    world, sunday_shift, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer, now = give_up(world, sunday_shift, hours_ahead=5)
    assert offer.last_minute and offer.stage == "consortium"
    assert len(mail.outbox) == 1
    assert {"askref-l@example.org", "helpdesk@example.org"} <= set(mail.outbox[0].to)
    assert mail.outbox[0].subject.startswith("[") and "URGENT" in mail.outbox[0].subject
    assert Alert.objects.filter(kind="last_minute").count() == 1
    assert Alert.objects.filter(kind="widened").count() == 0


def test_only_one_of_two_claims_wins(world, sunday_shift):
    offer, now = give_up(world, sunday_shift, hours_ahead=72)
    services.shift_claim(actor=world.nan, offer_id=offer.pk, now=now)
    with pytest.raises(DomainError) as err:
        services.shift_claim(actor=world.nan, offer_id=offer.pk, now=now)
    assert err.value.code == "taken"


def test_claim_refused_when_the_claimer_is_busy_then(world, sunday_shift):
    services.shift_create(
        actor=world.coord_a,
        library=world.lib_a,
        queue=world.queue,
        day=date(2027, 1, 24),
        starts=11 * H,
        ends=13 * H,
        assignee=world.nan,
    )
    offer, now = give_up(world, sunday_shift, hours_ahead=72)
    with pytest.raises(DomainError) as err:
        services.shift_claim(actor=world.nan, offer_id=offer.pk, now=now)
    assert err.value.code == "overlap"
    offer.refresh_from_db()
    assert offer.status == Status.OPEN


def test_libraries_outside_the_coop_and_interns_cannot_claim(world, sunday_shift):
    offer, now = give_up(world, sunday_shift, hours_ahead=5)
    with pytest.raises(DomainError):
        services.shift_claim(actor=world.xen, offer_id=offer.pk, now=now)
    with pytest.raises(PermissionDenied):
        services.shift_claim(actor=world.intern, offer_id=offer.pk, now=now)


def test_coordinator_approval_when_the_library_asks_for_it(
    world, sunday_shift, django_capture_on_commit_callbacks
):
    world.lib_a.substitutes_need_approval = True
    world.lib_a.save()
    offer, now = give_up(world, sunday_shift, hours_ahead=72)
    with django_capture_on_commit_callbacks(execute=True):
        services.shift_claim(actor=world.nan, offer_id=offer.pk, now=now)
    offer.refresh_from_db()
    assert offer.status == Status.PENDING
    assert "Approve a substitute" in mail.outbox[-1].subject
    sunday_shift.refresh_from_db()
    assert sunday_shift.assignee == world.rob
    assert list(selectors.pending_approvals(world.coord_a)) == [offer]
    assert not selectors.pending_approvals(world.coord_c).exists()
    with pytest.raises(PermissionDenied):
        services.substitution_decide(
            actor=world.coord_c, offer_id=offer.pk, approve=True, now=now
        )
    services.substitution_decide(
        actor=world.coord_a,
        offer_id=offer.pk,
        approve=False,
        note="Nan is at training",
        now=now,
    )
    offer.refresh_from_db()
    assert offer.status == Status.OPEN and offer.claimed_by is None
    services.shift_claim(actor=world.nan, offer_id=offer.pk, now=now)
    services.substitution_decide(
        actor=world.coord_a, offer_id=offer.pk, approve=True, now=now
    )
    sunday_shift.refresh_from_db()
    assert sunday_shift.assignee == world.nan and sunday_shift.assignee_overridden
    kinds = list(sunday_shift.events.values_list("kind", flat=True))
    assert kinds[-4:] == ["claimed", "rejected", "claimed", "approved"]


def test_withdraw_and_expiry(world, sunday_shift):
    offer, now = give_up(world, sunday_shift, hours_ahead=72)
    with pytest.raises(PermissionDenied):
        services.substitution_withdraw(actor=world.cal, offer_id=offer.pk)
    services.substitution_withdraw(actor=world.rob, offer_id=offer.pk)
    assert sunday_shift in selectors.shifts_between(now, now + timedelta(days=7))
    offer2, _ = give_up(world, sunday_shift, hours_ahead=48)
    services.offers_sweep(now=sunday_shift.starts_at + timedelta(minutes=1))
    offer2.refresh_from_db()
    assert offer2.status == Status.EXPIRED
    assert sunday_shift.events.filter(kind=ShiftEvent.Kind.EXPIRED).exists()


def test_substitute_survives_a_resync_of_the_weekly_slot(world, sunday_shift):
    offer, now = give_up(world, sunday_shift, hours_ahead=72)
    services.shift_claim(actor=world.nan, offer_id=offer.pk, now=now)
    slot = sunday_shift.slot
    services.slot_sync(slot=slot, now=now)
    sunday_shift.refresh_from_db()
    assert sunday_shift.assignee == world.nan
    other = slot.shifts.get(date=date(2027, 1, 31))
    assert other.assignee == world.rob


def test_a_started_shift_cannot_be_given_up(world, sunday_shift):
    with pytest.raises(DomainError):
        services.shift_give_up(
            actor=world.rob,
            shift_id=sunday_shift.pk,
            now=sunday_shift.starts_at + timedelta(minutes=1),
        )
    assert not SubstitutionRequest.objects.exists()


def test_only_the_librarian_or_their_coordinator_gives_up(world, sunday_shift):
    with pytest.raises(PermissionDenied):
        services.shift_give_up(actor=world.nan, shift_id=sunday_shift.pk, now=world.now)
    offer = services.shift_give_up(
        actor=world.coord_a, shift_id=sunday_shift.pk, now=world.now
    )
    assert offer.offered_by == world.rob
    with pytest.raises(DomainError):
        services.shift_give_up(actor=world.rob, shift_id=sunday_shift.pk, now=world.now)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks race only on PostgreSQL"
)
def test_simultaneous_claims_have_exactly_one_winner(world):
    from tests.consortium.factories import StaffFactory

    s = services.slot_save(
        actor=world.coord_a,
        slot=ShiftSlot(
            library=world.lib_a,
            queue=world.queue,
            term=world.spring,
            weekday=6,
            starts=9 * H,
            ends=12 * H,
            assignee=world.rob,
        ),
        now=world.now,
    )
    shift = s.shifts.get(date=date(2027, 1, 24))
    offer, now = give_up(world, shift, hours_ahead=5)
    claimers = [StaffFactory(library=world.lib_c) for _ in range(20)]
    barrier = threading.Barrier(len(claimers))
    results = []

    def claim(staff):
        barrier.wait()
        try:
            services.shift_claim(actor=staff, offer_id=offer.pk, now=now)
            results.append("won")
        except DomainError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(c,)) for c in claimers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("won") == 1
    assert results.count("taken") == 19
    shift.refresh_from_db()
    assert shift.assignee in claimers
    assert shift.events.filter(kind="claimed").count() == 1
