"""Retention (SPEC R4): the personal data of conversations older than the
consortium's `retention_days` is removed, and every statistic stays.

What goes, for a conversation asked before the cutoff that is over (not
waiting or active, and without a ticket still open):

- on the conversation: the patron's name, email address, phone number,
  address (`patron_ip`) and its keyed hash, user agent, and the query string,
  fragment and user info of the referrer URL (scheme, host and path stay);
- emails, phone numbers and other long numbers (cards, accounts), and the
  name the patron gave, inside the question, the transfer note, the reason of
  a bad-patron mark, every message body (the patron's, the librarians', the
  system's and the internal notes), the ticket's subject, the email intake's
  subject and reason, the SMS provider's error and the rating's comment:
  replaced as `chat.privacy.redact_text` does for readers not entitled to
  them (`[email]`, `[phone]`, `[number]`, `[patron]`);
- the whole text of inbound emails (`Message.full_text`, with its quoted
  history and signatures), the ticket's email address, and the stored
  inbound emails as they arrived (raw message, headers, sender address,
  Message-ID);
- the ways back in: the messages' Message-IDs (the patron's name their mail
  host) and the ticket's reply token are replaced, so a reply to a year-old
  email threads to no scrubbed ticket: intake quarantines it as sent to a
  reply address of no ticket, and the help desk can add it as a new one;
- attachments: their rows (the file's name in the message saying it was
  shared becomes `[removed]`), and their files from storage after commit.

Names are removed only where the patron typed the name they gave, in that
spelling: a name in free text ("my son Tom", a signature, a nickname) cannot
be found reliably, and stays. What the statistics read is never written:
times, status, channel, libraries, queue, librarian, resolution, question
type, READ scale, patron status, residency, the ticket's times and assignee,
the rating's score.

Not tied to a conversation and removed by the same run: the inbound emails
received before the cutoff that no live ticket holds (quarantined, ignored,
or come for a ticket already scrubbed), and patron blocks that ended before
the cutoff. Kept: SMS opt-outs (a number that texted STOP gets no text until
START, however old) and sender blocks (the help desk's list).

The schema has no legal or audit hold: nothing but an open conversation or
an open ticket keeps a conversation from being scrubbed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from chat.models import (
    Attachment,
    Conversation,
    InboundEmail,
    Message,
    PatronBlock,
    PatronRating,
    RetentionRun,
    SmsMessage,
    Ticket,
    new_reply_token,
)
from chat.privacy import redact_text
from consortium.models import ConsortiumSettings

logger = logging.getLogger(__name__)

REMOVED = "[removed]"
BATCH_SIZE = 500
# A run's bound (500 × 40 = 20,000 conversations); the rest waits for the
# next day's run.
MAX_BATCHES = 40

OPEN = (Conversation.Status.WAITING, Conversation.Status.ACTIVE)
# The conversation's own columns a scrub reads (the rest is never loaded).
READ_FIELDS = (
    "pk",
    "patron_name",
    "patron_phone",
    "question",
    "transfer_note",
    "bad_patron_reason",
    "referrer_url",
)
# Set to one value on every scrubbed conversation.
BLANKED = {
    "patron_name": "",
    "patron_email": "",
    "patron_phone": "",
    "patron_ip": None,
    "patron_ip_hash": "",
    "user_agent": "",
}


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Conversations asked before this instant are past retention."""
    return now - timedelta(days=days)


def _due(cutoff: datetime):
    """Conversations to scrub: asked before `cutoff`, not scrubbed yet, over
    (neither waiting nor active) and without an open ticket. Read from the
    partial index `conversation_unscrubbed`, which holds only the rows not
    scrubbed yet."""
    # The open statuses named, not "not closed": the (status, due_at) index
    # finds the few open tickets.
    open_ticket = Ticket.objects.filter(
        conversation=OuterRef("pk"),
        status__in=[s for s in Ticket.Status.values if s != Ticket.Status.CLOSED],
    )
    return (
        Conversation.objects.filter(scrubbed_at__isnull=True, requested_at__lt=cutoff)
        .exclude(status__in=OPEN)
        .filter(~Exists(open_ticket))
        .order_by()
    )


def retention_due(now: datetime | None = None) -> int:
    """How many conversations a retention run at `now` would scrub (the run
    itself is bounded: see `MAX_BATCHES`). One COUNT on the partial index."""
    now = now or timezone.now()
    days = ConsortiumSettings.load().retention_days
    return _due(retention_cutoff(now, days)).count()


