"""Timed jobs of the knowledge base; each is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from consortium.tasks import send_once
from knowledgebase import services
from knowledgebase.models import ReviewReminder


@shared_task(acks_late=True)
def review_reminders_sweep() -> int:
    return len(services.review_reminders_sweep())


@shared_task(
    acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_review_reminder(reminder_id: int) -> bool:
    return send_once(
        ReviewReminder, reminder_id, "sent_at", services.review_reminder_email
    )
