"""The consortium core: member libraries, queues, staff, hours and closures,
referrals, announcements, problem reports and queue presence.

Every model a site coordinator may see names the path to its library in
``scope_path`` (see `consortium.scoping`); rows whose library is empty on that
path are consortium-wide.
"""

from __future__ import annotations

import re
import time
import zoneinfo
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property

from consortium.fields import DayTimeField, format_minutes


def validate_timezone(value: str) -> None:
    if value not in _timezone_names():
        raise ValidationError(
            "“%(value)s” is not a known time zone. Use an IANA name such as "
            "America/New_York or America/Chicago.",
            params={"value": value},
            code="unknown_timezone",
        )


def _timezone_names() -> frozenset[str]:
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = frozenset(zoneinfo.available_timezones())
    return _TIMEZONES


_TIMEZONES: frozenset[str] | None = None


def timezone_choices():
    return [(name, name) for name in sorted(_timezone_names()) if "/" in name]


class TimeZoneField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("validators", [validate_timezone])
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        from django import forms

        blank = [("", "---------")] if self.blank else []
        return forms.ChoiceField(
            choices=blank + timezone_choices(),
            required=not self.blank,
            label=self.verbose_name.capitalize(),
            help_text=self.help_text,
            initial=self.get_default() or None,
            error_messages={
                "invalid_choice": "“%(value)s” is not a known time zone. Use an IANA "
                "name such as America/New_York or America/Chicago."
            },
        )


class ScopedModel(models.Model):
    """A row that belongs to one member library through `scope_path`."""

    scope_path: str = "library"
    # Rows with no library on `scope_path` are consortium-wide; when True,
    # coordinators may see them (read-only).
    scope_shared: bool = False

    class Meta:
        abstract = True

    @property
    def scope_library_id(self) -> int | None:
        obj = self
        *parts, last = self.scope_path.split("__")
        for part in parts:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        if last == "pk":
            return obj.pk
        return getattr(obj, f"{last}_id")

    def get_additional_data(self) -> dict:
        """Stored with each audit entry, so coordinators see their library's."""
        return {"library_id": self.scope_library_id}


# --- Consortium settings --------------------------------------------------------


class ConsortiumSettings(models.Model):
    """The consortium's service rules. One row; the help desk edits it."""

    name = models.CharField(max_length=120, default="Ask a Librarian")
    service_area = models.CharField(
        max_length=500,
        blank=True,
        help_text="Where residents live, for pickup priority: a state code such as FL, "
        "or postcodes separated by commas. A library's own service area overrides it.",
    )
    helpdesk_email = models.EmailField(default="helpdesk@example.org")
    listserv_email = models.EmailField(default="askref-l@example.org")
    pickup_seconds = models.PositiveIntegerField(
        "pick up a waiting chat within (s)", default=60
    )
    waiting_highlight_seconds = models.PositiveIntegerField(
        "highlight chats waiting over (s)", default=180
    )
    librarian_silence_seconds = models.PositiveIntegerField(
        "nudge a librarian silent for (s)", default=180
    )
    long_chat_minutes = models.PositiveIntegerField(
        "suggest email follow-up after (min)", default=20
    )
    patron_idle_minutes = models.PositiveIntegerField(
        "patron idle after (min)", default=5
    )
    sms_message_chars = models.PositiveIntegerField("SMS message length", default=150)
    sms_response_hours = models.PositiveIntegerField(
        "answer SMS within (h)", default=12
    )
    sms_new_conversation_hours = models.PositiveIntegerField(
        "new SMS conversation after silence of (h)", default=12
    )
    ticket_first_response_hours = models.PositiveIntegerField(
        "first response to email tickets within (h)", default=48
    )
    ticket_autoclose_hours = models.PositiveIntegerField(
        "close tickets without patron answer after (h)", default=72
    )
    long_closure_days = models.PositiveIntegerField(
        "forward tickets of libraries closed longer than (days)",
        default=14,
        help_text="Days of consortium holidays inside a closure do not count.",
    )
    unfilled_digest_days = models.PositiveIntegerField(
        "digest of unfilled shifts covers (days)", default=14
    )
    urgent_gap_hours = models.PositiveIntegerField(
        "urgent alert for unfilled shifts within (h)", default=48
    )
    substitute_library_hours = models.PositiveIntegerField(
        "a given-up shift is offered to its own library first for (h)",
        default=24,
        help_text="Then to the whole consortium, with an email to the listserv. "
        "Shifts given up less than 24 hours ahead go to everyone at once.",
    )
    attendance_check_minutes = models.PositiveIntegerField(
        "check shift attendance after (min)", default=5
    )
    presence_timeout_seconds = models.PositiveIntegerField(
        "a librarian stops counting as monitoring after silence of (s)",
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(600)],
    )
    retention_days = models.PositiveIntegerField(
        "scrub personal data after (days)", default=365
    )
    review_interval_days = models.PositiveIntegerField(
        "policy pages need review after (days)", default=180
    )

    class Meta:
        verbose_name = "consortium settings"
        verbose_name_plural = "consortium settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(pk=1), name="consortium_settings_singleton"
            )
        ]

    def __str__(self):
        return f"{self.name} settings"

    # Read by every chat start, pickup and timer: each process keeps the row
    # this long (a fresh instance per call). A save in this process forgets
    # it at once (`forget`, from the post_save signal and again on commit);
    # other processes see a change within these seconds.
    CACHE_SECONDS = 5.0
    _cached: tuple[float, list] | None = None

    @classmethod
    def load(cls) -> ConsortiumSettings:
        cached, now = cls._cached, time.monotonic()
        if cached is not None and now < cached[0]:
            return cls.from_db("default", None, cached[1])
        obj, _ = cls.objects.get_or_create(pk=1)
        values = [getattr(obj, f.attname) for f in cls._meta.concrete_fields]
        cls._cached = (now + cls.CACHE_SECONDS, values)
        return obj

    @classmethod
    def forget(cls) -> None:
        cls._cached = None


