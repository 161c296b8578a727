"""Every write to the knowledge base. The admin, the desk and (later) the
REST API call these: scoping, sanitising (`full_clean` runs the editor
field's nh3 sanitiser), the plain text for search, the history entry's
author, and the review reminders' emails after commit."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.defaultfilters import slugify
from django.utils import timezone

from consortium import scoping
from consortium.audit import acting_as
from consortium.db import is_unique_violation
from consortium.models import ConsortiumSettings, Library, Staff
from consortium.services import DomainError, _require_owner
from knowledgebase.models import (
    CannedMessage,
    Faq,
    PolicyPage,
    PolicySection,
    ReviewReminder,
)
from knowledgebase.richtext import to_text

OVERDUE_AFTER = timedelta(days=30)


def _save(actor: Staff, instance, *, reason: str = "") -> None:
    """Validate (and sanitise) then save, naming `actor` in the history."""
    _require_owner(actor, instance)
    if instance.pk:
        stored = type(instance)._default_manager.filter(pk=instance.pk).first()
        if stored is not None:
            _require_owner(actor, stored)
    instance.full_clean()
    instance._history_user = actor
    if reason:
        instance._change_reason = reason[:100]
    with acting_as(actor):
        instance.save()


def page_for(library: Library) -> PolicyPage:
    """The library's policy page, made empty on first use (a read: every
    library has one; what it holds is written through the services)."""
    page, _ = PolicyPage.objects.get_or_create(library=library)
    return page


@transaction.atomic
def page_save(*, actor: Staff, page: PolicyPage) -> PolicyPage:
    """Create a library's page or change its review interval."""
    _save(actor, page)
    return page


@transaction.atomic
def section_save(
    *, actor: Staff, section: PolicySection, reason: str = ""
) -> PolicySection:
    """Create or change one section of a policy page (coordinator of its
    library, or the help desk). The body is sanitised before it is stored."""
    section.updated_at = timezone.now()
    section.updated_by = actor
    _save(actor, section, reason=reason)
    # The sanitised body's text, for search (not part of the history).
    PolicySection.objects.filter(pk=section.pk).update(text=to_text(section.body))
    section.text = to_text(section.body)
    return section


