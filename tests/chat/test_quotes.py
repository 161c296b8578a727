"""Quote and signature trimming of email replies (chat/mail/quotes.py).

The fixtures under tests/chat/emails/replies/ come from public reply-parser
suites (see SOURCES.md there), with the visible text their own assertions
state. The cases after them are this project's, for reply headers and mobile
footers that no public suite has a fixture for.
"""

import json
import time
from pathlib import Path

import pytest

from chat.mail.quotes import trim_reply

REPLIES = Path(__file__).parent / "emails" / "replies"


def _fixtures():
    for expected_file in sorted(REPLIES.glob("*/expected.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        for name, entry in expected.items():
            yield pytest.param(
                expected_file.parent / name,
                entry,
                id=f"{entry['language']}-{expected_file.parent.name}/{name}",
            )


@pytest.mark.parametrize(("path", "entry"), list(_fixtures()))
def test_public_reply_fixtures(path, entry):
    visible = trim_reply(path.read_text(encoding="utf-8"))

    if "visible" in entry:
        assert visible == entry["visible"].strip()
    else:
        assert visible.startswith(entry.get("starts", ""))
        assert visible.endswith(entry.get("ends", ""))
        for part in entry.get("includes", []):
            assert part in visible
        for part in entry.get("excludes", []):
            assert part not in visible


def test_every_language_has_public_fixtures():
    languages = {
        entry["language"]
        for expected_file in REPLIES.glob("*/expected.json")
        for entry in json.loads(expected_file.read_text(encoding="utf-8")).values()
    }
    assert {"en", "es", "fr", "de", "pt", "it", "pl", "nl", "da", "no", "sv"} <= (
        languages
    )
    assert {"zh", "ja"} <= languages


ATTRIBUTIONS = [
    "On Mon, Mar 2, 2026 at 10:00 AM Springfield Library <ask@example.org> wrote:",
    "El lun, 2 mar 2026 a las 10:00, Biblioteca (<ask@example.org>) escribió:",
    "Le lun. 2 mars 2026 à 10:00, Bibliothèque <ask@example.org> a écrit :",
    "Am Mo., 2. März 2026 um 10:00 Uhr schrieb Bibliothek <ask@example.org>:",
    "Max Mustermann <max@x.de> schrieb am 3. März 2026 um 10:12:",
    "Em seg., 2 de mar. de 2026 às 10:00, Biblioteca <ask@example.org> escreveu:",
    "Il giorno lun 2 mar 2026 alle ore 10:00 Biblioteca <ask@example.org> ha scritto:",
    "W dniu 2.03.2026 o 10:00, Biblioteka <ask@example.org> napisał:",
    "Op ma 2 mrt 2026 om 10:00 schreef Bibliotheek <ask@example.org>:",
    "Den 2. mar. 2026 kl. 10.00 skrev Biblioteket <ask@example.org>:",
    "mån 2 mars 2026 kl. 10:00 skrev Biblioteket <ask@example.org>:",
    "图书馆 <ask@example.org> 于2026年3月2日周一 10:00写道：",
    "2026年3月2日(月) 10:00 図書館 <ask@example.org>:",
    "2026年3月2日(月) 10:00 図書館 <ask@example.org>のメッセージ:",
    "2026/03/02 10:00、図書館 <ask@example.org> は書きました:",
]


@pytest.mark.parametrize("attribution", ATTRIBUTIONS)
def test_attributions(attribution):
    text = f"Thanks, that works.\n\n{attribution}\n> Your hold is ready."

    assert trim_reply(text) == "Thanks, that works."


OUTLOOK_BLOCKS = [
    "From: Library <ask@example.org>\nSent: Monday, March 2, 2026 10:00\nTo: Pat",
    "Von: Bibliothek <ask@example.org>\nGesendet: Montag, 2. März 2026 10:00\nAn: Pat",
    "De : Bibliothèque <ask@example.org>\nEnvoyé : lundi 2 mars 2026 10:00\nÀ : Pat",
    "Da: Biblioteca <ask@example.org>\nInviato: lunedì 2 marzo 2026 10:00\nA: Pat",
    "Od: Biblioteka <ask@example.org>\nWysłane: poniedziałek, 2 marca 2026 10:00",
    "Van: Bibliotheek <ask@example.org>\nVerzonden: maandag 2 maart 2026 10:00",
    "Fra: Biblioteket <ask@example.org>\nSendt: 2. marts 2026 10:00\nTil: Pat",
    "Från: Biblioteket <ask@example.org>\nSkickat: den 2 mars 2026 10:00\nTill: Pat",
    "De: Biblioteca <ask@example.org>\nEnviado: lunes, 2 de marzo de 2026 10:00",
    "De: Biblioteca <ask@example.org>\nEnviada em: segunda-feira, 2 de março de 2026",
    "发件人: 图书馆 <ask@example.org>\n发送时间: 2026年3月2日 10:00\n收件人: Pat",
    "差出人: 図書館 <ask@example.org>\n送信日時: 2026年3月2日 10:00\n宛先: Pat",
    "*From:* Library <ask@example.org>\n*Sent:* Monday, March 2, 2026 10:00",
]


@pytest.mark.parametrize("block", OUTLOOK_BLOCKS)
def test_outlook_header_blocks(block):
    text = f"Thanks, that works.\n\n________________________________\n{block}\n\nHi."

    assert trim_reply(text) == "Thanks, that works."


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "-----Mensaje original-----",
        "-----Message d'origine-----",
        "-----Ursprüngliche Nachricht-----",
        "-----Mensagem original-----",
        "-----Messaggio originale-----",
        "-----Oryginalna wiadomość-----",
        "-----Oorspronkelijk bericht-----",
        "-----Oprindelig meddelelse-----",
        "-----Opprinnelig melding-----",
        "-----Ursprungligt meddelande-----",
        "-----原始邮件-----",
        "-----元のメッセージ-----",
    ],
)
def test_original_message_separators(separator):
    assert trim_reply(f"Thanks.\n\n{separator}\nHi.") == "Thanks."


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Enviado desde mi iPhone",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
        "Inviato da iPhone",
        "Enviado do meu iPhone",
        "Wysłane z iPhone'a",
        "Verzonden vanaf mijn iPhone",
        "Sendt fra min iPhone",
        "Skickat från min iPhone",
        "从我的iPhone发送",
        "iPhoneから送信",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Outlook für Android herunterladen<https://aka.ms/AAb9ysg>",
        "Télécharger Outlook pour Android",
    ],
)
def test_mobile_footers(footer):
    assert trim_reply(f"Thanks.\n\n{footer}") == "Thanks."


