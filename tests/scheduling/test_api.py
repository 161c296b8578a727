"""The schedule's REST resources (SPEC A2): the permission matrix, the
unfilled-shift filter, coverage gaps, the change-request workflow and query
counts. Shifts are in Spring 2027, after today's real clock."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import services
from scheduling.models import ScheduleChangeRequest, Shift, ShiftSlot
from tests.api_helpers import assert_error as api_error
from tests.api_helpers import client_for, ids, stale_patch, url

pytestmark = pytest.mark.django_db


def assert_error(response, status, field=None):
    """The shared check; here the third argument names the field at fault."""
    return api_error(response, status, field=field)


H = 60


def slot(w, library, assignee, weekday=6, starts=9, ends=12):
    return services.slot_save(
        actor=w.helpdesk,
        slot=ShiftSlot(
            library=library,
            queue=w.queue,
            term=w.spring,
            weekday=weekday,
            starts=starts * H,
            ends=ends * H,
            assignee=assignee,
        ),
    )


def change_request(w, **kw):
    fields = dict(
        library=w.lib_a,
        action=ScheduleChangeRequest.Action.ADD,
        queue=w.queue,
        term=w.spring,
        weekday=2,
        starts=13 * H,
        ends=15 * H,
        assignee=w.nan,
        reason="More evening help.",
    )
    fields.update(kw)
    return services.change_request_submit(
        actor=w.coord_a, request=ScheduleChangeRequest(**fields)
    )


def give_up(w, shift, who):
    return services.shift_give_up(actor=who, shift_id=shift.pk, reason="Sick")


@pytest.fixture
def rows(world):
    """One row of each resource in library A and in library C."""
    w = world
    slot_a, slot_c = (
        slot(w, w.lib_a, w.rob),
        slot(w, w.lib_c, w.cal, starts=13, ends=16),
    )
    shift_a, shift_c = slot_a.shifts.first(), slot_c.shifts.first()
    return {
        "shifts": (shift_a, shift_c),
        "weekly-shifts": (slot_a, slot_c),
        "substitute-requests": (give_up(w, shift_a, w.rob), give_up(w, shift_c, w.cal)),
        "schedule-change-requests": (
            change_request(w),
            services.change_request_submit(
                actor=w.coord_c,
                request=ScheduleChangeRequest(
                    library=w.lib_c, action="remove", slot=slot_c, reason="Too quiet."
                ),
            ),
        ),
    }


def create_payload(w, resource, lib):
    staff = {"alib": "alib-nan", "clib": "clib-cal"}[lib]
    return {
        "shifts": {
            "library": lib,
            "queue": "coop-state",
            "date": "2027-02-02",
            "starts": "10:00",
            "ends": "11:00",
            "assignee": staff,
        },
        "weekly-shifts": {
            "library": lib,
            "queue": "coop-state",
            "term": w.spring.pk,
            "weekday": 3,
            "starts": "15:00",
            "ends": "17:00",
            "assignee": staff,
        },
        "schedule-change-requests": {
            "library": lib,
            "action": "add",
            "queue": "coop-state",
            "term": w.spring.pk,
            "weekday": 4,
            "starts": "08:00",
            "ends": "10:00",
            "reason": "Exams.",
        },
    }.get(resource)


RESOURCES = [
    "shifts",
    "weekly-shifts",
    "substitute-requests",
    "schedule-change-requests",
]
# Create as (help desk, coordinator of A for A, coordinator of A for C).
CREATE = {
    "shifts": (201, 201, 400),
    "weekly-shifts": (201, 201, 400),
    "substitute-requests": (403, 403, 403),  # given up in the desk
    "schedule-change-requests": (201, 201, 400),
}


# --- Permission matrix --------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_is_401_and_librarians_403(world, rows, resource):
    a, _ = rows[resource]
    for user, status in ((None, 401), (world.rob, 403), (world.intern, 403)):
        client = client_for(user)
        assert_error(client.get(url(resource)), status)
        assert_error(client.get(url(resource, a.pk)), status)
        if CREATE[resource][0] != 403:
            assert_error(
                client.post(url(resource), create_payload(world, resource, "alib")),
                status,
            )


@pytest.mark.parametrize("resource", RESOURCES)
def test_helpdesk_sees_every_library_and_creates(world, rows, resource):
    a, c = rows[resource]
    client = client_for(world.helpdesk)
    assert {a.pk, c.pk} <= ids(client.get(url(resource)))
    assert client.get(url(resource, c.pk)).status_code == 200
    payload = create_payload(world, resource, "clib")
    response = client.post(url(resource), payload, format="json")
    assert response.status_code == (CREATE[resource][0]), response.content


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("who,own,other", [("coord_a", 0, 1), ("coord_c", 1, 0)])
def test_coordinators_see_their_own_library_and_other_ids_are_404(
    world, rows, resource, who, own, other
):
    mine, theirs = rows[resource][own], rows[resource][other]
    client = client_for(getattr(world, who))
    listed = ids(client.get(url(resource)))
    assert mine.pk in listed and theirs.pk not in listed
    assert client.get(url(resource, mine.pk)).status_code == 200
    assert_error(client.get(url(resource, theirs.pk)), 404)


@pytest.mark.parametrize("resource", RESOURCES)
def test_coordinator_creates_only_for_their_own_library(world, resource):
    client = client_for(world.coord_a)
    _, own, other = CREATE[resource]
    response = client.post(
        url(resource), create_payload(world, resource, "alib"), format="json"
    )
    assert response.status_code == own, response.content
    response = client.post(
        url(resource), create_payload(world, resource, "clib"), format="json"
    )
    if other == 400:
        assert_error(response, 400, field="library")
    else:
        assert response.status_code == other


def test_actions_on_another_librarys_rows_are_404(world, rows):
    client = client_for(world.coord_a)
    shift_c = rows["shifts"][1]
    assert_error(client.post(url("shifts", shift_c.pk, "cancel"), {"note": "x"}), 404)
    assert_error(
        client.patch(url("shifts", shift_c.pk), {"assignee": None}, format="json"), 404
    )
    offer_c = rows["substitute-requests"][1]
    assert_error(client.post(url("substitute-requests", offer_c.pk, "widen")), 404)


# --- Shifts -------------------------------------------------------------------------


def test_unfilled_filter_finds_unassigned_and_given_up_shifts(world):
    w = world
    given = slot(w, w.lib_a, w.rob).shifts.order_by("starts_at")
    nobody = slot(w, w.lib_a, None, weekday=0).shifts.first()
    covered = slot(w, w.lib_a, w.nan, weekday=1).shifts.first()
    give_up(w, given[0], w.rob)
    client = client_for(w.helpdesk)
    base = url("shifts") + "?library=alib&from=2027-01-11&to=2027-01-17"
    unfilled = ids(client.get(base + "&unfilled=true"))
    assert unfilled == {given[0].pk, nobody.pk}
    assert covered.pk in ids(client.get(base + "&unfilled=false"))
    assert covered.pk not in unfilled
    row = client.get(url("shifts", given[0].pk)).json()
    assert row["filled"] is False and row["assignee"] == "alib-rob"


def test_reassign_and_cancel_go_through_the_services(world, rows):
    shift = rows["shifts"][0]
    client = client_for(world.coord_a)
    response = client.patch(url("shifts", shift.pk), {"assignee": "alib-nan"})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == "alib-nan"
    assert_error(client.patch(url("shifts", shift.pk), {"note": "x"}), 400, "note")
    assert_error(client.post(url("shifts", shift.pk, "cancel"), {}), 400, "note")
    response = client.post(url("shifts", shift.pk, "cancel"), {"note": "Snow"})
    assert response.json()["status"] == "cancelled"
    assert Shift.objects.get(pk=shift.pk).status == Shift.Status.CANCELLED


def test_one_off_shift_outside_hours_or_in_the_past_is_400(world):
    client = client_for(world.helpdesk)
    payload = create_payload(world, "shifts", "alib") | {"date": "2026-01-05"}
    assert_error(client.post(url("shifts"), payload, format="json"), 400)
    assert not Shift.objects.exists()


def test_shift_list_query_count_does_not_grow_with_the_page(
    world, django_assert_num_queries
):
    w = world
    for weekday in range(3):
        give_up(w, slot(w, w.lib_a, w.rob, weekday=weekday).shifts.first(), w.rob)
    slot(w, w.lib_c, None, weekday=4)
    client = client_for(w.helpdesk)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url("shifts") + "?page_size=2").json()["results"]) == 2
    with django_assert_num_queries(len(small)):
        assert len(client.get(url("shifts") + "?page_size=20").json()["results"]) == 20


# --- Coverage gaps ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query,field",
    [
        ("from=2027-01-11", "queue"),
        ("queue=nope&from=2027-01-11", "queue"),
        ("queue=coop-state", "from"),
        ("queue=coop-state&from=11/01/2027", "from"),
        ("queue=coop-state&from=2027-01-11&days=32", "days"),
        ("queue=coop-state&from=2027-01-11&days=x", "days"),
    ],
)
def test_coverage_gaps_validates_its_parameters(world, query, field):
    client = client_for(world.helpdesk)
    assert_error(client.get(url("coverage-gaps") + "?" + query), 400, field)


def test_coverage_gaps_lists_hours_below_the_requirement(world):
    w = world
    services.requirements_set(
        actor=w.helpdesk,
        queue=w.queue,
        term=w.spring,
        weekdays=[0],
        from_hour=9,
        to_hour=12,
        librarians=1,
    )
    slot(w, w.lib_a, w.rob, weekday=0, starts=9, ends=10)
    for user in (w.helpdesk, w.coord_c):
        response = client_for(user).get(
            url("coverage-gaps") + "?queue=coop-state&from=2027-01-11&days=1"
        )
        assert response.status_code == 200, response.content
        assert response.json() == [
            {
                "queue": "coop-state",
                "starts_at": "2027-01-11T10:00:00-05:00",
                "ends_at": "2027-01-11T12:00:00-05:00",
                "required": 1,
                "scheduled": 0,
            }
        ]
    assert_error(client_for(w.rob).get(url("coverage-gaps")), 403)


# --- Substitute and schedule-change requests ----------------------------------------


def test_coordinator_widens_and_withdraws_a_give_up(world, rows):
    offer = rows["substitute-requests"][0]
    client = client_for(world.coord_a)
    assert client.post(url("substitute-requests", offer.pk, "widen")).json()[
        "stage"
    ] == ("consortium")
    response = client.post(url("substitute-requests", offer.pk, "withdraw"))
    assert response.json()["status"] == "withdrawn"
    error = assert_error(
        client.post(url("substitute-requests", offer.pk, "approve")), 400
    )
    assert "not waiting" in error["message"]


def test_helpdesk_approves_a_change_and_the_weekly_shift_appears(world):
    request = change_request(world)
    client = client_for(world.helpdesk)
    response = client.post(url("schedule-change-requests", request.pk, "approve"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    slots = client.get(url("weekly-shifts") + "?library=alib&weekday=2").json()
    assert [(r["starts"], r["ends"], r["assignee"]) for r in slots["results"]] == [
        ("13:00", "15:00", "alib-nan")
    ]
    assert_error(
        client.post(url("schedule-change-requests", request.pk, "approve")), 400
    )


def test_reject_needs_a_note_and_only_the_helpdesk_decides(world):
    request = change_request(world)
    coord = client_for(world.coord_a)
    assert_error(
        coord.post(url("schedule-change-requests", request.pk, "approve")), 403
    )
    helpdesk = client_for(world.helpdesk)
    target = url("schedule-change-requests", request.pk, "reject")
    assert_error(helpdesk.post(target, {}), 400, field="note")
    assert_error(helpdesk.post(target, {"note": ""}), 400, field="note")
    request.refresh_from_db()
    assert request.status == ScheduleChangeRequest.Status.PENDING
    response = helpdesk.post(target, {"note": "Not enough staff."})
    assert response.json()["status"] == "rejected"
    assert not ShiftSlot.objects.filter(weekday=2).exists()


def test_coordinator_withdraws_their_request(world):
    request = change_request(world)
    response = client_for(world.coord_a).post(
        url("schedule-change-requests", request.pk, "withdraw")
    )
    assert response.json()["status"] == "withdrawn"


def test_change_request_without_reason_is_400_and_unknown_fields_named(world):
    client = client_for(world.coord_a)
    payload = create_payload(world, "schedule-change-requests", "alib")
    assert_error(
        client.post(url("schedule-change-requests"), payload | {"reason": " "}), 400
    )
    assert_error(
        client.post(url("schedule-change-requests"), payload | {"status": "x", "y": 1}),
        400,
        "y",
    )
    assert not ScheduleChangeRequest.objects.exists()
    assert date(2027, 1, 11) == world.spring.start_date


def test_stale_if_match_on_a_weekly_shift_is_412_and_changes_nothing(world, rows):
    weekly = rows["weekly-shifts"][0]
    client = client_for(world.coord_a)
    stale = stale_patch(
        client,
        url("weekly-shifts", weekly.pk),
        {"assignee": "alib-nan"},
        {"assignee": None, "ends": "11:00"},
    )
    api_error(stale, 412, "stale")
    weekly.refresh_from_db()
    assert weekly.assignee == world.nan and weekly.ends == 12 * H
    assert {s.assignee_id for s in weekly.shifts.all()} == {world.nan.pk}
