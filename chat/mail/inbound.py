"""Parse one inbound email, as raw MIME bytes, into a clean and safe `ParsedEmail`.

Patrons email a library's ticket address and reply to staff; this module turns
what arrives into plain values: decoded addresses, ids, subject and body text,
the reply without its quoted history, sanitised HTML, vetted attachments and
whether the mail is a real message, an automatic reply or a bounce. Storing the
result and threading it onto a ticket happen elsewhere.

Everything here treats the input as hostile: it never trusts a declared charset,
file name or content type, and malformed MIME either parses as far as it can or
raises `MalformedEmail` with a reason, never another exception.
"""

import base64
import binascii
import codecs
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from itertools import islice

import filetype
import nh3
from flufl.bounce import all_failures

from chat.mail.quotes import trim_reply

MB = 1024 * 1024
MAX_MESSAGE_BYTES = 30 * MB
MAX_ATTACHMENT_BYTES = 10 * MB
MAX_TOTAL_ATTACHMENT_BYTES = 25 * MB
MAX_ATTACHMENTS = 10
MAX_FILE_NAME_LENGTH = 200
MAX_HTML_CHARS = 512 * 1024
MAX_HTML_TAGS = 10_000

DANGEROUS_EXTENSIONS = frozenset(
    {
        ".exe", ".bat", ".cmd", ".com", ".scr", ".js", ".jse", ".vbs", ".vbe",
        ".ps1", ".msi", ".jar", ".hta", ".lnk", ".wsf", ".dll", ".apk", ".sh",
    }
)  # fmt: skip
# Windows PE ("MZ"), ELF, Mach-O (32/64 bit, both byte orders) and fat binaries.
EXECUTABLE_SIGNATURES = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
EXECUTABLE_CONTENT_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-executable",
        "application/x-mach-binary",
    }
)

# CSS properties kept in `style` attributes: layout and colour only, nothing that
# can fetch a resource (backgrounds, border images, cursors, list images).
SAFE_STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font", "font-family", "font-size",
        "font-style", "font-weight", "line-height", "text-align",
        "text-decoration", "text-indent", "vertical-align", "white-space",
        "direction", "width", "height", "max-width", "border", "border-top",
        "border-right", "border-bottom", "border-left", "border-color",
        "border-style", "border-width", "border-collapse", "border-spacing",
        "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
        "padding", "padding-top", "padding-right", "padding-bottom",
        "padding-left",
    }
)  # fmt: skip
_LOADING_CSS = re.compile(r"url\s*\(|image-set|expression|@import|\\|/\*", re.I)
_HTML_ATTRIBUTES = {
    tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()
} | {"*": {"style"}}
_START_TAG = re.compile(r"<[a-zA-Z]")
_HTML_URL_SCHEMES = {"http", "https", "mailto", "tel"}
_HTML_CONTENT_TAGS = {
    "script", "style", "title", "template", "form", "iframe", "object", "embed"
}  # fmt: skip

_ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_ENCODED_WORDS = re.compile(r"(?<=\?=)\s+(?==\?)")

