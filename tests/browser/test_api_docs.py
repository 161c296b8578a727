"""The interactive API docs (`/api/docs/`, Swagger UI served from the sidecar's
static files) used by the help desk as a new user would, offline: logged in at
/admin/, it transfers an email ticket to another library with "Try it out"
(a write with the session, so Swagger UI must send the CSRF token); not logged
in, it authorizes with its API token and reads the statistics. No request may
leave the machine: any that tries is recorded, refused and fails the test."""

import json
import re
from urllib.parse import urlsplit

from tests.browser.conftest import needs_chromium

pytestmark = needs_chromium

DEMO_TOKEN = "a5c7e0d1b2f3a4c5d6e7f8091a2b3c4d5e6f7a8b"  # docs/api.md
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
NOTE = "A question about their microfilm collection (via the API docs)."

# An email ticket in Springfield's inbox, as the offline form makes it.
NEW_TICKET = """
from chat import services
from consortium.models import Library
conversation = services.offline_question_create(
    library=Library.objects.get(code="sprc"),
    question="Do you have the 1920 census on microfilm? (API docs test)",
    email="pat.reader.docs@example.net",
    patron_name="Pat Reader",
)
print(conversation.ticket.pk)
"""

TICKET_NOW = """
import json
from chat.models import Message, Ticket
ticket = Ticket.objects.select_related("library").get(pk={pk})
notes = Message.objects.filter(
    conversation_id=ticket.conversation_id, sender=Message.Sender.NOTE
).values_list("body", flat=True)
print(json.dumps({{"library": ticket.library.code, "status": ticket.status,
                  "assignee": ticket.assignee_id, "notes": list(notes)}}))
"""


def is_outside(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and (
        parts.hostname not in LOCAL_HOSTS
    )


def offline_page(browser):
    """A page in a fresh context that records every request it makes and
    refuses (and records) any to another machine."""
    context = browser.new_context()
    requests, outside = [], []
    context.on("request", lambda request: requests.append(request))

    def refuse(route):
        outside.append(route.request.url)
        route.abort()

    context.route(is_outside, refuse)
    return context.new_page(), requests, outside


def assert_stayed_local(requests, outside):
    assert not outside, f"requests left the machine: {outside}"
    strays = [r.url for r in requests if is_outside(r.url)]
    assert not strays, f"requests left the machine: {strays}"


def open_docs(page, base):
    page.goto(f"{base}/api/docs/")
    # Rendered from the schema: the tags and their operations.
    page.locator("#swagger-ui .opblock-tag[data-tag=tickets]").wait_for()
    page.locator("#swagger-ui .opblock-tag[data-tag=statistics]").wait_for()
    assert page.locator("#swagger-ui .opblock").count() > 50


def operation(page, method, path):
    """The (expanded) operation `method path` of Swagger UI."""
    block = page.locator(f".opblock.opblock-{method.lower()}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )
    block.wait_for()
    block.locator(".opblock-summary").first.click()
    block.locator("button.try-out__btn").wait_for()
    return block


def try_it_out(block):
    """Press "Try it out": the fields become editable, "Execute" appears."""
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").wait_for()


def live_response(block):
    """The status and body of the request just executed (not the documented
    responses below it)."""
    status = block.locator(".live-responses-table .response .response-col_status")
    status.wait_for()
    body = block.locator(".live-responses-table .response-col_description pre")
    body.first.wait_for()
    return status.first.inner_text().strip(), body.first.inner_text()


def test_the_help_desk_transfers_a_ticket_in_the_docs_with_its_session(stack, browser):
    ticket_id = int(stack.manage("shell", "-v", "0", "-c", NEW_TICKET).split()[-1])
    page, requests, outside = offline_page(browser)

    page.goto(f"{stack.base}/admin/login/?next=/admin/")
    page.fill("#id_username", "helpdesk")
    page.fill("#id_password", "askdemo-2026")
    page.click("input[type=submit]")
    page.wait_for_url(f"{stack.base}/admin/")

    open_docs(page, stack.base)
    block = operation(page, "post", "/api/v1/tickets/{id}/transfer/")
    try_it_out(block)
    block.locator('input[placeholder="id"]').fill(str(ticket_id))
    block.locator("textarea.body-param__text").fill(
        json.dumps({"library": "gcsu", "note": NOTE})
    )
    with page.expect_response(
        re.compile(rf"/api/v1/tickets/{ticket_id}/transfer/$")
    ) as answer:
        block.locator("button.execute").click()
    sent = answer.value.request
    assert sent.method == "POST"
    assert sent.headers.get("x-csrftoken"), "Swagger UI sent no CSRF token"
    assert "authorization" not in sent.headers  # the session did it

    status, body = live_response(block)
    assert status == "200", body
    shown = json.loads(body)
    assert shown["id"] == ticket_id
    assert shown["library"] == "gcsu"

    now = json.loads(
        stack.manage("shell", "-v", "0", "-c", TICKET_NOW.format(pk=ticket_id))
    )
    assert now["library"] == "gcsu"
    assert now["status"] == "open" and now["assignee"] is None
    assert any(NOTE in note for note in now["notes"]), now["notes"]
    assert_stayed_local(requests, outside)
    page.context.close()


def test_the_help_desk_authorizes_with_its_token_and_reads_statistics(stack, browser):
    page, requests, outside = offline_page(browser)
    open_docs(page, stack.base)

    page.locator(".scheme-container .btn.authorize").click()
    modal = page.locator(".dialog-ux .modal-ux")
    modal.wait_for()
    token_auth = modal.locator(".auth-container").filter(has_text="tokenAuth")
    # The scheme says what to type: the key after the word "Token".
    assert 'prefix "Token"' in token_auth.inner_text()
    token_auth.locator("input").fill(f"Token {DEMO_TOKEN}")
    token_auth.locator("button.authorize").click()
    token_auth.get_by_role("heading", name="Authorized").wait_for()
    token_auth.locator("button", has_text="Logout").wait_for()
    token_auth.locator("button.btn-done").click()
    modal.wait_for(state="detached")

    block = operation(page, "get", "/api/v1/statistics/")
    try_it_out(block)
    with page.expect_response(re.compile(r"/api/v1/statistics/")) as answer:
        block.locator("button.execute").click()
    assert answer.value.request.headers.get("authorization") == f"Token {DEMO_TOKEN}"
    status, body = live_response(block)
    assert status == "200", body
    figures = json.loads(body)
    assert {"from", "to", "totals", "groups"} <= figures.keys()

    # A daily question: which shifts nobody covers?
    block = operation(page, "get", "/api/v1/shifts/")
    try_it_out(block)
    unfilled = block.locator("tr[data-param-name=unfilled]")
    unfilled.locator("select").select_option("true")
    with page.expect_response(re.compile(r"/api/v1/shifts/\?.*unfilled=true")):
        block.locator("button.execute").click()
    status, body = live_response(block)
    assert status == "200", body
    assert {"count", "results"} <= json.loads(body).keys()
    assert_stayed_local(requests, outside)
    page.context.close()
