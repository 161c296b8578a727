"""Conversations on every channel. A patron's question is one conversation
whatever its channel; messages carry a per-conversation sequence number and
the sender's client id, so a reconnecting client asks for "everything after N"
and a resent message is stored once."""

from __future__ import annotations

import secrets

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    validate_domain_name,
    validate_email,
)
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone

from consortium.models import Library, Queue, ScopedModel


def new_patron_token() -> str:
    return secrets.token_urlsafe(32)


class ConversationQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=Conversation.Status.WAITING)

    def active(self):
        return self.filter(status=Conversation.Status.ACTIVE)

    def pickup_order(self):
        """Residents of the service area first, then longest waiting (SPEC L2)."""
        return self.order_by("-resident", "requested_at", "pk")


class Conversation(ScopedModel):
    class Channel(models.TextChoices):
        CHAT = "chat", "Live chat"
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for a librarian"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        MISSED = "missed", "Missed (left before pickup)"
        TICKET = "ticket", "Email ticket"

    class Resolution(models.TextChoices):
        ANSWERED = "answered", "Answered"
        FOLLOWUP_LIBRARY = "followup_library", "Follow Up by Patron's Library"
        FOLLOWUP_ME = "followup_me", "Follow Up by Me"
        LOST_CALL = "lost_call", "Lost Call"

    class QuestionType(models.TextChoices):
        DIRECTIONAL = "directional", "Directional"
        POLICY_HOURS = "policy_hours", "Policy / hours"
        ACCOUNT_LOGIN = "account_login", "Account / login"
        E_RESOURCES = "e_resources", "E-resources / technical"
        KNOWN_ITEM = "known_item", "Known item"
        RESEARCH = "research", "Research"
        OTHER = "other", "Other"

    class PatronStatus(models.TextChoices):
        MIDDLE_SCHOOL = "middle_school", "Middle school student"
        HIGH_SCHOOL = "high_school", "High school student"
        UNDERGRADUATE = "undergraduate", "Undergraduate student"
        GRADUATE = "graduate", "Graduate student"
        FACULTY_STAFF = "faculty_staff", "Faculty or staff"
        PUBLIC = "public", "Public / other"

    channel = models.CharField(
        max_length=8, choices=Channel.choices, default=Channel.CHAT
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.WAITING
    )
    library = models.ForeignKey(
        Library,
        on_delete=models.PROTECT,
        related_name="conversations",
        help_text="The library the patron asked from.",
    )
    queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        related_name="conversations",
        help_text="The queue the conversation was offered on first.",
    )
    patron_token = models.CharField(
        max_length=64, unique=True, default=new_patron_token, editable=False
    )
    question = models.TextField()
    patron_name = models.CharField(max_length=120, blank=True)
    patron_email = models.EmailField(blank=True)
    # SMS: the patron's number (E.164), personal data like the email address.
    patron_phone = models.CharField(max_length=16, blank=True)
    patron_status = models.CharField(
        max_length=16, choices=PatronStatus.choices, default=PatronStatus.PUBLIC
    )
    resident = models.BooleanField(default=True)
    referrer_url = models.CharField(max_length=1000, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    coop_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="From this instant the co-op queues see the chat too.",
    )
    librarian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_seq = models.PositiveIntegerField(
        null=True, blank=True, help_text="The last message before the librarian joined."
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    lang = models.CharField(max_length=2, default="en")
    # While waiting: since when, and (after a transfer) for whom or which queue.
    waiting_since = models.DateTimeField(default=timezone.now)
    transfer_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    transfer_queue = models.ForeignKey(
        Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    transferred_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    transfer_note = models.TextField(blank=True)
    # Activity, for abandonment and the idle/silence timers.
    patron_last_seen = models.DateTimeField(null=True, blank=True)
    last_patron_at = models.DateTimeField(null=True, blank=True)
    last_librarian_at = models.DateTimeField(null=True, blank=True)
    # Wrap-up (SPEC L7).
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    question_type = models.CharField(
        max_length=16, choices=QuestionType.choices, blank=True
    )
    read_scale = models.PositiveSmallIntegerField(
        "READ scale",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    bad_patron = models.BooleanField(default=False)
    bad_patron_reason = models.CharField(max_length=300, blank=True)
    wrapped_up_at = models.DateTimeField(null=True, blank=True)
    # The patron's address is kept only as a keyed hash (for blocks), and in
    # clear only when a librarian captures it for inappropriate use (SPEC L8).
    patron_ip_hash = models.CharField(max_length=64, blank=True, editable=False)
    patron_ip = models.GenericIPAddressField(null=True, blank=True)
    transcript_token = models.CharField(
        max_length=64, unique=True, default=new_patron_token, editable=False
    )
    # When the retention job removed this conversation's personal data
    # (SPEC R4, `chat.services.retention`); its statistics stay.
    scrubbed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "missed", "ticket"])
                | Q(librarian__isnull=False),
                name="conversation_answered_has_librarian",
            ),
            models.CheckConstraint(
                condition=Q(read_scale__isnull=True)
                | Q(read_scale__gte=1, read_scale__lte=6),
                name="conversation_read_scale_1_to_6",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"]),
            models.Index(fields=["librarian", "status"]),
            # The lists' order (newest first, then id), a page's ids read from
            # the index alone, and the statistics' and date filters' periods.
            models.Index(fields=["requested_at", "id"], name="conversation_requested"),
            # The API's other orderings.
            models.Index(fields=["accepted_at"], name="conversation_accepted_at"),
            models.Index(fields=["ended_at"], name="conversation_ended_at"),
            # What a coordinator reads (`chat.privacy`): their library's and
            # their librarians' conversations, newest first, ids from the index.
            models.Index(
                fields=["library", "requested_at", "id"],
                name="conversation_library",
            ),
            models.Index(
                fields=["librarian", "requested_at", "id"],
                name="conversation_answered",
            ),
            # SMS threading: this library's latest conversation with a number.
            models.Index(
                fields=["library", "patron_phone", "requested_at"],
                condition=~Q(patron_phone=""),
                name="conversation_sms_thread",
            ),
            # The retention job's next batch: old conversations not yet scrubbed.
            models.Index(
                fields=["requested_at"],
                condition=Q(scrubbed_at__isnull=True),
                name="conversation_unscrubbed",
            ),
            # Search (`question`, `patron_name`, `patron_email` icontains) has
            # trigram GIN indexes on PostgreSQL, made by migration 0009.
        ]

    def __str__(self):
        return f"#{self.pk} {self.library.code}: {self.question[:60]}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.WAITING, self.Status.ACTIVE)

    @property
    def needs_wrapup(self) -> bool:
        return self.status == self.Status.ENDED and self.wrapped_up_at is None