_FAILURE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|delivery (?:failure|has failed|warning)"
    r"|failure notice|mail delivery failed|returned mail|returned to sender"
    r"|could not be delivered|non-?delivery|delivery delayed|message delayed"
    r"|no se (?:pudo|ha podido) entregar|non remis|non distribu[ée]"
    r"|unzustellbar|nicht zustellbar|non recapitabile|onbestelbaar"
    r"|kan ikke leveres|kunde inte levereras|nie dostarczono|n[ãa]o entregue"
    r"|无法投递|退信|配信不能|未配達",
    re.I,
)
# A subject that starts so is an autoresponder's (Outlook, Lotus Notes, Gmail,
# Apple Mail, Zimbra ... in the consortium's languages).
_AUTO_REPLY_SUBJECT = re.compile(
    r"\s*(?:out of (?:the )?office|automatic reply|auto[- ]?reply|auto[- ]?response"
    r"|auto:|autosvar|automatisk svar|automatisch antwoord|automatische antwort"
    r"|abwesenheitsnotiz|respuesta autom[aá]tica|fuera de la oficina"
    r"|r[ée]ponse automatique|absence du bureau|risposta automatica|fuori sede"
    r"|resposta autom[aá]tica|odpowied[źz] automatyczna|poza biurem"
    r"|afwezig|fraværende|frånvarande|automatiska atbilde|自动回复|自動返信|自動応答)"
    r"|.{0,80}\bis out of (?:the )?office\b"
    r"|.{0,60}\b(?:automatic reply|automatiska atbilde|automatische antwort"
    r"|r[ée]ponse automatique|respuesta autom[aá]tica)\s*:",
    re.I,
)
_AWAY_SUBJECT = re.compile(
    r"out of (?:the )?office|\booo\b|\baway\b|vacation|holiday|absen[ct]"
    r"|ausente|vacaciones|fuera de la oficina",
    re.I,
)
_FORWARD_SUBJECT = re.compile(r"\s*(?:fwd?|rv|wg|tr|enc)\s*:", re.I)
_LIST_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})


class MalformedEmail(Exception):
    """The bytes are not an email we can use; `reason` says why, in plain English."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedAttachment:
    """One file from the mail that passed the safety checks."""

    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedEmail:
    """Everything the ticket system needs from one inbound mail, decoded and safe."""

    message_id: str
    in_reply_to: list[str]
    references: list[str]
    from_email: str
    from_name: str
    recipients: list[str]
    subject: str
    date: datetime | None
    text: str
    display_text: str
    html: str
    attachments: list[ParsedAttachment]
    rejected_attachments: list[tuple[str, str]]
    kind: str
    kind_reason: str
    kind_certain: bool
    headers_loop_marker: bool


def parse_email(raw: bytes, *, loop_header: str = "X-AskTogether-Loop") -> ParsedEmail:
    """Parse raw MIME bytes into a `ParsedEmail`.

    Raises `MalformedEmail` when the message is too large, has no usable From
    address, or trips the stdlib parser in a way it cannot recover from (deep
    MIME nesting, for one); no other exception escapes for any input bytes.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MalformedEmail(
            f"The message is larger than the {MAX_MESSAGE_BYTES // MB} MB limit."
        )
    try:
        return _parse(bytes(raw), loop_header)
    except MalformedEmail:
        raise
    except Exception as exc:  # the stdlib email package on hostile input
        raise MalformedEmail(
            f"The message could not be read as email ({type(exc).__name__})."
        ) from exc