# --- Libraries and queues ----------------------------------------------------------

LIBRARY_CODE = RegexValidator(
    r"^[a-z][a-z0-9]{1,15}$",
    "A library code is 2 to 16 lower-case letters and digits, starting with a letter "
    "(for example “sprc”); it prefixes the library's queue and user names.",
)
QUEUE_CODE = RegexValidator(
    r"^[a-z0-9]+(-[a-z0-9]+)*$",
    "A queue code uses lower-case letters, digits and single hyphens "
    "(for example “sprc” or “coop-statewide”).",
)


DEFAULT_TICKET_GREETING = "Hello {name},"


class LibraryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


DEFAULT_SMS_AFTER_HOURS_REPLY = (
    "Thanks for your text! Nobody is answering right now; a librarian will reply "
    "when we open, within 12 hours."
)
DEFAULT_SMS_AFTER_HOURS_REPLY_ES = (
    "¡Gracias por su mensaje! Ahora no hay nadie para contestar; un bibliotecario "
    "le responderá al abrir, en menos de 12 horas."
)


class Library(ScopedModel):
    class Type(models.TextChoices):
        PUBLIC = "public", "Public"
        ACADEMIC = "academic", "Academic"
        SCHOOL = "school", "School"
        SPECIAL = "special", "Special"

    scope_path = "pk"

    name = models.CharField(max_length=200, unique=True)
    code = models.CharField(
        max_length=16,
        unique=True,
        validators=[LIBRARY_CODE],
        help_text="Short lower-case code used in queue and user names.",
    )
    library_type = models.CharField("type", max_length=16, choices=Type.choices)
    timezone = TimeZoneField(default="America/New_York")
    website = models.URLField(help_text="The chat widget is allowed on this site.")
    widget_origins = models.TextField(
        "other widget origins",
        blank=True,
        help_text="Other sites that may embed the chat widget, one origin per line "
        "(for example https://catalog.example.edu).",
    )
    contact_email = models.EmailField("public contact email", blank=True)
    contact_phone = models.CharField("public contact phone", max_length=40, blank=True)
    ticket_email = models.EmailField(
        "ticket inbox address",
        blank=True,
        help_text="Email questions sent here become tickets for this library.",
    )
    ticket_greeting = models.CharField(
        "email reply greeting",
        max_length=200,
        blank=True,
        default=DEFAULT_TICKET_GREETING,
        help_text="First line of every emailed answer. {name} is the patron's name "
        "(or “there” when they gave none). Empty: “Hello {name},”.",
    )
    ticket_signature = models.TextField(
        "email reply signature",
        blank=True,
        help_text="Closes every emailed answer, after the librarian's name. Empty: "
        "the library's name, website and phone.",
    )
    service_area = models.CharField(
        max_length=500,
        blank=True,
        help_text="Residents served first in busy times: a state code such as FL, or "
        "postcodes separated by commas. Empty: the consortium's service area.",
    )
    coops = models.ManyToManyField(
        "Queue",
        blank=True,
        related_name="member_libraries",
        limit_choices_to={"kind": "coop"},
        verbose_name="co-op memberships",
        help_text="Co-op queues that answer this library's patrons.",
    )
    fallback_delay_seconds = models.PositiveSmallIntegerField(
        "co-op fallback delay (s)",
        default=15,
        validators=[MaxValueValidator(600)],
        help_text="Seconds before an unanswered local chat also shows on the co-op queues.",
    )
    substitutes_need_approval = models.BooleanField(
        default=False,
        help_text="When a librarian claims a shift this library gave up, the site "
        "coordinator approves the substitute before the shift changes hands.",
    )
    # Room for a number as people write it; `clean` stores it as E.164.
    sms_number = models.CharField(
        "SMS number",
        max_length=32,
        blank=True,
        help_text="The Twilio number patrons text, in international form "
        "(+18505550100). Empty: no SMS service. A number belongs to one library.",
    )
    sms_thread_hours = models.PositiveSmallIntegerField(
        "SMS text-string time (h)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="A text after this many hours without one from the same number "
        "starts a new conversation.",
    )
    # Sent once per thread window to a text that arrives when nobody can
    # answer (SPEC M1; the Florida manual's "auto response").
    sms_after_hours_reply = models.CharField(
        "SMS after-hours reply",
        max_length=150,
        blank=True,
        default=DEFAULT_SMS_AFTER_HOURS_REPLY,
        help_text="Texted once to a patron who writes when nobody is answering "
        "(at most 150 characters). Empty: no reply.",
    )
    sms_after_hours_reply_es = models.CharField(
        "SMS after-hours reply (Spanish)",
        max_length=150,
        blank=True,
        default=DEFAULT_SMS_AFTER_HOURS_REPLY_ES,
        help_text="The same for a patron who writes in Spanish.",
    )
    active = models.BooleanField(default=True)

    objects = LibraryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "libraries"
        constraints = [
            models.UniqueConstraint(
                fields=["sms_number"],
                condition=~Q(sms_number=""),
                name="library_sms_number_unique",
                violation_error_message="Another library has this SMS number.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("library-hours", args=[self.code])

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def allowed_origins(self) -> list[str]:
        """Origins (scheme://host[:port]) allowed to embed this library's widget."""
        from urllib.parse import urlsplit

        origins = []
        for url in [self.website, *self.widget_origins.split()]:
            parts = urlsplit(url.strip())
            if parts.scheme and parts.netloc:
                origins.append(f"{parts.scheme}://{parts.netloc}".lower())
        return origins

    def clean(self):
        if self.sms_number:
            from consortium.phones import to_e164

            try:
                self.sms_number = to_e164(self.sms_number)
            except ValidationError as error:
                raise ValidationError({"sms_number": error.messages}) from error
        for line in self.widget_origins.split():
            if not re.match(r"^https?://[^/\s]+/?$", line):
                raise ValidationError(
                    {
                        "widget_origins": f"“{line}” is not an origin; write it as "
                        "https://host.example.org with no path."
                    }
                )


class QueueQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def coop(self):
        return self.filter(kind=Queue.Kind.COOP)

    def local(self):
        return self.filter(kind=Queue.Kind.LOCAL)


class Queue(ScopedModel):
    class Kind(models.TextChoices):
        LOCAL = "local", "Local (one library)"
        COOP = "coop", "Cooperative"

    scope_shared = True

    code = models.CharField(
        max_length=40,
        unique=True,
        validators=[QUEUE_CODE],
        help_text="Local queues: the library code, optionally followed by -name "
        "(sprc, sprc-science). Co-op queues start with coop- (coop-statewide).",
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.LOCAL)
    library = models.ForeignKey(
        Library,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="queues",
        help_text="The library a local queue belongs to. Empty for co-op queues.",
    )
    timezone = TimeZoneField(
        blank=True,
        help_text="Co-op queues only: the time zone of their posted hours. "
        "Local queues use their library's time zone.",
    )
    first_response_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Email tickets: first response due after this many hours. "
        "Empty: the consortium default.",
    )
    active = models.BooleanField(default=True)

    objects = QueueQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="local") & Q(library__isnull=False))
                | (Q(kind="coop") & Q(library__isnull=True)),
                name="queue_local_has_library_coop_has_none",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_coop(self) -> bool:
        return self.kind == self.Kind.COOP

    @property
    def tz_name(self) -> str:
        if self.is_coop:
            return self.timezone
        return self.library.timezone

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz_name)

    def clean(self):
        errors = {}
        code = self.code or ""
        if self.kind == self.Kind.COOP:
            if not code.startswith("coop-"):
                errors["code"] = (
                    "A co-op queue's code must start with “coop-”, for example coop-statewide."
                )
            if self.library_id:
                errors["library"] = (
                    "A co-op queue belongs to no single library; leave the library empty."
                )
            if not self.timezone:
                errors["timezone"] = (
                    "A co-op queue needs the time zone of its posted hours."
                )
        else:
            if code.startswith("coop-"):
                errors["code"] = "Only co-op queues may start with “coop-”."
            if not self.library_id:
                errors["library"] = "A local queue belongs to a library; choose one."
            elif (
                code
                and code != self.library.code
                and not code.startswith(f"{self.library.code}-")
            ):
                errors["code"] = (
                    f"A local queue of {self.library.name} must be named “{self.library.code}” "
                    f"or start with “{self.library.code}-”."
                )
        if errors:
            raise ValidationError(errors)


