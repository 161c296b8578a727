"""Scheduling end to end on the demo consortium, in a real browser and with
the real beat and worker: a coordinator adds a weekly shift to the next
term; the librarian gives a date up and offers it to everyone; the listserv
is emailed; a librarian of another library (another time zone) claims it;
the shift's history says so; both calendars agree; and beat's first sweep
emails the listserv about the demo's unfilled hours once."""

import re
import time
import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import needs_chromium

pytestmark = needs_chromium


def log_text(stack) -> str:
    return stack.log.read_text(errors="replace")


def wait_in_log(stack, pattern, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.findall(pattern, log_text(stack))
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{pattern!r} never appeared in the run_all log")


def sign_in(browser, base, username, next_url):
    page = browser.new_context().new_page()
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "askdemo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_url}")
    return page


def calendar(page, base):
    """The events of the signed-in librarian's feed, fetched as a calendar
    app would: no cookies, just the private address."""
    from icalendar import Calendar

    page.goto(f"{base}/schedule/#calendar")
    url = page.locator("#feed-url").input_value()
    with urllib.request.urlopen(url.strip()) as response:
        assert response.headers["Content-Type"].startswith("text/calendar")
        cal = Calendar.from_ical(response.read())
    return {
        event.decoded("dtstart").isoformat(): str(event.get("summary"))
        for event in cal.walk("VEVENT")
    }


def test_a_coordinator_schedules_a_librarian_gives_up_and_another_claims(
    stack, browser
):
    coordinator = sign_in(browser, stack.base, "sprc-coord", "/admin/")
    coordinator.goto(f"{stack.base}/admin/scheduling/shiftslot/add/")
    coordinator.select_option(
        "#id_queue", label="Ask a Librarian Statewide (coop-statewide)"
    )
    coordinator.select_option("#id_term", label="Spring 2027")
    coordinator.select_option("#id_weekday", label="Sunday")
    coordinator.fill("#id_starts", "13:00")
    coordinator.fill("#id_ends", "16:00")
    coordinator.select_option("#id_assignee", label="Rob Coers (sprc-rob)")
    coordinator.click("input[name=_addanother]")
    coordinator.get_by_text("was added successfully").wait_for()
    # The same hours for the same librarian again: refused, nothing saved.
    coordinator.select_option("#id_queue", label="Academic Cooperative (coop-academic)")
    coordinator.select_option("#id_term", label="Spring 2027")
    coordinator.select_option("#id_weekday", label="Sunday")
    coordinator.fill("#id_starts", "14:00")
    coordinator.fill("#id_ends", "15:00")
    coordinator.select_option("#id_assignee", label="Rob Coers (sprc-rob)")
    coordinator.click("input[name=_save]")
    coordinator.get_by_text("already has a shift").first.wait_for()

    rob = sign_in(browser, stack.base, "sprc-rob", "/desk/")
    rob.get_by_role("link", name="My shifts").click()
    rob.goto(f"{stack.base}/schedule/?weeks=34")
    row = rob.locator("tr", has_text="Sun Jan 17, 13:00–16:00 EST")
    row.get_by_text("Give up…").click()
    row.locator("input[name=reason]").fill("Conference travel")
    row.get_by_role("button", name="Give up this shift").click()
    row = rob.locator("tr", has_text="Sun Jan 17, 13:00–16:00 EST")
    row.get_by_role("button", name=re.compile("Offer to everyone now")).click()
    wait_in_log(stack, r"Subject: \[[^\]]+\] Substitute needed: coop-statewide")
    assert "To: askref-l@askalibrarian.example.org" in log_text(stack)

    wren = sign_in(browser, stack.base, "pbpl-wren", "/schedule/")  # Central time
    offer = wren.locator("#open-shifts tr", has_text="Sun Jan 17, 12:00–15:00 CST")
    assert "Conference travel" in offer.inner_text()
    offer.get_by_role("button", name=re.compile("Claim")).click()
    wren.locator(".messages").wait_for()
    # Wait for the page after each click (a read right away can see the
    # page before it, or none yet).
    expect(wren.locator("main")).to_contain_text("Sun Jan 17, 12:00–15:00 CST")
    wren.get_by_role(
        "link", name=re.compile("Sun Jan 17, 12:00–15:00 CST")
    ).first.click()
    for step in ("Given up", "Offered to the consortium", "Claimed by a substitute"):
        expect(wren.locator("main")).to_contain_text(step)
    wait_in_log(stack, r"Subject: \[[^\]]+\] Shift covered: coop-statewide")

    rob_events = calendar(rob, stack.base)
    wren_events = calendar(wren, stack.base)
    assert "2027-01-17T18:00:00+00:00" in wren_events
    assert "2027-01-17T18:00:00+00:00" not in rob_events
    assert "2027-01-24T18:00:00+00:00" in rob_events
    # Beat's first sweep (a minute after start): the demo's unfilled hours in
    # the next 48 h, in one email however often beat swept since.
    wait_in_log(stack, r"Subject: \[[^\]]+\] URGENT: \d+ unfilled gap")
    time.sleep(2)
    assert len(re.findall(r"URGENT: \d+ unfilled gap", log_text(stack))) == 1