class PatronRating(models.Model):
    """The patron's answer to "How did we do?" when a chat ended: once per
    conversation (SPEC R2; `chat.services.ratings`)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="rating"
    )
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            ),
        ]

    def __str__(self):
        return f"#{self.conversation_id}: {self.score}/5"


class RetentionRun(models.Model):
    """One run of the retention job (SPEC R4): what it scrubbed, for the
    audit trail. Written by `chat.services.retention`, read in the admin."""

    ran_at = models.DateTimeField(default=timezone.now)
    retention_days = models.PositiveIntegerField()
    cutoff = models.DateTimeField(help_text="Conversations asked before this.")
    conversations = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    attachments = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self):
        return f"{self.ran_at:%Y-%m-%d %H:%M}: {self.conversations} scrubbed"


class Message(models.Model):
    class Sender(models.TextChoices):
        PATRON = "patron", "Patron"
        LIBRARIAN = "librarian", "Librarian"
        SYSTEM = "system", "System"
        NOTE = "note", "Internal note"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    body = models.TextField()
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Email tickets: the Message-ID it went out or came in with (threading),
    # the whole text of an inbound email (`body` shows it without the quoted
    # history), and when an outbound one was handed to the mail server.
    email_message_id = models.CharField(max_length=250, blank=True, db_index=True)
    full_text = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "seq"], name="message_seq_unique"
            ),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=~Q(client_id=""),
                name="message_client_id_unique",
            ),
        ]

    def __str__(self):
        return f"{self.conversation_id}#{self.seq} {self.sender}"

    @property
    def is_internal(self) -> bool:
        return self.sender == self.Sender.NOTE

    @property
    def files(self) -> list[Attachment]:
        """This message's attachments in the order they came: from the cache
        that `prefetch_related("attachments")`, `_append` and `attach` keep,
        else one query."""
        cached = getattr(self, "_prefetched_objects_cache", {}).get("attachments")
        return list(self.attachments.all() if cached is None else cached)

    def know_files(self, files) -> None:
        """Remember `files` as all of this message's attachments (a message
        just stored, whose payload must not query)."""
        if not hasattr(self, "_prefetched_objects_cache"):
            self._prefetched_objects_cache = {}
        self._prefetched_objects_cache["attachments"] = list(files)


class SmsMessage(models.Model):
    """A message of an SMS conversation as a text: the provider's id (a text
    Twilio sends again is stored once) and, for a text out, its delivery.
    The numbers are the conversation's `patron_phone` and its library's
    `sms_number`."""

    class Direction(models.TextChoices):
        INBOUND = "in", "Received"
        OUTBOUND = "out", "Sent"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PENDING = "pending", "Waiting to be sent"
        QUEUED = "queued", "Queued by the provider"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Not delivered"
        FAILED = "failed", "Failed"

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="sms"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    sid = models.CharField(
        "provider message id", max_length=64, blank=True, help_text="MessageSid."
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    error = models.CharField(max_length=300, blank=True)
    num_media = models.PositiveSmallIntegerField(default=0)
    # Sent by the system, not a librarian (after-hours reply, STOP/HELP).
    automatic = models.BooleanField(default=False)
    # Claimed by the send task (null until it starts sending): sent once.
    sent_at = models.DateTimeField(null=True, blank=True)
    status_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SMS text"
        constraints = [
            models.UniqueConstraint(
                fields=["sid"], condition=~Q(sid=""), name="sms_sid_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.sid or self.pk}: {self.status}"


class SmsOptOut(models.Model):
    """A number that texted STOP (or PARAR, ...) to a library's number: it
    gets no text from that number until it texts START. Personal data."""

    library = models.ForeignKey(
        "consortium.Library", on_delete=models.CASCADE, related_name="sms_opt_outs"
    )
    phone = models.CharField(max_length=16)
    opted_out_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SMS opt-out"
        constraints = [
            models.UniqueConstraint(
                fields=["library", "phone"], name="sms_opt_out_unique"
            ),
        ]

    def __str__(self):
        return f"{self.library} opt-out"


def attachment_path(instance, filename):
    # The stored name is random: the patron's file name is kept in `name` only.
    return f"chat/{instance.conversation_id}/{secrets.token_hex(12)}"


class Attachment(models.Model):
    """A file shared in a conversation, checked by its content before it is
    stored. A chat message carries one; an email (and an MMS) may carry
    several, in the order they came."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class ChatTimer(models.Model):
    """A durable deadline of a conversation (SPEC L6). Beat sweeps due rows
    every second; `fired_at` is claimed with a conditional update, so a timer
    fires once however many sweeps overlap. Rescheduling a kind resets it."""

    class Kind(models.TextChoices):
        FALLBACK = "fallback", "Fallback to the co-op"
        MISSED_RISK = "missed_risk", "Missed-chat risk"
        WAITING_LONG = "waiting_long", "Waiting over 3 minutes"
        LIBRARIAN_SILENT = "librarian_silent", "Librarian silent"
        LONG_CHAT = "long_chat", "Long chat"
        PATRON_IDLE = "patron_idle", "Patron idle"
        PATRON_IDLE_CLOSE = "patron_idle_close", "Patron idle: suggest closing"
        PATRON_GONE = "patron_gone", "Patron left before pickup"
        SHIFT_END = "shift_end", "Queue closes with the chat open"
        SMS_REMINDER = "sms_reminder", "SMS answer due soon"
        SMS_OVERDUE = "sms_overdue", "SMS answer overdue"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="timers"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    alerted_for = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The last activity an idle or silence alert was sent for, so "
        "one quiet spell gives one alert.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "kind"], name="chat_timer_unique_kind"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(fired_at__isnull=True),
                name="chat_timer_pending",
            )
        ]

    def __str__(self):
        return f"{self.kind} of #{self.conversation_id} at {self.due_at:%H:%M:%S}"