# --- Staff ------------------------------------------------------------------------

USERNAME = RegexValidator(
    r"^[a-z0-9]+([.-][a-z0-9]+)*$",
    "A user name uses lower-case letters and digits, with dots or hyphens between them.",
)


class StaffQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def chat_staff(self):
        return self.filter(role__in=Staff.CHAT_ROLES)


class StaffManager(UserManager.from_queryset(StaffQuerySet)):
    pass


class Staff(ScopedModel, AbstractUser):
    class Role(models.TextChoices):
        LIBRARIAN = "librarian", "Librarian"
        INTERN = "intern", "Intern (email tickets only)"
        COORDINATOR = "coordinator", "Site coordinator"
        HELPDESK = "helpdesk", "Help desk"

    CHAT_ROLES = (Role.LIBRARIAN, Role.COORDINATOR, Role.HELPDESK)
    LIBRARY_ROLES = (Role.LIBRARIAN, Role.INTERN, Role.COORDINATOR)

    username = models.CharField(
        max_length=150,
        unique=True,
        validators=[USERNAME],
        help_text="Library staff: the library code, a hyphen, then a name (sprc-rob).",
        error_messages={"unique": "A staff member with that user name already exists."},
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LIBRARIAN)
    library = models.ForeignKey(
        Library,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text="Home library. A site coordinator coordinates this library.",
    )
    display_name = models.CharField(
        "chat display name",
        max_length=120,
        blank=True,
        help_text="Shown to patrons, e.g. “Rob from Springfield College”. "
        "Empty: first name and library.",
    )
    max_chats = models.PositiveSmallIntegerField(
        "max concurrent chats",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )

    objects = StaffManager()

    class Meta:
        ordering = ["username"]
        verbose_name = "staff member"
        verbose_name_plural = "staff"
        constraints = [
            models.CheckConstraint(
                condition=Q(role="helpdesk") | Q(library__isnull=False),
                name="staff_library_required_unless_helpdesk",
            )
        ]

    def __str__(self):
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def save(self, *args, **kwargs):
        # Admin access follows the role: coordinators and the help desk use it.
        self.is_staff = (
            self.role in (self.Role.COORDINATOR, self.Role.HELPDESK)
            or self.is_superuser
        )
        super().save(*args, **kwargs)

    @property
    def is_helpdesk(self) -> bool:
        return self.is_active and (self.role == self.Role.HELPDESK or self.is_superuser)

    @property
    def is_coordinator(self) -> bool:
        return self.is_active and self.role == self.Role.COORDINATOR

    @property
    def chat_name(self) -> str:
        return self.compose_chat_name(
            self.display_name,
            self.first_name,
            self.username,
            self.library.name if self.library_id else None,
        )

    @staticmethod
    def compose_chat_name(
        display_name: str, first_name: str, username: str, library_name: str | None
    ) -> str:
        """How patrons and colleagues see a librarian, from the columns alone
        (for reads of values rather than Staff rows)."""
        if display_name:
            return display_name
        first = first_name or username
        return f"{first} from {library_name}" if library_name else first

    def clean(self):
        super().clean()
        errors = {}
        if self.role in self.LIBRARY_ROLES and not self.library_id:
            errors["library"] = (
                f"A {self.get_role_display().lower()} needs a home library."
            )
        if self.library_id and self.role != self.Role.HELPDESK:
            prefix = f"{self.library.code}-"
            if self.username and not self.username.startswith(prefix):
                errors["username"] = (
                    f"Staff of {self.library.name} have user names starting with “{prefix}”, "
                    f"for example {prefix}{(self.first_name or 'name').lower()}."
                )
        if errors:
            raise ValidationError(errors)

    def has_perm(self, perm, obj=None):
        # The help desk administers everything, including third-party admin pages.
        if self.is_helpdesk:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        if self.is_helpdesk:
            return True
        return super().has_module_perms(app_label)