def _free_slug(faq: Faq) -> str:
    base = slugify(faq.slug or faq.question)[:70] or "faq"
    slug, n = base, 2
    taken = Faq.objects.filter(library_id=faq.library_id).exclude(pk=faq.pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def faq_save(*, actor: Staff, faq: Faq, reason: str = "") -> Faq:
    """Create or change a FAQ; a missing address is made from the question."""
    if not faq.slug:
        faq.slug = _free_slug(faq)
    faq.updated_at = timezone.now()
    faq.updated_by = actor
    try:
        with transaction.atomic():
            _save(actor, faq, reason=reason)
    except IntegrityError as error:
        if not is_unique_violation(error, Faq, "faq_slug_unique"):
            raise
        raise DomainError(
            "Another FAQ of this library already has this address; choose another."
        ) from error
    Faq.objects.filter(pk=faq.pk).update(text=to_text(faq.answer))
    faq.text = to_text(faq.answer)
    return faq


@transaction.atomic
def canned_save(
    *, actor: Staff, canned: CannedMessage, reason: str = ""
) -> CannedMessage:
    """Create or change a canned message: a library's own (its coordinator)
    or a global one (the help desk). Unknown placeholders are refused."""
    _save(actor, canned, reason=reason)
    return canned


@transaction.atomic
def page_mark_reviewed(
    *, actor: Staff, page_id: int, today: date | None = None
) -> PolicyPage:
    """Record that `actor` checked the page today: the review clock restarts."""
    page = PolicyPage.objects.select_for_update().get(pk=page_id)
    page.last_reviewed_at = today or timezone.localdate()
    page.reviewed_by = actor
    _save(actor, page, reason="Marked reviewed")
    return page


HISTORY_MODELS = {
    "section": (PolicySection, section_save, "section"),
    "faq": (Faq, faq_save, "faq"),
    "canned": (CannedMessage, canned_save, "canned"),
}


@transaction.atomic
def history_restore(*, actor: Staff, kind: str, history_id: int):
    """Bring back an earlier version of a section, FAQ or canned message.
    The restore is itself a new version (nothing is lost), saved through the
    same service, so it is sanitised and scoped like any edit."""
    if kind not in HISTORY_MODELS:
        raise DomainError("Unknown kind of entry.")
    model, save, arg = HISTORY_MODELS[kind]
    record = model.history.filter(history_id=history_id).first()
    if record is None:
        raise DomainError("This version does not exist.")
    current = model.objects.filter(pk=record.id).first()
    if current is not None and not scoping.owns(actor, current):
        raise PermissionDenied("You can only restore your own library's entries.")
    instance = record.instance
    # The stored row is being changed, not a new one added (unless deleted).
    instance._state.adding = current is None
    when = timezone.localtime(record.history_date)
    return save(
        actor=actor,
        **{arg: instance},
        reason=f"Restored the version of {when:%Y-%m-%d %H:%M}",
    )


# --- Freshness (K4) ------------------------------------------------------------


def review_due_on(page: PolicyPage, config: ConsortiumSettings) -> date:
    interval = page.review_interval_days or config.review_interval_days
    since = page.last_reviewed_at or timezone.localdate(page.created_at)
    return since + timedelta(days=interval)


def review_reminders_sweep(*, today: date | None = None) -> list[int]:
    """Beat, daily: a reminder to the library's coordinators when its page's
    review falls due, and another 30 days later. One row per page, stage and
    due date (unique), so each is written once however often beat runs;
    returns the new reminders' ids, whose emails go after commit."""
    from knowledgebase import tasks

    today = today or timezone.localdate()
    config = ConsortiumSettings.load()
    created = []
    pages = PolicyPage.objects.filter(library__active=True).select_related("library")
    for page in pages:
        due = review_due_on(page, config)
        for stage, at in (
            (ReviewReminder.Stage.DUE, due),
            (ReviewReminder.Stage.OVERDUE, due + OVERDUE_AFTER),
        ):
            if today < at:
                continue
            if ReviewReminder.objects.filter(
                page=page, stage=stage, due_on=due
            ).exists():
                continue
            to = list(
                Staff.objects.filter(
                    library=page.library, role=Staff.Role.COORDINATOR, is_active=True
                )
                .exclude(email="")
                .values_list("email", flat=True)
            )
            try:
                with transaction.atomic():
                    reminder = ReviewReminder.objects.create(
                        page=page, stage=stage, due_on=due, recipients="\n".join(to)
                    )
            except IntegrityError as error:
                if not is_unique_violation(
                    error, ReviewReminder, "review_reminder_once"
                ):
                    raise
                continue  # another process wrote it
            tasks.send_review_reminder.delay_on_commit(reminder.pk)
            created.append(reminder.pk)
    return created


def review_reminder_email(reminder: ReviewReminder) -> EmailMessage:
    config = ConsortiumSettings.load()
    page = reminder.page
    overdue = reminder.stage == ReviewReminder.Stage.OVERDUE
    link = (
        settings.SITE_URL.rstrip("/")
        + f"/admin/knowledgebase/policypage/{page.pk}/change/"
    )
    return EmailMessage(
        subject=f"[{config.name}] {'Overdue: ' if overdue else ''}review "
        f"{page.library.name}'s policy page",
        body=(
            f"{page.library.name}'s policy page was due for review on "
            f"{reminder.due_on:%B %-d, %Y}"
            + (" and is now 30 days overdue" if overdue else "")
            + ". Co-op librarians answer your patrons from it: please check each "
            "section, update what changed, and press “Mark reviewed”.\n\n"
            f"{link}\n"
        ),
        to=[line for line in reminder.recipients.splitlines() if line]
        or [config.helpdesk_email],
    )
