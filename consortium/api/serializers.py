"""Serializers of the consortium core. Related rows are named by their codes
(`"library": "sprc"`, `"queue": "coop-statewide"`); every write goes through
`consortium.services`."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consortium import services
from consortium.api.generics import (
    ServiceModelSerializer,
    SlugRelatedField,
    StrictSerializer,
)
from consortium.fields import format_minutes, parse_minutes
from consortium.models import (
    Announcement,
    Closure,
    Holiday,
    Library,
    PostedHours,
    ProblemReport,
    Queue,
    Staff,
    Term,
)


def _code_field(model, **kwargs):
    return SlugRelatedField(
        slug_field="code", queryset=model._default_manager.all(), **kwargs
    )


@extend_schema_field({"type": "string", "pattern": r"^\d{1,2}(:\d{2})?$"})
class DayTimeField(serializers.Field):
    """A time of day as "HH:MM" (24:00 is midnight at the end of the day)."""

    default_error_messages = {"type": 'Enter a time as a string such as "09:30".'}

    def to_representation(self, value):
        return format_minutes(value)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("type")
        try:
            return parse_minutes(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc


class LibrarySerializer(ServiceModelSerializer):
    coops = _code_field(
        Queue,
        many=True,
        required=False,
        help_text="Codes of the co-op queues that answer this library's patrons.",
    )

    class Meta:
        model = Library
        fields = [
            "id",
            "code",
            "name",
            "library_type",
            "active",
            "timezone",
            "website",
            "widget_origins",
            "contact_email",
            "contact_phone",
            "ticket_email",
            "ticket_greeting",
            "ticket_signature",
            "service_area",
            "coops",
            "fallback_delay_seconds",
            "substitutes_need_approval",
        ]

    def get_fields(self):
        fields = super().get_fields()
        child = fields["coops"].child_relation
        child.queryset = child.queryset.filter(kind=Queue.Kind.COOP)
        return fields


class QueueSerializer(ServiceModelSerializer):
    library = _code_field(
        Library,
        required=False,
        allow_null=True,
        help_text="Code of the library of a local queue; null for co-op queues.",
    )

    class Meta:
        model = Queue
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "library",
            "timezone",
            "first_response_hours",
            "active",
        ]


class PostedHoursSerializer(ServiceModelSerializer):
    queue = _code_field(Queue)
    opens = DayTimeField(help_text="HH:MM in the queue's time zone.")
    closes = DayTimeField(help_text="HH:MM; 24:00 is midnight at the end of the day.")

    class Meta:
        model = PostedHours
        fields = ["id", "queue", "term_type", "weekday", "opens", "closes"]


class TermSerializer(ServiceModelSerializer):
    library = _code_field(
        Library,
        required=False,
        allow_null=True,
        help_text="Code of the library; null for the consortium calendar.",
    )

    class Meta:
        model = Term
        fields = ["id", "name", "term_type", "library", "start_date", "end_date"]


class HolidaySerializer(ServiceModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "name", "start_date", "end_date"]


class ClosureSerializer(ServiceModelSerializer):
    library = _code_field(Library)

    class Meta:
        model = Closure
        fields = [
            "id",
            "library",
            "reason",
            "start_date",
            "end_date",
            "forwards_tickets",
        ]
        read_only_fields = ["forwards_tickets"]

    def save_instance(self, instance):
        return services.closure_save(actor=self._user, closure=instance)


class StaffSerializer(ServiceModelSerializer):
    library = _code_field(
        Library,
        required=False,
        allow_null=True,
        help_text="Code of the home library; null only for the help desk.",
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        style={"input_type": "password"},
        help_text="Sets a new password; never returned.",
    )

    class Meta:
        model = Staff
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "library",
            "is_active",
            "display_name",
            "max_chats",
            "password",
            "last_login",
            "date_joined",
        ]
        read_only_fields = ["last_login", "date_joined"]

    def validate(self, attrs):
        password = attrs.get("password")
        if password:
            probe = self.instance or Staff(
                **{k: v for k, v in attrs.items() if k != "password"}
            )
            try:
                validate_password(password, probe)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(
                    {"password": list(exc.messages)}
                ) from exc
        return attrs

    def create(self, validated_data):
        self._password = validated_data.pop("password", None)
        return super().create(validated_data)

    def update(self, instance, validated_data):
        self._password = validated_data.pop("password", None)
        return super().update(instance, validated_data)

    def save_instance(self, instance):
        if instance.pk is None and not self._password:
            instance.set_unusable_password()
        return services.staff_save(
            actor=self._user, staff=instance, password=self._password
        )


class AnnouncementSerializer(ServiceModelSerializer):
    """A help-desk announcement shown on the desk. `author` is who posted it;
    `emailed_at` is when the email to all staff went (both set by the
    service)."""

    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of the poster."
    )

    class Meta:
        model = Announcement
        fields = [
            "id",
            "title",
            "body",
            "published_at",
            "expires_at",
            "email_staff",
            "emailed_at",
            "author",
        ]
        read_only_fields = ["emailed_at"]

    def save_instance(self, instance):
        return services.announcement_save(actor=self._user, announcement=instance)


class ProblemReportSerializer(serializers.ModelSerializer):
    """A technical problem a staff member reported from the desk (read only:
    the help desk resolves it with the `resolve` action)."""

    reporter = serializers.SlugRelatedField(slug_field="username", read_only=True)
    library = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        help_text="Code of the reporter's library; null for the help desk.",
    )
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ProblemReport
        fields = [
            "id",
            "reporter",
            "library",
            "summary",
            "details",
            "page_url",
            "browser",
            "status",
            "created_at",
            "resolved_by",
            "resolved_at",
            "resolution",
        ]
        read_only_fields = fields


class ResolutionSerializer(StrictSerializer):
    resolution = serializers.CharField(
        max_length=5000,
        help_text="How the problem was resolved; kept with the report.",
    )