def _parse(raw: bytes, loop_header: str) -> ParsedEmail:
    """Build the `ParsedEmail`; `parse_email` guards the limits and exceptions."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    from_name, from_email = _sender(message)
    subject = _one_line(_decode_words(_first_header(message, "Subject")))
    kind, kind_reason, kind_certain = _classify(
        message, subject, (from_name, from_email)
    )
    if not from_email and kind == "message":
        raise MalformedEmail(
            "The message has no usable From address (none in its From, "
            "Reply-To or Sender header)."
        )
    plain_parts = _body_parts(message, "plain")
    html_parts = _body_parts(message, "html")
    html = _sanitise_html("\n".join(_part_text(part) for part in html_parts))
    text = "\n".join(_part_text(part) for part in plain_parts).strip("\n")
    if not text.strip():
        text = _html_to_text(html)
    body_ids = {id(part) for part in plain_parts + html_parts}
    files = [part for part in _leaf_parts(message) if id(part) not in body_ids]
    attachments, rejected = _vet_attachments(files)
    message_ids = _message_ids(_header_values(message, "Message-ID"))
    return ParsedEmail(
        message_id=message_ids[0] if message_ids else "",
        in_reply_to=_message_ids(_header_values(message, "In-Reply-To")),
        references=_message_ids(_header_values(message, "References")),
        from_email=from_email,
        from_name=from_name,
        recipients=_recipients(message),
        subject=subject,
        date=_date(_first_header(message, "Date")),
        text=text,
        display_text=text if _FORWARD_SUBJECT.match(subject) else trim_reply(text),
        html=html,
        attachments=attachments,
        rejected_attachments=rejected,
        kind=kind,
        kind_reason=kind_reason,
        kind_certain=kind_certain,
        headers_loop_marker=bool(_header_values(message, loop_header)),
    )


# Headers -------------------------------------------------------------------------
#
# Header values are read raw and decoded here rather than through the stdlib's
# header registry, whose parser can raise on hostile input and gives up on
# unknown charsets in encoded words.


def _header_values(message: EmailMessage, name: str) -> list[str]:
    """Every value of one header, unfolded, with raw 8-bit bytes read as text."""
    wanted = name.lower()
    return [
        re.sub(r"\r?\n(?=[ \t])", "", _from_surrogates(value))
        .replace("\x00", "")
        .strip()
        for key, value in message.raw_items()
        if key.lower() == wanted
    ]


def _first_header(message: EmailMessage, name: str) -> str:
    """The first value of a header, or "" when it is missing."""
    values = _header_values(message, name)
    return values[0] if values else ""


def _from_surrogates(value: str) -> str:
    """Turn the bytes the parser smuggled through as surrogates back into text.

    The bytes parser keeps non-ASCII header bytes as lone surrogates; most such
    headers are UTF-8, the rest get decoded like any body text.
    """
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    return _decode_bytes(value.encode("utf-8", "surrogateescape"), "utf-8")


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (`=?utf-8?q?...?=`) in a header value.

    Whitespace between two encoded words is folding, not text, so it goes; a
    word with an unknown charset or broken encoding decodes as best it can.
    """
    return _ENCODED_WORD.sub(_decode_word, _BETWEEN_ENCODED_WORDS.sub("", value))


