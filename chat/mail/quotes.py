"""Quoted history and signatures in email replies: what a patron newly wrote.

`trim_reply(text)` keeps the new part of a plain-text reply and drops the
quoted history and the signature under it. It is used for display only; the
full text is stored as received.

History starts at the first of:

* an attribution line, as the mail clients of the consortium's patrons write
  it: "On <date>, <who> wrote:", "El ... escribió:", "Le ... a écrit :",
  "Am ... schrieb ...:", "<who> schrieb am <date>:", "Em ... escreveu:",
  "Il ... ha scritto:", "W dniu ... napisał:", "Op ... schreef ...:",
  "Den ... skrev ...:", "<who> 在 <date> 写道：", "<date> <who> のメッセージ:",
  or a date followed by "<who> <address>:"; also wrapped over up to three
  lines, as Gmail and Outlook wrap it, and only when it holds a date or time;
* an "-----Original Message-----" line in any of those languages;
* an Outlook header block: a From or Sent/Date field ("From:", "Von:",
  "De :", "Da:", "Od:", "Van:", "Fra:", "Från:", "发件人:", "差出人:", ...)
  with a second, different field (Sent, To, Subject, ...) right under it,
  together with the "_____" separator line Outlook puts above it. A block at
  the very top of the text, before anything else, is the patron's own header
  pasted in and is skipped.

Any other line starting with ">" is quoted too. The signature starts at a
"-- " line, a line of dashes ("———"), or a mobile or Outlook footer ("Sent
from my iPhone", "Von meinem iPhone gesendet", "iPhoneから送信", ...), the
footer being short and not a sentence ("Sent from my desk, is much easier"
stays).

Guarantees: the text comes back unchanged when nothing would be left; nothing
past a forwarded-message marker is ever cut; lines longer than
MAX_ATTRIBUTION_LENGTH are never tried against a pattern, so the work on a
megabyte-long line is one length check (and a ">" test).
"""

import re

__all__ = ["MAX_ATTRIBUTION_LENGTH", "trim_reply"]

MAX_ATTRIBUTION_LENGTH = 400
# An attribution is tried on one line and on it joined with the next one or two.
_ATTRIBUTION_LINES = 3

