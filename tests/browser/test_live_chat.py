"""Live chat end to end in real browsers (the machine's Chromium, driven by
Playwright) against `manage.py run_all` (web, worker, beat) on the demo
consortium: a patron asks from the widget on a library's page; nobody local
picks up, so after the fallback delay a co-op librarian of another library
accepts; both sides reload without losing anything; the chat is transferred
to a librarian of the patron's library, who wraps it up; the patron opens the
transcript."""

import re
import time

from tests.browser.conftest import needs_chromium, sign_in

pytestmark = needs_chromium


def monitor(desk, queue_code):
    row = desk.locator("tr", has_text=f"({queue_code})")
    row.get_by_role("button", name="Monitor").click()
    row.locator("button[aria-pressed=true]").wait_for()


def panel(desk, chat_id):
    return desk.locator(f".chat-panel[data-conversation='{chat_id}']")


def desk_says(desk, chat_id, text):
    panel(desk, chat_id).locator(".composer").fill(text)
    panel(desk, chat_id).locator(".send").click()


def wait_log(page, text, root="#chat-log", timeout=15000):
    page.locator(root).get_by_text(text).first.wait_for(timeout=timeout)


def test_a_patron_and_librarians_chat_through_fallback_transfer_and_wrap_up(
    stack, browser
):
    base = stack.base
    nancy = sign_in(browser, base, "sprc-nancy")  # local librarian, stays busy
    monitor(nancy, "sprc")
    erin = sign_in(browser, base, "gcsu-erin")  # co-op librarian elsewhere
    monitor(erin, "coop-statewide")

    patron_context = browser.new_context()
    patron_site = patron_context.new_page()
    patron_site.on("dialog", lambda dialog: dialog.accept())
    patron_site.goto(f"{base}/widget/demo/sprc/")
    patron_site.locator("a.asktogether-chat[data-online=true]").wait_for(timeout=20000)
    patron_site.locator("a.asktogether-chat").click()
    widget = patron_site.frame_locator("iframe")
    widget.locator("#question").fill("Do you have <b>tax forms</b>?")
    widget.locator("#name").fill("Ann")
    widget.locator("#resident-yes").check()
    widget.locator("#start-chat").click()
    widget.locator("#chat-status").get_by_text(re.compile("in line")).wait_for()

    # The local librarian sees it at once; the co-op only after the fallback.
    nancy.locator("#waiting button.accept").first.wait_for(timeout=10000)
    chat_id = nancy.locator("#waiting button.accept").first.get_attribute(
        "data-conversation"
    )
    assert erin.locator("#waiting button.accept").count() == 0
    started = time.monotonic()
    erin.locator(f"#waiting button.accept[data-conversation='{chat_id}']").wait_for(
        timeout=30000
    )
    assert time.monotonic() - started >= 8  # 15 s fallback, minus set-up time
    erin.locator(f"#waiting button.accept[data-conversation='{chat_id}']").click()
    panel(erin, chat_id).wait_for()
    nancy.locator(f"button.accept[data-conversation='{chat_id}']").wait_for(
        state="detached"
    )

    widget.locator("#chat-status").get_by_text(re.compile("chatting with")).wait_for()
    desk_says(erin, chat_id, "Hi Ann, I'm Erin. Let me look.")
    wait_log(widget, "Let me look.")
    widget.locator("#composer").fill("Thanks! <script>alert(1)</script>")
    widget.locator("#send").click()
    wait_log(
        erin,
        "<script>alert(1)</script>",
        root=f".chat-panel[data-conversation='{chat_id}'] .chat-log",
    )

    # Both sides reload: nothing lost, nothing twice.
    patron_site.reload()
    widget = patron_site.frame_locator("iframe")
    wait_log(widget, "Let me look.")
    erin.reload()
    erin.get_by_text("Connected.").wait_for()
    panel(erin, chat_id).locator(".chat-log").get_by_text("Thanks!").wait_for()
    desk_says(erin, chat_id, "The forms are at the front desk.")
    wait_log(widget, "The forms are at the front desk.")
    assert widget.locator("#chat-log .msg", has_text="Thanks!").count() == 1
    assert widget.locator("#chat-log .msg", has_text="Let me look.").count() == 1

    # Transfer to the local librarian with a note.
    panel(erin, chat_id).locator(".transfer").click()
    form = panel(erin, chat_id).locator(".transfer-form")
    nancy_name = form.locator("select[name=to_librarian] option", has_text="Nancy")
    form.locator("select[name=to_librarian]").select_option(
        label=nancy_name.first.inner_text().strip()
    )
    form.locator("textarea[name=note]").fill("Wants last year's forms too")
    form.locator("button[type=submit]").click()
    wait_log(widget, "transferred the chat")
    nancy.locator(f"#waiting button.accept[data-conversation='{chat_id}']").click()
    nancy_panel = panel(nancy, chat_id)
    nancy_panel.get_by_text("Wants last year's forms too").wait_for()
    nancy_panel.locator(".chat-log").get_by_text("Thanks!").wait_for()
    desk_says(nancy, chat_id, "Last year's are online too.")
    wait_log(widget, "Last year's are online too.")

    # Wrap-up ends the chat; the patron gets the transcript.
    nancy_panel.locator(".end").click()
    wrapup = nancy_panel.locator(".wrapup-form")
    wrapup.locator("select[name=question_type]").select_option("known_item")
    wrapup.locator("[name=read_scale]").first.select_option("2")
    wrapup.locator(".wrapup-submit").click()
    nancy_panel.wait_for(state="detached", timeout=10000)

    link = widget.locator("#transcript-link")
    link.wait_for(timeout=10000)
    transcript = patron_context.new_page()
    transcript.goto(base + link.get_attribute("href").replace(base, ""))
    text = transcript.locator("main").inner_text()
    assert "Thanks! <script>alert(1)</script>" in text
    assert "The forms are at the front desk." in text
    assert "Wants last year's forms too" not in text  # the note stays internal
    assert text.count("Last year's are online too.") == 1