def new_reply_token() -> str:
    return secrets.token_hex(8)


class Ticket(ScopedModel):
    """A question answered by email (SPEC T1-T6): from the offline form, the
    chat follow-up codes or an email to a library's ticket address. It is the
    same conversation as the chat it continues (one transcript, one analytics
    row); this row holds its inbox, claim, deadlines and reply address."""

    class Source(models.TextChoices):
        OFFLINE_FORM = "offline_form", "Offline form"
        FOLLOWUP_LIBRARY = "followup_library", "Chat: follow up by patron's library"
        FOLLOWUP_ME = "followup_me", "Chat: follow up by the librarian"
        EMAIL = "email", "Email to the library"
        SMS = "sms", "SMS conversation converted by staff"

    class Status(models.TextChoices):
        OPEN = "open", "Open (unclaimed)"
        CLAIMED = "claimed", "Claimed"
        WAITING = "waiting", "Waiting on the patron"
        CLOSED = "closed", "Closed"

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="ticket"
    )
    library = models.ForeignKey(
        Library,
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text="Whose inbox it is in.",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    email = models.EmailField(help_text="The patron's address: replies go there.")
    subject = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(help_text="First response due.")
    first_response_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(
        null=True, blank=True, help_text="Our last reply, while waiting on the patron."
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    forwarded_to_helpdesk = models.BooleanField(
        default=False,
        help_text="In the help desk's inbox: the library is closed long (SPEC C4).",
    )
    reply_token = models.CharField(
        max_length=16, unique=True, default=new_reply_token, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="claimed") | Q(assignee__isnull=False),
                name="ticket_claimed_has_assignee",
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            # The lists' order, most urgent first. Search (`subject`, `email`)
            # has trigram GIN indexes on PostgreSQL (migration 0009).
            models.Index(fields=["due_at", "id"], name="ticket_due"),
            # The conversations of a library's inbox (`chat.privacy`).
            models.Index(fields=["library", "conversation"], name="ticket_inbox"),
        ]

    def __str__(self):
        return f"Ticket #{self.conversation_id} ({self.get_status_display()})"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class TicketReminder(models.Model):
    """One SLA stage of one ticket deadline (SPEC T4). The unique key is what
    makes each reminder go out once however often beat and workers run."""

    class Stage(models.TextChoices):
        OVERDUE = "overdue", "Overdue: claimant or coordinators reminded"
        ESCALATED = "escalated", "Escalated to the help desk"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="reminders"
    )
    stage = models.CharField(max_length=10, choices=Stage.choices)
    due_at = models.DateTimeField(help_text="The deadline this reminder is about.")
    recipients = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "stage", "due_at"], name="ticket_reminder_once"
            )
        ]

    def __str__(self):
        return f"{self.get_stage_display()} #{self.ticket.conversation_id}"


