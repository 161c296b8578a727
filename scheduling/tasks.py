"""Beat jobs and after-commit emails of the schedule. Each is safe to run
twice and in several workers at once: the services decide with unique rows
and conditional updates."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import EmailMessage

from consortium.tasks import send_once
from scheduling import services
from scheduling.models import AlertEmail

logger = logging.getLogger(__name__)


def _build(email: AlertEmail) -> EmailMessage:
    return EmailMessage(subject=email.subject, body=email.body, to=email.recipients)


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_alert_email(email_id: int) -> bool:
    """Send a stored alert email, once."""
    return send_once(AlertEmail, email_id, "sent_at", _build)


@shared_task(acks_late=True)
def schedule_sweep() -> dict:
    """Every minute: widen and expire substitute offers, check attendance and
    help on the desk, alert urgent gaps, write due daily digests, and re-queue
    emails a dead worker left unsent."""
    steps = {
        "offers": services.offers_sweep,
        "attendance": services.alerts.attendance_check,
        "insufficient": services.alerts.insufficient_check,
        "urgent": services.alerts.gaps_urgent,
        "digests": services.alerts.gaps_digest,
    }
    done = {}
    for name, step in steps.items():
        try:  # one failing step must not starve the others
            done[name] = step()
        except Exception:
            logger.exception("Schedule sweep step %s failed", name)
            done[name] = "failed"
    unsent = list(services.alerts.unsent_emails())
    for email_id in unsent:
        send_alert_email.delay(email_id)
    done["requeued"] = len(unsent)
    return done


@shared_task(acks_late=True)
def shifts_sync() -> int:
    """Hourly: re-sync dated shifts with their weekly slots (new holidays and
    closures cancel the shifts that fall on them)."""
    return services.shifts_sync_all()
