"""Scheduling (SPEC S1-S8): how many librarians each co-op queue needs, the
weekly slots libraries commit and the dated shifts made from them, substitutes,
attendance, schedule-change requests and the alerts about gaps.

Times of day (`starts`, `ends`, `hour`) are wall-clock times in the queue's
time zone; dated shifts store instants (`starts_at`, `ends_at`), so they stay
right for viewers in other zones and across daylight-saving changes.
"""

from __future__ import annotations

import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from consortium.fields import DayTimeField, format_minutes
from consortium.models import Library, PostedHours, Queue, ScopedModel, Staff, Term

Weekday = PostedHours.Weekday


class CoverageRequirement(ScopedModel):
    """S1: at least `librarians` on `queue` during `hour` of `weekday` in `term`."""

    scope_path = "queue__library"
    scope_shared = True

    queue = models.ForeignKey(
        Queue,
        on_delete=models.CASCADE,
        related_name="requirements",
        limit_choices_to={"kind": Queue.Kind.COOP},
    )
    term = models.ForeignKey(
        Term,
        on_delete=models.CASCADE,
        related_name="requirements",
        limit_choices_to={"library__isnull": True},
        help_text="A consortium term: co-op queues follow the consortium calendar.",
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    hour = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(23)],
        help_text="The hour starting at HH:00 in the queue's time zone (0–23).",
    )
    librarians = models.PositiveSmallIntegerField(
        "librarians required",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )

    class Meta:
        ordering = ["queue", "term__start_date", "weekday", "hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["queue", "term", "weekday", "hour"],
                name="coverage_requirement_unique",
            ),
            models.CheckConstraint(
                condition=Q(hour__lte=23), name="coverage_requirement_hour"
            ),
        ]

    def __str__(self):
        return (
            f"{self.queue.code} {self.get_weekday_display()} "
            f"{self.hour:02d}:00: {self.librarians}"
        )


class ShiftSlot(ScopedModel):
    """S2: a weekly commitment of `library` to staff `queue` on `weekday`,
    `starts`–`ends`, for the dates of `term`. Dated `Shift`s are made from it."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="slots")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="slots")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = DayTimeField(help_text="HH:MM in the queue's time zone.")
    ends = DayTimeField(help_text="HH:MM; 24:00 is midnight at the end of the day.")
    assignee = models.ForeignKey(
        Staff,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="slots",
        help_text="The librarian who covers this slot. Empty: the slot is a gap "
        "until someone is assigned.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["term__start_date", "queue", "weekday", "starts"]
        verbose_name = "weekly shift"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=F("starts")), name="shift_slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(ends__lte=1440), name="shift_slot_within_day"
            ),
        ]

    def __str__(self):
        return (
            f"{self.queue.code} {self.get_weekday_display()} "
            f"{format_minutes(self.starts)}–{format_minutes(self.ends)} ({self.term})"
        )


class ShiftQuerySet(models.QuerySet):
    def live(self):
        return self.filter(status=Shift.Status.SCHEDULED)

    def between(self, start, end):
        """Shifts overlapping the instants [start, end)."""
        return self.filter(starts_at__lt=end, ends_at__gt=start)

    def unfilled(self):
        """Scheduled shifts nobody will cover: no assignee, or given up and not
        yet taken by a substitute."""
        return self.live().filter(
            Q(assignee__isnull=True)
            | Q(offers__status__in=SubstitutionRequest.OPEN_STATUSES)
        )


class Shift(ScopedModel):
    """A dated shift: one librarian on `queue` from `starts_at` to `ends_at`.

    Made from a `ShiftSlot` (one per slot and date) or one-off (no slot).
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    class Attendance(models.TextChoices):
        PRESENT = "present", "On the desk"
        NO_SHOW = "no_show", "No-show"

    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="shifts"
    )
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="shifts")
    slot = models.ForeignKey(
        ShiftSlot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shifts",
    )
    date = models.DateField(help_text="The day the shift starts, in the queue's zone.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    assignee = models.ForeignKey(
        Staff,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shifts",
    )
    # The assignee came from a substitute claim (or a manual change), so
    # re-syncing the slot must not put the slot's librarian back.
    assignee_overridden = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    attendance = models.CharField(
        max_length=12, choices=Attendance.choices, blank=True, editable=False
    )
    attendance_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    note = models.CharField(max_length=200, blank=True)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "queue"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "date"],
                condition=Q(slot__isnull=False),
                name="shift_one_per_slot_and_date",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["queue", "starts_at"]),
            models.Index(fields=["assignee", "starts_at"]),
            models.Index(fields=["starts_at", "status"]),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at, self.queue.zone)
        end = timezone.localtime(self.ends_at, self.queue.zone)
        return f"{self.queue.code} {local:%a %b %-d, %H:%M}–{end:%H:%M %Z}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("schedule-shift", args=[self.pk])


