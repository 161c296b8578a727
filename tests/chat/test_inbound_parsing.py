"""Inbound email parsing (`chat.mail.inbound.parse_email`).

The fixtures in tests/chat/emails/ are shaped like real mail from Gmail,
Outlook, Apple Mail, Thunderbird, webmail, autoresponders and Postfix; smaller
mails are built inline where a test needs one exact feature. No database.
"""

import base64
import random
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from chat.mail import inbound
from chat.mail.inbound import MalformedEmail, ParsedAttachment, parse_email

EMAILS = Path(__file__).parent / "emails"
MB = 1024 * 1024


def load(name: str) -> bytes:
    return (EMAILS / name).read_bytes()


def parse(name: str):
    return parse_email(load(name))


def mail(
    body: bytes | str = "Hello.",
    *,
    content_type: str = "text/plain; charset=utf-8",
    cte: str = "8bit",
    headers: dict[str, str | None] | None = None,
) -> bytes:
    """A small single-part mail; `headers` add to or (with None) drop defaults."""
    fields = {
        "From": "Pat Reader <pat@example.org>",
        "To": "ask@ask.example.org",
        "Subject": "A question",
        "Message-ID": "<q1@example.org>",
        "MIME-Version": "1.0",
        "Content-Type": content_type,
        "Content-Transfer-Encoding": cte,
    } | (headers or {})
    head = "".join(f"{name}: {value}\n" for name, value in fields.items() if value)
    return (head + "\n").encode() + (body.encode() if isinstance(body, str) else body)


def mail_with_files(
    files: list[tuple[str, str, bytes]],
    *,
    cte: str = "base64",
    headers: dict[str, str | None] | None = None,
) -> bytes:
    """A multipart/mixed mail with a short text and one part per
    (Content-Disposition, Content-Type, content) triple."""
    chunks = [b"--BOUNDARY\nContent-Type: text/plain\n\nSee the attached files.\n"]
    for disposition, content_type, content in files:
        data = base64.encodebytes(content) if cte == "base64" else content
        chunks.append(
            f"--BOUNDARY\nContent-Type: {content_type}\nContent-Disposition: "
            f"{disposition}\nContent-Transfer-Encoding: {cte}\n\n".encode()
            + data
            + b"\n"
        )
    chunks.append(b"--BOUNDARY--\n")
    return mail(
        b"".join(chunks),
        content_type='multipart/mixed; boundary="BOUNDARY"',
        cte="binary" if cte == "binary" else "7bit",
        headers=headers,
    )


def html_part(name: str) -> str:
    """The HTML alternative of a fixture, to replay it as an HTML-only mail."""
    message = BytesParser(policy=policy.default).parsebytes(load(name))
    return message.get_body(preferencelist=("html",)).get_content()


# Replies from the common clients ------------------------------------------------


def test_gmail_reply_ids_addresses_and_date():
    parsed = parse("gmail_reply.eml")

    assert parsed.message_id == "CAF9x2Yq+KeU3bN7dGm4pQ_x8Zk0w@mail.gmail.com"
    assert parsed.in_reply_to == ["ticket-123.reply-1@ask.example.org"]
    assert parsed.references == [
        "ticket-123.msg-1@ask.example.org",
        "ticket-123.reply-1@ask.example.org",
    ]
    assert parsed.from_email == "maria.lopez@gmail.com"
    assert parsed.from_name == "María López"
    assert parsed.recipients == ["ask+t123.abc@ask.example.org"]
    assert parsed.subject == "Re: [Ask Springfield] Renewing an interlibrary loan"
    assert parsed.date == datetime(2026, 3, 2, 15, 15, 20, tzinfo=UTC)
    assert parsed.date.utcoffset() == timedelta(hours=-5)
    assert parsed.kind == "message"
    assert parsed.headers_loop_marker is False