_COLON = r"\s*[:：]\s*"
_WROTE_LINE = re.compile(
    r"\s*(?:"
    # English (and the "sent:" variant some clients write)
    r"On\s.+\s(?:wrote|sent)"
    # Spanish
    r"|El\s.+\sescribi[óo]|.+\sescribi[óo]"
    # French
    r"|Le\s.+\sa\s[ée]crit|.+\sa\s[ée]crit"
    # German: "Am <date> schrieb <who>:" and "<who> schrieb am <date>:"
    r"|.*\sschrieb(?:\s.*)?|Am\s.+\sschrieb.*"
    # Portuguese
    r"|.+\sescreveu"
    # Italian: "Il <date> <who> ha scritto:", "In data ... ha scritto:"
    r"|.+\sha\sscritto"
    # Polish: "W dniu <date> <who> napisał:", "Dnia ... napisał(a):"
    r"|.+\snapisa[łl](?:\(a\)|a)?"
    # Dutch: "Op <date> schreef <who>:", "... heeft <who> het volgende geschreven:"
    r"|.+\sschreef(?:\s.*)?|.+\sgeschreven"
    # Danish, Norwegian, Swedish: "Den <date> skrev <who>:", "<date> skrev <who>:"
    r"|.+\sskrev(?:\s.*)?"
    # Chinese: "<who> 在 <date> 写道：", "<date> <who> 写道："
    r"|.+\s?(?:写道|寫道)"
    # Japanese: "<date> <who> のメッセージ:", "<who> は書きました:"
    r"|.+(?:のメッセージ|書きました|書き込みました)"
    # a date first, then "<who> <address>:" (Gmail in Japanese, several others)
    r"|\d{1,4}\s?[-./年]\s?\d{1,2}.*<\s*[^<>\s]+@[^<>\s]+\s*>"
    r")" + _COLON,
    re.I,
)
_DATE_HINT = re.compile(
    r"\d{1,2}[:.]\d{2}|\d{4}|\d{1,2}\s?[./-]\s?\d{1,2}\s?[./-]\s?\d{2,4}|\d{1,2}\s?[月日]"
)
_ORIGINAL_MESSAGE = re.compile(
    r"\s*[-=_]{2,}\s*(?:Original\s+Message|Reply\s+Message|Mensaje\s+original"
    r"|Message\s+d'origine|Message\s+original|Urspr[üu]ngliche\s+Nachricht"
    r"|Originalnachricht|Antwort\s+Nachricht|Mensagem\s+original"
    r"|Messaggio\s+originale|Oryginalna\s+wiadomo[śs][ćc]|Wiadomo[śs][ćc]\s+oryginalna"
    r"|Oorspronkelijk\s+bericht|Origineel\s+bericht|Oprindelig\s+meddelelse"
    r"|Opprinnelig\s+melding|Originalmeddelelse|Ursprungligt\s+meddelande"
    r"|Originalmeddelande|原始邮件|原始郵件|原邮件|元のメッセージ|オリジナルメッセージ)"
    r"\s*[-=_]{2,}\s*",
    re.I,
)
_HEADER_FIELDS = {
    "from": r"From|De|Von|Da|Od|Van|Fra|Från|Frå|Expéditeur|Remitente|Mittente"
    r"|Nadawca|Afzender|Avsändare|Avsender|Afsender|发件人|寄件者|寄件人|差出人|送信者",
    "sent": r"Sent|Date|Enviado|Enviada(?:\s+em)?|Fecha|Gesendet|Datum|Envoy[ée]"
    r"|Inviato|Data|Wys[łl]ane|Wys[łl]ano|Data\s+wys[łl]ania|Verzonden|Sendt"
    r"|Skickat|Dato|发送时间|发送日期|日期|寄件日期|送信日時|日時|日付",
    "to": r"To|Para|An|À|A|Do|Aan|Til|Till|Destinatario|Destinataire|Adresat"
    r"|收件人|宛先",
    "subject": r"Subject|Asunto|Betreff|Objet|Oggetto|Temat|Onderwerp|Emne|Ämne"
    r"|Assunto|主题|主旨|件名",
    "cc": r"Cc|Kopie|Kopia|抄送|副本",
}
_HEADER_FIELD = re.compile(
    r"\s*\*?(?:"
    + "|".join(f"(?P<{kind}>{names})" for kind, names in _HEADER_FIELDS.items())
    + r")\s?\*?\s?[:：]\*?\s*\S",
    re.I,
)
_HEADER_BLOCK_LINES = 6
_SEPARATOR = re.compile(r"\s*(?:[_-]{10,}|[—–]{10,})\s*")
_FORWARD_MARKER = re.compile(
    r"\s*(?:[-=]+\s*(?:Forwarded\s+message|Mensaje\s+reenviado|Message\s+transf[ée]r[ée]"
    r"|Weitergeleitete\s+Nachricht|Messaggio\s+inoltrato|Mensagem\s+encaminhada"
    r"|Wiadomo[śs][ćc]\s+przekazana|Przekazana\s+wiadomo[śs][ćc]|Doorgestuurd\s+bericht"
    r"|Videresendt\s+(?:meddelelse|melding)|Vidarebefordrat\s+meddelande"
    r"|转发的邮件|轉寄的郵件|転送されたメッセージ)"
    r"|Begin\s+forwarded\s+message\s*:|D[ée]but\s+du\s+message\s+r[ée]exp[ée]di[ée]"
    r"|Anfang\s+der\s+weitergeleiteten\s+Nachricht|Inicio\s+del\s+mensaje\s+reenviado"
    r"|Inizio\s+messaggio\s+inoltrato|Início\s+da\s+mensagem\s+reencaminhada"
    r"|Begin\s+doorgestuurd\s+bericht|Start\s+på\s+videresendt)",
    re.I,
)
# What may follow a footer's opening words: a device or app name, maybe a link,
# but no sentence ("Sent from my desk, is much easier ..." is text).
_FOOTER_TAIL = r"(?:[^,;!?.\n]|\.(?=\S)){0,80}\.?"
_SIGNATURE_START = re.compile(
    r"--\s?|[—–]{3,}"
    r"|(?:Sent\s+from\s+my|Sent\s+from|Sent\s+via|Sent\s+with|Get\s+Outlook\s+for"
    r"|Enviado\s+desde\s+mi|Enviado\s+desde|Obtener\s+Outlook\s+para"
    r"|Von\s+meinem\s.{1,40}\sgesendet|Gesendet\s+von\s+meinem|Gesendet\s+von"
    r"|Gesendet\s+mit|Outlook\s+f[üu]r\s+\S+\s+herunterladen"
    r"|Envoy[ée]\s+de\s+mon|Envoy[ée]\s+depuis\s+mon|Envoy[ée]\s+[àa]\s+partir\s+de"
    r"|Envoy[ée]\s+de|T[ée]l[ée]charger\s+Outlook\s+pour|Obtenir\s+Outlook\s+pour"
    r"|Inviato\s+da|Inviato\s+dal\s+mio|Scarica\s+Outlook\s+per"
    r"|Enviado\s+do\s+meu|Enviado\s+do|Enviado\s+a\s+partir\s+do|Obter\s+o\s+Outlook\s+para"
    r"|Baixe\s+o\s+Outlook\s+para"
    r"|Wys[łl]ane\s+z|Wys[łl]ano\s+z|Pobierz\s+(?:aplikacj[ęe]\s+)?Outlook"
    r"|Verzonden\s+(?:vanaf|met|van|vanuit)|Verstuurd\s+(?:vanaf|met|van)"
    r"|Outlook\s+voor\s+\S+\s+downloaden"
    r"|Sendt\s+fra|Hent\s+Outlook\s+til|Skickat\s+fr[åa]n|Skaffa\s+Outlook\s+f[öo]r"
    r")\b" + _FOOTER_TAIL + r"|(?:从我的|發自我的|发自我的|来自我的|來自我的)\S{1,30}"
    r"(?:发送|傳送|發送)?|.{1,40}(?:から送信|より送信)",
    re.I,
)