class InboundEmail(ScopedModel):
    """Every email received, kept as it arrived before anything else is done
    with it, so none is lost whatever its processing makes of it."""

    scope_path = "ticket__library"

    class Via(models.TextChoices):
        WEBHOOK = "webhook", "Provider webhook"
        IMAP = "imap", "IMAP mailbox"
        PIPE = "pipe", "Local mail delivery"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not processed yet"
        APPENDED = "appended", "Added to a ticket"
        CREATED = "created", "Created a ticket"
        AUTO_REPLY = "auto_reply", "Automatic mail (ignored)"
        BOUNCE = "bounce", "Bounce (noted on the ticket)"
        LOOP = "loop", "Our own mail come back (ignored)"
        DUPLICATE = "duplicate", "Received before (ignored)"
        BLOCKED = "blocked", "Sender blocked (ignored)"
        QUARANTINED = "quarantined", "Quarantined"
        FAILED = "failed", "Processing failed"

    via = models.CharField(max_length=8, choices=Via.choices)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    message_id = models.CharField(max_length=250, blank=True, db_index=True)
    from_email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    reason = models.CharField(max_length=300, blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times processing began (a crash can leave it received)."
    )

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.from_email}: {self.subject[:60]} ({self.get_status_display()})"


class PatronBlock(models.Model):
    """A patron barred from starting chats for a while (SPEC L8)."""

    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    until = models.DateTimeField()
    reason = models.CharField(max_length=300)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    helpdesk_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(ip_hash="") | ~Q(email=""),
                name="patron_block_has_address_or_email",
            )
        ]

    def __str__(self):
        return f"Block until {self.until:%Y-%m-%d}: {self.reason}"