class QueueMonitor(ScopedModel):
    """A librarian monitoring a queue; alive while heartbeats keep `last_seen` fresh."""

    scope_path = "staff__library"

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="monitors")
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="monitors")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "queue"], name="queue_monitor_unique"
            )
        ]

    def __str__(self):
        return f"{self.staff} on {self.queue.code}"


# --- Hours, terms, holidays and closures ----------------------------------------


class TermType(models.TextChoices):
    SEMESTER = "semester", "Semester"
    INTERSESSION = "intersession", "Intersession"
    BREAK = "break", "Break"
    SUMMER = "summer", "Summer"


class DateRangeQuerySet(models.QuerySet):
    def covering(self, day: date):
        return self.filter(start_date__lte=day, end_date__gte=day)

    def overlapping(self, start: date, end: date):
        return self.filter(start_date__lte=end, end_date__gte=start)


class DateRange(models.Model):
    start_date = models.DateField()
    end_date = models.DateField(help_text="Last day, inclusive.")

    objects = DateRangeQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["start_date"]

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def clean_dates(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": "The last day cannot be before the first day."}
            )

    def clean_overlap(self, others, what: str):
        if not (self.start_date and self.end_date):
            return
        clash = (
            others.overlapping(self.start_date, self.end_date)
            .exclude(pk=self.pk)
            .first()
        )
        if clash:
            raise ValidationError(
                f"These dates overlap {what} “{clash}” "
                f"({clash.start_date:%b %-d, %Y} – {clash.end_date:%b %-d, %Y}). "
                "Change the dates or edit that entry instead."
            )


