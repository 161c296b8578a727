"""`/api/v1/statistics/` (SPEC R2, A2): the help desk's figures of a period,
by library, channel or time. Counted over the conversations the user reads
in the admin and `conversations/` (`chat.privacy`): the help desk every
library; a site coordinator their own library's, plus those their librarians
answered for other libraries (the co-op "give" of `by=answering_library`);
nobody else anything."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response

from chat import privacy, statistics
from chat.models import Conversation
from consortium import scoping
from consortium.api.base import ErrorSerializer
from consortium.api.generics import SlugRelatedField
from consortium.api.permissions import AdminRolePermission
from consortium.api.schema import ApiSchema
from consortium.models import Library

# --- Query parameters -------------------------------------------------------------


OUT_OF_RANGE = "Give a date in the years 1900 to 9998."


class StatisticsQuerySerializer(serializers.Serializer):
    """Which days (`from`+`to`, or `month`, or `period`; by default last
    month), grouped how, of which library. A coordinator may only name their
    own library."""

    # `from` is a keyword: the field is added under that name in get_fields.
    to = serializers.DateField(
        required=False,
        help_text="Last day (YYYY-MM-DD, included), with `from`.",
    )
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text="A calendar month (YYYY-MM), instead of `from`/`to`.",
        error_messages={"invalid": "Give a month as YYYY-MM, e.g. 2026-10."},
    )
    period = serializers.ChoiceField(
        choices=statistics.PERIOD_CHOICES,
        required=False,
        help_text="A period relative to today, instead of `from`/`to` or "
        "`month`: the last calendar month (the default), this month so far, or "
        "the last 7 or 30 days up to today.",
    )
    by = serializers.ChoiceField(
        choices=statistics.BY_CHOICES,
        default="library",
        help_text="Groups: the library asked from, the answering librarian's "
        "library, the channel, or the day, week (keyed by its Monday), month "
        "or hour of the week (`0-09`: Monday 09:00-10:00).",
    )
    library = SlugRelatedField(
        slug_field="code",
        queryset=Library.objects.all(),
        required=False,
        help_text="Only conversations asked from this library (its code).",
        error_messages={
            "does_not_exist": "No library with the code “{value}” in your scope."
        },
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False,
            help_text="First day (YYYY-MM-DD), in the consortium's time zone.",
        )
        request = self.context.get("request")
        if request is not None:
            fields["library"].queryset = scoping.visible(
                Library.objects.all(), request.user
            )
        return fields

    def validate(self, attrs):
        attrs["period"] = self._period(attrs)
        if attrs["period"].days > statistics.MAX_DAYS:
            raise serializers.ValidationError(
                {"from": ["A period is at most two years (731 days)."]}
            )
        return attrs

    def _period(self, attrs) -> statistics.Period:
        zone = statistics.consortium_zone()
        first, last = attrs.get("from"), attrs.get("to")
        chosen = [
            name
            for name, given in (
                ("from/to", first or last),
                ("month", attrs.get("month")),
                ("period", attrs.get("period")),
            )
            if given
        ]
        if len(chosen) > 1:
            raise serializers.ValidationError(
                "Give the days one way only: " + " or ".join(chosen) + "."
            )
        for name, day in (("from", first), ("to", last)):
            if day is not None and not 1900 <= day.year <= 9998:
                raise serializers.ValidationError({name: [OUT_OF_RANGE]})
        if first or last:
            return self._range(first, last, zone)
        if attrs.get("month"):
            year, month = (int(part) for part in attrs["month"].split("-"))
            if not 1900 <= year <= 9998:
                raise serializers.ValidationError({"month": [OUT_OF_RANGE]})
            return statistics.month_period(year, month, zone)
        today = timezone.localdate(timezone.now(), zone)
        name = attrs.get("period") or "last-month"
        return statistics.named_period(name, today=today, zone=zone)

    def _range(self, first, last, zone) -> statistics.Period:
        if first is None or last is None:
            missing = "from" if first is None else "to"
            raise serializers.ValidationError(
                {missing: ["Give both `from` and `to` (YYYY-MM-DD)."]}
            )
        if last < first:
            raise serializers.ValidationError(
                {"to": [f"The last day {last} is before the first day {first}."]}
            )
        return statistics.Period(first, last, zone)


# --- The answer -------------------------------------------------------------------


def _counts_serializer(name: str, choices, what: str):
    """A serializer of one count per choice (all of them, zeros included)."""
    fields = {
        value: serializers.IntegerField(help_text=f"{what}: {label}.")
        for value, label in choices.choices
    }
    return type(name, (serializers.Serializer,), fields)


class WaitSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Live chats picked up.")
    median = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


class DurationSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Live chats picked up and ended.")
    median = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)


class FirstResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Tickets answered by email.")
    median = serializers.FloatField(allow_null=True)


class FiguresSerializer(serializers.Serializer):
    asked = serializers.IntegerField(help_text="Conversations asked (all channels).")
    answered = serializers.IntegerField(
        help_text="Picked up by a librarian (live chat or SMS)."
    )
    missed = serializers.IntegerField(help_text="Left before anyone picked up.")
    missed_rate = serializers.FloatField(
        allow_null=True,
        help_text="Missed live chats / live chats asked; null without live chats.",
    )
    tickets = serializers.IntegerField(
        help_text="Conversations with an email ticket (offline form, email, "
        "chat follow-up, converted SMS)."
    )
    tickets_answered = serializers.IntegerField(
        help_text="Tickets with a first response by email."
    )
    wait_seconds = WaitSerializer(
        help_text="Wait of live chats from request to pickup, in seconds."
    )
    duration_seconds = DurationSerializer(
        help_text="Live chats from pickup to end, in seconds."
    )
    ticket_first_response_hours = FirstResponseSerializer(
        help_text="Hours from a ticket's creation to its first email response."
    )
    resolutions = _counts_serializer(
        "ResolutionCountsSerializer", Conversation.Resolution, "Wrap-up code"
    )()
    channels = _counts_serializer(
        "ChannelCountsSerializer", Conversation.Channel, "Channel"
    )()
    question_types = _counts_serializer(
        "QuestionTypeCountsSerializer", Conversation.QuestionType, "Question type"
    )()


class StatisticsGroupSerializer(FiguresSerializer):
    key = serializers.CharField(
        help_text="Library code, `helpdesk`, `unanswered`, channel, "
        "YYYY-MM-DD (day; a week's Monday), YYYY-MM, or `<weekday>-<hour>`."
    )
    label = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        # Key and label first: the order a person reads them in.
        return {
            "key": fields.pop("key"),
            "label": fields.pop("label"),
            **fields,
        }


class StatisticsSerializer(serializers.Serializer):
    # `from` is a keyword: the field is added under that name in get_fields.
    to = serializers.DateField(help_text="Last day, included.")
    time_zone = serializers.CharField(help_text="The zone the days are counted in.")
    by = serializers.ChoiceField(choices=statistics.BY_CHOICES)
    library = serializers.CharField(
        allow_null=True, help_text="The library asked for, if any."
    )
    totals = FiguresSerializer()
    groups = StatisticsGroupSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        return {
            "from": serializers.DateField(help_text="First day."),
            **fields,
        }


# --- The endpoint -------------------------------------------------------------------


class OneObjectSchema(ApiSchema):
    """drf-spectacular takes a `list` action to answer an array; this one
    answers one object."""

    def _is_list_view(self, serializer=None):
        return False


class StatisticsViewSet(viewsets.GenericViewSet):
    """Figures of the conversations asked in a period."""

    queryset = Conversation.objects.all()  # whose admin answers permissions
    permission_classes = [permissions.IsAuthenticated, AdminRolePermission]
    serializer_class = StatisticsSerializer
    pagination_class = None
    filter_backends: list = []
    schema = OneObjectSchema()

    @extend_schema(
        tags=["statistics"],
        summary="Statistics of a period",
        description="Volumes, waits, missed chats, tickets and resolutions of "
        "the conversations asked in a period (days in the consortium's time "
        "zone), in total and by library, channel or time. A coordinator counts "
        "their own library's conversations and those their librarians answered "
        "for other libraries; `library=<their code>` narrows to their own.",
        parameters=[StatisticsQuerySerializer],
        responses={
            200: StatisticsSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Bad parameters: a malformed date or month, `from` "
                "after `to`, a period over two years, an unknown grouping or "
                "library.",
            ),
        },
    )
    def list(self, request):
        params = StatisticsQuerySerializer(
            data=request.query_params, context=self.get_serializer_context()
        )
        params.is_valid(raise_exception=True)
        period = params.validated_data["period"]
        library = params.validated_data.get("library")
        conversations = privacy.visible_conversations(request.user, self.get_queryset())
        if library is not None:
            conversations = conversations.filter(library=library)
            libraries = Library.objects.filter(pk=library.pk)
        else:
            libraries = scoping.visible(Library.objects.active(), request.user)
        figures = statistics.conversation_statistics(
            conversations,
            period=period,
            by=params.validated_data["by"],
            libraries=libraries,
        )
        # Already in the shape `StatisticsSerializer` documents (a test holds
        # them equal): rendering up to 168 groups of 30 figures through it
        # would cost more than counting them.
        return Response(
            {
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                "time_zone": period.zone.key,
                "by": params.validated_data["by"],
                "library": library.code if library else None,
                **figures,
            }
        )
