"""The public email corpus through intake (tests/chat/emails/corpus: files
from other projects' public test suites, each file's origin and licence in
its SOURCES.md, its kind in labels.csv).

Each file is delivered twice, as a mail server delivers it (a `Delivered-To`
line added above its headers), each time in a transaction rolled back
afterwards so every file meets the same database:
- "new": to a library's ticket address;
- "reply": to the reply address of a closed ticket whose patron is the
  mail's sender.
A second pass measures the sender blocklist: automatic mail that opened a
ticket in the first pass (it carries no automatic sign), its sender blocked
from that ticket as the help desk does (`ticket_block_sender`), then the same
sender's later mail (`deliver_after_blocking`, `deliver_in_arrival_order`).
Used by tests/chat/test_email_corpus.py (the targets) and
bench/email_corpus.py (the confusion table in docs/email-intake.md).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from django.db import transaction

from chat import services
from chat.mail.inbound import MalformedEmail, parse_email
from chat.models import BlockedSender, InboundEmail, Ticket
from chat.services import blocklist as services_blocklist
from chat.services.tickets import reply_address

CORPUS = Path(__file__).parent / "emails" / "corpus"
AUTOMATIC = frozenset(
    {
        "bounce",
        "auto_reply",
        "auto_notification",
        "list_bulk",
        "feedback_report",
        "read_receipt",
    }
)
# Spam and phishing that carry no automatic, list or bulk header: nothing in
# a header tells them from a person's mail, so intake treats them as one
# (the mail provider's spam filter is what stops them); reported apart.
SPAM = "spam"
SCENARIOS = ("new", "reply")
ADDRESS = "ask@corpus.example.org"
S = InboundEmail.Status


@dataclass(frozen=True)
class Outcome:
    path: str
    kind: str
    scenario: str
    status: str
    reason: str
    created: bool  # a ticket was opened
    reopened: bool  # the closed ticket was reopened
    ticket_id: int | None = None  # the ticket it was settled with

    @property
    def ok(self) -> bool:
        """Whether intake did what the target asks for this file."""
        if self.status == S.FAILED:
            return False
        if self.kind == SPAM:
            return True
        if self.kind in AUTOMATIC:
            return not (self.created or self.reopened)
        if self.status == S.QUARANTINED:
            return bool(self.reason)
        if self.scenario == "new":
            return self.created and self.status == S.CREATED
        return self.reopened and self.status == S.APPENDED


def labelled() -> list[dict]:
    with (CORPUS / "labels.csv").open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row.get("path")]


class _Undo(Exception):
    pass


def deliver_all(library, rows=None) -> list[Outcome]:
    """Every labelled file, in both scenarios, against `library` (its
    ticket address must be ADDRESS and it must have a question service)."""
    outcomes = []
    for row in labelled() if rows is None else rows:
        raw = (CORPUS / row["path"]).read_bytes()
        for scenario in SCENARIOS:
            outcomes.append(_deliver_undone(library, row, raw, scenario))
    return outcomes


def _deliver_undone(library, row, raw: bytes, scenario: str) -> Outcome:
    found = []
    try:
        with transaction.atomic():
            found.append(_deliver(library, row, raw, scenario))
            raise _Undo
    except _Undo:
        pass
    return found[0]


def _delivered_to(raw: bytes, address: str) -> bytes:
    newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    return b"Delivered-To: " + address.encode() + newline + raw


def _deliver(library, row, raw: bytes, scenario: str, ticket=None) -> Outcome:
    if ticket is None and scenario == "reply":
        ticket = _closed_ticket(_sender_of(raw))
    address = ADDRESS if ticket is None else reply_address(ticket)
    before = Ticket.objects.count()
    inbound = services.inbound_email_receive(
        raw=_delivered_to(raw, address), via=InboundEmail.Via.PIPE
    )
    reopened = False
    if ticket is not None:
        ticket.refresh_from_db()
        reopened = ticket.status != Ticket.Status.CLOSED
    return Outcome(
        path=row["path"],
        kind=row["kind"],
        scenario=scenario,
        status=inbound.status,
        reason=inbound.reason,
        created=Ticket.objects.count() > before,
        reopened=reopened,
        ticket_id=inbound.ticket_id,
    )


def _sender_of(raw: bytes) -> str:
    try:
        return parse_email(raw).from_email or "someone@example.net"
    except MalformedEmail:
        return "someone@example.net"


def _closed_ticket(patron: str) -> Ticket:
    """A closed ticket whose patron is `patron` (asked from another address,
    so that a sender only mail systems use does not stop the question)."""
    msg = EmailMessage()
    msg["From"] = "earlier.patron@example.net"
    msg["To"] = ADDRESS
    msg["Subject"] = "An earlier question"
    msg["Message-ID"] = "<earlier-question@corpus.example.org>"
    msg.set_content("Do you have this book?")
    inbound = services.inbound_email_receive(raw=msg.as_bytes(), via="pipe")
    assert inbound.status == S.CREATED, inbound.reason
    Ticket.objects.filter(pk=inbound.ticket_id).update(email=patron)
    return services.ticket_close(ticket_id=inbound.ticket_id, actor=None)


# --- Second pass: the sender blocklist ---------------------------------------


def unmarked(outcomes: list[Outcome]) -> list[str]:
    """Files of automatic mail that opened a ticket as a new question."""
    return sorted({o.path for o in outcomes if o.kind in AUTOMATIC and o.created})


def deliver_after_blocking(library, actor, rows) -> list[Outcome]:
    """For each file, in a transaction rolled back afterwards: the file as a
    new question ("first": it opens a ticket), the sender's address blocked
    from that ticket by `actor` (which closes it), then the same sender's
    later mail (the file again, with a new Message-ID) as a new question
    ("later new") and as a reply to the ticket ("later reply")."""
    outcomes = []
    for row in rows:
        raw = (CORPUS / row["path"]).read_bytes()
        found = []
        try:
            with transaction.atomic():
                first = _deliver(library, row, raw, "first")
                found.append(first)
                if first.created:
                    services_blocklist.ticket_block_sender(
                        ticket_id=first.ticket_id, actor=actor
                    )
                    later = _renamed(raw, "later")
                    found.append(_deliver(library, row, later, "later new"))
                    found.append(
                        _deliver(
                            library,
                            row,
                            _renamed(raw, "later-reply"),
                            "later reply",
                            ticket=Ticket.objects.get(pk=first.ticket_id),
                        )
                    )
                raise _Undo
        except _Undo:
            pass
        outcomes += found
    return outcomes


def deliver_in_arrival_order(library, actor, rows) -> list[Outcome]:
    """The files one after another in one transaction (rolled back), as a
    help desk meets them: each that opens a ticket has its sender's address
    blocked from it at once, before the next arrives. Each file has its own
    Message-ID (four of the corpus's are copies of one booking confirmation,
    which would otherwise be settled as duplicates of the first)."""
    outcomes = []
    try:
        with transaction.atomic():
            for row in rows:
                raw = _renamed((CORPUS / row["path"]).read_bytes(), "arrival")
                outcome = _deliver(library, row, raw, "in order")
                outcomes.append(outcome)
                if outcome.created:
                    services_blocklist.ticket_block_sender(
                        ticket_id=outcome.ticket_id, actor=actor
                    )
            raise _Undo
    except _Undo:
        pass
    return outcomes


def deliver_all_blocked(library, actor, rows_to_block, rows=None) -> list[Outcome]:
    """The whole corpus again (`deliver_all`) with the senders of
    `rows_to_block` blocked for `library` (rolled back afterwards): what
    the blocks cost everyone else's mail."""
    outcomes = []
    try:
        with transaction.atomic():
            for row in rows_to_block:
                sender = _sender_of((CORPUS / row["path"]).read_bytes()).lower()
                if not BlockedSender.objects.filter(pattern=sender).exists():
                    services_blocklist.sender_block(
                        actor=actor, pattern=sender, library=library
                    )
            outcomes = deliver_all(library, rows)
            raise _Undo
    except _Undo:
        pass
    return outcomes