class Term(ScopedModel, DateRange):
    """A dated term (semester, break…). A library's own terms override the
    consortium-wide ones (library empty) for its queues."""

    scope_shared = True

    library = models.ForeignKey(
        Library,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="terms",
        help_text="Empty: the consortium calendar, used by co-op queues and by libraries "
        "without a term of their own on that day.",
    )
    term_type = models.CharField(max_length=16, choices=TermType.choices)
    name = models.CharField(max_length=120, help_text="For example “Fall 2026”.")

    class Meta(DateRange.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="term_dates_ordered"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.clean_dates()
        self.clean_overlap(Term.objects.filter(library_id=self.library_id), "the term")


class PostedHoursQuerySet(models.QuerySet):
    def for_day(self, term_type: str, weekday: int):
        return self.filter(term_type=term_type, weekday=weekday)


class PostedHours(ScopedModel):
    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    scope_path = "queue__library"
    scope_shared = True

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="hours")
    term_type = models.CharField(max_length=16, choices=TermType.choices)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = DayTimeField(help_text="HH:MM, in the queue's time zone.")
    closes = DayTimeField(help_text="HH:MM; 24:00 is midnight at the end of the day.")

    objects = PostedHoursQuerySet.as_manager()

    class Meta:
        ordering = ["queue", "term_type", "weekday", "opens"]
        verbose_name = "posted hours"
        verbose_name_plural = "posted hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="posted_hours_close_after_open"
            ),
            models.CheckConstraint(
                condition=Q(closes__lte=1440), name="posted_hours_within_day"
            ),
        ]
        indexes = [models.Index(fields=["queue", "term_type", "weekday"])]

    def __str__(self):
        return (
            f"{self.queue.code}: {self.get_term_type_display()} {self.get_weekday_display()} "
            f"{format_minutes(self.opens)}–{format_minutes(self.closes)}"
        )

    def clean(self):
        if self.opens is None or self.closes is None:
            return
        if self.closes <= self.opens:
            raise ValidationError(
                {
                    "closes": f"Closing time {format_minutes(self.closes)} is not after opening "
                    f"time {format_minutes(self.opens)}. For hours past midnight, end this "
                    "row at 24:00 and add a row starting 00:00 on the next day."
                }
            )
        if self.queue_id:
            clash = (
                PostedHours.objects.filter(
                    queue_id=self.queue_id,
                    term_type=self.term_type,
                    weekday=self.weekday,
                    opens__lt=self.closes,
                    closes__gt=self.opens,
                )
                .exclude(pk=self.pk)
                .first()
            )
            if clash:
                raise ValidationError(
                    f"These hours overlap {format_minutes(clash.opens)}–"
                    f"{format_minutes(clash.closes)} already posted for "
                    f"{clash.get_weekday_display()} ({clash.get_term_type_display()})."
                )


