"""Conversations on every channel. A patron's question is one conversation
whatever its channel; messages carry a per-conversation sequence number and
the sender's client id, so a reconnecting client asks for "everything after N"
and a resent message is stored once."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    ended_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveIntegerField(default=0, editable=False)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="waiting")
                | Q(status="missed")
                | Q(librarian__isnull=False),
                name="conversation_answered_has_librarian",
            )
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"]),
            models.Index(fields=["librarian", "status"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.library.code}: {self.question[:60]}"


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
