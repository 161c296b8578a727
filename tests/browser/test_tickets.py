"""Email tickets end to end: a patron's email reaches a demo library's ticket
address through the local-delivery command; a librarian claims and answers
it in the desk in a real browser; the worker emails the answer with its
reply address; the patron's reply to it threads back and reopens the
ticket, which the librarian had closed; an auto-reply changes nothing."""

import re
import time

from tests.browser.conftest import needs_chromium, sign_in

pytestmark = needs_chromium

QUESTION = b"""From: Pat Reader <pat.reader@example.net>
To: ask-sprc@askalibrarian.example.org
Subject: Microfilm of the 1920 census
Message-ID: <q1.browser@example.net>
Content-Type: text/plain; charset=utf-8

Do you have the 1920 census on microfilm? <script>alert(1)</script>
"""


def reply_address_in(log, seconds=30) -> str:
    """The reply address of the answer the worker printed (console email)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(rb"Reply-To: (ask\+t\d+\.[0-9a-f]+@[\w.]+)", log.read_bytes())
        if found:
            return found.group(1).decode()
        time.sleep(0.3)
    raise AssertionError("the worker sent no answer")


def test_a_librarian_answers_an_emailed_question_and_the_reply_reopens_it(
    stack, browser
):
    librarian = sign_in(browser, stack.base, "sprc-rob")
    summary = librarian.locator("#tickets-summary")
    # The demo's own open tickets are already in the inbox.
    before = int(re.search(r"(\d+) unclaimed", summary.inner_text()).group(1))
    assert "Created a ticket" in stack.manage("receive_email", stdin=QUESTION)
    # The open desk hears of the new ticket and re-reads its counts.
    librarian.locator(
        "#tickets-summary", has_text=f"({before + 1} unclaimed"
    ).wait_for()

    desk = sign_in(browser, stack.base, "sprc-eli", desk_connected=False)  # intern
    desk.get_by_role("link", name="Email tickets").click()
    desk.get_by_role("link", name="Microfilm of the 1920 census").first.click()
    desk.get_by_text("<script>alert(1)</script>").first.wait_for()  # shown inert
    desk.get_by_role("button", name="Claim").click()
    desk.get_by_text("You claimed this ticket.").wait_for()
    desk.fill("#reply-body", "Yes: reels 12-14, at the genealogy desk.")
    desk.get_by_role("button", name="Send answer").click()
    desk.get_by_text("Your answer is on its way to the patron.").wait_for()
    assert desk.get_by_text("Waiting on the patron").count() == 1

    address = reply_address_in(stack.log)
    log = stack.log.read_text(errors="replace")
    assert "In-Reply-To: <q1.browser@example.net>" in log
    assert "Content-Type: multipart/alternative" in log

    desk.get_by_role("button", name="Close").click()
    desk.get_by_text("Ticket closed.").wait_for()

    auto = (
        f"From: Pat Reader <pat.reader@example.net>\nTo: {address}\n"
        "Subject: Automatic reply\nAuto-Submitted: auto-replied\n"
        "Message-ID: <auto.browser@example.net>\n\nI am away this week.\n"
    ).encode()
    said = stack.manage("receive_email", stdin=auto)
    assert said.startswith("Automatic mail (ignored)")
    assert "— Auto-Submitted: auto-replied (RFC 3834)." in said
    reply = (
        f"From: Pat Reader <pat.reader@example.net>\nTo: {address}\n"
        "Subject: Re: Microfilm of the 1920 census\n"
        "Message-ID: <r1.browser@example.net>\n\n"
        "Thank you! Can I come on Saturday?\n\n"
        "On Mon, Nov 23, 2026 at 10:00 AM Springfield College Library wrote:\n"
        "> Yes: reels 12-14, at the genealogy desk.\n"
    ).encode()
    assert "Added to a ticket" in stack.manage("receive_email", stdin=reply)

    desk.reload()
    desk.get_by_text("Can I come on Saturday?").first.wait_for()
    assert desk.get_by_text("I am away this week.").count() == 0
    assert desk.locator("p", has_text="Claimed").first.is_visible()
