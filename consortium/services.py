"""Every write to the consortium core. The admin, the REST API, the desk's
websocket consumers, management commands and Celery tasks all call these.

Each service checks the actor's right to act (`consortium.scoping`), validates
the whole row (`full_clean`), records the actor in the audit log, and schedules
side effects (email, notices) to run after the transaction commits.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from consortium import scoping, selectors
from consortium.audit import acting_as
from consortium.models import (
    Announcement,
    Closure,
    ConsortiumSettings,
    ProblemReport,
    Queue,
    QueueMonitor,
    Staff,
)


class DomainError(Exception):
    """A request that breaks a rule of the service; `message` is for the user,
    `code` for programs (the chat protocol's error codes)."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def _require_owner(actor, instance: Model) -> None:
    if not scoping.owns(actor, instance):
        raise PermissionDenied(
            "You can only change your own library's records."
            if scoping.is_coordinator(actor)
            else "You are not allowed to change this record."
        )


def _require_helpdesk(actor) -> None:
    if not scoping.is_helpdesk(actor):
        raise PermissionDenied("Only the help desk can do this.")


# --- Generic scoped records -------------------------------------------------------


@transaction.atomic
def record_save(*, actor: Staff, instance: Model) -> Model:
    """Validate and save a row of a library-scoped or consortium-wide model.

    Coordinators may save rows of their own library only; consortium-wide rows
    (no `scope_path`, or no library on it) are the help desk's. For a change,
    the row as stored must be the actor's too, so a row cannot be moved out of
    another library by editing it.
    """
    _require_owner(actor, instance)
    if instance.pk is not None:
        stored = type(instance)._default_manager.filter(pk=instance.pk).first()
        if stored is not None:
            _require_owner(actor, stored)
    instance.full_clean()
    with acting_as(actor):
        instance.save()
    return instance


@transaction.atomic
def record_delete(*, actor: Staff, instance: Model) -> None:
    """Delete a row the actor owns (see `record_save`)."""
    _require_owner(actor, instance)
    with acting_as(actor):
        instance.delete()


# --- Staff ---------------------------------------------------------------------------


@transaction.atomic
def staff_save(*, actor: Staff, staff: Staff, password: str | None = None) -> Staff:
    """Create or update a staff member.

    Coordinators manage their own library's librarians, interns and
    coordinators; only the help desk creates help-desk accounts or moves staff
    between libraries.
    """
    if not scoping.is_helpdesk(actor):
        if staff.role == Staff.Role.HELPDESK or staff.is_superuser:
            raise PermissionDenied("Only the help desk can create help-desk accounts.")
    if password:
        staff.set_password(password)
    return record_save(actor=actor, instance=staff)


# --- Closures -------------------------------------------------------------------------


@transaction.atomic
def closure_save(*, actor: Staff, closure: Closure) -> Closure:
    """Save a library closure and flag it for ticket forwarding when it lasts
    longer than the consortium's limit (holidays not counted). A newly long
    closure schedules a notice to the help desk after commit."""
    closure.full_clean()
    limit = ConsortiumSettings.load().long_closure_days
    days = selectors.counted_closure_days(closure.start_date, closure.end_date)
    closure.forwards_tickets = days > limit
    if not closure.forwards_tickets:
        closure.helpdesk_notified_at = None
    record_save(actor=actor, instance=closure)
    if closure.forwards_tickets and closure.helpdesk_notified_at is None:
        from consortium.tasks import send_long_closure_notice

        send_long_closure_notice.delay_on_commit(closure.pk)
    return closure


def closure_claim_notice(*, closure_id: int) -> Closure | None:
    """Mark the help desk as told of a long closure; None if already told or no
    longer long. The conditional update makes two workers tell it once."""
    claimed = Closure.objects.filter(
        pk=closure_id, forwards_tickets=True, helpdesk_notified_at__isnull=True
    ).update(helpdesk_notified_at=timezone.now())
    return (
        Closure.objects.select_related("library").get(pk=closure_id)
        if claimed
        else None
    )


def closure_release_notice(*, closure_id: int) -> None:
    """Undo `closure_claim_notice` when sending the notice failed."""
    Closure.objects.filter(pk=closure_id).update(helpdesk_notified_at=None)


# --- Announcements ------------------------------------------------------------------


@transaction.atomic
def announcement_save(*, actor: Staff, announcement: Announcement) -> Announcement:
    """Post or edit a help-desk announcement; if it is to be emailed and has
    not been, schedule the email to all active staff after commit."""
    _require_helpdesk(actor)
    if announcement.author_id is None:
        announcement.author = actor
    announcement.full_clean()
    with acting_as(actor):
        announcement.save()
    if announcement.email_staff and announcement.emailed_at is None:
        from consortium.tasks import send_announcement_email

        send_announcement_email.delay_on_commit(announcement.pk)
    return announcement


# --- Problem reports ----------------------------------------------------------------


@transaction.atomic
def problem_report_create(
    *,
    actor: Staff,
    summary: str,
    details: str = "",
    page_url: str = "",
    browser: str = "",
) -> ProblemReport:
    """A staff member reports a technical problem; the help desk is emailed
    after commit."""
    report = ProblemReport(
        reporter=actor,
        library_id=actor.library_id,
        summary=summary.strip(),
        details=details.strip(),
        page_url=page_url[:500],
        browser=browser[:300],
    )
    report.full_clean()
    with acting_as(actor):
        report.save()
    from consortium.tasks import send_problem_report_notice

    send_problem_report_notice.delay_on_commit(report.pk)
    return report


@transaction.atomic
def problem_report_resolve(
    *, actor: Staff, report_id: int, resolution: str
) -> ProblemReport:
    """The help desk closes a problem report. Locks the report row."""
    _require_helpdesk(actor)
    report = ProblemReport.objects.select_for_update().get(pk=report_id)
    if report.status == ProblemReport.Status.RESOLVED:
        raise DomainError("This problem report is already resolved.")
    if not resolution.strip():
        raise DomainError("Say how the problem was resolved.")
    report.status = ProblemReport.Status.RESOLVED
    report.resolution = resolution.strip()
    report.resolved_by = actor
    report.resolved_at = timezone.now()
    with acting_as(actor):
        report.save()
    return report


# --- Settings --------------------------------------------------------------------------


@transaction.atomic
def consortium_settings_save(
    *, actor: Staff, instance: ConsortiumSettings
) -> ConsortiumSettings:
    _require_helpdesk(actor)
    instance.pk = 1
    instance.full_clean()
    with acting_as(actor):
        instance.save()
    return instance


# --- Presence (who monitors which queue) ------------------------------------------------


def _monitorable(actor: Staff, queue: Queue) -> bool:
    if actor.role not in Staff.CHAT_ROLES or not actor.is_active:
        return False
    if queue.is_coop:
        return True
    return queue.library_id == actor.library_id or scoping.is_helpdesk(actor)


@transaction.atomic
def queue_monitor_start(
    *, actor: Staff, queue_id: int, now: datetime | None = None
) -> QueueMonitor:
    """`actor` starts monitoring a queue (new chats will be offered to them).
    Librarians monitor their own library's local queues and any co-op queue."""
    queue = Queue.objects.select_related("library").get(pk=queue_id)
    if not _monitorable(actor, queue):
        raise DomainError(f"You cannot monitor {queue.name}.")
    now = now or timezone.now()
    monitor, created = QueueMonitor.objects.get_or_create(
        staff=actor, queue=queue, defaults={"started_at": now, "last_seen": now}
    )
    if not created:
        monitor.last_seen = now
        monitor.save(update_fields=["last_seen"])
    return monitor


def queue_monitor_stop(*, actor: Staff, queue_id: int) -> None:
    """`actor` stops monitoring a queue; their current chats are unaffected."""
    QueueMonitor.objects.filter(staff=actor, queue_id=queue_id).delete()


def presence_heartbeat(*, actor: Staff, now: datetime | None = None) -> int:
    """Keep every queue `actor` monitors alive; returns how many."""
    return QueueMonitor.objects.filter(staff=actor).update(
        last_seen=now or timezone.now()
    )


def presence_expire(*, now: datetime | None = None) -> int:
    """Forget monitors whose heartbeat stopped (closed tab, dead connection)."""
    cutoff = selectors.presence_cutoff(now or timezone.now())
    deleted, _ = QueueMonitor.objects.filter(last_seen__lte=cutoff).delete()
    return deleted


__all__ = [
    "DomainError",
    "announcement_save",
    "closure_claim_notice",
    "closure_release_notice",
    "closure_save",
    "consortium_settings_save",
    "presence_expire",
    "presence_heartbeat",
    "problem_report_create",
    "problem_report_resolve",
    "queue_monitor_start",
    "queue_monitor_stop",
    "record_delete",
    "record_save",
    "staff_save",
]
