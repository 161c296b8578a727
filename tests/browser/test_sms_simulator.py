"""The phone simulator in a real browser against `run_all` on the demo
consortium (SMS_SIMULATOR on, a test token, the console backend): a patron
texts Springfield College's demo number from the page, the text goes through
the signed webhook and appears in the phone's thread; a librarian at the
desk answers it, and the answer reaches the phone, reported delivered."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import needs_chromium, sign_in

pytestmark = needs_chromium

SIMULATOR_ENV = {
    "SMS_SIMULATOR": "true",
    "TWILIO_AUTH_TOKEN": "browser-test-token",
    "SMS_BACKEND": "console",
}


@pytest.fixture(scope="module")
def simulator_environment():
    """The stack (conftest) copies this process's environment when it starts."""
    saved = {name: os.environ.get(name) for name in SIMULATOR_ENV}
    os.environ.update(SIMULATOR_ENV)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def stack(simulator_environment, stack):
    return stack


def open_phone(browser, base, phone="+1 850 555 0142"):
    page = browser.new_context().new_page()
    page.goto(f"{base}/sms/simulator/")
    page.select_option("#library", "sprc")
    page.fill("#phone", phone)
    page.locator("#phone").dispatch_event("change")
    return page


def text(page, body):
    page.fill("#body", body)
    page.click("#send")


def test_a_text_from_the_page_goes_through_the_webhook_into_the_thread(stack, browser):
    page = open_phone(browser, stack.base)
    expect(page.locator("#thread-with")).to_contain_text("Springfield College")
    expect(page.locator("#thread-empty")).to_be_visible()

    page.fill("#body", "")
    page.click("#send")
    expect(page.locator("#body-error")).to_have_text("The text is empty.")

    page.fill("#phone", "555-CALL-NOW")
    text(page, "Hello?")
    expect(page.locator("#phone-error")).to_contain_text("Your phone number:")
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")

    page.fill("#phone", "(850) 555-0142")
    text(page, "Do you have tax forms?")
    expect(page.locator("#notice")).to_contain_text(
        "Sent to +18505550101; the webhook answered 200."
    )
    expect(page.locator("#phone")).to_have_value("+18505550142")
    mine = page.locator("#thread li.mine")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text("Do you have tax forms?")
    expect(mine.first).to_contain_text("Received by the library")
    expect(page.locator("#body")).to_have_value("")

    # Keywords are answered in the webhook's reply, shown on the phone.
    text(page, "STOP")
    expect(page.locator("#notice")).to_contain_text(
        "texted back: “Springfield College Library: you will get no more texts"
    )
    text(page, "START")
    expect(page.locator("#notice")).to_contain_text("you will get texts")


def test_a_librarian_answers_the_text_and_the_phone_reports_it_delivered(
    stack, browser
):
    nancy = sign_in(browser, stack.base, "sprc-nancy")
    row = nancy.locator("tr", has_text="(sprc)")
    row.get_by_role("button", name="Monitor").click()
    row.locator("button[aria-pressed=true]").wait_for()

    page = open_phone(browser, stack.base, phone="+1 850 555 0143")
    text(page, "Are you open on Sunday?")
    expect(page.locator("#thread li.mine")).to_have_count(1)

    waiting = nancy.locator("#waiting li", has_text="Are you open on Sunday?")
    accept = waiting.locator("button.accept")
    accept.wait_for(timeout=15000)
    chat_id = accept.get_attribute("data-conversation")
    accept.click()
    panel = nancy.locator(f".chat-panel[data-conversation='{chat_id}']")
    panel.wait_for()
    expect(panel).to_contain_text("Are you open on Sunday?")
    panel.locator(".composer").fill("Yes, from 1 to 5 p.m.")
    panel.locator(".send").click()

    reply = page.locator("#thread li.theirs", has_text="Yes, from 1 to 5 p.m.")
    expect(reply).to_be_visible(timeout=20000)
    # Sent by the console backend, then reported delivered by this phone
    # through the signed status webhook: what the thread shows is stored.
    expect(reply).to_have_attribute("data-status", "delivered", timeout=15000)
    expect(reply).to_contain_text("Delivered")
