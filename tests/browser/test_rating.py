""" "How did we do?" in a real browser (the machine's Chromium) against
`manage.py run_all` on the demo consortium: a patron in Spanish ends a chat,
is asked once, answers with the keyboard and is not asked again after a
reload (a second rating is refused); in a second chat, which the librarian
ends, the patron skips, and a reload does not ask again either. axe-core
finds no WCAG 2.2 A/AA violation in the form."""

import json
import re
from pathlib import Path

from tests.browser.conftest import needs_chromium, sign_in

pytestmark = needs_chromium

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag",
    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}});
  return result.violations.map((v) =>
    v.id + ": " + v.help + " at " + v.nodes.map((n) => n.target.join(" ")).join(", "));
}"""
SPANISH_QUESTION = "¿Tienen formularios de impuestos?"
ENGLISH_QUESTION = "Do you have tax forms for 2025?"
RATINGS = f"""
import json
from chat.models import PatronRating
rows = PatronRating.objects.filter(
    conversation__question__in=[{SPANISH_QUESTION!r}, {ENGLISH_QUESTION!r}]
).values_list("score", "comment")
print(json.dumps(list(rows)))
"""


def ratings(stack):
    """The ratings of this test's chats (the demo's history has others)."""
    output = stack.manage("shell", "-v", "0", "-c", RATINGS)
    return [tuple(row) for row in json.loads(output)]


def accept_newest(desk):
    button = desk.locator("#waiting button.accept").first
    button.wait_for(timeout=15000)
    chat_id = button.get_attribute("data-conversation")
    button.click()
    panel = desk.locator(f".chat-panel[data-conversation='{chat_id}']")
    panel.wait_for()
    return panel


def start_chat(patron, question):
    patron.locator("#question").fill(question)
    patron.locator("#start-chat").click()
    patron.locator("#chat-status").get_by_text(
        re.compile("in line|en la fila")
    ).wait_for(timeout=15000)


def test_a_patron_rates_once_in_spanish_and_a_skip_is_kept(stack, browser):
    base = stack.base
    nancy = sign_in(browser, base, "sprc-nancy")
    nancy.locator("tr", has_text="(sprc)").get_by_role("button", name="Monitor").click()
    nancy.locator("tr", has_text="(sprc)").locator(
        "button[aria-pressed=true]"
    ).wait_for()

    context = browser.new_context()
    context.add_init_script(path=str(AXE))  # through DevTools: the CSP stays
    patron = context.new_page()
    patron.on("dialog", lambda dialog: dialog.accept())
    patron.goto(f"{base}/chat/sprc/?lang=es")

    # 1. The patron ends the chat and is asked, in Spanish.
    start_chat(patron, SPANISH_QUESTION)
    accept_newest(nancy)
    patron.locator("#chat-status").get_by_text("Está chateando con").wait_for()
    patron.locator("#end-chat").click()
    form = patron.locator("#rating-form")
    form.wait_for(timeout=10000)
    assert form.locator("legend").inner_text() == "¿Qué tal lo hicimos?"
    assert patron.get_by_role("radio", name="5 – Excelente").count() == 1
    assert patron.get_by_role("radio", name="1 – Mal").count() == 1
    assert patron.get_by_role("group", name="¿Qué tal lo hicimos?").count() == 1
    assert patron.locator("#rating-submit").inner_text() == "Enviar"
    assert patron.locator("#rating-skip").inner_text() == "Omitir"
    assert patron.get_by_label("Comentario (opcional)").get_attribute("maxlength") == (
        "1000"
    )
    violations = patron.evaluate(AXE_RUN)
    assert violations == [], "\n".join(violations)

    # No score: the form says so and the keyboard lands on the choices.
    patron.locator("#rating-submit").click()
    error = patron.locator("#rating-score-error")
    error.wait_for()
    assert error.inner_text().strip().endswith("Elija una puntuación del 1 al 5.")
    assert patron.evaluate("document.activeElement.id") == "rating-1"
    for _ in range(3):
        patron.keyboard.press("ArrowRight")
    assert patron.locator("#rating-4").is_checked()
    patron.keyboard.press("Tab")
    assert patron.evaluate("document.activeElement.id") == "rating-comment"
    patron.keyboard.type("Muy útil <b>gracias</b>")
    assert (
        patron.locator("#rating-comment-count").inner_text() == "Quedan 977 caracteres"
    )
    patron.keyboard.press("Tab")
    patron.keyboard.press("Enter")  # Submit
    done = patron.locator("#rating-done")
    done.get_by_text("Gracias por su opinión.").wait_for()
    assert patron.evaluate("document.activeElement.id") == "rating-done"
    assert form.is_hidden()
    assert ratings(stack) == [(4, "Muy útil <b>gracias</b>")]

    # A reload shows the ended chat without asking again.
    patron.reload()
    patron.locator("#chat-ended").wait_for()
    patron.locator("#transcript-link").wait_for()
    assert form.is_hidden() and done.is_hidden()
    # A second rating is refused and changes nothing.
    status = patron.evaluate(
        """() => fetch("/chat/c/" + localStorage.getItem("asktogether:sprc") +
          "/rating", {method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({score: 1, comment: "otra vez"})}).then((r) => r.status)"""
    )
    assert status == 409
    assert ratings(stack) == [(4, "Muy útil <b>gracias</b>")]

    # 2. In English now; the librarian ends this one; the patron skips.
    patron.locator("#new-chat").click()
    patron.locator("#lang-toggle").click()
    start_chat(patron, ENGLISH_QUESTION)
    panel = accept_newest(nancy)
    patron.locator("#chat-status").get_by_text("You are chatting with").wait_for()
    panel.locator(".end").click()
    form.wait_for(timeout=10000)
    assert form.locator("legend").inner_text() == "How did we do?"
    assert patron.get_by_role("radio", name="5 – Excellent").count() == 1
    patron.get_by_role("button", name="Skip").click()
    assert form.is_hidden()
    assert patron.evaluate("document.activeElement.id") == "ended-title"
    patron.reload()
    patron.locator("#chat-ended").wait_for()
    patron.locator("#transcript-link").wait_for()
    assert form.is_hidden()
    assert ratings(stack) == [(4, "Muy útil <b>gracias</b>")]
