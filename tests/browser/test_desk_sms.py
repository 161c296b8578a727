"""A librarian answers a text from the desk, in a real browser (the machine's
Chromium, driven by Playwright) against `manage.py run_all` on the demo
consortium (issue 18): the SMS badge on the waiting row, the tab and the
panel, when the answer is due, the counter under the composer (characters of
150, texts, GSM-7 or Unicode), the numbered split and one long text, each
text's delivery state, a failed text sent again with Retry, and a retry the
server refuses. A live chat beside it shows none of this.

The patron's text comes in through the service the Twilio webhook calls
(`sms_receive`), run in `manage.py shell` against the stack's database; its
delivery report through the one the status webhook calls."""

import json
import re

from playwright.sync_api import expect

from tests.browser.conftest import needs_chromium, sign_in

pytestmark = needs_chromium

PHONE = "+18505550142"

TEXT_IN = f"""
from consortium.models import Library
from chat.services.sms import sms_receive
library = Library.objects.get(code="sprc")
if not library.sms_number:
    library.sms_number = "+18505550101"
    library.save(update_fields=["sms_number"])
received = sms_receive(library=library, sid="SMbrowser0000000000000000000000001",
                       phone={PHONE!r}, body="Is the library open on Sunday?")
conversation = received.sms.message.conversation
assert conversation.channel == "sms" and conversation.patron_phone == {PHONE!r}
assert conversation.status == "waiting" and conversation.queue.code == "sprc"
print(conversation.pk)
"""

CHAT_IN = """
from consortium.models import Library
from chat.services.conversations import conversation_start
conversation = conversation_start(library=Library.objects.get(code="sprc"),
                                  question="Where are the tax forms?",
                                  patron_name="Ann")
assert conversation.channel == "chat"
print(conversation.pk)
"""


def text_failed(conversation_id: int, seq: int) -> str:
    """The delivery report "failed" of one text, as the status webhook
    records it (once the worker sent it through the console backend)."""
    return f"""
import time
from chat.models import SmsMessage
from chat.services.sms import sms_status_record
for _ in range(100):
    sms = SmsMessage.objects.filter(message__conversation_id={conversation_id},
                                    message__seq={seq}, direction="out").first()
    if sms is not None and sms.sid:
        break
    time.sleep(0.2)
assert sms is not None and sms.sid, "the text was not sent"
sms_status_record(sid=sms.sid, status="failed", error_code="30003")
print(sms.status)
"""


def monitor(desk, queue_code):
    row = desk.locator("tr", has_text=f"({queue_code})")
    row.get_by_role("button", name="Monitor").click()
    row.locator("button[aria-pressed=true]").wait_for()


def panel(desk, chat_id):
    return desk.locator(f".chat-panel[data-conversation='{chat_id}']")


def shell(stack, code) -> str:
    return stack.manage("shell", "-v", "0", "-c", code).strip().splitlines()[-1]


def accept(desk, chat_id):
    desk.locator(f"#waiting button.accept[data-conversation='{chat_id}']").click()
    panel(desk, chat_id).wait_for()


