"""Serializers of the schedule. Related rows are named by their codes
(`"library": "alib"`, `"queue": "coop-state"`), staff by username, terms by
id; every write goes through `scheduling.services`."""

from __future__ import annotations

from rest_framework import serializers

from consortium.api.generics import (
    ServiceModelSerializer,
    SlugRelatedField,
    StrictSerializer,
)
from consortium.api.serializers import DayTimeField
from consortium.models import Library, Queue, Staff, Term
from scheduling import selectors, services
from scheduling.models import (
    CoverageRequirement,
    ScheduleChangeRequest,
    Shift,
    ShiftSlot,
    SubstitutionRequest,
)


def _code_field(model, **kwargs):
    return SlugRelatedField(
        slug_field="code", queryset=model._default_manager.all(), **kwargs
    )


def _staff_field(**kwargs):
    return SlugRelatedField(
        slug_field="username", queryset=Staff.objects.all(), **kwargs
    )


def _username(**kwargs):
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


class ShiftSerializer(ServiceModelSerializer):
    """A dated shift. Created one-off (`library`, `queue`, `date`, `starts`,
    `ends`, optional `assignee` and `note`); afterwards only `assignee`
    changes (cancel with the `cancel` action)."""

    library = _code_field(Library)
    queue = _code_field(Queue)
    assignee = _staff_field(
        required=False, allow_null=True, help_text="Username of the librarian."
    )
    starts = DayTimeField(
        write_only=True, required=False, help_text="HH:MM in the queue's time zone."
    )
    ends = DayTimeField(
        write_only=True, required=False, help_text="HH:MM; 24:00 is midnight."
    )
    filled = serializers.SerializerMethodField(
        help_text="Somebody will cover it: assigned and not given up."
    )

    class Meta:
        model = Shift
        fields = [
            "id",
            "library",
            "queue",
            "slot",
            "date",
            "starts",
            "ends",
            "starts_at",
            "ends_at",
            "assignee",
            "status",
            "attendance",
            "note",
            "filled",
        ]
        read_only_fields = ["slot", "starts_at", "ends_at", "status", "attendance"]

    def get_filled(self, obj) -> bool:
        return selectors.shift_is_filled(obj)

    def validate(self, attrs):
        if self.instance is not None:
            fixed = sorted(set(attrs) - {"assignee"})
            if fixed:
                raise serializers.ValidationError(
                    {
                        name: [
                            "Only the assignee of a shift changes; cancel it "
                            "and add another."
                        ]
                        for name in fixed
                    }
                )
            return attrs
        missing = [
            n for n in ("library", "queue", "date", "starts", "ends") if n not in attrs
        ]
        if missing:
            raise serializers.ValidationError(
                {name: ["This field is required."] for name in missing}
            )
        return attrs

    def create(self, validated_data):
        return services.shift_create(
            actor=self._user,
            library=validated_data["library"],
            queue=validated_data["queue"],
            day=validated_data["date"],
            starts=validated_data["starts"],
            ends=validated_data["ends"],
            assignee=validated_data.get("assignee"),
            note=validated_data.get("note", ""),
        )

    def update(self, instance, validated_data):
        if "assignee" not in validated_data:
            return instance
        return services.shift_assign(
            actor=self._user,
            shift_id=instance.pk,
            assignee=validated_data["assignee"],
        )


