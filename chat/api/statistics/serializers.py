"""The answers of `/api/v1/statistics/` and `balance/`, as the schema
documents them (the views answer the selectors' dicts, held equal to these
by the tests)."""

from __future__ import annotations

from rest_framework import serializers

from chat import statistics
from chat.models import Conversation

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
