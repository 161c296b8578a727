"""The query parameters of `/api/v1/statistics/` and `balance/`: the days,
the library, queue and channel, and the grouping; a coordinator may only
name what is in their scope, and an unknown name and one out of scope get
the same answer."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from chat import statistics
from chat.models import Conversation
from consortium import scoping
from consortium.api.generics import SlugRelatedField
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
        help_text="Only conversations offered on this queue (its code): a "
        "local queue's own (`sprc`), or for a co-op queue (`coop-statewide`) "
        "those its member libraries passed to the co-op before pickup.",
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
