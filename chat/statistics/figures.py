"""The figures of a period's conversations (SPEC R1, R2), in total and by
library, channel or time: volumes, waits, missed chats, tickets and their
deadline, SMS answers and theirs, resolutions, question types, READ scale,
patron status, residency and patrons' ratings.

`conversation_statistics` has the database count: a `GROUP BY` query for
the groups and one for the totals (one statement on PostgreSQL; plus one for
library names when grouping by library), so neither the time spent in Python
nor the number of queries grows with the number of rows. Medians and 90th
percentiles are `PERCENTILE_CONT` on PostgreSQL and the same interpolation in
a Python aggregate on SQLite (`consortium.sql`).

Day, week, month and hour-of-week groups are local to the period's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    Greatest,
)
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils import timezone

from chat.models import Conversation, Message
from chat.statistics.groups import (
    BY_CHOICES,
    TICKET_ANSWERED,
    _buckets,
    _group_columns,
    _key,
)
from chat.statistics.periods import Period
from consortium.models import ConsortiumSettings, Library, Queue
from consortium.sql import Percentiles, Seconds, aggregate_groups

NOT_RECORDED = "not_recorded"
READ_SCALE = (1, 2, 3, 4, 5, 6)
RATING_SCORES = (1, 2, 3, 4, 5)
# SPEC M: answer SMS within 12 h, when the settings row was never saved.
SMS_RESPONSE_HOURS = ConsortiumSettings._meta.get_field(
    "sms_response_hours"
).get_default()

Channel = Conversation.Channel
Resolution = Conversation.Resolution
QuestionType = Conversation.QuestionType
PatronStatus = Conversation.PatronStatus


# --- Figures of one group, in SQL ---------------------------------------------

CHAT = Q(channel=Channel.CHAT)
SMS = Q(channel=Channel.SMS)
PICKED_UP = Q(accepted_at__isnull=False)
MISSED = Q(status=Conversation.Status.MISSED)


def _only(condition: Q, value):
    """`value` where `condition` holds, else NULL: what a percentile and a
    maximum leave out."""
    return Case(When(condition, then=value), output_field=FloatField())


# Waits and durations are of live chats only: an SMS or email waits hours by
# design and would drown the chat figures. Clock skew never makes one negative.
WAIT = _only(CHAT & PICKED_UP, Greatest(Seconds("accepted_at", "requested_at"), 0.0))
DURATION = _only(
    CHAT & PICKED_UP & Q(ended_at__isnull=False),
    Greatest(Seconds("ended_at", "accepted_at"), 0.0),
)
FIRST_RESPONSE_HOURS = _only(
    TICKET_ANSWERED,
    Greatest(Seconds("ticket__first_response_at", "ticket__created_at"), 0.0) / 3600.0,
)
# A ticket's deadline is its own `due_at`, the one the reminders chase
# (`tickets_sla_sweep`): set from the queue's or the consortium's hours when
# it opened, end of day for a library follow-up, reset on reopening.
TICKET_MET = Q(ticket__first_response_at__lte=F("ticket__due_at"))

# An SMS is answered by a librarian's text (a pickup alone is no answer):
# seconds from the first text to the first librarian's, read from the
# message index (conversation, seq) for SMS rows only.
FIRST_LIBRARIAN_TEXT = Subquery(
    Message.objects.filter(conversation=OuterRef("pk"), sender=Message.Sender.LIBRARIAN)
    .order_by("seq")
    .values("created_at")[:1],
    output_field=DateTimeField(),
)
# No `Greatest` here: PostgreSQL's ignores a NULL, and no text must stay NULL.
SMS_ANSWER_SECONDS = _only(SMS, Seconds(FIRST_LIBRARIAN_TEXT, "requested_at"))
# The consortium's SMS answer time (SPEC M: 12 h), read in the same statement
# so that no settings cache changes the number of queries.
SMS_DEADLINE_SECONDS = ExpressionWrapper(
    Coalesce(
        Subquery(ConsortiumSettings.objects.filter(pk=1).values("sms_response_hours")),
        Value(SMS_RESPONSE_HOURS),
    )
    * Value(3600.0),
    output_field=FloatField(),
)
SMS_MET = Q(LessThanOrEqual(SMS_ANSWER_SECONDS, SMS_DEADLINE_SECONDS))


def _count(condition: Q) -> Count:
    return Count("pk", filter=condition)


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _percentile(row: dict, name: str, index: int, digits: int = 1) -> float | None:
    """One of the `Percentiles` (a median and a 90th, one sort) of `row`."""
    values = row.get(name)
    return None if values is None else _rounded(values[index], digits)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _choices(field_name: str, values, *, not_recorded: Q | None = None):
    """A figure of one count per value of `field_name` (every one, zeros
    included, so that a chart or a spreadsheet always has the same columns),
    and `not_recorded` where that condition holds, if given."""
    keys = {str(value): Q(**{field_name: value}) for value in values}
    if not_recorded is not None:
        keys[NOT_RECORDED] = not_recorded

    def aggregates(now):
        return {f"{field_name}:{key}": _count(q) for key, q in keys.items()}

    def summary(n, row):
        return {key: n(f"{field_name}:{key}") for key in keys}

    return aggregates, summary


def _past(now: datetime, seconds) -> Q:
    """Asked more than `seconds` before `now`."""
    elapsed = Seconds(Value(now, output_field=DateTimeField()), "requested_at")
    return Q(GreaterThan(elapsed, seconds))


# Each figure of the answer: (its aggregates at `now`, its value from a row of
# them, `n` reading a count). A caller asking for some figures has the
# database compute only theirs. A deadline counts in its share once met or,
# unmet, passed at `now`.
FIGURES = {
    "asked": (lambda now: {"asked": Count("pk")}, lambda n, row: n("asked")),
    "answered": (
        lambda now: {"answered": Count("accepted_at")},
        lambda n, row: n("answered"),
    ),
    "missed": (lambda now: {"missed": _count(MISSED)}, lambda n, row: n("missed")),
    "missed_rate": (
        lambda now: {"chats": _count(CHAT), "missed_chats": _count(CHAT & MISSED)},
        lambda n, row: _share(n("missed_chats"), n("chats")),
    ),
    "tickets": (lambda now: {"tickets": Count("ticket")}, lambda n, row: n("tickets")),
    "tickets_answered": (
        lambda now: {"tickets_answered": Count("ticket", filter=TICKET_ANSWERED)},
        lambda n, row: n("tickets_answered"),
    ),
    "wait_seconds": (
        lambda now: {
            "wait_count": _count(CHAT & PICKED_UP),
            "wait_percentiles": Percentiles(WAIT, (50, 90)),
            "wait_max": Max(WAIT),
        },
        lambda n, row: {
            "count": n("wait_count"),
            "median": _percentile(row, "wait_percentiles", 0),
            "p90": _percentile(row, "wait_percentiles", 1),
            "max": _rounded(row.get("wait_max")),
        },
    ),
    "duration_seconds": (
        lambda now: {
            "duration_count": _count(CHAT & PICKED_UP & Q(ended_at__isnull=False)),
            "duration_percentiles": Percentiles(DURATION, (50, 90)),
        },
        lambda n, row: {
            "count": n("duration_count"),
            "median": _percentile(row, "duration_percentiles", 0),
            "p90": _percentile(row, "duration_percentiles", 1),
        },
    ),
    "ticket_first_response_hours": (
        lambda now: {
            "tickets_answered": Count("ticket", filter=TICKET_ANSWERED),
            "first_response_percentiles": Percentiles(FIRST_RESPONSE_HOURS, (50, 90)),
        },
        lambda n, row: {
            "count": n("tickets_answered"),
            "median": _percentile(row, "first_response_percentiles", 0, 2),
            "p90": _percentile(row, "first_response_percentiles", 1, 2),
        },
    ),
    "ticket_deadline": (
        lambda now: {
            "tickets_decided": Count(
                "ticket", filter=TICKET_ANSWERED | Q(ticket__due_at__lt=now)
            ),
            "tickets_met": Count("ticket", filter=TICKET_MET),
        },
        lambda n, row: {
            "count": n("tickets_decided"),
            "met": n("tickets_met"),
            "share": _share(n("tickets_met"), n("tickets_decided")),
        },
    ),
    "sms_deadline": (
        lambda now: {
            "sms": _count(SMS),
            "sms_answered": Count(SMS_ANSWER_SECONDS),
            "sms_met": _count(SMS & SMS_MET),
            # The cheap test first: only the last hours' texts read messages.
            "sms_decided": _count(SMS & (_past(now, SMS_DEADLINE_SECONDS) | SMS_MET)),
        },
        lambda n, row: {
            "conversations": n("sms"),
            "answered": n("sms_answered"),
            "count": n("sms_decided"),
            "met": n("sms_met"),
            "share": _share(n("sms_met"), n("sms_decided")),
        },
    ),
    "resolutions": _choices("resolution", Resolution.values),
    "channels": _choices("channel", Channel.values),
    "question_types": _choices("question_type", QuestionType.values),
    "read_scale": _choices(
        "read_scale", READ_SCALE, not_recorded=Q(read_scale__isnull=True)
    ),
    "patron_statuses": _choices(
        "patron_status",
        PatronStatus.values,
        not_recorded=~Q(patron_status__in=PatronStatus.values),
    ),
    # Not named after a field: a filter would read the annotation.
    "residency": (
        lambda now: {
            "residency:resident": _count(Q(resident=True)),
            "residency:non_resident": _count(Q(resident=False)),
        },
        lambda n, row: {
            "resident": n("residency:resident"),
            "non_resident": n("residency:non_resident"),
        },
    ),
    "ratings": (
        lambda now: {
            "ratings": Count("rating"),
            "rating_mean": Avg("rating__score", output_field=FloatField()),
            **{
                f"rating:{score}": _count(Q(rating__score=score))
                for score in RATING_SCORES
            },
        },
        lambda n, row: {
            "count": n("ratings"),
            "mean": _rounded(row.get("rating_mean"), 2),
            "scores": {str(score): n(f"rating:{score}") for score in RATING_SCORES},
        },
    ),
}
FIGURE_NAMES = tuple(FIGURES)


def _wanted(figures: Iterable[str] | None) -> tuple[str, ...]:
    if figures is None:
        return FIGURE_NAMES
    figures = tuple(figures)
    unknown = sorted(set(figures) - set(FIGURES))
    if unknown or not figures:
        raise ValueError(f"Unknown figures {unknown!r}; choose from {FIGURE_NAMES}.")
    return tuple(name for name in FIGURE_NAMES if name in figures)


def _aggregates(now: datetime, figures: tuple[str, ...] = FIGURE_NAMES) -> dict:
    """What `_summary` reads of `figures`, for one group or the totals."""
    aggregates = {}
    for name in figures:
        aggregates.update(FIGURES[name][0](now))
    return aggregates


def _summary(row: dict | None, figures: tuple[str, ...] = FIGURE_NAMES) -> dict:
    """`figures` as the API answers them (see `FiguresSerializer`) from a
    row of `_aggregates`; None is a group without conversations."""
    row = row or {}

    def n(name):
        return row.get(name) or 0

    return {name: FIGURES[name][1](n, row) for name in figures}


# --- The selector -----------------------------------------------------------------


def offered_on(queue: Queue) -> Q:
    """The conversations offered on `queue`: those asked on it (a local
    queue, a queue they were first offered on), and for a co-op queue those
    its member libraries passed to the co-op (`coop_at`) before anyone
    picked them up, as the desk offered them (`chat.selectors`)."""
    asked_on = Q(queue=queue)
    if not queue.is_coop:
        return asked_on
    members = Library.objects.filter(coops=queue).values("pk")
    passed = Q(coop_at__isnull=False) & (
        Q(accepted_at__isnull=True) | Q(accepted_at__gte=F("coop_at"))
    )
    return asked_on | (passed & Q(library_id__in=members))


def narrowed(
    conversations: QuerySet[Conversation],
    *,
    period: Period,
    queue: Queue | None = None,
    channel: str | None = None,
) -> QuerySet[Conversation]:
    """`conversations` requested during `period`, offered on `queue` (see
    `offered_on`) and on `channel` when given (a `Conversation.Channel`
    value; anything else is a ValueError). The `requested_at` (and
    `library`) indexes find them."""
    if channel is not None and channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}.")
    rows = conversations.filter(
        requested_at__gte=period.start, requested_at__lt=period.end
    )
    if queue is not None:
        rows = rows.filter(offered_on(queue))
    if channel is not None:
        rows = rows.filter(channel=channel)
    return rows.order_by()


def conversation_statistics(
    conversations: QuerySet[Conversation],
    *,
    period: Period,
    by: str = "library",
    libraries: QuerySet[Library] | None = None,
    queue: Queue | None = None,
    channel: str | None = None,
    now: datetime | None = None,
    figures: Iterable[str] | None = None,
) -> dict:
    """Figures of `conversations` (already narrowed to what the user may
    see) requested during `period`, only those offered on `queue` and on
    `channel` when given (see `narrowed`), in total and per group of `by`:

    - `library`: the library asked from; every library of `libraries` is
      listed, with zeros if it had no conversation;
    - `answering_library`: the answering librarian's home library (see
      `groups._answering_library`), `helpdesk`, or `unanswered`;
    - `channel`: chat, sms, email;
    - `day`, `week` (keyed by its Monday), `month`, `hour_of_week` (`0-09`
      is Monday 09:00-10:00), in the period's zone, every one listed.

    A deadline (a ticket's, an SMS's) counts in its share once met or,
    unmet, passed at `now` (by default the present). `figures` (names of
    `FIGURE_NAMES`, by default all) picks the figures computed and answered:
    a heat map of `("asked",)` costs one count per row instead of 56
    aggregates (an unknown name is a ValueError).

    Counted by the database, whatever the number of rows or groups: the
    groups and the totals (percentiles are of all the period's rows, so they
    cannot be added up from the groups) in one statement on PostgreSQL, two
    queries on SQLite (`consortium.sql.aggregate_groups`), plus one for the
    libraries' names when grouping by library. Returns
    `{"totals": {...}, "groups": [{"key", "label", ...}]}`; the figures are
    those of `_summary` (documented by `chat.api.statistics.FiguresSerializer`).
    """
    if by not in BY_CHOICES:
        raise ValueError(f"Unknown grouping {by!r}.")
    wanted = _wanted(figures)
    rows = narrowed(conversations, period=period, queue=queue, channel=channel)
    grouped, totals = aggregate_groups(
        rows,
        _group_columns(by, period.zone),
        _aggregates(now or timezone.now(), wanted),
    )
    found = {_key(by, row): row for row in grouped}
    groups = [
        {"key": key, "label": label, **_summary(found.get(internal), wanted)}
        for internal, key, label in _buckets(by, period, found.keys(), libraries)
    ]
    return {"totals": _summary(totals, wanted), "groups": groups}