def _decode_word(match: re.Match) -> str:
    """Decode one encoded word, keeping it verbatim if its payload is garbage."""
    charset, encoding, payload = match.groups()
    try:
        if encoding in "bB":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            data = binascii.a2b_qp(payload, header=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return _decode_bytes(data, charset.split("*")[0])


def _one_line(value: str) -> str:
    """Collapse all whitespace runs, line breaks included, to single spaces."""
    return " ".join(value.split())


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """(decoded display name, lower-cased address) pairs from address headers.

    Entries without a plausible `local@domain` address are skipped.
    """
    return [
        (_one_line(_decode_words(name)), address.lower())
        for name, address in getaddresses(values)
        if _ADDRESS.fullmatch(address)
    ]


def _sender(message: EmailMessage) -> tuple[str, str]:
    """The display name and address to answer: the first usable address of
    From, else Reply-To, else Sender; ("", "") when there is none (automatic
    mail may have none; a person's mail is then refused by the caller).

    An address the strict parser misses (unbalanced quotes or brackets, an
    unquoted comma in the name) is still found by its `local@domain` shape.
    """
    for name in ("From", "Reply-To", "Sender"):
        values = _header_values(message, name)
        senders = _addresses(values)
        if senders:
            return senders[0]
        for value in values:
            found = _ADDRESS.search(_decode_words(value))
            if found:
                return "", found.group(0).strip(".").lower()
    return "", ""


def _recipients(message: EmailMessage) -> list[str]:
    """Addresses the mail was sent or delivered to, deduplicated, in order."""
    values = [
        value
        for name in ("To", "Cc", "Delivered-To", "X-Original-To")
        for value in _header_values(message, name)
    ]
    return list(dict.fromkeys(address for _, address in _addresses(values)))


def _message_ids(values: list[str]) -> list[str]:
    """Message ids without angle brackets, in order, each once.

    Ids are normally bracketed; bare ids (some old clients) are recognised by
    their `@`, and comments such as "(Ann's message of ...)" are ignored.
    """
    ids = []
    for value in values:
        bracketed = [
            re.sub(r"\s+", "", found) for found in re.findall(r"<([^<>]*)>", value)
        ]
        ids += [found for found in bracketed if found] or [
            token for token in value.split() if "@" in token and "(" not in token
        ]
    return list(dict.fromkeys(ids))


def _date(value: str) -> datetime | None:
    """The Date header as an aware datetime (UTC when it has no zone), or None."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# Charsets ------------------------------------------------------------------------


def _codec(charset: str | None) -> str | None:
    """Python's codec for a declared charset, or None if it names no text codec.

    ISO-8859-1 is read as its superset windows-1252, as browsers do, because
    Windows mailers routinely label windows-1252 text (curly quotes) that way.
    """
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip().strip("\"'")).name
        b"x".decode(name, errors="ignore")  # LookupError for "zlib", "hex"...
    except (LookupError, ValueError):
        return None
    return "cp1252" if name == "iso8859-1" else name


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode text that claims `charset`, surviving unknown and lying charsets.

    The declared charset is tried first, then UTF-8 (the usual truth behind a
    wrong label); when neither fits, the first candidate decodes with
    replacement characters. NUL characters are dropped: no text column can
    keep them (PostgreSQL refuses them) and no reader sees them.
    """
    return _decode_any(data, charset).replace("\x00", "")


def _decode_any(data: bytes, charset: str | None) -> str:
    candidates = list(dict.fromkeys(c for c in (_codec(charset), "utf-8") if c))
    for codec in candidates:
        try:
            return data.decode(codec)
        except UnicodeError:
            continue
    try:
        return data.decode(candidates[0], errors="replace")
    except UnicodeError:  # codecs such as idna ignore `errors`
        return data.decode("utf-8", errors="replace")


# Body ----------------------------------------------------------------------------


def _is_file(part: EmailMessage) -> bool:
    """Whether a part is a file rather than body text.

    Non-text leaves (images, PDFs, attached emails) always are; text is a file
    when it is marked as an attachment or carries a file name.
    """
    if part.get_content_maintype() != "text":
        return True
    return part.get_content_disposition() == "attachment" or bool(part.get_filename())


def _body_parts(part: EmailMessage, subtype: str) -> list[EmailMessage]:
    """The inline text/<subtype> parts that make up the body, in reading order.

    Within multipart/alternative only the first alternative holding such text
    counts; other multiparts (mixed, related, report) contribute all of theirs,
    so a body split around an inline image stays whole. A multipart whose
    boundary never appears is kept as plain text rather than lost.
    """
    maintype = part.get_content_maintype()
    if maintype == "multipart" and not part.is_multipart():
        return [part] if subtype == "plain" else []
    if maintype == "multipart":
        found = [_body_parts(child, subtype) for child in part.iter_parts()]
        if part.get_content_subtype() == "alternative":
            return next((parts for parts in found if parts), [])
        return [each for parts in found for each in parts]
    if maintype == "text" and not _is_file(part):
        return [part] if part.get_content_subtype() == subtype else []
    return []


def _leaf_parts(part: EmailMessage) -> list[EmailMessage]:
    """Every non-multipart part; an attached email counts as one part."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        return [leaf for child in part.iter_parts() for leaf in _leaf_parts(child)]
    return [part]


def _part_bytes(part: EmailMessage) -> bytes:
    """A part's content with its transfer encoding undone.

    message/* parts hold parsed messages; they are flattened back to bytes.
    """
    if part.is_multipart():
        return b"".join(inner.as_bytes() for inner in part.get_payload())
    return part.get_payload(decode=True) or b""


def _part_text(part: EmailMessage) -> str:
    """A text part decoded from its charset, with newlines normalised to \\n."""
    text = _decode_bytes(_part_bytes(part), part.get_content_charset())
    return re.sub(r"\r\n?", "\n", text)


# HTML ----------------------------------------------------------------------------


def _sanitise_html(html: str) -> str:
    """HTML safe to show staff: no scripts, handlers, frames, forms, or loaders.

    nh3 keeps only its allow-list of tags and attributes (so no on* handlers),
    drops scripts, style sheets, titles, forms, frames and embedded objects
    together with their content, and allows only web, mail and phone URL
    schemes (so no javascript:). Inline styles survive only for harmless
    properties.
    """
    if not html.strip():
        return ""
    return nh3.clean(
        _cut_html(html),
        attributes=_HTML_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        clean_content_tags=_HTML_CONTENT_TAGS,
        url_schemes=_HTML_URL_SCHEMES,
    ).strip()


def _cut_html(html: str) -> str:
    """HTML cut to MAX_HTML_CHARS and MAX_HTML_TAGS start tags.

    The sanitiser's time grows with nesting depth times the number of tags, so
    hostile mail with thousands of nested elements could stall a worker; real
    mail stays well inside both limits (Gmail itself clips at about 100 KB).
    """
    html = html[:MAX_HTML_CHARS]
    beyond = next(islice(_START_TAG.finditer(html), MAX_HTML_TAGS, None), None)
    return html[: beyond.start()] if beyond else html


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3 hook: reduce `style` to safe declarations, pass other attributes on."""
    return _safe_style(value) if attribute == "style" else value


def _safe_style(style: str) -> str | None:
    """Keep only declarations of allowed properties that cannot load anything."""
    kept = []
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        name = name.strip().lower()
        if colon and name in SAFE_STYLE_PROPERTIES and not _LOADING_CSS.search(value):
            kept.append(f"{name}: {value.strip()}")
    return "; ".join(kept) or None


MAX_QUOTE_DEPTH = 10
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl",
        "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "nav", "ol", "p", "pre", "section", "table", "tr",
        "ul",
    }
)  # fmt: skip
_PARAGRAPH_TAGS = frozenset(
    {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"}
)


class _TextExtractor(HTMLParser):
    """Collect the visible text of sanitised HTML, line by line.

    Blocks and <br> end lines, paragraphs are set apart by a blank line, list
    items get "- ", and blockquoted lines get "> " as a mail client would quote
    them, so the reply trimmer also works on HTML-only mail.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._words: list[str] = []
        self._quote_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self._end_line(keep_empty=True)
        elif tag in _BLOCK_TAGS:
            self._end_block(tag)
        if tag == "blockquote":
            self._quote_depth += 1
        elif tag == "pre":
            self._pre_depth += 1
        elif tag == "li":
            self._words.append("- ")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self._end_block(tag)
        if tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data):
        if not self._pre_depth:
            self._words.append(data)
            return
        *ended, rest = data.split("\n")
        for piece in ended:
            self._words.append(piece)
            self._end_line(keep_empty=True)
        self._words.append(rest)

    def _end_line(self, keep_empty=False):
        line = "".join(self._words)
        self._words = []
        line = line.rstrip() if self._pre_depth else _one_line(line)
        if line or keep_empty:
            self.lines.append((self._quote_prefix() + line).rstrip())

    def _end_block(self, tag):
        self._end_line()
        blank = self._quote_prefix().rstrip()
        if tag in _PARAGRAPH_TAGS and self.lines and self.lines[-1] != blank:
            self.lines.append(blank)

    def _quote_prefix(self) -> str:
        """ "> " per blockquote level, capped so absurd nesting stays cheap."""
        return "> " * min(self._quote_depth, MAX_QUOTE_DEPTH)

    def text(self) -> str:
        """All text fed so far, blank-line runs collapsed."""
        self.close()
        self._end_line()
        while self.lines and not self.lines[-1].strip("> "):
            self.lines.pop()
        return re.sub(r"\n(?:[> ]*\n)+", _blank_run, "\n".join(self.lines)).strip()


def _blank_run(match: re.Match) -> str:
    """Replace a run of (possibly quoted) blank lines by its first one."""
    return "\n" + match.group(0).split("\n")[1] + "\n"


def _html_to_text(sanitised_html: str) -> str:
    """Plain text of sanitised HTML (well-formed nh3 output, so the parser copes)."""
    extractor = _TextExtractor()
    extractor.feed(sanitised_html)
    return extractor.text()


# Attachments ---------------------------------------------------------------------


def _vet_attachments(
    parts: list[EmailMessage],
) -> tuple[list[ParsedAttachment], list[tuple[str, str]]]:
    """Split file parts into accepted attachments and (name, reason) refusals."""
    accepted, rejected, total = [], [], 0
    for part in parts:
        name = _safe_file_name(_raw_file_name(part))
        content = _part_bytes(part)
        sniffed = filetype.guess_mime(content) if content else None
        reason = _refusal(name, content, sniffed, len(accepted), total)
        if reason:
            rejected.append((name, reason))
            continue
        accepted.append(
            ParsedAttachment(name, sniffed or part.get_content_type(), content)
        )
        total += len(content)
    return accepted, rejected


def _refusal(
    name: str, content: bytes, sniffed: str | None, count: int, total: int
) -> str | None:
    """Why an attachment is refused, or None if it may be kept.

    `count` and `total` describe the attachments accepted before this one.
    """
    extension = os.path.splitext(name)[1].lower()
    if extension in DANGEROUS_EXTENSIONS:
        return (
            f"Files of type {extension} are not accepted because they can run programs."
        )
    if sniffed in EXECUTABLE_CONTENT_TYPES or content.startswith(EXECUTABLE_SIGNATURES):
        return "The file is an executable program, which is not accepted."
    if len(content) > MAX_ATTACHMENT_BYTES:
        return f"The file is larger than the {MAX_ATTACHMENT_BYTES // MB} MB limit for one attachment."
    if count >= MAX_ATTACHMENTS:
        return f"Only the first {MAX_ATTACHMENTS} attachments of a message are kept."
    if total + len(content) > MAX_TOTAL_ATTACHMENT_BYTES:
        return f"The attachments of a message may not add up to more than {MAX_TOTAL_ATTACHMENT_BYTES // MB} MB."
    return None


def _raw_file_name(part: EmailMessage) -> str:
    """The declared file name, RFC 2231 and RFC 2047 encodings undone."""
    return _decode_words(_from_surrogates(part.get_filename() or ""))


def _safe_file_name(name: str) -> str:
    """A file name safe to store and show.

    Path parts, control and format characters (including right-to-left
    overrides that disguise "exe.pdf") and leading or trailing dots and spaces
    go; long names are cut to MAX_FILE_NAME_LENGTH keeping their extension.
    """
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs"}
    )
    name = _one_line(name).strip(". ")
    if len(name) > MAX_FILE_NAME_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension if len(extension) <= 16 else ""
        name = stem[: MAX_FILE_NAME_LENGTH - len(extension)] + extension
    return name or "attachment"


# Classification ------------------------------------------------------------------


def _classify(
    message: EmailMessage, subject: str, sender: tuple[str, str]
) -> tuple[str, str, bool]:
    """(kind, why, certain) of a mail: kind "message" when a person wrote it,
    "bounce", or "auto_reply" for any other automatic mail (autoresponders,
    notifications, bulk and list mail, feedback reports, read receipts);
    `why` names the rule that said so, and `certain` is False for the signs
    a person's mail can carry too (list and bulk headers, a failure-like
    subject alone), which the caller quarantines instead of ignoring.

    Standard reports first (RFC 3464 delivery status, RFC 5965 feedback,
    RFC 8098 read receipts), then bounces in the older formats of many MTAs
    (flufl.bounce, GNU Mailman's detectors), then the RFC 3834 and de facto
    headers automatic senders set, the null return path and mail-system
    senders, typical subjects, and last the list and bulk signs.
    """
    for rule in _RULES:
        verdict = rule(message, subject, sender)
        if verdict:
            kind, why, certain = verdict
            return ("bounce" if kind == "bounce" else "auto_reply"), why, certain
    return "message", "", True


def _content_types(message: EmailMessage) -> set[str]:
    return {part.get_content_type() for part in islice(message.walk(), 200)}


def _report_type(message: EmailMessage) -> str:
    """The report-type of a multipart/report message, lower-cased, else ""."""
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type", "")).lower()


def _standard_report(message, subject, sender):
    report, types = _report_type(message), _content_types(message)
    if report == "delivery-status" or types & {
        "message/delivery-status",
        "message/global-delivery-status",
    }:
        return "bounce", "A delivery status report (RFC 3464).", True
    if report == "feedback-report" or "message/feedback-report" in types:
        return "feedback", "An abuse or spam feedback report (ARF, RFC 5965).", True
    if report == "disposition-notification" or types & {
        "message/disposition-notification",
        "message/global-disposition-notification",
    }:
        return "receipt", "A read receipt (RFC 8098).", True
    return None


_MAIL_SYSTEM_LOCALS = frozenset(
    {"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster", "mdaemon",
     "double-bounce", "mail.delivery.system", "ndr", "nondeliverable"}
)  # fmt: skip
_MAIL_SYSTEM_NAME = re.compile(
    r"\s*(?:mail delivery (?:sub)?system|mailer[- ]daemon|postmaster"
    r"|mail administrator|microsoft outlook|mail delivery service)\s*",
    re.I,
)


def _null_sender(message: EmailMessage) -> bool:
    values = _header_values(message, "Return-Path")
    return bool(values) and any(v.strip() in ("<>", "") for v in values)


def _from_mail_system(message: EmailMessage, sender: tuple[str, str]) -> bool:
    """Sent by a mail server itself: its usual sender names, or the null
    return path (RFC 5321 4.5.5) that notifications are sent with."""
    name, address = sender
    local = address.split("@")[0].strip("\\")
    return (
        local in _MAIL_SYSTEM_LOCALS
        or local.startswith(("mailer-daemon", "postmaster"))
        or bool(_MAIL_SYSTEM_NAME.fullmatch(name))
        or _null_sender(message)
    )


def _legacy_bounce(message, subject, sender):
    """A bounce without a standard report: recognised by flufl.bounce when a
    mail system sent it or its subject says delivery failed (its detectors
    read bodies, so a person quoting a bounce is not taken for one)."""
    from_system = _from_mail_system(message, sender)
    failure_subject = bool(_FAILURE_SUBJECT.search(subject))
    if not (from_system or failure_subject):
        return None
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # noqa: BLE001 - a third-party detector on hostile input
        temporary = permanent = frozenset()
    if temporary or permanent:
        return (
            "bounce",
            "A delivery failure report (recognised by flufl.bounce).",
            True,
        )
    if from_system and failure_subject:
        return "bounce", "A delivery failure from a mail system.", True
    return None


_AUTO_REPLY_HEADERS = (
    "X-Autoreply",
    "X-Autorespond",
    "X-Autoresponder",
    "X-AutoReply-From",
    "X-Mail-Autoreply",
    "X-Autogenerated",
)
# Headers mass-mailing services set on every message (newsletters, campaigns).
_BULK_HEADERS = (
    "Feedback-ID",
    "X-Feedback-ID",
    "X-CSA-Complaints",
    "X-Campaign",
    "X-CampaignID",
    "X-MC-User",
    "X-elqSiteID",
    "X-SFMC-Stack",
    "X-Mailman-Version",
    "X-Mandrill-User",
    "X-SES-Outgoing",
    "X-SG-EID",
)
_LIST_SENDER = re.compile(r"(?:^owner-|-(?:request|admin|bounces|owner)(?:\+|@|$))")
# Return paths of mass-mailing services (VERP: one bounce address per mail).
_BULK_RETURN_PATH = re.compile(r"<?\s*bounces?[-+.=_]", re.I)
_NO_REPLY_SENDER = re.compile(r"no-?reply|do-?not-?reply|donotreply", re.I)
_REPORT_SUBJECT = re.compile(
    r"\s*complaint about message from\b|\s*abuse report\b", re.I
)


def _automatic_headers(message, subject, sender):
    """The headers automatic senders set (RFC 3834 and de facto), the null
    return path, and mail-system senders."""
    auto_submitted = _first_header(message, "Auto-Submitted").split(";")[0]
    auto_submitted = auto_submitted.strip().lower()
    if auto_submitted and auto_submitted != "no":
        kind = "auto_reply" if auto_submitted == "auto-replied" else "notification"
        return kind, f"Auto-Submitted: {auto_submitted} (RFC 3834).", True
    for name in _AUTO_REPLY_HEADERS:
        if _header_values(message, name):
            return "auto_reply", f"An automatic reply ({name} header).", True
    if _first_header(message, "Precedence").strip().lower() == "auto_reply":
        return "auto_reply", "An automatic reply (Precedence: auto_reply).", True
    if _null_sender(message):
        return "notification", "Sent with a null return path (automatic mail).", True
    if _from_mail_system(message, sender):
        return "notification", "Sent by a mail server, not a person.", True
    return None


def _automatic_subject(message, subject, sender):
    suppress = {
        token.strip().lower()
        for token in _first_header(message, "X-Auto-Response-Suppress").split(",")
    }
    if (suppress & {"oof", "all"} and _AWAY_SUBJECT.search(subject)) or (
        _AUTO_REPLY_SUBJECT.match(subject)
    ):
        return "auto_reply", "An automatic reply (by its subject).", True
    return None


def _bulk_signs(message, subject, sender):
    """Signs that mail went to many people: a person's mail can carry them
    too (a patron writing through a forwarder or a list), so not certain."""
    precedence = _first_header(message, "Precedence").strip().lower()
    if precedence in _LIST_PRECEDENCE:
        return (
            "bulk",
            f"It is marked as bulk or list mail (Precedence: {precedence}).",
            False,
        )
    for name in ("List-Id", "List-Unsubscribe", "List-Post", *_BULK_HEADERS):
        if _header_values(message, name):
            return (
                "bulk",
                f"It came through a mailing list or a mass mailer ({name}).",
                False,
            )
    senders = [
        sender[1],
        *(a for _n, a in _addresses(_header_values(message, "Sender"))),
    ]
    if any(_LIST_SENDER.search(address.split("@")[0]) for address in senders):
        return "bulk", "It came from a mailing list's own address.", False
    if any(_BULK_RETURN_PATH.match(v) for v in _header_values(message, "Return-Path")):
        return (
            "bulk",
            "It came through a mass-mailing service (its return path).",
            False,
        )
    if _NO_REPLY_SENDER.search(sender[1].split("@")[0]):
        return "bulk", "It was sent from a no-reply address.", False
    if _REPORT_SUBJECT.match(subject):
        return "bulk", "Its subject says it is an abuse report.", False
    if _first_header(message, "X-Spam-Flag").strip().lower() == "yes":
        return (
            "bulk",
            "The receiving mail server marked it as spam (X-Spam-Flag).",
            False,
        )
    if _FAILURE_SUBJECT.search(subject):
        return "bounce", "Its subject says a delivery failed.", False
    return None


_RULES = (
    _standard_report,
    _legacy_bounce,
    _automatic_headers,
    _automatic_subject,
    _bulk_signs,
)