def scrub_referrer(url: str, conversation: Conversation) -> str:
    """The page the patron came from without what may identify them: scheme,
    host (no user info) and path, emails and long numbers in the path
    redacted; no query string or fragment."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # not a URL at all (a bracket left open, a bad port)
        return REMOVED
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    path = redact_text(parts.path, conversation)
    return urlunsplit((parts.scheme, host, path, "", ""))


# Rows per UPDATE: at most seven parameters each, well under SQLite's limit
# of 32,766 in one statement.
UPDATE_ROWS = 1000


def _update(model, changes: dict, **same) -> int:
    """UPDATE the rows `changes` names ({pk: {field: value}}): each field to
    its row's value (a CASE on the primary key), the fields of `same` to one
    value for all. One statement per `UPDATE_ROWS` rows; none without rows."""
    updated, rows = 0, list(changes.items())
    for start in range(0, len(rows), UPDATE_ROWS):
        chunk = dict(rows[start : start + UPDATE_ROWS])
        assignments = dict(same)
        names = {name for values in chunk.values() for name in values}
        for name in sorted(names):
            model_field = model._meta.get_field(name)
            cases = [
                When(pk=pk, then=Value(values[name], output_field=model_field))
                for pk, values in chunk.items()
                if name in values
            ]
            assignments[name] = Case(*cases, default=F(name), output_field=model_field)
        updated += model._default_manager.filter(pk__in=list(chunk)).update(
            **assignments
        )
    return updated


def _redacted(row, names: tuple[str, ...], conversation) -> dict:
    """The fields of `row` among `names` whose redaction differs."""
    return _redacted_values({name: getattr(row, name) for name in names}, conversation)


def _redacted_values(values: dict, conversation) -> dict:
    """The items of `values` (texts) whose redaction differs, redacted."""
    changed = {}
    for name, value in values.items():
        new = redact_text(value, conversation) if value else value
        if new != value:
            changed[name] = new
    return changed


@dataclass
class _Counts:
    conversations: int = 0
    messages: int = 0
    attachments: int = 0
    details: dict = field(
        default_factory=lambda: {
            "tickets": 0,
            "inbound_emails": 0,
            "sms": 0,
            "ratings": 0,
            "patron_blocks": 0,
        }
    )


def _orphan_emails(cutoff: datetime):
    """Inbound emails received before `cutoff` that no conversation being
    kept holds: without a ticket, or held by a scrubbed one (a late reply);
    still raw. Emails not processed yet stay until they are."""
    return (
        InboundEmail.objects.filter(received_at__lt=cutoff)
        .filter(
            Q(ticket__isnull=True) | Q(ticket__conversation__scrubbed_at__isnull=False)
        )
        .exclude(status=InboundEmail.Status.RECEIVED)
        .exclude(raw=b"")
        .order_by()
    )


def _scrub_batch(*, cutoff, now, batch_size, counts: _Counts) -> int:
    """Scrub up to `batch_size` conversations (oldest first, in the partial
    index's order) and as many orphan inbound emails, in the caller's
    transaction; returns how many rows it scrubbed. Locks the conversations
    and their tickets, skipping rows a librarian or intake holds (they wait
    for a later batch). The same statements whatever the batch holds; a kind
    of row absent from the batch costs none, and a table with more than
    `UPDATE_ROWS` rows to change one more UPDATE per `UPDATE_ROWS`. Files are
    deleted from storage after commit."""
    has_ticket = Ticket.objects.filter(conversation=OuterRef("pk"))
    conversations = list(
        _due(cutoff)
        .annotate(has_ticket=Exists(has_ticket))
        .select_for_update(of=("self",), skip_locked=True)
        .only(*READ_FIELDS)
        .order_by("requested_at", "pk")[:batch_size]
    )
    ids = [c.pk for c in conversations]
    tickets = {
        t.conversation_id: t
        for t in Ticket.objects.filter(conversation_id__in=ids)
        .select_for_update(skip_locked=True)
        .only("pk", "conversation_id", "status", "subject")
    }
    # A ticket locked by a reply, or reopened since the conversation was
    # chosen: its conversation is not over, or not for now.
    kept = [
        c
        for c in conversations
        if not c.has_ticket
        or (c.pk in tickets and tickets[c.pk].status == Ticket.Status.CLOSED)
    ]
    by_id = {c.pk: c for c in kept}
    ids = list(by_id)
    tickets = {pk: t for pk, t in tickets.items() if pk in by_id}

    messages = list(
        Message.objects.filter(conversation_id__in=ids).only(
            "pk", "conversation_id", "sender", "body", "full_text", "email_message_id"
        )
    )
    attachments = list(
        Attachment.objects.filter(conversation_id__in=ids).only(
            "pk", "message_id", "file", "name"
        )
    )
    sms = list(
        SmsMessage.objects.filter(message__conversation_id__in=ids)
        .exclude(error="")
        .values_list("pk", "error", "message__conversation_id")
    )
    emails = list(
        InboundEmail.objects.filter(ticket__conversation_id__in=ids).values_list(
            "pk", "subject", "reason", "ticket__conversation_id"
        )
    )
    orphans = list(
        _orphan_emails(cutoff)
        .select_for_update(of=("self",), skip_locked=True)
        .only("pk", "subject", "reason")
        .order_by("pk")[:batch_size]
    )
    ratings = list(
        PatronRating.objects.filter(conversation_id__in=ids)
        .exclude(comment="")
        .only("pk", "comment")
    )

    # Each text is redacted with what the conversation still knows of the
    # patron (their phone number and name), before those are blanked.
    shared_names: dict[int, list[str]] = {}
    for attachment in attachments:
        shared_names.setdefault(attachment.message_id, []).append(attachment.name)
    message_changes = {}
    for message in messages:
        conversation = by_id[message.conversation_id]
        changed = {}
        body = message.body
        for name in shared_names.get(message.pk, ()):
            if name:
                body = body.replace(name, REMOVED)
        body = redact_text(body, conversation)
        if body != message.body:
            changed["body"] = body
        if message.full_text:
            changed["full_text"] = ""
        if message.email_message_id:
            changed["email_message_id"] = ""
        if changed:
            message_changes[message.pk] = changed

    conversation_changes = {}
    for conversation in kept:
        changed = _redacted(
            conversation,
            ("question", "transfer_note", "bad_patron_reason"),
            conversation,
        )
        referrer = scrub_referrer(conversation.referrer_url, conversation)
        if referrer != conversation.referrer_url:
            changed["referrer_url"] = referrer
        conversation_changes[conversation.pk] = changed

    ticket_changes = {
        t.pk: {
            **_redacted(t, ("subject",), by_id[t.conversation_id]),
            "reply_token": new_reply_token(),
        }
        for t in tickets.values()
    }
    sms_changes = {
        pk: {"error": redact_text(error, by_id[conversation_id])}
        for pk, error, conversation_id in sms
    }
    email_changes = {}
    for pk, subject, reason, conversation_id in emails:
        email_changes[pk] = _redacted_values(
            {"subject": subject, "reason": reason}, by_id[conversation_id]
        )
    # An orphan email has no conversation: the redaction finds emails and
    # numbers, not a name.
    nobody = Conversation()
    for email in orphans:
        email_changes.setdefault(
            email.pk,
            _redacted_values(
                {"subject": email.subject, "reason": email.reason}, nobody
            ),
        )
    rating_changes = {
        r.pk: {"comment": redact_text(r.comment, by_id[r.pk])} for r in ratings
    }

    _update(Conversation, conversation_changes, scrubbed_at=now, **BLANKED)
    _update(Ticket, ticket_changes, email="")
    _update(Message, message_changes)
    _update(SmsMessage, sms_changes)
    _update(InboundEmail, email_changes, raw=b"", from_email="", message_id="")
    _update(PatronRating, rating_changes)
    if attachments:
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        files = [a.file.name for a in attachments if a.file.name]
        storage = Attachment._meta.get_field("file").storage
        transaction.on_commit(lambda: _delete_files(storage, files))

    counts.conversations += len(kept)
    counts.messages += len(message_changes)
    counts.attachments += len(attachments)
    details = counts.details
    details["tickets"] += len(tickets)
    details["inbound_emails"] += len(email_changes)
    details["sms"] += len(sms_changes)
    details["ratings"] += len(rating_changes)
    return len(kept) + len(orphans)


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # The row is gone: a file left behind is an orphan to remove by
            # hand, not a reason to stop deleting the others.
            logger.warning("Retention: could not delete the file %s", name)


def retention_scrub(
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES,
) -> RetentionRun:
    """Remove the personal data of the conversations past retention (see
    the module's docstring for what goes and what stays), `batch_size` at a
    time, oldest first (request time, then id: the partial index's order),
    each batch in its own transaction with its rows locked; at most
    `max_batches` batches, the rest left for the next run. Then patron
    blocks that ended before the cutoff are deleted.

    Idempotent: a scrubbed conversation has `scrubbed_at` and is never read
    again; a second run scrubs nothing. Records the run as a `RetentionRun`
    (in the audit trail) and logs one line. Side effects after commit: the
    attachments' files are deleted from storage.
    """
    if batch_size < 1 or max_batches < 1:
        raise ValueError("batch_size and max_batches are at least 1.")
    now = now or timezone.now()
    days = ConsortiumSettings.load().retention_days
    cutoff = retention_cutoff(now, days)
    counts = _Counts()
    batches = 0
    while batches < max_batches:
        with transaction.atomic():
            scrubbed = _scrub_batch(
                cutoff=cutoff, now=now, batch_size=batch_size, counts=counts
            )
        if scrubbed == 0:
            break
        batches += 1
    with transaction.atomic():
        blocks, _ = PatronBlock.objects.filter(until__lt=cutoff).delete()
        counts.details["patron_blocks"] = blocks
        left = _due(cutoff).count()
        held = (
            Conversation.objects.filter(
                scrubbed_at__isnull=True, requested_at__lt=cutoff
            )
            .order_by()
            .count()
            - left
        )
        counts.details.update(batches=batches, left=left, held_open=held)
        run = RetentionRun.objects.create(
            ran_at=now,
            retention_days=days,
            cutoff=cutoff,
            conversations=counts.conversations,
            messages=counts.messages,
            attachments=counts.attachments,
            details=counts.details,
        )
    logger.info(
        "Retention: scrubbed %d conversations asked before %s (%d messages, "
        "%d attachments, %s); %d left for the next run, %d still open.",
        counts.conversations,
        cutoff.isoformat(),
        counts.messages,
        counts.attachments,
        counts.details,
        left,
        held,
    )
    return run