def test_gmail_reply_display_text_drops_the_wrapped_on_wrote_quote():
    parsed = parse("gmail_reply.eml")

    assert parsed.display_text == (
        "Thank you! Could I renew it online instead of coming to the desk?\n\nMaría"
    )
    assert "On Mon, Mar 2, 2026 at 10:00 AM Springfield Library <\n" in parsed.text
    assert "> Your interlibrary loan is due on March 16." in parsed.text


def test_gmail_reply_html_keeps_the_quote_but_not_classes():
    html = parse("gmail_reply.eml").html

    assert "Could I renew it online" in html
    assert "<blockquote" in html and "Your interlibrary loan is due" in html
    assert "class=" not in html
    assert '<a href="mailto:ask+t123.abc@ask.example.org"' in html


def test_outlook_reply_decodes_windows_1252_quoted_printable():
    parsed = parse("outlook_reply.eml")

    assert (
        "I tried again and I still can’t log in to JSTOR from home – it says my "
        "card has expired." in parsed.text
    )
    assert parsed.from_email == "john.smith@example.com"
    assert parsed.from_name == "Smith, John"
    assert parsed.recipients == ["ask+t456.jkl@ask.example.org", "jane.doe@example.com"]
    assert parsed.references == [
        "ticket-456.msg-1@ask.example.org",
        "ticket-456.reply-1@ask.example.org",
    ]
    assert parsed.date == datetime(2026, 3, 2, 15, 20, 10, tzinfo=UTC)


def test_outlook_reply_display_text_drops_the_from_sent_block():
    parsed = parse("outlook_reply.eml")

    assert parsed.display_text == (
        "Hi,\n\nI tried again and I still can’t log in to JSTOR from home – it says "
        "my card has expired.\n\nThanks,\nJohn Smith"
    )
    assert "Sent: Monday, March 2, 2026 10:00 AM" in parsed.text
    assert "Please sign in with your library card number" in parsed.text


def test_outlook_reply_html_loses_word_styles_and_loading_css():
    html = parse("outlook_reply.eml").html

    assert "I still can’t log in to JSTOR" in html
    assert "MsoNormal" not in html and "<style" not in html and "@font-face" not in html
    assert '<span style="color: #1F497D">' in html
    assert "url(" not in html and "tracker.example.net" not in html


def test_apple_mail_reply_drops_quote_and_iphone_footer():
    parsed = parse("apple_mail_reply.eml")

    assert parsed.display_text == (
        "That’s perfect, I’ll come by on Friday afternoon to pick it up.\n\nBest,\nTom"
    )
    assert "Sent from my iPhone" in parsed.text
    assert (
        "> On 2 Mar 2026, at 10:00, Springfield Library "
        "<ask+t789.xyz@ask.example.org> wrote:" in parsed.text
    )
    assert parsed.message_id == "6F1E2D3C-4B5A-6978-8A9B-0C1D2E3F4A5B@icloud.com"
    assert parsed.in_reply_to == ["ticket-789.reply-1@ask.example.org"]


def test_apple_mail_reply_html_keeps_blockquote_without_its_type():
    html = parse("apple_mail_reply.eml").html

    assert "<blockquote>" in html
    assert "type=" not in html
    assert "The book you reserved is waiting for you" in html


def test_spanish_gmail_reply_drops_the_el_escribio_quote():
    parsed = parse("gmail_reply_spanish.eml")

    assert parsed.subject == "Re: ¿Puedo reservar una sala de estudio?"
    assert parsed.from_name == "Lucía Fernández"
    assert parsed.display_text == (
        "Muchas gracias por la información. ¿Puedo reservar la sala para el viernes "
        "a las 16:00?\n\nLucía"
    )
    assert "(<\nask+t321.def@ask.example.org>) escribió:" in parsed.text
    assert "> Sí, la sala de estudio 2 está libre esta semana." in parsed.text


