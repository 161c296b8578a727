"""The desk's schedule pages (S8): my shifts and their actions, one shift's
history, the week grids (with daylight-saving days) and the iCalendar feed.

The services here run on the real clock, so shifts are made a week or two
after today (outside every term of the `world`, which counts as "semester":
the co-op queue is open all day)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from scheduling import services
from scheduling.models import CalendarFeed, Shift, SubstitutionRequest
from tests.consortium.factories import QueueFactory

H = 60
ACT = "/schedule/act"


def future_day(days: int = 7) -> date:
    return timezone.localdate() + timedelta(days=days)


def one_off(w, assignee, day=None, starts=9 * H, ends=12 * H, queue=None):
    return services.shift_create(
        actor=w.helpdesk,
        library=assignee.library,
        queue=queue or w.queue,
        day=day or future_day(),
        starts=starts,
        ends=ends,
        assignee=assignee,
    )


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def act(client, **data):
    return client.post(ACT, data, follow=True)


# --- My shifts -------------------------------------------------------------------


def test_my_shifts_lists_times_in_the_viewers_zone(client, world):
    shift = one_off(world, world.cal)
    client.force_login(world.cal)
    page = client.get("/schedule/")
    assert page.status_code == 200
    chicago, eastern = world.lib_c.zone, world.queue.zone
    start, end = shift.starts_at.astimezone(chicago), shift.ends_at.astimezone(chicago)
    qs, qe = shift.starts_at.astimezone(eastern), shift.ends_at.astimezone(eastern)
    expected = (
        f"{start:%a %b %-d}, 08:00–11:00 {end:%Z} "
        f"(09:00–12:00 {qe:%Z})"  # the queue's own clock
    )
    assert qs.hour == 9
    assert expected in page.content.decode()
    assert "Covered" in page.content.decode()


def test_my_shifts_looks_further_ahead_when_asked(client, world):
    far = one_off(world, world.rob, future_day(70))
    client.force_login(world.rob)
    page = client.get("/schedule/").content.decode()
    assert f"/schedule/shifts/{far.pk}/" not in page
    assert "Show the next 34 weeks" in page
    page = client.get("/schedule/?weeks=34").content.decode()
    assert f"/schedule/shifts/{far.pk}/" in page
    assert client.get("/schedule/?weeks=nonsense").status_code == 200


def test_my_shifts_page_keeps_its_queries_constant(client, world):
    client.force_login(world.coord_a)
    one_off(world, world.coord_a)
    client.get("/schedule/")  # creates the calendar feed row
    with CaptureQueriesContext(connection) as few:
        assert client.get("/schedule/").status_code == 200
    for days in (8, 9, 10):
        mine = one_off(world, world.coord_a, future_day(days))
        theirs = one_off(world, world.rob, future_day(days))
        services.shift_give_up(actor=world.rob, shift_id=theirs.pk)
    services.shift_give_up(actor=world.coord_a, shift_id=mine.pk)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/schedule/")
    assert page.content.decode().count("Claim<span") == 3
    assert len(many) == len(few)


def test_an_intern_is_told_kindly_there_are_no_chat_shifts(client, world):
    client.force_login(world.intern)
    page = client.get("/schedule/")
    assert page.status_code == 200
    assert b"Interns answer email questions only" in page.content
    assert not CalendarFeed.objects.filter(staff=world.intern).exists()


def test_pages_need_login_except_the_feed(client, world):
    for url in ("/schedule/", "/schedule/grid/", "/schedule/grid/coop-state/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url
    assert client.post(ACT, {"action": "claim", "offer": 1}).status_code == 302


def test_give_up_then_another_librarian_claims_it(client, world):
    shift = one_off(world, world.rob)
    client.force_login(world.rob)
    page = act(client, action="give-up", shift=shift.pk, reason="Dentist <b>now</b>")
    assert page.status_code == 200
    assert any("Shift given up" in m for m in texts(page))
    html = page.content.decode()
    assert "looking for a substitute (offered to Library A until" in html
    assert "Dentist &lt;b&gt;now&lt;/b&gt;" in html  # escaped, never raw
    assert "Withdraw give-up" in html and "Offer to everyone now" in html
    offer = SubstitutionRequest.objects.get(shift=shift)

    client.force_login(world.nan)
    mine = client.get("/schedule/").content.decode()
    open_section = mine.split('id="open-shifts"')[1]
    assert f'name="offer" value="{offer.pk}"' in open_section
    page = act(client, action="claim", offer=offer.pk)
    assert "The shift is yours now. Thank you for covering it!" in texts(page)
    shift.refresh_from_db()
    assert shift.assignee == world.nan
    offer.refresh_from_db()
    assert offer.status == SubstitutionRequest.Status.FILLED


def test_a_losing_claim_is_told_someone_already_claimed_it(client, world):
    shift = one_off(world, world.rob)
    offer = services.shift_give_up(actor=world.rob, shift_id=shift.pk)
    services.shift_claim(actor=world.nan, offer_id=offer.pk)
    client.force_login(world.coord_a)
    page = act(client, action="claim", offer=offer.pk)
    assert page.status_code == 200
    assert texts(page) == ["Someone has already claimed this shift."]
    assert page.redirect_chain[-1][0] == "/schedule/#open-shifts"
    shift.refresh_from_db()
    assert shift.assignee == world.nan


def test_withdraw_and_widen_go_through_the_services(client, world):
    shift = one_off(world, world.rob)
    offer = services.shift_give_up(actor=world.rob, shift_id=shift.pk)
    client.force_login(world.rob)
    act(client, action="widen", offer=offer.pk)
    offer.refresh_from_db()
    assert offer.stage == SubstitutionRequest.Stage.CONSORTIUM
    page = act(client, action="withdraw", offer=offer.pk)
    assert any("withdrawn" in m for m in texts(page))
    offer.refresh_from_db()
    assert offer.status == SubstitutionRequest.Status.WITHDRAWN
    # Somebody else's request: refused with a message.
    client.force_login(world.nan)
    page = act(client, action="withdraw", offer=offer.pk)
    assert texts(page) == ["You cannot change this substitute request."]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "claim", "offer": "abc"}, "Substitute request: Enter a whole"),
        ({"action": "claim"}, "Substitute request: This field is required."),
        ({"action": "claim", "offer": "999999"}, "does not exist"),
        ({"action": "give-up", "shift": "999999"}, "This shift does not exist."),
        ({"action": "give-up", "shift": "-3"}, "Shift: Ensure this value"),
        ({"action": "decide", "offer": "1", "decision": "maybe"}, "Decision:"),
        ({"action": "explode"}, "Unknown schedule action"),
        ({}, "Unknown schedule action"),
    ],
)
def test_bad_input_gives_a_message_not_an_error(client, world, data, message):
    client.force_login(world.rob)
    page = act(client, **data)
    assert page.status_code == 200
    assert any(message in m for m in texts(page)), texts(page)


def test_actions_are_post_only_and_ignore_offsite_next(client, world):
    client.force_login(world.rob)
    assert client.get(ACT).status_code == 405
    response = client.post(
        ACT, {"action": "claim", "offer": "x", "next": "https://evil.example/"}
    )
    assert response.url == "/schedule/#open-shifts"


def test_approvals_section_is_for_coordinators_and_approving_hands_over(client, world):
    world.lib_a.substitutes_need_approval = True
    world.lib_a.save()
    shift = one_off(world, world.rob)
    offer = services.shift_give_up(actor=world.rob, shift_id=shift.pk)
    services.shift_claim(actor=world.nan, offer_id=offer.pk)

    client.force_login(world.rob)
    page = client.get("/schedule/").content.decode()
    assert 'id="approvals"' not in page
    assert "pending approval" in page

    client.force_login(world.coord_c)
    page = client.get("/schedule/").content.decode()
    assert 'id="approvals"' in page
    assert f'name="offer" value="{offer.pk}"' not in page.split('id="approvals"')[1]

    client.force_login(world.coord_a)
    page = client.get("/schedule/").content.decode()
    approvals = page.split('id="approvals"')[1].split('id="calendar"')[0]
    assert "Nan" in approvals and f'name="offer" value="{offer.pk}"' in approvals
    page = act(
        client, action="decide", offer=offer.pk, decision="approve", note="Thanks"
    )
    assert texts(page) == ["Approved: the substitute has the shift now."]
    shift.refresh_from_db()
    assert shift.assignee == world.nan


def test_turning_a_claim_down_offers_the_shift_again(client, world):
    world.lib_a.substitutes_need_approval = True
    world.lib_a.save()
    shift = one_off(world, world.rob)
    offer = services.shift_give_up(actor=world.rob, shift_id=shift.pk)
    services.shift_claim(actor=world.nan, offer_id=offer.pk)
    client.force_login(world.helpdesk)
    assert f'value="{offer.pk}"' in client.get("/schedule/").content.decode()
    act(client, action="decide", offer=offer.pk, decision="reject")
    offer.refresh_from_db()
    assert offer.status == SubstitutionRequest.Status.OPEN
    # A librarian cannot decide.
    services.shift_claim(actor=world.nan, offer_id=offer.pk)
    client.force_login(world.nan)
    page = act(client, action="decide", offer=offer.pk, decision="approve")
    assert texts(page) == ["Only the library's coordinator can approve substitutes."]


# --- One shift -------------------------------------------------------------------


def test_shift_page_shows_history_to_those_involved_only(client, world):
    shift = one_off(world, world.rob)
    offer = services.shift_give_up(
        actor=world.rob, shift_id=shift.pk, reason="<script>x</script>"
    )
    url = f"/schedule/shifts/{shift.pk}/"
    for staff in (world.rob, world.nan, world.coord_a, world.helpdesk):
        client.force_login(staff)
        page = client.get(url)
        assert page.status_code == 200, staff
    html = page.content.decode()
    assert "Created" in html and "Given up" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    for staff in (world.xen, world.cal, world.coord_c):
        client.force_login(staff)
        assert client.get(url).status_code == 404, staff
    # Offered to everyone: a librarian of another member library may claim it.
    services.substitution_widen(offer_id=offer.pk, actor=world.rob)
    client.force_login(world.cal)
    page = client.get(url)
    assert page.status_code == 200 and b"Claim this shift" in page.content
    assert b"Offered to the consortium" in page.content
    client.force_login(world.xen)  # not a member of the co-op
    assert client.get(url).status_code == 404
    assert client.get("/schedule/shifts/999999/").status_code == 404


# --- Week grids ------------------------------------------------------------------


def entry(html: str, iso: str) -> str:
    """The markup of the grid entry for the hour starting at `iso` (UTC)."""
    start = html.index(f'data-start="{iso}"')
    end = html.find("data-start=", start + 1)
    return html[start : end if end > 0 else None]


def cov(html: str, iso: str) -> tuple[str, str]:
    found = re.search(
        r'class="cov cov-(\w+)">\s*<strong>([^<]+)</strong>', entry(html, iso)
    )
    return found.group(1), found.group(2)


def test_grid_colours_and_labels_met_short_and_empty_hours(client, world):
    services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.spring,
        weekdays=[6],
        from_hour=9,
        to_hour=12,
        librarians=2,
    )
    sunday = date(2027, 1, 17)
    one_off(world, world.rob, sunday, 9 * H, 11 * H)
    one_off(world, world.nan, sunday, 10 * H, 11 * H)
    gone = one_off(world, world.cal, sunday, 11 * H, 12 * H)
    services.shift_give_up(actor=world.cal, shift_id=gone.pk)
    client.force_login(world.coord_a)
    page = client.get("/schedule/grid/coop-state/?week=2027-01-17")
    assert page.status_code == 200
    html = page.content.decode()
    assert "your time zone, America/New_York" in html
    assert cov(html, "2027-01-17T14:00Z") == ("short", "1/2 short")
    assert cov(html, "2027-01-17T15:00Z") == ("met", "2/2 met")
    assert cov(html, "2027-01-17T16:00Z") == ("empty", "0/2 empty")
    assert cov(html, "2027-01-17T13:00Z") == ("none", "none required")
    assert "Rob (alib)" in entry(html, "2027-01-17T14:00Z")
    assert "Cal (clib) (given up)" in entry(html, "2027-01-17T16:00Z")
    assert "<caption" in html and '<th scope="row">09:00</th>' in html
    assert "Mon Jan 11" in html and "Sun Jan 17" in html
    assert '?week=2027-01-04"' in html and '?week=2027-01-18"' in html


def test_grid_in_a_central_viewers_zone_and_in_the_queues(client, world):
    services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.spring,
        weekdays=[6],
        from_hour=9,
        to_hour=10,
        librarians=1,
    )
    one_off(world, world.cal, date(2027, 1, 17), 9 * H, 10 * H)
    client.force_login(world.cal)
    html = client.get("/schedule/grid/coop-state/?week=2027-01-17").content.decode()
    assert "your time zone, America/Chicago" in html
    # 09:00 Eastern is the 08:00 row for a Chicago viewer.
    row = html.split('<th scope="row">08:00</th>')[1].split("</tr>")[0]
    assert 'data-start="2027-01-17T14:00Z"' in row and "1/1 met" in row
    html = client.get(
        "/schedule/grid/coop-state/?week=2027-01-17&tz=queue"
    ).content.decode()
    assert "the queue's time zone, America/New_York" in html
    row = html.split('<th scope="row">09:00</th>')[1].split("</tr>")[0]
    assert 'data-start="2027-01-17T14:00Z"' in row


def test_spring_forward_day_shows_the_missing_hour(client, world):
    client.force_login(world.helpdesk)
    html = client.get("/schedule/grid/coop-state/?week=2027-03-14").content.decode()
    assert html.count("no such hour: clocks go forward") == 1
    row = html.split('<th scope="row">02:00</th>')[1].split("</tr>")[0]
    cells = row.split("<td>")[1:]
    assert "no such hour" in cells[6]  # Sunday Mar 14
    assert all("no such hour" not in c for c in cells[:6])
    # 03:00 EDT that Sunday is 07:00 UTC.
    assert 'data-start="2027-03-14T07:00Z"' in html


def test_fall_back_day_shows_both_one_oclock_hours(client, world):
    services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.fall,
        weekdays=[6],
        from_hour=1,
        to_hour=2,
        librarians=1,
    )
    client.force_login(world.helpdesk)
    html = client.get("/schedule/grid/coop-state/?week=2027-11-07").content.decode()
    row = html.split('<th scope="row">01:00</th>')[1].split("</tr>")[0]
    sunday = row.split("<td>")[7]
    assert sunday.count("data-start=") == 2
    assert "01:00 EDT" in sunday and "01:00 EST" in sunday
    assert cov(html, "2027-11-07T05:00Z") == ("empty", "0/1 empty")
    assert cov(html, "2027-11-07T06:00Z") == ("empty", "0/1 empty")
    assert "no such hour" not in html


def test_grid_unknown_queue_is_404_and_bad_week_falls_back(client, world):
    client.force_login(world.coord_a)
    assert client.get("/schedule/grid/coop-nowhere/").status_code == 404
    other = QueueFactory(library=world.lib_c, code="clib")
    assert client.get(f"/schedule/grid/{other.code}/").status_code == 404
    for bad in ("not-a-date", "2027-02-30", "0001-01-01"):
        page = client.get(f"/schedule/grid/coop-state/?week={bad}")
        assert page.status_code == 200
        assert any("Showing this week" in m for m in texts(page))
        monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
        assert f"week of {monday:%a %b} {monday.day}" in page.content.decode()


def test_grid_index_lists_coop_and_own_local_queues(client, world):
    own = QueueFactory(library=world.lib_a, code="alib", name="Library A chat")
    QueueFactory(library=world.lib_c, code="clib", name="Library C chat")
    client.force_login(world.coord_a)
    html = client.get("/schedule/grid/").content.decode()
    assert "/schedule/grid/coop-state/" in html
    assert f"/schedule/grid/{own.code}/" in html and "/schedule/grid/clib/" not in html
    client.force_login(world.helpdesk)
    assert "/schedule/grid/clib/" in client.get("/schedule/grid/").content.decode()


# --- The calendar feed -----------------------------------------------------------


def feed_url(client, staff) -> str:
    client.force_login(staff)
    page = client.get("/schedule/")
    token = CalendarFeed.objects.get(staff=staff).token
    url = f"/schedule/calendar/{token}.ics"
    assert f"http://testserver{url}" in page.content.decode()
    assert f"webcal://testserver{url}" in page.content.decode()
    return url


def test_calendar_feed_has_one_event_per_live_shift_in_utc(client, world):
    first = one_off(world, world.cal, future_day(7))
    given_up = one_off(world, world.cal, future_day(14), 13 * H, 15 * H)
    services.shift_give_up(actor=world.cal, shift_id=given_up.pk, reason="Trip")
    cancelled = one_off(world, world.cal, future_day(21))
    services.shift_cancel(actor=world.helpdesk, shift_id=cancelled.pk, note="Closed")
    one_off(world, world.rob, future_day(7))  # someone else's
    url = feed_url(client, world.cal)
    client.logout()

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"\r\nDTSTART:" in response.content  # UTC instants, no TZID
    cal = Calendar.from_ical(response.content)
    assert str(cal["version"]) == "2.0" and "AskTogether" in str(cal["prodid"])
    assert str(cal["x-wr-calname"]) == "AskTogether shifts — Cal"
    assert cal.refresh_interval == timedelta(hours=1)
    assert "PT1H" in str(cal["x-published-ttl"])
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        f"shift-{first.pk}@testserver",
        f"shift-{given_up.pk}@testserver",
    }
    one = events[f"shift-{first.pk}@testserver"]
    assert one.decoded("dtstart") == first.starts_at
    assert one.decoded("dtstart").utcoffset() == timedelta(0)
    assert one.decoded("dtend") == first.ends_at
    assert str(one["summary"]) == "Chat shift: Statewide"
    description = str(one["description"])
    assert "Queue: Statewide (coop-state)" in description
    assert "Library: Library C" in description
    assert f"http://testserver/schedule/shifts/{first.pk}/" in description
    assert "dtstamp" in one
    two = events[f"shift-{given_up.pk}@testserver"]
    assert str(two["summary"]) == "Chat shift: Statewide (given up)"


def test_calendar_feed_keeps_its_queries_constant(client, world):
    url = feed_url(client, world.cal)
    one_off(world, world.cal, future_day(7))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for days in (8, 9, 10):
        shift = one_off(world, world.cal, future_day(days))
    services.shift_give_up(actor=world.cal, shift_id=shift.pk)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_reset_link_makes_the_old_feed_address_404(client, world):
    old = feed_url(client, world.cal)
    page = act(client, action="feed-reset")
    assert any("old one no longer works" in m for m in texts(page))
    assert page.redirect_chain[-1][0] == "/schedule/#calendar"
    new = f"/schedule/calendar/{CalendarFeed.objects.get(staff=world.cal).token}.ics"
    assert new != old
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/schedule/calendar/nope.ics").status_code == 404


def test_feed_of_a_deactivated_librarian_is_gone(client, world):
    url = feed_url(client, world.cal)
    world.cal.is_active = False
    world.cal.save()
    assert client.get(url).status_code == 404


# --- The desk --------------------------------------------------------------------


def test_desk_links_to_my_shifts_and_grids_for_coordinators(client, world):
    client.force_login(world.rob)
    html = client.get("/desk/").content.decode()
    assert '<a href="/schedule/">My shifts</a>' in html
    assert "Schedule grids" not in html
    client.force_login(world.coord_a)
    html = client.get("/desk/").content.decode()
    assert '<a href="/schedule/grid/">Schedule grids</a>' in html


def test_shift_model_links_to_its_page(world):
    shift = one_off(world, world.rob)
    assert shift.get_absolute_url() == f"/schedule/shifts/{shift.pk}/"
    assert Shift.objects.get(pk=shift.pk).events.exists()
    assert datetime.now(UTC) < shift.starts_at