_MESSAGE_ID = re.compile(rb"^Message-ID:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.I | re.M)


def _renamed(raw: bytes, tag: str) -> bytes:
    """The same mail sent again later: its Message-ID changed (the same id
    would be settled as a duplicate, not by the blocklist)."""
    head, sep, body = raw.partition(b"\r\n\r\n" if b"\r\n" in raw[:2000] else b"\n\n")
    digest = hashlib.sha256(raw).hexdigest()[:16]
    new_id = f"Message-ID: <{tag}-{digest}@corpus.example.org>".encode()
    if _MESSAGE_ID.search(head):
        head = _MESSAGE_ID.sub(lambda _m: new_id, head, count=1)
    return head + sep + body


def blocklist_markdown(
    first_pass: list[Outcome],
    after: list[Outcome],
    in_order: list[Outcome],
    everyone: list[Outcome] | None = None,
) -> str:
    """The second pass's figures, as Markdown."""
    paths = unmarked(first_pass)
    later = [o for o in after if o.scenario.startswith("later")]
    senders = {_sender_of((CORPUS / p).read_bytes()) for p in paths}
    lines = [
        "",
        "**After the help desk blocks the sender of each automatic mail that "
        "opened a ticket in the first pass, the same senders' later mail**",
        "",
        f"- automatic mail that opened a ticket as a new question: {len(paths)}"
        f" files, from {len(senders)} senders",
        f"- their later mail (each file again, new Message-ID, {len(later)}"
        f" deliveries as a new question and as a reply to the blocked ticket):"
        f" {sum(o.created for o in later)} opened a ticket,"
        f" {sum(o.reopened for o in later)} reopened one;"
        f" {sum(o.status == S.BLOCKED for o in later)} settled `blocked`",
        f"- in arrival order, each sender blocked from its first ticket:"
        f" {sum(o.created for o in in_order)} tickets for {len(in_order)} mails",
    ]
    if everyone is not None:
        human = [o for o in everyone if o.kind not in AUTOMATIC and o.kind != SPAM]
        lines.append(
            f"- the whole corpus again with those {len(senders)} addresses blocked:"
            f" people's mail missed {sum(not o.ok for o in human)} of {len(human)}"
            f" deliveries; {sum(o.status == S.BLOCKED for o in everyone)}"
            f" deliveries settled `blocked`"
        )
    return "\n".join(lines)


def confusion(outcomes: list[Outcome]) -> dict[str, dict[str, Counter]]:
    """scenario -> labelled kind -> Counter of intake statuses."""
    table: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for outcome in outcomes:
        table[outcome.scenario][outcome.kind][outcome.status] += 1
    return table


def markdown(outcomes: list[Outcome]) -> str:
    """The confusion tables and the target counts, as Markdown."""
    lines = []
    statuses = [s.value for s in S if s != S.RECEIVED]
    table = confusion(outcomes)
    for scenario in SCENARIOS:
        lines += [
            "",
            f"**As {'a new question' if scenario == 'new' else 'a reply to a closed ticket'}**"
            " (rows: the file's kind; columns: what intake did)",
            "",
            "| kind | files | " + " | ".join(statuses) + " |",
            "|---|---:|" + "---:|" * len(statuses),
        ]
        for kind, counts in sorted(table[scenario].items()):
            lines.append(
                f"| {kind} | {sum(counts.values())} | "
                + " | ".join(str(counts.get(s, 0) or "") for s in statuses)
                + " |"
            )
    automatic = [o for o in outcomes if o.kind in AUTOMATIC]
    human = [o for o in outcomes if o.kind not in AUTOMATIC and o.kind != SPAM]
    spam = [o for o in outcomes if o.kind == SPAM]
    lines += [
        "",
        f"- crashed (failed): {sum(o.status == S.FAILED for o in outcomes)}"
        f" of {len(outcomes)} deliveries",
        f"- automatic mail that opened a ticket: {sum(o.created for o in automatic)};"
        f" that reopened one: {sum(o.reopened for o in automatic)}"
        f" ({len(automatic)} deliveries)",
        f"- people's mail not made a ticket or threaded, nor quarantined with a"
        f" reason: {sum(not o.ok for o in human)} ({len(human)} deliveries)",
        f"- spam without any automatic header (not a target: the mail provider's"
        f" filter): {sum(o.created or o.reopened for o in spam)} of {len(spam)}"
        " deliveries opened or reopened a ticket",
    ]
    return "\n".join(lines)