@pytest.mark.parametrize(
    ("fixture", "kept", "dropped"),
    [
        ("gmail_reply.eml", "Could I renew it online", "Your interlibrary loan"),
        ("outlook_reply.eml", "it says my card has expired", "Please sign in"),
        ("apple_mail_reply.eml", "pick it up", "The book you reserved"),
        ("gmail_reply_spanish.eml", "¿Puedo reservar la sala", "está libre"),
    ],
)
def test_html_only_replies_are_converted_and_trimmed_too(fixture, kept, dropped):
    parsed = parse_email(mail(html_part(fixture), content_type="text/html"))

    assert kept in parsed.text and dropped in parsed.text
    assert kept in parsed.display_text
    assert dropped not in parsed.display_text


# New questions in other charsets ---------------------------------------------------


def test_new_question_in_iso_8859_1():
    parsed = parse("new_question_latin1.eml")

    assert parsed.subject == "Préstamo de libros electrónicos"
    assert parsed.from_email == "jose.munoz@correo.example.es"
    assert parsed.from_name == "José Muñoz"
    assert (
        "¿Cuántos libros electrónicos puedo tomar en préstamo a la vez con mi carné?"
        in parsed.text
    )
    assert parsed.display_text == parsed.text
    assert parsed.in_reply_to == [] and parsed.references == []
    assert parsed.recipients == ["ask@ask.example.org"]
    assert parsed.html == ""
    assert parsed.kind == "message"


def test_iso_2022_jp_mail():
    parsed = parse("iso2022jp.eml")

    assert parsed.subject == "図書館の開館時間について"
    assert parsed.from_name == "山田太郎"
    assert "土曜日の開館時間を教えてください。" in parsed.text
    assert parsed.text.endswith("山田太郎")
    assert parsed.date == datetime(
        2026, 3, 3, 9, 40, tzinfo=timezone(timedelta(hours=9))
    )


SAMPLES = {
    "utf-8": "Ça va? Ñandú, Grüße, 你好",
    "iso-8859-1": "¿Está abierta la biblioteca el sábado?",
    "windows-1252": "It’s “overdue” – sorry €5",
    "iso-8859-15": "Le prêt coûte 1 €",
    "koi8-r": "Здравствуйте, когда открывается библиотека?",
    "gb2312": "你好，图书馆几点开门？",
    "big5": "圖書館幾點開門？",
    "shift_jis": "図書館は何時に開きますか。",
    "iso-2022-jp": "図書館は何時に開きますか。",
    "euc-kr": "도서관은 몇 시에 열어요?",
}


@pytest.mark.parametrize("charset", SAMPLES)
@pytest.mark.parametrize("cte", ["quoted-printable", "base64", "8bit"])
def test_any_known_charset_and_transfer_encoding(charset, cte):
    sample = SAMPLES[charset]
    data = sample.encode(charset)
    if cte == "base64":
        data = base64.encodebytes(data)
    elif cte == "quoted-printable":
        data = "".join(f"={byte:02X}" for byte in data).encode()
    encoded_subject = base64.b64encode(sample.encode(charset)).decode()
    parsed = parse_email(
        mail(
            data,
            content_type=f'text/plain; charset="{charset}"',
            cte=cte,
            headers={"Subject": f"=?{charset}?B?{encoded_subject}?="},
        )
    )

    assert parsed.text == sample
    assert parsed.subject == sample


def test_unknown_charset_decodes_with_replacement_characters():
    parsed = parse_email(
        mail(b"caf\xe9 au lait", content_type="text/plain; charset=x-no-such-charset")
    )

    assert parsed.text == "caf\ufffd au lait"


def test_lying_charset_falls_back_to_utf8():
    parsed = parse_email(
        mail("Café hours?", content_type="text/plain; charset=us-ascii")
    )

    assert parsed.text == "Café hours?"


def test_latin1_label_is_read_as_windows_1252():
    parsed = parse_email(
        mail(b"It\x92s \x93late\x94", content_type="text/plain; charset=iso-8859-1")
    )

    assert parsed.text == "It’s “late”"


def test_non_text_codec_as_charset_does_not_crash():
    parsed = parse_email(mail(b"hello \xff", content_type="text/plain; charset=zlib"))

    assert parsed.text == "hello \ufffd"


