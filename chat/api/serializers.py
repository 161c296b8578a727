"""Serializers of conversations, transcripts and tickets. Reads only: every
change goes through an action that calls the desk's service."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat import privacy
from chat.models import Conversation, Message, PatronRating, Ticket
from consortium.api.generics import SlugRelatedField, StrictSerializer
from consortium.models import Library


def _seconds(start, end) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


class RatingSerializer(serializers.ModelSerializer):
    """The patron's answer to "How did we do?" once the chat ended
    (`chat.services.ratings`). The comment is the patron's own text: redacted
    like the question when personal data is withheld."""

    class Meta:
        model = PatronRating
        fields = ["score", "comment", "created_at"]
        read_only_fields = fields


def rating_data(conversation: Conversation, personal_data: bool) -> dict | None:
    """`conversation`'s rating (read with it: select_related "rating"), or
    None when the patron did not rate it."""
    rating = getattr(conversation, "rating", None)
    if rating is None:
        return None
    data = RatingSerializer(rating).data
    data["comment"] = privacy.rating_comment(conversation, personal_data)
    return data


class ConversationSerializer(serializers.ModelSerializer):
    """A conversation on any channel (SPEC R1). The patron's personal data
    (`patron_name`, `patron_email`, `patron_phone`, `patron_ip`,
    `referrer_url`, `user_agent`) is null and the question redacted when
    `personal_data` is false: a chat the reader's librarians answered for
    another library."""

    library = serializers.SlugRelatedField(slug_field="code", read_only=True)
    queue = serializers.SlugRelatedField(slug_field="code", read_only=True)
    librarian = serializers.SlugRelatedField(slug_field="username", read_only=True)
    answering_library = serializers.SerializerMethodField(
        help_text="Code of the answering librarian's home library."
    )
    wait_seconds = serializers.SerializerMethodField(
        help_text="From the request to the pickup (null if never picked up)."
    )
    duration_seconds = serializers.SerializerMethodField(
        help_text="From the pickup to the end (null while open)."
    )
    ticket = serializers.SerializerMethodField(
        help_text="Id of the email ticket continuing it, if any."
    )
    personal_data = serializers.SerializerMethodField(
        help_text="Whether the patron's personal data is shown to you."
    )
    rating = serializers.SerializerMethodField(
        help_text="The patron's rating once the chat ended (score 1-5 and a "
        "comment), or null if they did not rate it."
    )
    question = serializers.SerializerMethodField()
    # Personal data: null when withheld.
    patron_name = serializers.CharField(read_only=True, allow_null=True)
    patron_email = serializers.CharField(read_only=True, allow_null=True)
    patron_phone = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="SMS: the patron's number in E.164 (+18505550123); else empty.",
    )
    patron_ip = serializers.CharField(read_only=True, allow_null=True)
    referrer_url = serializers.CharField(read_only=True, allow_null=True)
    user_agent = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "channel",
            "status",
            "library",
            "queue",
            "question",
            "patron_status",
            "resident",
            "lang",
            "requested_at",
            "accepted_at",
            "ended_at",
            "wait_seconds",
            "duration_seconds",
            "librarian",
            "answering_library",
            "resolution",
            "question_type",
            "read_scale",
            "bad_patron",
            "bad_patron_reason",
            "ticket",
            "rating",
            "personal_data",
            *privacy.PERSONAL_FIELDS,
        ]
        read_only_fields = fields

    def _entitled(self, obj) -> bool:
        request = self.context.get("request")
        return privacy.may_see_personal_data(request.user, obj)

    def to_representation(self, obj):
        data = super().to_representation(obj)
        if not self._entitled(obj):
            for name in privacy.PERSONAL_FIELDS:
                data[name] = None
            for name in privacy.FREE_TEXT_FIELDS:
                data[name] = privacy.redact_text(getattr(obj, name), obj)
        return data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_answering_library(self, obj):
        librarian = obj.librarian
        return librarian.library.code if librarian and librarian.library else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_wait_seconds(self, obj):
        return _seconds(obj.requested_at, obj.accepted_at)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_duration_seconds(self, obj):
        return _seconds(obj.accepted_at, obj.ended_at)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_ticket(self, obj):
        ticket = getattr(obj, "ticket", None)
        return ticket.pk if ticket is not None else None

    @extend_schema_field(serializers.BooleanField())
    def get_personal_data(self, obj):
        return self._entitled(obj)

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, obj):
        return rating_data(obj, self._entitled(obj))

    @extend_schema_field(serializers.CharField())
    def get_question(self, obj):
        return obj.question  # redacted in `to_representation` when withheld


class AttachmentSerializer(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    """One message of a transcript or ticket thread. `internal` notes are
    staff-only and never shown or emailed to the patron."""

    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    author_name = serializers.SerializerMethodField()
    internal = serializers.BooleanField(source="is_internal", read_only=True)
    attachment = serializers.SerializerMethodField(
        help_text="The first of `attachments`, or null (kept for clients "
        "written when a message had at most one file)."
    )
    attachments = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "seq",
            "created_at",
            "sender",
            "author",
            "author_name",
            "internal",
            "body",
            "attachment",
            "attachments",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author_name(self, message):
        return message.author.chat_name if message.author else None

    @extend_schema_field(AttachmentSerializer(allow_null=True))
    def get_attachment(self, message):
        shown = self.get_attachments(message)
        return shown[0] if shown else None

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, message):
        shown = []
        for attachment in message.files:
            data = AttachmentSerializer(attachment).data
            data["name"] = self._shown(data["name"])  # the patron's own file name
            shown.append(data)
        return shown

    @extend_schema_field(serializers.CharField())
    def get_body(self, message):
        return self._shown(message.body)

    def _shown(self, text: str) -> str:
        if self.context.get("personal_data", True):
            return text
        return privacy.redact_text(text, self.context["conversation"])


class TranscriptSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    personal_data = serializers.BooleanField(
        help_text="False: names, addresses and long numbers are redacted."
    )
    rating = RatingSerializer(
        allow_null=True,
        help_text="The patron's rating of the chat, or null (see conversations).",
    )
    messages = MessageSerializer(many=True)


class TicketSerializer(serializers.ModelSerializer):
    """An email ticket (SPEC T1-T6): whose inbox, who claimed it, its
    deadlines. `id` is the ticket's; `conversation` the question's, whose
    thread is at `tickets/{id}/messages/`."""

    library = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    question = serializers.CharField(source="conversation.question", read_only=True)
    patron_name = serializers.CharField(
        source="conversation.patron_name", read_only=True
    )
    overdue = serializers.BooleanField(
        read_only=True,
        help_text="Open or claimed and past its first-response deadline.",
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "conversation",
            "library",
            "status",
            "source",
            "subject",
            "question",
            "email",
            "patron_name",
            "assignee",
            "created_at",
            "due_at",
            "overdue",
            "first_response_at",
            "waiting_since",
            "closed_at",
            "forwarded_to_helpdesk",
        ]
        read_only_fields = fields


class BodySerializer(StrictSerializer):
    body = serializers.CharField(
        max_length=20000, help_text="Plain text, at most 20,000 characters."
    )


class TransferSerializer(StrictSerializer):
    library = SlugRelatedField(
        slug_field="code",
        queryset=Library.objects.filter(active=True),
        help_text="Code of the active member library whose inbox it goes to.",
    )
    note = serializers.CharField(
        max_length=2000, help_text="Why it goes there; the receivers read it."
    )