def test_a_librarian_answers_a_text_with_the_counter_split_and_delivery_states(
    stack, browser
):
    desk = sign_in(browser, stack.base, "sprc-nancy")
    frames_sent = []
    desk.on(
        "websocket",
        lambda ws: ws.on(
            "framesent", lambda data: frames_sent.append(json.loads(data))
        ),
    )
    desk.reload()  # the socket opens again, now watched
    desk.get_by_text("Connected.").wait_for()
    monitor(desk, "sprc")

    sms_id = shell(stack, TEXT_IN)
    chat_id = shell(stack, CHAT_IN)

    # The waiting rows: the text has its badge and its deadline; the chat not.
    row = desk.locator(f"#waiting li[data-conversation='{sms_id}']")
    row.wait_for(timeout=15000)
    badge = row.locator(".badge-sms")
    badge.wait_for()
    assert badge.locator("[aria-hidden=true]").inner_text() == "SMS"
    assert badge.get_attribute("title") == "Text message"
    assert badge.locator(".visually-hidden").text_content() == "Text message"
    expect(row.locator(".risk")).to_have_text(re.compile(r"^answer due in 1[12] h$"))
    live_row = desk.locator(f"#waiting li[data-conversation='{chat_id}']")
    live_row.wait_for(timeout=15000)
    assert live_row.locator(".badge-sms").is_hidden()

    accept(desk, sms_id)
    accept(desk, chat_id)
    texts = panel(desk, sms_id)
    texts.locator(".chat-log").get_by_text("Is the library open on Sunday?").wait_for()
    # The panel's heading (its name) and its tab carry the badge.
    texts.locator(".cp-title .badge-sms").wait_for()
    assert texts.get_by_role("heading", name=re.compile("^Text message")).count() == 1
    desk.locator(f".chat-tab[data-conversation='{sms_id}'] .badge-sms").wait_for()
    assert (
        desk.locator(f".chat-tab[data-conversation='{chat_id}'] .badge-sms").count()
        == 0
    )

    # The counter: characters of 150, texts, encoding.
    composer = texts.locator(".composer")
    counter = texts.locator(".sms-counter")
    split = texts.locator(".sms-split")
    composer.fill("Hello")
    expect(counter.locator(".sms-count")).to_have_text(
        "5 of 150 characters · 1 text · GSM-7"
    )
    assert split.is_hidden()
    composer.fill("a" * 160)  # 160 GSM-7 characters still fit one segment
    expect(counter.locator(".sms-count")).to_have_text(
        "160 of 150 characters · 1 text · GSM-7"
    )
    composer.fill("a" * 161)
    expect(counter.locator(".sms-count")).to_have_text(
        "161 of 150 characters · 2 texts · GSM-7"
    )
    assert "sms-over" in counter.get_attribute("class")
    warning = counter.locator(".sms-warning")
    assert warning.get_attribute("aria-live") == "polite"
    assert warning.inner_text().startswith("Over 150 characters:")
    assert split.inner_text() == "Split into 2 numbered texts"
    composer.fill("Open on Sunday? 😀")
    expect(counter.locator(".sms-count")).to_have_text(
        "17 of 150 characters · 1 text · Unicode"
    )
    assert "sms-over" not in counter.get_attribute("class")
    assert warning.inner_text() == ""
    assert split.is_hidden()
    # A note does not go by text: no counter.
    texts.locator(".note-toggle").check()
    assert counter.is_hidden()
    texts.locator(".note-toggle").uncheck()
    assert counter.is_visible()

    # Split: the numbered parts go as separate messages, in order.
    long_text = (
        "We open on Sunday from noon to five. The reference desk has staff "
        "until four, and the study rooms can be booked online. "
        "Bring your library card to check out laptops; they go home for a week."
    )
    composer.fill(long_text)
    assert split.inner_text() == "Split into 2 numbered texts"
    split.click()
    log = texts.locator(".chat-log")
    log.locator(".msg-librarian[data-seq]").nth(1).wait_for(timeout=15000)
    bodies = log.locator(".msg-librarian .msg-body").all_inner_texts()
    assert [b[:4] for b in bodies] == ["1/2 ", "2/2 "]
    assert " ".join(b[4:] for b in bodies) == long_text
    assert all(len(b) <= 150 for b in bodies)
    assert composer.input_value() == ""
    sent = [f for f in frames_sent if f.get("type") == "message"]
    assert [f["body"] for f in sent] == bodies
    assert len({f["client_id"] for f in sent}) == 2

    # A plain Send sends one long text.
    composer.fill(long_text)
    texts.locator(".send").click()
    one = log.locator(".msg-librarian[data-seq]", has_text=long_text)
    one.wait_for(timeout=15000)
    assert one.count() == 1
    assert one.locator(".msg-body").inner_text() == long_text
    seq = int(one.get_attribute("data-seq"))

    # Each text shows how it went; the console backend never reports delivery.
    for i in range(3):
        state = log.locator(".msg-librarian").nth(i).locator(".msg-sms-state")
        state.wait_for(timeout=15000)
        assert state.inner_text() in ("Sending…", "Sent", "Delivered")

    # Twilio reports it failed: the error and Retry, which sends it again.
    shell(stack, text_failed(int(sms_id), seq))
    one.locator(".msg-sms-state", has_text="Failed: Twilio error 30003").wait_for(
        timeout=15000
    )
    one.get_by_role("button", name="Retry sending this text").click()
    one.locator(".msg-sms-state", has_text="Sending…").wait_for(timeout=15000)
    assert one.locator(".msg-sms-retry").count() == 0
    retries = [f for f in frames_sent if f.get("type") == "sms_retry"]
    assert retries == [{"type": "sms_retry", "conversation": int(sms_id), "seq": seq}]

    # The worker sent it again (the provider has it): "queued", no Retry.
    one.locator(".msg-sms[data-status=queued]").wait_for(timeout=15000)

    # A stale "failed" shown here: the server refuses the retry, and says why.
    desk.evaluate(
        "frame => window.askTogetherDesk.handle(frame)",
        {
            "type": "sms_status",
            "conversation": int(sms_id),
            "seq": seq,
            "status": "failed",
            "error": "Twilio error 30003",
        },
    )
    one.get_by_role("button", name="Retry sending this text").click()
    one.locator(".msg-sms-note", has_text=re.compile("^Not sent again: .+")).wait_for(
        timeout=15000
    )
    assert one.get_by_role("button", name="Retry sending this text").is_enabled()

    # The live chat beside it: no counter, no badge, no delivery line.
    chat = panel(desk, chat_id)
    chat.locator(".composer").fill("x" * 200)
    assert chat.locator(".sms-counter").is_hidden()
    assert chat.locator(".badge-sms").count() == 0
    chat.locator(".send").click()
    chat.locator(".chat-log .msg-librarian[data-seq]").wait_for(timeout=15000)
    assert chat.locator(".msg-sms").count() == 0