def test_raw_utf8_in_headers_is_read_as_text():
    parsed = parse_email(
        mail(headers={"From": "Zoë Ángel <zoe@example.org>", "Subject": "Café wifi"})
    )

    assert parsed.from_name == "Zoë Ángel"
    assert parsed.subject == "Café wifi"


def test_subject_whitespace_is_collapsed():
    parsed = parse_email(
        mail(
            headers={"Subject": "=?utf-8?q?Hours?=\n =?utf-8?q?_on_Sunday?=  \t please"}
        )
    )

    assert parsed.subject == "Hours on Sunday please"


# Sanitised HTML --------------------------------------------------------------------


def test_html_only_mail_is_sanitised():
    html = parse("html_only_script.eml").html

    for unsafe in (
        "<script",
        "document.cookie",
        "onclick",
        "onmouseover",
        "onerror",
        "javascript:",
        "<iframe",
        "<form",
        "<input",
        "<style",
        "url(",
        "evil.example",
    ):
        assert unsafe not in html, unsafe
    assert "It expired last week. How do I renew it?" in html
    assert '<a href="https://www.example.org/renew" rel="noopener noreferrer">' in html
    assert (
        '<img src="https://www.example.org/logo.png" alt="logo" style="width: 40px">'
        in html
    )


def test_html_only_mail_text_is_the_visible_text():
    parsed = parse("html_only_script.eml")

    assert parsed.text == (
        "Hello, I have a question about my library card.\n\n"
        "It expired last week. How do I renew it?\n\n"
        "Click here or see the renewal page.\n\n"
        "Thanks,\nAna"
    )
    assert parsed.from_name == "Ana Pérez"


def test_absurdly_nested_html_is_cut_to_the_tag_limit():
    html = "<div>" * 50_000 + "deep text"

    parsed = parse_email(mail(html, content_type="text/html"))

    assert parsed.html.count("<div>") == inbound.MAX_HTML_TAGS
    assert "deep text" not in parsed.html


# Attachments ---------------------------------------------------------------------


def test_pdf_and_png_attachments_are_kept_with_sniffed_types():
    parsed = parse("attachments_pdf_png.eml")

    assert [(a.name, a.content_type) for a in parsed.attachments] == [
        ("Aviso de retraso – marzo.pdf", "application/pdf"),  # RFC 2231 name
        ("captura de pantalla.png", "image/png"),  # declared octet-stream
    ]
    assert parsed.attachments[0].content.startswith(b"%PDF-1.4")
    assert parsed.attachments[1].content.startswith(b"\x89PNG\r\n\x1a\n")
    assert parsed.rejected_attachments == []
    assert parsed.text == (
        "Here is the overdue notice I received and a screenshot of the error.\n\nPriya"
    )
    assert parsed.recipients == [
        "ask+t555.ghi@ask.example.org",
        "circ@springfield.example.org",
    ]


def test_exe_attachments_are_rejected_by_extension_and_by_content():
    parsed = parse("attachment_exe.eml")

    assert parsed.attachments == []
    assert parsed.rejected_attachments == [
        (
            "Renewal_Form.exe",
            "Files of type .exe are not accepted because they can run programs.",
        ),
        ("scan.pdf", "The file is an executable program, which is not accepted."),
    ]
    assert parsed.text == (
        "Please fill in the attached renewal form to keep your library account active."
    )


def test_js_attachment_is_rejected_and_the_text_file_kept():
    parsed = parse("attachment_js.eml")

    assert parsed.attachments == [
        ParsedAttachment(
            "reading-list.txt",
            "text/plain",
            b"The Left Hand of Darkness\nBeloved\nPachinko\n",
        )
    ]
    assert parsed.rejected_attachments == [
        (
            "open-list.js",
            "Files of type .js are not accepted because they can run programs.",
        )
    ]


def test_inline_image_counts_as_an_attachment():
    parsed = parse("inline_image.eml")

    assert [(a.name, a.content_type) for a in parsed.attachments] == [
        ("image.png", "image/png")
    ]
    assert parsed.text == (
        "This is the error I get when I open the catalogue:\n[image: image.png]\n\nRavi"
    )
    assert '<img alt="image.png"' in parsed.html
    assert "cid:" not in parsed.html