def trim_reply(text: str) -> str:
    """The new part of a reply: quoted history and signature removed.

    Returns `text` unchanged when nothing would be left.
    """
    lines = text.split("\n")
    end, forwarded = _history_start(lines)
    kept = [line for line in lines[:end] if not _quoted(line)]
    signature = next(
        (i for i, line in enumerate(kept) if _is_signature_start(line)), len(kept)
    )
    # A forwarded message is content: kept whole, its ">" lines included.
    return "\n".join(kept[:signature] + lines[end:] * forwarded).strip() or text


def _quoted(line: str) -> bool:
    return line.startswith(">")


def _is_signature_start(line: str) -> bool:
    return len(line) <= MAX_ATTRIBUTION_LENGTH and bool(
        _SIGNATURE_START.fullmatch(line.strip())
    )


def _history_start(lines: list[str]) -> tuple[int, bool]:
    """Where the quoted history starts (len(lines) if nowhere), and whether the
    search stopped instead at a forwarded-message marker there.

    A forwarded message is content, not history: nothing past its marker is cut.
    """
    index, count = 0, len(lines)
    while index < count:
        line = lines[index]
        if len(line) > MAX_ATTRIBUTION_LENGTH or _quoted(line):
            index += 1
            continue
        if _FORWARD_MARKER.match(line):
            return index, True
        if _is_attribution(lines, index) or _ORIGINAL_MESSAGE.fullmatch(line):
            return index, False
        block_end = _header_block_end(lines, index)
        if block_end:
            if any(
                earlier.strip() and not _quoted(earlier) for earlier in lines[:index]
            ):
                return _with_separator(lines, index), False
            # The patron's own header pasted above the reply: not history.
            index = block_end
            continue
        index += 1
    return count, False


def _is_attribution(lines: list[str], index: int) -> bool:
    """Whether an attribution such as "On <date>, <who> wrote:" starts here.

    Attributions are short; longer candidates are not tried, which also keeps
    the backtracking pattern away from megabyte-long lines.
    """
    candidate = ""
    for line in lines[index : index + _ATTRIBUTION_LINES]:
        if _quoted(line) and candidate:
            break
        candidate = f"{candidate} {line.strip()}" if candidate else line
        if len(candidate) > MAX_ATTRIBUTION_LENGTH:
            return False
        if _WROTE_LINE.fullmatch(candidate) and _DATE_HINT.search(candidate):
            # "Lorem" over "Den <date> skrev <who>:" is text over an attribution.
            return candidate is line or not _is_attribution(lines, index + 1)
        if not line.strip():
            break
    return False


def _header_block_end(lines: list[str], index: int) -> int:
    """End of an Outlook header block starting at `index`, or 0 if none does.

    The block opens with a From or Sent/Date field and has a second, different
    field before the next blank line.
    """
    first = _HEADER_FIELD.match(lines[index])
    if not first or first.lastgroup not in ("from", "sent"):
        return 0
    kinds = {first.lastgroup}
    end = index + 1
    for later in lines[index + 1 : index + _HEADER_BLOCK_LINES]:
        if not later.strip() or len(later) > MAX_ATTRIBUTION_LENGTH:
            break
        field = _HEADER_FIELD.match(later)
        if field:
            kinds.add(field.lastgroup)
        end += 1
    return end if len(kinds) >= 2 else 0


def _with_separator(lines: list[str], index: int) -> int:
    """Move a cut up to include the "____" line Outlook puts above its header."""
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    return (
        previous
        if previous >= 0
        and len(lines[previous]) <= MAX_ATTRIBUTION_LENGTH
        and _SEPARATOR.fullmatch(lines[previous])
        else index
    )
