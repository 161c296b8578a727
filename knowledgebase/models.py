"""The knowledge base (SPEC K1-K6): each library's policy page in sections
(public or staff-only), public FAQs, and the canned messages of the chat.

Rich text is edited with django-prose-editor, sanitised with nh3 on save (the
field's `clean`, run by the services' `full_clean`) and again on display
(`knowledgebase.richtext.clean_html`). Every change is kept by
django-simple-history, which gives who, when, a diff and restore.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_prose_editor.fields import ProseEditorField
from simple_history.models import HistoricalRecords

from consortium.models import Library, ScopedModel, Staff
from knowledgebase.richtext import EDITOR_CONFIG


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public (patrons see it)"
    STAFF = "staff", "Staff only (never shown to patrons)"


class PolicyPage(ScopedModel):
    """K1: one per member library; holds the review date (K4)."""

    library = models.OneToOneField(
        Library, on_delete=models.CASCADE, related_name="policy_page"
    )
    last_reviewed_at = models.DateField(
        null=True,
        blank=True,
        help_text="When a coordinator last confirmed it is right.",
    )
    reviewed_by = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_interval_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Empty: the consortium's review interval (180 days by default).",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["library__name"]

    def __str__(self):
        return f"Policies of {self.library.name}"

    def get_absolute_url(self):
        return reverse("kb-policies", args=[self.library.code])


class SectionQuerySet(models.QuerySet):
    def public(self):
        return self.filter(visibility=Visibility.PUBLIC)


class PolicySection(ScopedModel):
    """One section of a library's policy page, public or staff-only."""

    class Kind(models.TextChoices):
        HOURS = "hours", "Hours and locations"
        BORROWING = "borrowing", "Borrowing"
        ACCOUNTS = "accounts", "Accounts and passwords"
        ERESOURCES = "eresources", "E-resources and database access"
        ILL = "ill", "Interlibrary loan"
        DISTANCE = "distance", "Distance learners"
        CONTACTS = "contacts", "Contacts and liaisons"
        LOCAL = "local", "Local notes"

    scope_path = "page__library"

    page = models.ForeignKey(
        PolicyPage, on_delete=models.CASCADE, related_name="sections"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.STAFF
    )
    body = ProseEditorField(config=EDITOR_CONFIG, sanitize=True, blank=True)
    # The body without markup, for search (kept by the services).
    text = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SectionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        ordering = ["page", "kind", "visibility"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "kind", "visibility"], name="policy_section_unique"
            )
        ]

    def __str__(self):
        tag = " (staff only)" if self.visibility == Visibility.STAFF else ""
        return f"{self.get_kind_display()}{tag}"

    @property
    def library(self) -> Library:
        return self.page.library

    def get_absolute_url(self):
        return f"{self.page.get_absolute_url()}#{self.kind}"


class FaqQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)


class Faq(ScopedModel):
    """K2: a public question and answer of one library, with a shareable URL."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField(max_length=250)
    slug = models.SlugField(
        max_length=80, help_text="The last part of the FAQ's address."
    )
    answer = ProseEditorField(config=EDITOR_CONFIG, sanitize=True)
    text = models.TextField(blank=True, editable=False)
    published = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = FaqQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        ordering = ["library", "position", "question"]
        verbose_name = "FAQ"
        verbose_name_plural = "FAQs"
        constraints = [
            models.UniqueConstraint(fields=["library", "slug"], name="faq_slug_unique")
        ]

    def __str__(self):
        return self.question

    def get_absolute_url(self):
        return reverse("kb-faq", args=[self.library.code, self.slug])


class CannedMessage(ScopedModel):
    """K6: a ready-made chat message with placeholders. Global when `library`
    is empty; a library's message with the same key overrides the global one
    for its patrons (a library's greeting and goodbye replace the global
    ones). Rendered as plain text, so placeholders can never inject markup."""

    class Group(models.TextChoices):
        GREETING = "greeting", "Greeting"
        COOP_GREETING = "coop_greeting", "Greeting (co-op librarian)"
        UPDATE = "update", "Updates"
        IDLE = "idle", "Patron idle"
        FOLLOWUP = "followup", "Follow-up"
        CLOSING = "closing", "Closing"
        HOURS = "hours", "Hours and referral"
        INAPPROPRIATE = "inappropriate", "Inappropriate use"
        CRISIS = "crisis", "Crisis"

    library = models.ForeignKey(
        Library,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_messages",
    )
    group = models.CharField(max_length=16, choices=Group.choices)
    key = models.SlugField(
        max_length=40,
        help_text="Identifies the message across libraries, e.g. greeting, "
        "no_purpose, bad_customer, ip_captured, crisis.",
    )
    title = models.CharField(max_length=120)
    body = models.TextField(
        help_text="Placeholders: {patron_name}, {librarian_name}, "
        "{librarian_library}, {library_name}, {library_hours_url}, {library_url}, "
        "{library_faq_url}."
    )
    position = models.PositiveSmallIntegerField(default=0)

    scope_shared = True
    history = HistoricalRecords()

    class Meta:
        db_table = "chat_cannedmessage"
        ordering = ["group", "position", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "key"], name="canned_key_unique_per_library"
            ),
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(library__isnull=True),
                name="canned_key_unique_global",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        from knowledgebase.placeholders import PLACEHOLDERS, unknown_placeholders

        unknown = unknown_placeholders(self.body)
        if unknown:
            raise ValidationError(
                {
                    "body": f"Unknown placeholder {{{unknown[0]}}}. Use one of: "
                    + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                    + "."
                }
            )


class ReviewReminder(models.Model):
    """K4: one reminder per page, stage and due date — the idempotency key
    of the freshness reminders, however often beat runs."""

    class Stage(models.TextChoices):
        DUE = "due", "Review due"
        OVERDUE = "overdue", "Review overdue by 30 days"

    page = models.ForeignKey(
        PolicyPage, on_delete=models.CASCADE, related_name="reminders"
    )
    stage = models.CharField(max_length=8, choices=Stage.choices)
    due_on = models.DateField()
    recipients = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "stage", "due_on"], name="review_reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.get_stage_display()}: {self.page} (due {self.due_on})"