@pytest.mark.parametrize("extension", sorted(inbound.DANGEROUS_EXTENSIONS))
def test_every_dangerous_extension_is_rejected(extension):
    name = f"harmless{extension.upper()}"
    parsed = parse_email(
        mail_with_files(
            [(f'attachment; filename="{name}"', "text/plain", b"just text")]
        )
    )

    assert parsed.attachments == []
    assert parsed.rejected_attachments == [
        (
            name,
            f"Files of type {extension} are not accepted because they can run programs.",
        )
    ]


@pytest.mark.parametrize(
    "header",
    [
        b"\x7fELF\x02\x01\x01\x00",  # Linux
        b"\xcf\xfa\xed\xfe\x07\x00\x00\x01",  # macOS, 64 bit
        b"\xca\xfe\xba\xbe\x00\x00\x00\x02",  # macOS universal binary
    ],
)
def test_executables_are_rejected_whatever_their_name(header):
    parsed = parse_email(
        mail_with_files(
            [('attachment; filename="photo.jpg"', "image/jpeg", header + b"\x00" * 64)]
        )
    )

    assert parsed.attachments == []
    assert parsed.rejected_attachments == [
        ("photo.jpg", "The file is an executable program, which is not accepted.")
    ]


@pytest.mark.parametrize(
    ("disposition", "safe_name"),
    [
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ("attachment; filename*=utf-8''C%3A%5CUsers%5Cpat%5Cnotes.txt", "notes.txt"),
        ("attachment; filename*=utf-8''bell%07and%0Anewline.txt", "bellandnewline.txt"),
        ("attachment; filename*=utf-8''%E2%80%AEfdp.txt", "fdp.txt"),  # RTL override
        ('attachment; filename=".."', "attachment"),
        ("attachment", "attachment"),
        ('attachment; filename="  spaced   out .txt. "', "spaced out .txt"),
    ],
)
def test_file_names_are_made_safe(disposition, safe_name):
    parsed = parse_email(mail_with_files([(disposition, "text/plain", b"x")]))

    assert [a.name for a in parsed.attachments] == [safe_name]


def test_long_file_names_are_cut_keeping_the_extension():
    parsed = parse_email(
        mail_with_files(
            [(f'attachment; filename="{"a" * 300}.pdf"', "application/pdf", b"x")]
        )
    )

    name = parsed.attachments[0].name
    assert len(name) == inbound.MAX_FILE_NAME_LENGTH
    assert name.endswith("aaa.pdf")


def test_disguised_exe_with_rtl_override_is_rejected():
    parsed = parse_email(
        mail_with_files(
            [
                (
                    "attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe",
                    "application/pdf",
                    b"x",
                )
            ]
        )
    )

    assert parsed.rejected_attachments[0][0] == "invoicefdp.exe"


def test_at_most_ten_attachments_are_kept():
    files = [
        (f'attachment; filename="page{i}.txt"', "text/plain", b"p") for i in range(12)
    ]
    parsed = parse_email(mail_with_files(files))

    assert [a.name for a in parsed.attachments] == [f"page{i}.txt" for i in range(10)]
    reason = "Only the first 10 attachments of a message are kept."
    assert parsed.rejected_attachments == [
        ("page10.txt", reason),
        ("page11.txt", reason),
    ]


def test_an_attachment_over_10_mb_is_rejected():
    big = b"A" * (10 * MB + 1)
    parsed = parse_email(
        mail_with_files(
            [
                ('attachment; filename="scan.tiff"', "image/tiff", big),
                ('attachment; filename="small.txt"', "text/plain", b"ok"),
            ]
        )
    )

    assert [a.name for a in parsed.attachments] == ["small.txt"]
    assert parsed.rejected_attachments == [
        ("scan.tiff", "The file is larger than the 10 MB limit for one attachment.")
    ]


