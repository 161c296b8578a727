"""The sender blocklist (issue 16): senders whose mail intake ignores.

Some automatic mail carries no automatic sign at all (booking confirmations,
bulletins, account alerts): its first message opens a ticket like a
person's. Staff block its sender from that ticket (`ticket_block_sender`) or
from the lists (`sender_block`); intake then settles every later mail from it
as `blocked` (`chat.services.tickets._process`). The help desk blocks for any
library or for all of them; a coordinator for their own library only.
Every change is in the audit trail (`consortium.audit.acting_as`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.mail.inbound import MalformedEmail, parse_email
from chat.models import BlockedSender, InboundEmail, normalised_sender_pattern
from chat.services.tickets import (
    _addressed_library,
    _locked,
    _system_note,
    reply_domain,
    ticket_close,
)
from consortium.audit import acting_as
from consortium.db import is_unique_violation
from consortium.models import Library, Staff
from consortium.services import DomainError

SCOPES = ("address", "domain")


def may_block(actor: Staff, library: Library | None) -> bool:
    """The help desk blocks for any library or every library; a coordinator
    for their own library only; nobody else."""
    if actor.is_helpdesk:
        return True
    return (
        library is not None and actor.is_coordinator and actor.library_id == library.pk
    )


def _require(actor: Staff, library: Library | None) -> None:
    if may_block(actor, library):
        return
    if library is None:
        raise DomainError(
            "Only the help desk blocks a sender for every library.", code="forbidden"
        )
    if actor.is_coordinator:
        raise DomainError(
            f"You can block senders for your own library only, not {library.name}.",
            code="forbidden",
        )
    raise DomainError(
        "Only a coordinator of the library or the help desk can block senders.",
        code="forbidden",
    )


def _clean_pattern(pattern: str) -> str:
    """The pattern normalised, refused when it would block the consortium's
    own mail: its reply domain, or a library's ticket address or its domain
    (a library's patrons often write from it)."""
    try:
        pattern = normalised_sender_pattern(pattern)
    except ValidationError as error:
        raise DomainError(error.messages[0]) from error
    local, _, domain = pattern.rpartition("@")
    if domain == reply_domain():
        raise DomainError(
            f"@{domain} is this service's own reply domain: mail from it is "
            "the service's own, which intake already ignores."
        )
    libraries = Library.objects.exclude(ticket_email="")
    if local:
        own = libraries.filter(ticket_email__iexact=pattern).first()
        what = "ticket address"
    else:
        own = libraries.filter(ticket_email__iendswith=pattern).first()
        what = "ticket address's domain"
    if own is not None:
        raise DomainError(
            f"{pattern} is {own.name}'s {what}: blocking it would ignore the "
            "library's own patrons. Block the one sender's address instead."
        )
    return pattern


def _existing(pattern: str, library: Library | None) -> BlockedSender | None:
    """A block that already covers `pattern` for `library`: its own, or one
    for every library."""
    blocks = BlockedSender.objects.filter(pattern=pattern, library__isnull=True)
    if library is not None:
        blocks = blocks | BlockedSender.objects.filter(pattern=pattern, library=library)
    return blocks.order_by("library_id").first()


def _create(
    *, actor: Staff, pattern: str, library: Library | None, reason: str, now
) -> BlockedSender:
    block = BlockedSender(
        pattern=pattern,
        library=library,
        reason=(reason or "").strip()[:200],
        created_by=actor,
        created_at=now,
    )
    try:
        block.full_clean()
        with transaction.atomic(), acting_as(actor):
            block.save()
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error
    except IntegrityError as error:  # blocked at the same moment by someone else
        if any(
            is_unique_violation(error, BlockedSender, name)
            for name in ("blocked_sender_unique", "blocked_sender_unique_everywhere")
        ):
            raise DomainError(f"{pattern} is already blocked.") from error
        raise
    return block


@transaction.atomic
def sender_block(
    *,
    actor: Staff,
    pattern: str,
    library: Library | None,
    reason: str = "",
    now=None,
) -> BlockedSender:
    """Block `pattern` (an address, or a domain as `@domain` or `domain`) for
    `library`'s mail, or every library's when None. Refused when it is
    blocked there already, or would block the consortium's own mail."""
    _require(actor, library)
    pattern = _clean_pattern(pattern)
    existing = _existing(pattern, library)
    if existing is not None:
        where = existing.library.name if existing.library else "every library"
        raise DomainError(f"{pattern} is already blocked for {where}.")
    return _create(
        actor=actor,
        pattern=pattern,
        library=library,
        reason=reason,
        now=now or timezone.now(),
    )


@transaction.atomic
def sender_block_update(*, actor: Staff, block_id: int, reason: str) -> BlockedSender:
    """Change why a sender is blocked (what it blocks is its identity: unblock
    and block again to change that). Locks the block."""
    block = _locked_block(block_id, actor)
    block.reason = (reason or "").strip()[:200]
    with acting_as(actor):
        block.save(update_fields=["reason"])
    return block


@transaction.atomic
def sender_unblock(*, actor: Staff, block_id: int) -> None:
    """Remove a block: the sender's next mail is processed as any other."""
    block = _locked_block(block_id, actor)
    with acting_as(actor):
        block.delete()


def _locked_block(block_id: int, actor: Staff) -> BlockedSender:
    block = (
        BlockedSender.objects.select_for_update(of=("self",))
        .select_related("library")
        .filter(pk=block_id)
        .first()
    )
    if block is None:
        raise DomainError("This block does not exist.", code="not_found")
    _require(actor, block.library)
    return block


@transaction.atomic
def ticket_block_sender(
    *, ticket_id: int, actor: Staff, scope: str = "address", reason: str = "", now=None
) -> BlockedSender:
    """Block the ticket's patron address (or, `scope` "domain", its domain)
    for the ticket's library and close the ticket, with a note saying so.
    When a block already covers it, that one is kept. Locks the ticket."""
    now = now or timezone.now()
    if scope not in SCOPES:
        raise DomainError("Block the sender's address or its domain.")
    ticket = _locked(ticket_id, actor)
    _require(actor, ticket.library)
    address = (ticket.email or "").strip().lower()
    if not address:
        raise DomainError("This ticket has no sender address to block.")
    pattern = _clean_pattern(
        address if scope == "address" else "@" + address.rpartition("@")[2]
    )
    block = _existing(pattern, ticket.library)
    if block is None:
        block = _create(
            actor=actor,
            pattern=pattern,
            library=ticket.library,
            reason=reason.strip() or f"Blocked from ticket #{ticket.conversation_id}",
            now=now,
        )
    where = block.library.name if block.library else "every library"
    _system_note(
        ticket,
        f"{actor.chat_name} blocked {pattern} for {where}: mail from it is "
        "ignored from now on (unblock it in the admin's blocked senders list).",
        now,
        author=actor,
    )
    ticket_close(ticket_id=ticket.pk, actor=actor, now=now)
    return block


@transaction.atomic
def inbound_email_block_sender(
    *, inbound_id: int, actor: Staff, now=None
) -> BlockedSender:
    """Block the sender address of a received email for the library it went
    to (its ticket's, else the one it was addressed to); an existing block
    that covers it is kept. The email itself stays as it was settled."""
    inbound = (
        InboundEmail.objects.select_related("ticket__library")
        .filter(pk=inbound_id)
        .first()
    )
    if inbound is None:
        raise DomainError("This email does not exist.", code="not_found")
    address = inbound.from_email.strip().lower()
    library = inbound.ticket.library if inbound.ticket_id else None
    if library is None:
        try:
            parsed = parse_email(bytes(inbound.raw))
        except MalformedEmail as error:
            raise DomainError(f"This email cannot be read: {error.reason}") from error
        address = address or parsed.from_email
        library = _addressed_library(parsed)
    if not address:
        raise DomainError("This email has no sender address to block.")
    if library is None:
        raise DomainError(
            "It was not sent to a library's ticket address: block the sender "
            "for every library from the blocked senders list instead."
        )
    _require(actor, library)
    pattern = _clean_pattern(address)
    return _existing(pattern, library) or _create(
        actor=actor,
        pattern=pattern,
        library=library,
        reason=f"Blocked from an email received {inbound.received_at:%Y-%m-%d}",
        now=now or timezone.now(),
    )
