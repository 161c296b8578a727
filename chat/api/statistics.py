"""`/api/v1/statistics/` (SPEC R2, A2): the help desk's figures of a period,
by library, channel or time, and `/api/v1/statistics/balance/`, the co-op's
give and take per library. Counted over the conversations the user reads
in the admin and `conversations/` (`chat.privacy`): the help desk every
library; a site coordinator their own library's, plus those their librarians
answered for other libraries (the co-op "give" of `by=answering_library`);
nobody else anything."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from chat import privacy, statistics
from chat.models import Conversation
from consortium import scoping
from consortium.api.base import ErrorSerializer
from consortium.api.generics import SlugRelatedField
from consortium.api.permissions import AdminRolePermission
from consortium.api.schema import ApiSchema
from consortium.models import Library, Queue

# --- Query parameters -------------------------------------------------------------


OUT_OF_RANGE = "Give a date in the years 1900 to 9998."


class PeriodQuerySerializer(serializers.Serializer):
    """Which days (`from`+`to`, or `month`, or `period`; by default last
    month), of which library, queue and channel. A coordinator may only name
    their own library, and their library's or a co-op queue."""

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
    library = SlugRelatedField(
        slug_field="code",
        queryset=Library.objects.all(),
        required=False,
        help_text="Only conversations asked from this library (its code).",
        error_messages={
            "does_not_exist": "No library with the code “{value}” in your scope."
        },
    )
    queue = SlugRelatedField(
        slug_field="code",
        queryset=Queue.objects.all(),
        required=False,
        help_text="Only conversations first offered on this queue (its code, "
        "e.g. `sprc` or `coop-statewide`).",
        error_messages={
            "does_not_exist": "No queue with the code “{value}” in your scope."
        },
    )
    channel = serializers.ChoiceField(
        choices=Conversation.Channel.values,
        required=False,
        help_text="Only conversations on this channel.",
        error_messages={
            "invalid_choice": "“{input}” is not a channel: give chat, sms or email."
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
            # A coordinator's library's queues and the shared co-op queues.
            fields["queue"].queryset = scoping.visible(
                Queue.objects.all(), request.user
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


class StatisticsQuerySerializer(PeriodQuerySerializer):
    """The days, library, queue and channel, and how to group them."""

    by = serializers.ChoiceField(
        choices=statistics.BY_CHOICES,
        default="library",
        help_text="Groups: the library asked from, the answering librarian's "
        "library, the channel, or the day, week (keyed by its Monday), month "
        "or hour of the week (`0-09`: Monday 09:00-10:00).",
    )


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
    p90 = serializers.FloatField(allow_null=True)


class TicketDeadlineSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Tickets whose deadline is decided: answered, or unanswered "
        "past their first-response deadline."
    )
    met = serializers.IntegerField(
        help_text="First response by email by the ticket's own deadline "
        "(`due_at`, the one the reminders chase)."
    )
    share = serializers.FloatField(
        allow_null=True, help_text="`met` / `count`; null when `count` is 0."
    )


class SmsDeadlineSerializer(serializers.Serializer):
    conversations = serializers.IntegerField(help_text="SMS conversations.")
    answered = serializers.IntegerField(help_text="With a librarian's text.")
    count = serializers.IntegerField(
        help_text="Decided: answered in time, or asked longer ago than the "
        "SMS answer time (the consortium's, 12 h by default)."
    )
    met = serializers.IntegerField(
        help_text="A librarian's first text within the SMS answer time of the "
        "patron's first."
    )
    share = serializers.FloatField(
        allow_null=True, help_text="`met` / `count`; null when `count` is 0."
    )


def _keyed_counts_serializer(name: str, keys: dict):
    """A serializer of one count per key (`keys`: key -> help text)."""
    fields = {
        key: serializers.IntegerField(help_text=text) for key, text in keys.items()
    }
    return type(name, (serializers.Serializer,), fields)


ReadScaleSerializer = _keyed_counts_serializer(
    "ReadScaleCountsSerializer",
    {
        **{str(n): f"READ scale {n}." for n in statistics.READ_SCALE},
        statistics.NOT_RECORDED: "No READ scale recorded.",
    },
)
PatronStatusSerializer = _keyed_counts_serializer(
    "PatronStatusCountsSerializer",
    {
        **{
            value: f"Patron status: {label}."
            for value, label in Conversation.PatronStatus.choices
        },
        statistics.NOT_RECORDED: "No patron status recorded.",
    },
)
ResidencySerializer = _keyed_counts_serializer(
    "ResidencyCountsSerializer",
    {
        "resident": "Patrons living in the service area.",
        "non_resident": "Patrons from outside it.",
    },
)
ScoresSerializer = _keyed_counts_serializer(
    "RatingScoreCountsSerializer",
    {str(n): f"Rated {n} of 5." for n in statistics.RATING_SCORES},
)


class RatingsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Patrons who rated the chat.")
    mean = serializers.FloatField(
        allow_null=True, help_text="Mean score (1-5); null without ratings."
    )
    scores = ScoresSerializer()


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
    ticket_deadline = TicketDeadlineSerializer(
        help_text="Tickets answered within their first-response deadline."
    )
    sms_deadline = SmsDeadlineSerializer(
        help_text="SMS conversations answered by text within the SMS answer time."
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
    read_scale = ReadScaleSerializer(help_text="READ scale of the wrap-up (1-6).")
    patron_statuses = PatronStatusSerializer(help_text="Who the patrons were.")
    residency = ResidencySerializer()
    ratings = RatingsSerializer(help_text="Patrons' answers to “How did we do?”.")


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
    queue = serializers.CharField(
        allow_null=True, help_text="The queue asked for (its code), if any."
    )
    channel = serializers.CharField(
        allow_null=True, help_text="The channel asked for, if any."
    )
    totals = FiguresSerializer()
    groups = StatisticsGroupSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        return {
            "from": serializers.DateField(help_text="First day."),
            **fields,
        }


class BalanceLibrarySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The library's code.")
    label = serializers.CharField(help_text="Its name.")
    asked = serializers.IntegerField(help_text="Its patrons' conversations.")
    answered_own = serializers.IntegerField(
        help_text="Of those, answered by its own librarians."
    )
    taken = serializers.IntegerField(
        help_text="Of those, answered by another library's librarian or the "
        "help desk (the co-op's “take”)."
    )
    taken_by_helpdesk = serializers.IntegerField(
        help_text="The help desk's part of `taken`."
    )
    unanswered = serializers.IntegerField(
        help_text="Of those, answered by nobody (`asked` = `answered_own` + "
        "`taken` + `unanswered`)."
    )
    given = serializers.IntegerField(
        help_text="Other libraries' patrons' conversations its librarians "
        "answered (the co-op's “give”)."
    )
    scheduled_hours = serializers.FloatField(
        help_text="Hours its librarians were scheduled on co-op queues in the "
        "period (with `queue`, on that co-op queue)."
    )
    given_per_hour = serializers.FloatField(
        allow_null=True,
        help_text="`given` / `scheduled_hours`; null without scheduled hours.",
    )


class BalanceSerializer(serializers.Serializer):
    # `from` is a keyword: the field is added under that name in get_fields.
    to = serializers.DateField(help_text="Last day, included.")
    time_zone = serializers.CharField(help_text="The zone the days are counted in.")
    library = serializers.CharField(
        allow_null=True, help_text="The library asked for, if any."
    )
    queue = serializers.CharField(
        allow_null=True, help_text="The queue asked for (its code), if any."
    )
    channel = serializers.CharField(
        allow_null=True, help_text="The channel asked for, if any."
    )
    groups = BalanceLibrarySerializer(many=True, help_text="One per library, by name.")

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


BAD_PARAMETERS = OpenApiResponse(
    ErrorSerializer,
    description="Bad parameters: a malformed date or month, `from` after "
    "`to`, a period over two years, an unknown grouping, or a library or "
    "queue that does not exist or is outside your scope, an unknown channel.",
)


class StatisticsViewSet(viewsets.GenericViewSet):
    """Figures of the conversations asked in a period."""

    queryset = Conversation.objects.all()  # whose admin answers permissions
    permission_classes = [permissions.IsAuthenticated, AdminRolePermission]
    serializer_class = StatisticsSerializer
    pagination_class = None
    filter_backends: list = []
    schema = OneObjectSchema()

    def _params(self, serializer_class) -> dict:
        params = serializer_class(
            data=self.request.query_params, context=self.get_serializer_context()
        )
        params.is_valid(raise_exception=True)
        return params.validated_data

    def _echo(self, params: dict) -> dict:
        """The period and the narrowing asked for, as the answer states them."""
        period, library, queue = (
            params["period"],
            params.get("library"),
            params.get("queue"),
        )
        return {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "time_zone": period.zone.key,
            "library": library.code if library else None,
            "queue": queue.code if queue else None,
            "channel": params.get("channel"),
        }

    @extend_schema(
        tags=["statistics"],
        summary="Statistics of a period",
        description="Volumes, waits, missed chats, tickets and their deadline, "
        "SMS answers, resolutions, question types, READ scale, patron status, "
        "residency and ratings of the conversations asked in a period (days in "
        "the consortium's time zone), in total and by library, channel or time; "
        "`queue` and `channel` narrow them. A coordinator counts their own "
        "library's conversations and those their librarians answered for other "
        "libraries; `library=<their code>` narrows to their own.",
        parameters=[StatisticsQuerySerializer],
        responses={200: StatisticsSerializer, 400: BAD_PARAMETERS},
    )
    def list(self, request):
        params = self._params(StatisticsQuerySerializer)
        library = params.get("library")
        conversations = privacy.visible_conversations(request.user, self.get_queryset())
        if library is not None:
            conversations = conversations.filter(library=library)
            libraries = Library.objects.filter(pk=library.pk)
        else:
            libraries = scoping.visible(Library.objects.active(), request.user)
        figures = statistics.conversation_statistics(
            conversations,
            period=params["period"],
            by=params["by"],
            libraries=libraries,
            queue=params.get("queue"),
            channel=params.get("channel"),
        )
        # Already in the shape `StatisticsSerializer` documents (a test holds
        # them equal): rendering up to 168 groups of 60 figures through it
        # would cost more than counting them.
        echo = self._echo(params)
        return Response(
            {
                "from": echo.pop("from"),
                "to": echo.pop("to"),
                "time_zone": echo.pop("time_zone"),
                "by": params["by"],
                **echo,
                **figures,
            }
        )

    @extend_schema(
        tags=["statistics"],
        summary="Co-op give and take of a period",
        description="Per library: its patrons' conversations asked in the "
        "period, answered by its own librarians, taken by other libraries or "
        "the help desk, or unanswered; the other libraries' conversations its "
        "librarians answered; and the hours its librarians were scheduled on "
        "co-op queues. A coordinator sees their own library's line, complete "
        "(what their librarians answered for others included). `library` "
        "narrows the lines, not what is counted in them; `queue` and `channel` "
        "narrow the conversations.",
        parameters=[PeriodQuerySerializer],
        responses={200: BalanceSerializer, 400: BAD_PARAMETERS},
    )
    @action(detail=False, methods=["get"], url_path="balance")
    def balance(self, request):
        params = self._params(PeriodQuerySerializer)
        library = params.get("library")
        libraries = scoping.visible(Library.objects.active(), request.user)
        if library is not None:
            libraries = Library.objects.filter(pk=library.pk)
        groups = statistics.coop_balance(
            privacy.visible_conversations(request.user, self.get_queryset()),
            period=params["period"],
            libraries=libraries,
            queue=params.get("queue"),
            channel=params.get("channel"),
        )
        return Response({**self._echo(params), "groups": groups})