def test_attachments_may_not_add_up_to_more_than_25_mb():
    nine_mb = b"A" * (9 * MB)
    files = [
        (f'attachment; filename="part{i}.bin"', "application/octet-stream", nine_mb)
        for i in range(3)
    ]
    raw = mail_with_files(files, cte="binary")
    assert len(raw) < inbound.MAX_MESSAGE_BYTES

    parsed = parse_email(raw)

    assert [a.name for a in parsed.attachments] == ["part0.bin", "part1.bin"]
    assert parsed.rejected_attachments == [
        ("part2.bin", "The attachments of a message may not add up to more than 25 MB.")
    ]


def test_a_message_over_30_mb_is_refused():
    raw = mail(b"A" * inbound.MAX_MESSAGE_BYTES)

    with pytest.raises(MalformedEmail) as refused:
        parse_email(raw)

    assert refused.value.reason == "The message is larger than the 30 MB limit."


# Classification --------------------------------------------------------------------


def test_gmail_vacation_reply_is_an_auto_reply():
    parsed = parse("out_of_office.eml")

    assert parsed.kind == "auto_reply"
    assert parsed.in_reply_to == ["ticket-123.reply-2@ask.example.org"]
    assert parsed.text == "I'm away until March 9 with limited access to email."


def test_outlook_automatic_reply_is_an_auto_reply_not_a_bounce():
    parsed = parse("outlook_automatic_reply.eml")

    assert parsed.kind == "auto_reply"
    assert (
        parsed.subject == "Automatic reply: [Ask Springfield] Database access from home"
    )
    assert parsed.text == (
        "I am out of the office until Monday, March 9, with no access to email. "
        "For urgent matters please contact the circulation desk."
    )


def test_delivery_status_notification_is_a_bounce():
    parsed = parse("bounce.eml")

    assert parsed.kind == "bounce"
    assert parsed.from_email == "mailer-daemon@mx.ask.example.org"
    assert parsed.from_name == "Mail Delivery System"
    assert parsed.subject == "Undelivered Mail Returned to Sender"
    assert "Recipient address rejected: User unknown" in parsed.text
    # The loop header inside the returned headers is not the bounce's own.
    assert parsed.headers_loop_marker is False


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({}, "message"),
        ({"Auto-Submitted": "auto-generated"}, "auto_reply"),
        ({"Auto-Submitted": "auto-replied; owner-email=x@example.org"}, "auto_reply"),
        ({"Auto-Submitted": "no"}, "message"),
        ({"X-Autoreply": "yes"}, "auto_reply"),
        ({"X-Autorespond": "Away"}, "auto_reply"),
        ({"Precedence": "bulk"}, "auto_reply"),
        ({"Precedence": "junk"}, "auto_reply"),
        ({"Precedence": "list"}, "auto_reply"),
        ({"Precedence": "auto_reply"}, "auto_reply"),
        ({"Precedence": "first-class"}, "message"),
        ({"List-Id": "Book Club <bookclub.lists.example.org>"}, "auto_reply"),
        ({"List-Unsubscribe": "<mailto:leave@lists.example.org>"}, "auto_reply"),
        (
            {"X-Auto-Response-Suppress": "OOF", "Subject": "Away until March 9"},
            "auto_reply",
        ),
        ({"X-Auto-Response-Suppress": "All", "Subject": "On vacation"}, "auto_reply"),
        ({"X-Auto-Response-Suppress": "All", "Subject": "My hold"}, "message"),
        ({"Subject": "Away until March 9"}, "message"),
        ({"Subject": "Out of Office: Re: My hold"}, "auto_reply"),
        ({"Subject": "Automatic reply: Re: My hold"}, "auto_reply"),
        (
            {"Subject": "=?utf-8?q?Respuesta_autom=C3=A1tica=3A_Re=3A_sala?="},
            "auto_reply",
        ),
        ({"Subject": "Question about your out of office hours"}, "message"),
        (
            {
                "From": "postmaster@mail.example.com",
                "Subject": "Delivery Status Notification (Failure)",
            },
            "bounce",
        ),
        ({"Return-Path": "<>", "Subject": "Undeliverable: Re: My hold"}, "bounce"),
        # A mail server's own message, whatever its subject: no person sends as it.
        ({"From": "MAILER-DAEMON@mx.example.com", "Subject": "Question"}, "auto_reply"),
        ({"Return-Path": "<>", "Subject": "Question"}, "auto_reply"),  # RFC 5321 4.5.5
    ],
)
def test_classification_by_headers_and_subject(headers, kind):
    assert parse_email(mail(headers=headers)).kind == kind