class SubstitutionRequest(ScopedModel):
    """S3/S4: a librarian gives up a shift; it is offered to their library,
    then to the whole consortium, until another librarian claims it."""

    class Stage(models.TextChoices):
        LIBRARY = "library", "Offered to the library"
        CONSORTIUM = "consortium", "Offered to the consortium"

    class Status(models.TextChoices):
        OPEN = "open", "Looking for a substitute"
        PENDING = "pending", "Claimed, waiting for the coordinator"
        FILLED = "filled", "Filled"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Not filled"

    OPEN_STATUSES = (Status.OPEN, Status.PENDING)

    scope_path = "shift__library"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="offers")
    offered_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="offers_made"
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_minute = models.BooleanField(
        default=False, help_text="Given up less than 24 hours before the shift."
    )
    stage = models.CharField(
        max_length=12, choices=Stage.choices, default=Stage.LIBRARY
    )
    widen_at = models.DateTimeField(
        help_text="When the offer goes to the whole consortium if nobody in the "
        "library has claimed it."
    )
    widened_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN
    )
    claimed_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offers_claimed",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offers_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "substitute request"
        constraints = [
            models.UniqueConstraint(
                fields=["shift"],
                condition=Q(status__in=["open", "pending"]),
                name="substitution_one_open_per_shift",
            )
        ]
        indexes = [models.Index(fields=["status", "widen_at"])]

    def __str__(self):
        return f"Substitute for {self.shift} ({self.get_status_display()})"


class ShiftEvent(models.Model):
    """The history of a shift (S3: "history kept"): who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        ASSIGNED = "assigned", "Assigned"
        CHANGED = "changed", "Changed"
        CANCELLED = "cancelled", "Cancelled"
        RESTORED = "restored", "Restored"
        GIVEN_UP = "given_up", "Given up"
        WIDENED = "widened", "Offered to the consortium"
        WITHDRAWN = "withdrawn", "Give-up withdrawn"
        CLAIMED = "claimed", "Claimed by a substitute"
        APPROVED = "approved", "Substitute approved"
        REJECTED = "rejected", "Substitute turned down"
        EXPIRED = "expired", "Started without a substitute"
        PRESENT = "present", "On the desk"
        NO_SHOW = "no_show", "No-show"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["shift", "at"])]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class ScheduleChangeRequest(ScopedModel):
    """S7: a coordinator asks to add, change or remove a weekly slot of a term
    already under way; the help desk approves (which applies it) or rejects."""

    class Action(models.TextChoices):
        ADD = "add", "Add a weekly shift"
        CHANGE = "change", "Change a weekly shift"
        REMOVE = "remove", "Remove a weekly shift"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the help desk"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="schedule_changes"
    )
    requested_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="schedule_changes"
    )
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=8, choices=Action.choices)
    slot = models.ForeignKey(
        ShiftSlot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="change_requests",
        help_text="The weekly shift to change or remove.",
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    term = models.ForeignKey(
        Term, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, null=True, blank=True
    )
    starts = DayTimeField(null=True, blank=True)
    ends = DayTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedule_changes_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.get_action_display()} — {self.library.code} ({self.get_status_display()})"


class AlertEmail(models.Model):
    """An alert email, written once and sent once (`sent_at` is claimed)."""

    to = models.TextField(help_text="Recipients, one per line.")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self):
        return self.subject

    @property
    def recipients(self) -> list[str]:
        return [line.strip() for line in self.to.splitlines() if line.strip()]


class Alert(models.Model):
    """One alert stage of one thing (a gap, a give-up, a no-show…). The unique
    (kind, key) is the idempotency key: however many beats, workers or retries
    run, the row is inserted once, and only its inserter writes the email."""

    class Kind(models.TextChoices):
        DIGEST = "digest", "Daily digest of unfilled shifts"
        URGENT_SHIFT = "urgent_shift", "Unfilled shift within 48 h"
        URGENT_HOUR = "urgent_hour", "Hour below requirement within 48 h"
        LAST_MINUTE = "last_minute", "Shift given up less than 24 h ahead"
        WIDENED = "widened", "Shift offered to the consortium"
        NO_SHOW = "no_show", "No-show"
        INSUFFICIENT = "insufficient", "Insufficient help on the desk"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.ForeignKey(
        AlertEmail, on_delete=models.SET_NULL, null=True, related_name="alerts"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="alert_once_per_stage")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.key}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """S8: the private address of a librarian's iCalendar feed. Resetting the
    token makes the old address stop working."""

    staff = models.OneToOneField(
        Staff, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Calendar of {self.staff}"