class ShiftSlotSerializer(ServiceModelSerializer):
    """A weekly shift: `library` staffs `queue` on `weekday`, `starts`–`ends`,
    for the dates of `term`; the dated shifts follow it."""

    library = _code_field(Library)
    queue = _code_field(Queue)
    assignee = _staff_field(
        required=False, allow_null=True, help_text="Username of the librarian."
    )
    starts = DayTimeField(help_text="HH:MM in the queue's time zone.")
    ends = DayTimeField(help_text="HH:MM; 24:00 is midnight at the end of the day.")

    class Meta:
        model = ShiftSlot
        fields = [
            "id",
            "library",
            "queue",
            "term",
            "weekday",
            "starts",
            "ends",
            "assignee",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def save_instance(self, instance):
        return services.slot_save(actor=self._user, slot=instance)


class SubstitutionRequestSerializer(serializers.ModelSerializer):
    library = serializers.CharField(source="shift.library.code", read_only=True)
    queue = serializers.CharField(source="shift.queue.code", read_only=True)
    starts_at = serializers.DateTimeField(source="shift.starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="shift.ends_at", read_only=True)
    offered_by = _username()
    claimed_by = _username()
    decided_by = _username()

    class Meta:
        model = SubstitutionRequest
        fields = [
            "id",
            "shift",
            "library",
            "queue",
            "starts_at",
            "ends_at",
            "offered_by",
            "reason",
            "created_at",
            "last_minute",
            "stage",
            "widen_at",
            "widened_at",
            "status",
            "claimed_by",
            "claimed_at",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


class ScheduleChangeRequestSerializer(ServiceModelSerializer):
    """A coordinator's request to add, change or remove a weekly shift of a
    term under way. To add, give `queue`, `term`, `weekday`, `starts`, `ends`
    (and `assignee`); to change, `slot` and what changes; to remove, `slot`."""

    library = _code_field(Library)
    queue = _code_field(Queue, required=False, allow_null=True)
    assignee = _staff_field(
        required=False, allow_null=True, help_text="Username of the librarian."
    )
    starts = DayTimeField(required=False, allow_null=True)
    ends = DayTimeField(required=False, allow_null=True)
    requested_by = _username()
    decided_by = _username()

    class Meta:
        model = ScheduleChangeRequest
        fields = [
            "id",
            "library",
            "action",
            "slot",
            "queue",
            "term",
            "weekday",
            "starts",
            "ends",
            "assignee",
            "reason",
            "status",
            "requested_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = [
            "status",
            "requested_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]

    def save_instance(self, instance):
        return services.change_request_submit(actor=self._user, request=instance)


class CoverageGapQuerySerializer(serializers.Serializer):
    queue = SlugRelatedField(
        slug_field="code",
        queryset=Queue.objects.filter(kind=Queue.Kind.COOP),
        help_text="Code of a co-op queue.",
    )
    # `from` is a keyword: the field is added under that name below.
    days = serializers.IntegerField(
        min_value=1, max_value=31, default=7, help_text="How many days (1-31)."
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            help_text="First day (YYYY-MM-DD), in the queue's time zone."
        )
        return fields


class CoverageGapSerializer(serializers.Serializer):
    queue = serializers.CharField(source="queue.code")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    required = serializers.IntegerField(help_text="Librarians required.")
    scheduled = serializers.IntegerField(
        source="count", help_text="Librarians scheduled (filled shifts)."
    )


class CoverageRequirementSerializer(serializers.ModelSerializer):
    """At least `librarians` on the co-op `queue` in the hour starting at
    `hour`:00 (the queue's time zone) of `weekday` during `term`."""

    queue = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CoverageRequirement
        fields = ["id", "queue", "term", "weekday", "hour", "librarians"]
        read_only_fields = fields


class RequirementsSetSerializer(StrictSerializer):
    """Many requirement rows at once, as the admin's "Set coverage
    requirements" form: every hour [from_hour, to_hour) of each weekday."""

    queue = SlugRelatedField(
        slug_field="code",
        queryset=Queue.objects.filter(kind=Queue.Kind.COOP),
        error_messages={
            "does_not_exist": "No co-op queue has the code {value}: coverage "
            "requirements are set for co-op queues only."
        },
        help_text="Code of a co-op queue.",
    )
    term = serializers.PrimaryKeyRelatedField(
        queryset=Term.objects.filter(library__isnull=True),
        error_messages={
            "does_not_exist": "No consortium term has the id {pk_value}: co-op "
            "queues follow the consortium calendar."
        },
        help_text="Id of a consortium term.",
    )
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        allow_empty=False,
        max_length=7,
        help_text="Weekdays, 0 = Monday … 6 = Sunday.",
    )
    from_hour = serializers.IntegerField(
        min_value=0, max_value=23, help_text="First hour (0-23), the queue's time."
    )
    to_hour = serializers.IntegerField(
        min_value=1,
        max_value=24,
        help_text="End hour (1-24), not included: 9 to 17 is 09:00–17:00.",
    )
    librarians = serializers.IntegerField(
        min_value=0,
        max_value=50,
        help_text="Librarians required in each of these hours; 0 removes the "
        "requirement.",
    )

    def validate_weekdays(self, value):
        return sorted(set(value))

    def validate(self, attrs):
        if attrs["to_hour"] <= attrs["from_hour"]:
            raise serializers.ValidationError(
                {"to_hour": ["The end must be after the start."]}
            )
        return attrs


class RequirementsSetResultSerializer(serializers.Serializer):
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Hours that do not exist on some dates (the clocks go forward).",
    )
    requirements = CoverageRequirementSerializer(
        many=True, help_text="The rows now in that range (none after 0)."
    )