@pytest.mark.parametrize(
    ("report_type", "kind"),
    [("delivery-status", "bounce"), ("disposition-notification", "auto_reply")],
)
def test_multipart_reports(report_type, kind):
    body = b"--R\nContent-Type: text/plain\n\nReport.\n--R--\n"
    content_type = f'multipart/report; report-type={report_type}; boundary="R"'

    assert parse_email(mail(body, content_type=content_type)).kind == kind


def test_loop_header_is_detected():
    marked = b"X-AskTogether-Loop: ticket-123\n" + load("gmail_reply.eml")

    assert parse_email(marked).headers_loop_marker is True
    assert parse_email(marked, loop_header="X-Other-Loop").headers_loop_marker is False
    assert parse_email(
        mail(headers={"X-Other-Loop": "1"}), loop_header="X-Other-Loop"
    ).headers_loop_marker


# Quoted history and signatures in plain text -----------------------------------------


@pytest.mark.parametrize(
    ("text", "display"),
    [
        (
            "Still broken.\n\n-----Original Message-----\nFrom: Springfield Library"
            "\nSent: Monday\n\nTry again.",
            "Still broken.",
        ),
        (
            "Still broken.\n\n________________________________\nFrom: Springfield "
            "Library <ask@ask.example.org>\nSent: Monday, March 2, 2026 10:00 AM\n"
            "To: Pat\nSubject: RE: Hold\n\nTry again.",
            "Still broken.",
        ),
        (
            "Sigue sin funcionar.\n\nDe: Biblioteca <ask@ask.example.org>\n"
            "Enviado: lunes, 2 de marzo de 2026 10:00\nPara: Pat\nAsunto: RE: Reserva"
            "\n\nInténtelo de nuevo.",
            "Sigue sin funcionar.",
        ),
        (
            "Great, thanks.\n\nOn 3/2/26 10:00 AM, Springfield Library wrote:\n> Hello",
            "Great, thanks.",
        ),
        ("Thanks!\n\n-- \nPat Reader\nSpringfield resident", "Thanks!"),
        ("Thanks!\n\nGet Outlook for iOS<https://aka.ms/o0ukef>", "Thanks!"),
        ("Gracias.\n\nEnviado desde mi iPhone", "Gracias."),
        ("> When?\nTuesday.\n> Where?\nThe main branch.", "Tuesday.\nThe main branch."),
        (
            "I need:\n- a study room\n- a projector",
            "I need:\n- a study room\n- a projector",
        ),
        (
            "Hello,\n\nThanks, that worked. One more thing: parking?",
            "Hello,\n\nThanks, that worked. One more thing: parking?",
        ),
        (
            "On page 5 the author wrote:\nsomething odd.",
            "On page 5 the author wrote:\nsomething odd.",
        ),
        ("> only quoted text", "> only quoted text"),
        (
            "Look at this.\n\n---------- Forwarded message ---------\nFrom: Library "
            "<ask@ask.example.org>\nDate: Mon, Mar 2, 2026\nSubject: Overdue\n\nPay now.",
            "Look at this.\n\n---------- Forwarded message ---------\nFrom: Library "
            "<ask@ask.example.org>\nDate: Mon, Mar 2, 2026\nSubject: Overdue\n\nPay now.",
        ),
    ],
)
def test_display_text_trimming(text, display):
    parsed = parse_email(mail(text))

    assert parsed.display_text == display
    assert parsed.text == text