class Holiday(DateRange):
    """A consortium holiday closing: every queue is closed."""

    name = models.CharField(max_length=120)

    class Meta(DateRange.Meta):
        verbose_name = "consortium holiday"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="holiday_dates_ordered"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.clean_dates()


class Closure(ScopedModel, DateRange):
    """A library closed for some days: its local queues are closed."""

    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="closures"
    )
    reason = models.CharField(max_length=200)
    forwards_tickets = models.BooleanField(
        "tickets forwarded to help desk",
        default=False,
        editable=False,
        help_text="Closed longer than the consortium's limit, holidays not counted.",
    )
    helpdesk_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(DateRange.Meta):
        verbose_name = "library closure"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="closure_dates_ordered"
            )
        ]
        indexes = [models.Index(fields=["library", "start_date", "end_date"])]

    def __str__(self):
        return f"{self.library.code}: {self.reason}" if self.library_id else self.reason

    def clean(self):
        self.clean_dates()
        if self.library_id:
            self.clean_overlap(
                Closure.objects.filter(library_id=self.library_id), "the closure"
            )


# --- Referral directory -------------------------------------------------------------


class Liaison(ScopedModel):
    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="liaisons"
    )
    subject = models.CharField(max_length=120)
    name = models.CharField(max_length=120)
    email = models.EmailField()

    class Meta:
        ordering = ["library", "subject"]

    def __str__(self):
        return f"{self.subject}: {self.name}"


class ReferralAgreement(ScopedModel):
    """`from_library` sends questions on `subject` to `to_library`."""

    scope_path = "from_library"

    from_library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="referrals_out"
    )
    to_library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="referrals_in"
    )
    subject = models.CharField(max_length=120)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["from_library", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_library", "to_library", "subject"],
                name="referral_agreement_unique",
                violation_error_message="This referral agreement already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(from_library=F("to_library")),
                name="referral_not_to_self",
                violation_error_message="A library cannot refer questions to itself.",
            ),
        ]

    def __str__(self):
        return f"{self.subject}: {self.from_library.code} → {self.to_library.code}"


# --- Announcements and problem reports ------------------------------------------------


class AnnouncementQuerySet(models.QuerySet):
    def current(self, now=None):
        now = now or timezone.now()
        return self.filter(published_at__lte=now).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Announcement(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    email_staff = models.BooleanField(
        "email to all staff",
        default=False,
        help_text="Also email it to every active staff member.",
    )
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, editable=False
    )

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]

    def __str__(self):
        return self.title

    def clean(self):
        if (
            self.expires_at
            and self.published_at
            and self.expires_at <= self.published_at
        ):
            raise ValidationError(
                {"expires_at": "An announcement must expire after it is published."}
            )


class ProblemReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ProblemReport.Status.OPEN)


class ProblemReport(ScopedModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="problem_reports",
    )
    library = models.ForeignKey(
        Library,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problem_reports",
    )
    summary = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    page_url = models.CharField(max_length=500, blank=True)
    browser = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    helpdesk_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    objects = ProblemReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self):
        return self.summary

    @cached_property
    def age(self):
        return timezone.now() - self.created_at
