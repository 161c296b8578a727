"""Timed and after-commit jobs of the consortium core. Each takes ids, re-reads
the rows, returns early when the work is done, and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, send_mail, send_mass_mail
from django.template.loader import render_to_string
from django.utils import timezone

from consortium import services
from consortium.models import (
    Announcement,
    Closure,
    ConsortiumSettings,
    ProblemReport,
    Staff,
)


@shared_task
def beat_heartbeat() -> str:
    """Sent by beat every BEAT_HEARTBEAT_SECONDS. Beat records when it sent it
    (django-celery-beat's last_run_at), which /healthz reads."""
    return "ok"


@shared_task(acks_late=True)
def presence_expire() -> int:
    return services.presence_expire()


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_long_closure_notice(closure_id: int) -> bool:
    """Tell the help desk that a library closes long enough for its tickets to
    be forwarded. Sends at most once per closure."""
    closure = services.closure_claim_notice(closure_id=closure_id)
    if closure is None:
        return False
    config = ConsortiumSettings.load()
    try:
        send_mail(
            subject=f"[{config.name}] {closure.library.name} closed "
            f"{closure.start_date:%b %-d} – {closure.end_date:%b %-d, %Y}: forward tickets",
            message=render_to_string(
                "consortium/email/long_closure.txt",
                {"closure": closure, "config": config, "site_url": settings.SITE_URL},
            ),
            from_email=None,
            recipient_list=[config.helpdesk_email],
        )
    except Exception:
        services.closure_release_notice(closure_id=closure_id)
        raise
    return True


@shared_task(acks_late=True)
def long_closures_sweep() -> int:
    """Catch long closures whose notice was never sent (e.g. the worker was
    down when they were saved)."""
    pending = Closure.objects.filter(
        forwards_tickets=True,
        helpdesk_notified_at__isnull=True,
        end_date__gte=timezone.localdate(),
    ).values_list("pk", flat=True)
    for closure_id in pending:
        send_long_closure_notice.delay(closure_id)
    return len(pending)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_announcement_email(announcement_id: int) -> int:
    """Email an announcement to every active staff member, once."""
    claimed = Announcement.objects.filter(
        pk=announcement_id, email_staff=True, emailed_at__isnull=True
    ).update(emailed_at=timezone.now())
    if not claimed:
        return 0
    announcement = Announcement.objects.get(pk=announcement_id)
    config = ConsortiumSettings.load()
    recipients = list(
        Staff.objects.active().exclude(email="").values_list("email", flat=True)
    )
    subject = f"[{config.name}] {announcement.title}"
    body = render_to_string(
        "consortium/email/announcement.txt",
        {"announcement": announcement, "config": config},
    )
    try:
        # One message per person: staff addresses are not shown to each other.
        sent = send_mass_mail([(subject, body, None, [to]) for to in recipients])
    except Exception:
        Announcement.objects.filter(pk=announcement_id).update(emailed_at=None)
        raise
    return sent


def send_once(model, pk: int, field: str, build) -> bool:
    """Send the email `build(row)` returns, once: the row is claimed by
    setting `field` (a timestamp, null until sent) with a conditional update,
    and released if the mail server refuses, for the task's retry."""
    claimed = model.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(
        **{field: timezone.now()}
    )
    if not claimed:
        return False
    try:
        build(model.objects.get(pk=pk)).send()
    except Exception:
        model.objects.filter(pk=pk).update(**{field: None})
        raise
    return True


def _problem_report_email(report: ProblemReport) -> EmailMessage:
    config = ConsortiumSettings.load()
    return EmailMessage(
        subject=f"[{config.name}] Problem report: {report.summary}",
        body=render_to_string(
            "consortium/email/problem_report.txt",
            {"report": report, "site_url": settings.SITE_URL},
        ),
        to=[config.helpdesk_email],
    )


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_problem_report_notice(report_id: int) -> bool:
    """Email the help desk a new problem report, once."""
    return send_once(
        ProblemReport, report_id, "helpdesk_notified_at", _problem_report_email
    )