def test_forwards_are_not_trimmed():
    text = (
        "FYI\n\nFrom: Library <ask@ask.example.org>\nSent: Monday\n\nYour fine is $2."
    )
    parsed = parse_email(mail(text, headers={"Subject": "FW: Overdue"}))

    assert parsed.display_text == text


# Malformed mail ------------------------------------------------------------------------


def test_malformed_fixture_parses_what_it_can():
    parsed = parse("malformed_mime.eml")

    assert parsed.from_email == "kim@example.net"
    assert parsed.subject == "Caf\ufffd hours and parking"
    assert (
        parsed.text == "Is the café open on Sundays? And is parking free after 6\ufffd?"
    )
    assert parsed.date is None
    assert parsed.message_id == ""
    assert parsed.in_reply_to == ["ticket-777.reply-1@ask.example.org"]
    assert [a.name for a in parsed.attachments] == ["map.png"]


def test_mail_without_from_is_refused():
    raw = load("no_from.eml").replace(b"Return-Path: <>\n", b"")
    with pytest.raises(MalformedEmail) as refused:
        parse_email(raw)

    assert refused.value.reason.startswith("The message has no usable From address")


def test_mail_without_from_but_with_the_null_return_path_is_automatic():
    parsed = parse("no_from.eml")  # a copier's scan-to-email test

    assert (parsed.kind, parsed.from_email) == ("auto_reply", "")
    assert "null return path" in parsed.kind_reason


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \x80\x81\n" * 50,
        mail(headers={"From": "Undisclosed sender"}),
        mail(headers={"From": "<>"}),
        mail(headers={"From": "=?utf-8?q?broken"}),
    ],
)
def test_mail_without_usable_sender_is_refused(raw):
    with pytest.raises(MalformedEmail) as refused:
        parse_email(raw)

    assert refused.value.reason.startswith("The message has no usable From address")


def test_multipart_whose_boundary_never_appears_keeps_its_text():
    raw = mail(
        "Just some text, no parts.\n", content_type="multipart/mixed; boundary=nothere"
    )

    assert parse_email(raw).text == "Just some text, no parts."


def test_mail_with_only_an_attachment_has_empty_text():
    raw = mail(
        base64.encodebytes(b"%PDF-1.4\n"),
        content_type="application/pdf",
        cte="base64",
        headers={"Content-Disposition": 'attachment; filename="form.pdf"'},
    )
    parsed = parse_email(raw)

    assert parsed.text == "" and parsed.display_text == "" and parsed.html == ""
    assert [a.name for a in parsed.attachments] == ["form.pdf"]


def test_absurdly_nested_mime_is_refused_with_a_reason():
    depth = 1100
    body = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (level, level + 1)
        for level in range(depth)
    )
    raw = mail(body, content_type="multipart/mixed; boundary=b0")

    with pytest.raises(MalformedEmail) as refused:
        parse_email(raw)

    assert (
        refused.value.reason
        == "The message could not be read as email (RecursionError)."
    )


def test_damaged_fixtures_never_raise_anything_but_malformed_email():
    """Flip, cut and splice bytes of every fixture: parsing either succeeds or
    says why not."""
    rng = random.Random(20260302)
    fixtures = [load(path.name) for path in sorted(EMAILS.glob("*.eml"))]
    for _ in range(300):
        data = bytearray(rng.choice(fixtures))
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data))
            action = rng.choice(["flip", "cut", "splice", "truncate"])
            if action == "flip":
                data[at] = rng.randrange(256)
            elif action == "cut":
                del data[at : at + rng.randint(1, 40)]
            elif action == "splice":
                data[at:at] = rng.choice(
                    [b"\n--", b"=?", b"?=", b"<", b"\r\n\r\n", b"\xff"]
                )
            else:
                del data[at:]
                data += b"\n"
        try:
            parsed = parse_email(bytes(data))
        except MalformedEmail as refused:
            assert refused.reason
        else:
            assert isinstance(parsed.text, str) and isinstance(parsed.html, str)
