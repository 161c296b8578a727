"""The co-op's give and take per library (SPEC R2): how many of a library's
patrons' questions its own librarians answered, how many others took, how
many it answered for other libraries, and against the hours its librarians
were scheduled on the co-op queues."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, DateTimeField, F, QuerySet, Sum, Value
from django.db.models.functions import Greatest, Least

from chat.models import Conversation
from chat.statistics.figures import narrowed
from chat.statistics.groups import _HELPDESK_ID, _UNANSWERED_ID, _answering_library
from chat.statistics.periods import Period
from consortium.models import Library, Queue
from consortium.sql import Seconds
from scheduling.models import Shift

BALANCE_FIELDS = (
    "asked",
    "answered_own",
    "taken",
    "taken_by_helpdesk",
    "unanswered",
    "given",
)


def coop_scheduled_hours(
    *, period: Period, libraries: QuerySet[Library], queue: Queue | None = None
) -> dict[int, float]:
    """Hours each library's librarians were scheduled on co-op queues (only
    `queue`, when it is one) during `period`, by library id: scheduled
    shifts (not cancelled) with an assignee, the part of each inside the
    period. One `GROUP BY` query (the `starts_at` index)."""
    shifts = Shift.objects.live().filter(
        queue__kind=Queue.Kind.COOP,
        starts_at__lt=period.end,
        ends_at__gt=period.start,
        assignee__library__in=libraries,
    )
    if queue is not None:
        shifts = shifts.filter(queue=queue)
    inside = Seconds(
        Least("ends_at", Value(period.end, output_field=DateTimeField())),
        Greatest("starts_at", Value(period.start, output_field=DateTimeField())),
    )
    rows = (
        shifts.order_by()
        .values(g_library=F("assignee__library_id"))
        .annotate(seconds=Sum(inside))
    )
    return {row["g_library"]: row["seconds"] / 3600.0 for row in rows}


def coop_balance(
    conversations: QuerySet[Conversation],
    *,
    period: Period,
    libraries: QuerySet[Library],
    queue: Queue | None = None,
    channel: str | None = None,
) -> list[dict]:
    """The give and take of each library of `libraries` (by name) in
    `conversations` (already narrowed to what the user may see: a
    coordinator's include what their librarians answered for others)
    requested during `period`, on `queue` and `channel` when given (see
    `figures.narrowed`). Each is a dict:

    - `key` (the library's code), `label` (its name);
    - `asked`: its patrons' conversations;
    - `answered_own`: of those, answered by its own librarians;
    - `taken`: answered by another library's librarian or the help desk,
      `taken_by_helpdesk` the help desk's part of it;
    - `unanswered`: answered by nobody (`asked` is the sum of these three);
    - `given`: other libraries' patrons' conversations its librarians
      answered;
    - `scheduled_hours`: its librarians' hours on co-op shifts in the
      period (`coop_scheduled_hours`; with a `queue`, that queue's when it
      is a co-op queue), rounded to 0.01;
    - `given_per_hour`: `given` / `scheduled_hours` (0.01), None without
      scheduled hours.

    "Answered by" is `groups._answering_library`: the librarian who picked
    up, or for a ticket nobody picked up live, whoever replied first. Three
    queries whatever the number of rows: the database counts conversations
    per (asking library, answering library) pair, at most L × (L + 2) rows
    summed here; the libraries; the shifts' hours."""
    rows = narrowed(conversations, period=period, queue=queue, channel=channel)
    pairs = (
        rows.annotate(g_asking=F("library_id"), g_answering=_answering_library())
        .values("g_asking", "g_answering")
        .annotate(n=Count("pk"))
    )
    figures = defaultdict(lambda: dict.fromkeys(BALANCE_FIELDS, 0))
    for pair in pairs:
        asking, answering, n = pair["g_asking"], pair["g_answering"], pair["n"]
        asked = figures[asking]
        asked["asked"] += n
        if answering == asking:
            asked["answered_own"] += n
        elif answering == _UNANSWERED_ID:
            asked["unanswered"] += n
        else:
            asked["taken"] += n
            if answering == _HELPDESK_ID:
                asked["taken_by_helpdesk"] += n
            else:
                figures[answering]["given"] += n
    listed = list(libraries.order_by("name").only("pk", "code", "name"))
    hours = coop_scheduled_hours(period=period, libraries=libraries, queue=queue)
    balance = []
    for library in listed:
        counts = figures.get(library.pk) or dict.fromkeys(BALANCE_FIELDS, 0)
        scheduled = round(hours.get(library.pk, 0.0), 2)
        balance.append(
            {
                "key": library.code,
                "label": library.name,
                **counts,
                "scheduled_hours": scheduled,
                "given_per_hour": (
                    round(counts["given"] / scheduled, 2) if scheduled else None
                ),
            }
        )
    return balance