@pytest.mark.parametrize(
    "text",
    [
        "Here is another email\n\nSent from my desk, is much easier than my phone.",
        "On page 5 the author wrote:\nsomething odd.",
        "Hello,\n\nFrom: the reading room, I can see the stairs.\nThanks.",
        "I need:\n- a study room\n- a projector",
    ],
)
def test_text_that_only_looks_like_history_is_kept(text):
    assert trim_reply(text) == text


def test_nothing_left_returns_the_text_unchanged():
    text = "> only quoted text\n> more"

    assert trim_reply(text) == text


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "---------- Mensaje reenviado ---------",
        "-------- Message transféré --------",
        "---------- Weitergeleitete Nachricht ----------",
        "Begin forwarded message:",
        "---------- 转发的邮件 ---------",
    ],
)
def test_forwarded_messages_are_never_cut(marker):
    text = (
        f"Look at this.\n\n{marker}\nFrom: Library <ask@example.org>\n"
        "Date: Mon, Mar 2, 2026\nSubject: Overdue\n\nOn Mon, Mar 2, 2026 Pat wrote:"
        "\n> Pay now."
    )

    assert trim_reply(text) == text


def test_own_header_pasted_at_the_top_is_not_history():
    text = (
        "From: Pat <pat@example.org>\nSent: Monday, March 2, 2026 10:00\n"
        "To: Library\n\nIs my hold ready?\n\nOn Mon, Mar 2, 2026 at 9:00 AM "
        "Library wrote:\n> Hello"
    )

    assert trim_reply(text).endswith("Is my hold ready?")


@pytest.mark.parametrize(
    "line",
    [
        "a" * 1_000_000,
        "On " + "1 " * 500_000 + "wrote:",
        "-" * 1_000_000,
        "From: " + "x" * 1_000_000,
        "Sent from my " + "x " * 500_000,
        "2026年" + "<a@b " * 200_000,
    ],
    ids=["letters", "on-wrote", "dashes", "from", "sent-from", "date-address"],
)
def test_megabyte_lines_are_cheap(line):
    text = f"Hello\n{line}\n{line}\nOn Mon, Mar 2, 2026 Pat wrote:\n> x"

    started = time.perf_counter()
    trim_reply(text)

    assert time.perf_counter() - started < 0.5