class BackupCall(models.Model):
    """A librarian alone on the desk calls for backup (SPEC L12)."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"Backup call by {self.staff} at {self.created_at:%Y-%m-%d %H:%M}"


def normalised_sender_pattern(value: str) -> str:
    """A blocklist pattern as stored: a whole address `name@domain`, or a
    domain `@domain` (typed as `domain` or `@domain`), lower-case. Raises
    ValidationError for anything else."""
    pattern = (value or "").strip().lower()
    local, at, domain = pattern.rpartition("@")
    if not at:
        local, domain = "", pattern
    problem = None
    if not domain:
        problem = "Write an address (name@example.org) or a domain (@example.org)."
    elif any(c.isspace() or c in "<>,;\"'" for c in pattern):
        problem = "An address or a domain has no spaces, brackets, commas or quotes."
    else:
        try:
            if local:
                validate_email(pattern)
            else:
                validate_domain_name(domain)
        except ValidationError:
            problem = (
                f"“{pattern[:80]}” is not an email address."
                if local
                else f"“{domain[:80]}” is not a domain name such as example.org."
            )
    if problem:
        raise ValidationError(problem, code="invalid")
    return pattern if local else f"@{domain}"


class BlockedSenderQuerySet(models.QuerySet):
    def matching(self, address: str, *, library_id):
        """The blocks that stop mail from `address` to `library_id` (an id,
        None, or an expression giving one): the whole address or its exact
        domain, for that library or every library, most specific first. A
        domain block does not cover its subdomains. One lookup of the
        `pattern` index, however long the list."""
        address = address.strip().lower()
        domain = "@" + address.rpartition("@")[2]
        scope = Q(library__isnull=True)
        if library_id is not None:
            scope |= Q(library_id=library_id)
        return self.filter(scope, pattern__in=[address, domain]).order_by(
            F("library_id").desc(nulls_last=True),
            Length("pattern").desc(),
            "pk",
        )


class BlockedSender(ScopedModel):
    """A sender whose mail intake ignores (status `blocked`): automatic mail
    with no automatic sign in its headers, blocked after its first ticket
    (issue 16). For one library, or every library when `library` is empty
    (the help desk's). Written by `chat.services.blocklist`."""

    scope_shared = True

    pattern = models.CharField(
        max_length=254,
        validators=[normalised_sender_pattern],
        help_text="A whole address (bookings@example.com) or a domain "
        "(@example.com, which does not cover its subdomains such as "
        "mail.example.com).",
    )
    library = models.ForeignKey(
        Library,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="blocked_senders",
        help_text="Mail to this library's address is ignored. Empty: mail to "
        "every library (the help desk only).",
    )
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_matched_at = models.DateTimeField(null=True, blank=True, editable=False)
    matched_count = models.PositiveIntegerField(default=0, editable=False)

    objects = BlockedSenderQuerySet.as_manager()

    class Meta:
        ordering = ["pattern"]
        constraints = [
            # Their indexes start with the pattern: intake's lookup uses them.
            models.UniqueConstraint(
                fields=["pattern", "library"],
                name="blocked_sender_unique",
                violation_error_message="This sender is already blocked for "
                "this library.",
            ),
            models.UniqueConstraint(
                fields=["pattern"],
                condition=Q(library__isnull=True),
                name="blocked_sender_unique_everywhere",
                violation_error_message="This sender is already blocked for "
                "every library.",
            ),
        ]

    def __str__(self):
        return f"{self.pattern} ({self.library.code if self.library else 'all'})"

    def clean(self):
        # Stored normalised, so the unique keys and intake's lookup compare
        # like with like (the field's validator reports a bad pattern).
        try:
            self.pattern = normalised_sender_pattern(self.pattern)
        except ValidationError:
            pass


# Who blocked and unblocked whom, when (the admin's History); the counters
# intake bumps are not changes anyone made.
auditlog.register(
    BlockedSender,
    include_fields=["pattern", "library", "reason", "created_by", "created_at"],
)
