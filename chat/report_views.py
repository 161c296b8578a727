"""`/reports/` (SPEC R1, R2): the statistics of `/api/v1/statistics/` as a
page a coordinator reads, with charts, accessible tables and CSV downloads.

Who sees what is the API's rule (`chat.privacy.visible_conversations`): the
help desk every library; a site coordinator what their library's patrons
asked, and what their librarians answered for other libraries. Everybody else
gets 403.

Every figure is counted by `chat.statistics.conversation_statistics` in SQL:
this module only lays its answers out as tables (`Table`), which are the page's
source of truth, the data of its charts (`json_script`, drawn by
static/chat/reports/main.js) and its CSV downloads (`?…&csv=<table>`). The
conversation-level records (`?…&csv=records`) are streamed row by row.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from chat import privacy, statistics
from chat.api.statistics import StatisticsQuerySerializer
from chat.models import Conversation
from chat.statistics import figures as sql_figures
from consortium import scoping
from consortium.models import Library, Queue
from consortium.sql import without_jit

C = Conversation
TRENDS = (("day", "Day"), ("week", "Week"), ("month", "Month"))
PRESETS = (
    ("last-month", "Last calendar month"),
    ("this-month", "This month so far"),
    ("last-7-days", "Last 7 days"),
    ("last-30-days", "Last 30 days"),
)
RECORDS = "records"
# Row headers of the heat map: hour-of-week key `<d>-<hh>` has d = 0 on Monday.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Cells a spreadsheet would read as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Filters ----------------------------------------------------------------------


class ReportFilters(forms.Form):
    """What the statistics API does not take: the trend grouping and which
    CSV to download. Period, library, queue and channel are validated by
    `StatisticsQuerySerializer`, the API's own rules."""

    trend = forms.ChoiceField(
        label="Trend by", choices=TRENDS, required=False, initial="day"
    )
    csv = forms.CharField(required=False, max_length=40)


def _may_read_reports(request) -> bool:
    """The people `/api/v1/statistics/` answers (`AdminRolePermission` on
    conversations): the help desk and site coordinators."""
    return admin.site.get_model_admin(Conversation).has_view_permission(request)


def _given(query) -> dict:
    """The non-empty parameters: an empty field of the GET form means "not
    given", as it would by leaving it out of an API call."""
    return {key: value for key, value in query.items() if value.strip()}


def _errors(serializer_errors, form_errors) -> list[str]:
    """Every message, each saying which field it is about."""
    names = {
        "from": "From",
        "to": "To",
        "month": "Month",
        "period": "Period",
        "library": "Library",
        "queue": "Queue",
        "channel": "Channel",
        "trend": "Trend by",
        "csv": "Download",
        "non_field_errors": "Period",
        "__all__": "Filters",
    }
    found = []
    for errors in (serializer_errors, form_errors):
        for name, messages in errors.items():
            messages = messages if isinstance(messages, list) else [messages]
            found += [f"{names.get(name, name)}: {message}" for message in messages]
    return found


# --- Tables -------------------------------------------------------------------------


@dataclass
class Table:
    """One table of the page: `rows` are lists of cells, the first one the
    row's header. `chart` says how to draw it: its kind (`bar`, `line`,
    `heat` for a table coloured by value) and which columns are its series."""

    name: str
    title: str
    columns: list[str]
    rows: list[list]
    chart: str = "bar"
    series: list[int] = field(default_factory=lambda: [1])
    stacked: bool = False
    note: str = ""

    def chart_data(self) -> dict:
        return {
            "id": f"chart-{self.name}",
            "type": self.chart,
            "title": self.title,
            "stacked": self.stacked,
            "labels": [str(row[0]) for row in self.rows],
            "datasets": [
                {"label": self.columns[i], "data": [row[i] for row in self.rows]}
                for i in self.series
            ],
        }

    def heat_level(self, value, top: int) -> int:
        """A heat map cell's intensity 0-5 (its CSS class): 0 for none, 5
        for the busiest."""
        return 0 if not top or not value else 1 + (4 * value) // top

    def body_html(self) -> SafeString:
        """The rows of the table's body, every cell escaped. Built here and
        not with template tags: a year by day is thousands of cells."""
        if not self.rows:
            return format_html(
                '<tr><td colspan="{}">Nothing in this period.</td></tr>',
                len(self.columns),
            )
        heat = self.chart == "heat"
        top = max(
            (v for row in self.rows for v in row[1:] if isinstance(v, int)),
            default=0,
        )
        lines = []
        for row in self.rows:
            cells = [format_html('<th scope="row">{}</th>', row[0])]
            for value in row[1:]:
                shown = "—" if value is None else value
                if heat:
                    level = self.heat_level(value, top)
                    cells.append(
                        format_html('<td class="heat-{}">{}</td>', level, shown)
                    )
                else:
                    cells.append(format_html("<td>{}</td>", shown))
            lines.append("<tr>" + "".join(cells) + "</tr>")
        return mark_safe("\n".join(lines))  # noqa: S308 (each cell escaped above)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value))


def _hour_of_week(figures: dict) -> Table:
    asked = {group["key"]: group["asked"] for group in figures["groups"]}
    return Table(
        "hour_of_week",
        "Questions by hour of the week",
        ["Day", *[f"{hour:02d}:00" for hour in range(24)]],
        [
            [day, *[asked[f"{d}-{hour:02d}"] for hour in range(24)]]
            for d, day in enumerate(WEEKDAYS)
        ],
        chart="heat",
        series=[],
        note="Conversations asked, by the hour they were asked (consortium time).",
    )


def _trend_tables(figures: dict, trend: str) -> list[Table]:
    """The tables of one grouping by day, week or month."""
    groups = figures["groups"]
    head = dict(TRENDS)[trend]
    per = head.lower()
    channels = list(C.Channel)

    def table(name, title, columns, cells, **kwargs):
        return Table(
            name,
            title,
            [head, *columns],
            [[g["label"], *cells(g)] for g in groups],
            **kwargs,
        )

    return [
        table(
            "trend",
            f"Questions by {per} and channel",
            [*[c.label for c in channels], "Total"],
            lambda g: [*[g["channels"][c.value] for c in channels], g["asked"]],
            series=list(range(1, len(channels) + 1)),
            stacked=True,
        ),
        table(
            "waits",
            f"Live chat waits by {per}",
            ["Chats picked up", "Median (s)", "90th pct. (s)"],
            lambda g: [
                g["wait_seconds"]["count"],
                g["wait_seconds"]["median"],
                g["wait_seconds"]["p90"],
            ],
            chart="line",
            series=[2, 3],
            note="Seconds from the request to a librarian picking the chat up.",
        ),
        table(
            "missed",
            f"Missed live chats by {per}",
            ["Missed", "Missed rate (%)"],
            lambda g: [g["missed"], _percent(g["missed_rate"])],
            chart="line",
            series=[2],
            note="Chats the patron left before anyone picked them up, of all "
            "live chats asked.",
        ),
        table(
            "durations",
            f"Live chat durations by {per}",
            ["Chats ended", "Median (min)", "90th pct. (min)"],
            lambda g: [
                g["duration_seconds"]["count"],
                _minutes(g["duration_seconds"]["median"]),
                _minutes(g["duration_seconds"]["p90"]),
            ],
            chart="line",
            series=[2, 3],
            note="From pickup to the end of the chat.",
        ),
        table(
            "email_first_response",
            f"Email tickets: first response by {per}",
            ["Tickets", "Answered", "Median (hours)", "90th pct. (hours)"],
            lambda g: [
                g["tickets"],
                g["tickets_answered"],
                g["ticket_first_response_hours"]["median"],
                g["ticket_first_response_hours"]["p90"],
            ],
            chart="line",
            series=[3, 4],
            note="Hours from a ticket's creation to its first email answer.",
        ),
        table(
            "email_deadline",
            f"Email tickets answered within their deadline, by {per}",
            ["Due or answered", "Within the deadline", "Share (%)"],
            lambda g: [
                g["ticket_deadline"]["count"],
                g["ticket_deadline"]["met"],
                _percent(g["ticket_deadline"]["share"]),
            ],
            chart="line",
            series=[3],
            note="Of the tickets answered or past their deadline (48 hours by "
            "default), those answered in time.",
        ),
        table(
            "sms_deadline",
            f"Text messages answered within 12 hours, by {per}",
            ["Texts", "Answered", "Due or answered", "Within 12 h", "Share (%)"],
            lambda g: [
                g["sms_deadline"]["conversations"],
                g["sms_deadline"]["answered"],
                g["sms_deadline"]["count"],
                g["sms_deadline"]["met"],
                _percent(g["sms_deadline"]["share"]),
            ],
            chart="line",
            series=[5],
            note="Of the SMS conversations answered or past their answer time, "
            "those a librarian texted back in time.",
        ),
    ]


def _channel_table(figures: dict) -> Table:
    return Table(
        "channels",
        "Questions by channel",
        ["Channel", "Asked", "Picked up", "Missed", "Tickets", "Tickets answered"],
        [
            [
                g["label"],
                g["asked"],
                g["answered"],
                g["missed"],
                g["tickets"],
                g["tickets_answered"],
            ]
            for g in figures["groups"]
        ],
    )


def _choice_rows(counts: dict, labels: dict) -> list[list]:
    return [[str(labels.get(key, key)), n] for key, n in counts.items()]


def _count_tables(totals: dict) -> list[tuple[str, list[Table]]]:
    """The period's totals counted per choice, by section."""
    one = lambda name, title, column, counts, labels, **kw: Table(  # noqa: E731
        name, title, [column, "Conversations"], _choice_rows(counts, labels), **kw
    )
    not_recorded = {statistics.NOT_RECORDED: "Not recorded"}
    ratings = totals["ratings"]
    return [
        (
            "Resolutions and question types",
            [
                one(
                    "resolutions",
                    "Resolutions",
                    "Resolution",
                    totals["resolutions"],
                    dict(C.Resolution.choices),
                    note="The wrap-up code the librarian chose.",
                ),
                one(
                    "question_types",
                    "Question types",
                    "Question type",
                    totals["question_types"],
                    dict(C.QuestionType.choices),
                ),
                one(
                    "read_scale",
                    "READ scale",
                    "READ scale",
                    totals["read_scale"],
                    not_recorded,
                    note="Effort the answer took, from 1 (an answer needing no "
                    "specialised knowledge) to 6 (the most effort and expertise).",
                ),
            ],
        ),
        (
            "Patrons",
            [
                one(
                    "patron_statuses",
                    "Patron status",
                    "Patron status",
                    totals["patron_statuses"],
                    {**dict(C.PatronStatus.choices), **not_recorded},
                ),
                one(
                    "residency",
                    "Residency",
                    "Residency",
                    totals["residency"],
                    {
                        "resident": "Resident of the service area",
                        "non_resident": "Not a resident",
                    },
                ),
                Table(
                    "ratings",
                    "Patron ratings (“How did we do?”)",
                    ["Score", "Ratings"],
                    [[f"{score} of 5", n] for score, n in ratings["scores"].items()],
                    note=f"{ratings['count']} ratings"
                    + (f", mean {ratings['mean']} of 5." if ratings["count"] else "."),
                ),
            ],
        ),
    ]


def _balance_table(balance: list[dict]) -> Table:
    """Per library (`statistics.coop_balance`): its patrons' questions,
    answered at home or by others, and what its librarians gave."""
    return Table(
        "coop_balance",
        "Co-op give and take per library",
        [
            "Library",
            "Asked from it",
            "Answered by its librarians",
            "Taken by others",
            "Of which the help desk",
            "Not answered",
            "Given to others",
            "Co-op hours scheduled",
            "Given per co-op hour",
        ],
        [
            [
                b["label"],
                b["asked"],
                b["answered_own"],
                b["taken"],
                b["taken_by_helpdesk"],
                b["unanswered"],
                b["given"],
                b["scheduled_hours"],
                b["given_per_hour"],
            ]
            for b in balance
        ],
        series=[3, 6],
        note="Taken: its patrons' questions other libraries' librarians (or the "
        "help desk) answered. Given: other libraries' patrons' questions its "
        "librarians answered. Hours: its librarians' scheduled co-op shifts.",
    )


def _answered_by_table(library: Library, answered_by: dict) -> Table:
    return Table(
        "answered_by",
        f"Who answered {library.name}'s patrons",
        ["Answered by", "Conversations"],
        [[g["label"], g["asked"]] for g in answered_by["groups"]],
        note="The answering librarian's home library (or the help desk).",
    )


# --- The page -----------------------------------------------------------------------


# Which statistics each table is read from, so that a table's CSV counts
# only what it shows.
SOURCES = {
    "hour_of_week": "hour_of_week",
    "channels": "channel",
    "coop_balance": "balance",
    "answered_by": "answering_library",
    **{
        name: "trend"
        for name in (
            "trend",
            "waits",
            "missed",
            "durations",
            "email_first_response",
            "email_deadline",
            "sms_deadline",
            "resolutions",
            "question_types",
            "read_scale",
            "patron_statuses",
            "residency",
            "ratings",
        )
    },
}


def _tables(
    base, *, period, trend, library, queue, channel, user, only=None
) -> list[tuple[str, list[Table]]]:
    """The page's sections, each a heading and its tables; with `only` (a
    source of `SOURCES`), only the tables read from it."""
    asked = base if library is None else base.filter(library=library)
    listed = (
        Library.objects.filter(pk=library.pk)
        if library
        else scoping.visible(Library.objects.active(), user)
    )
    narrow = {"period": period, "queue": queue, "channel": channel}

    def wanted(source):
        return only is None or only == source

    def count(conversations, by):
        return statistics.conversation_statistics(
            conversations, by=by, libraries=listed, **narrow
        )

    with without_jit():  # consortium.sql: JIT costs more than these queries
        over_time = count(asked, trend) if wanted("trend") else None
        heat = count(asked, "hour_of_week") if wanted("hour_of_week") else None
        channels = count(asked, "channel") if wanted("channel") else None
        balance = (
            statistics.coop_balance(base, libraries=listed, **narrow)
            if wanted("balance")
            else None
        )
        answered_by = (
            count(asked, "answering_library")
            if library is not None and wanted("answering_library")
            else None
        )
    by_time = _trend_tables(over_time, trend) if over_time else [None] * 7
    coop = [
        _balance_table(balance) if balance is not None else None,
        _answered_by_table(library, answered_by) if answered_by else None,
    ]
    sections = [
        ("Volume", [_hour_of_week(heat) if heat else None, by_time[0]]),
        ("Channels", [_channel_table(channels) if channels else None]),
        ("Co-op give and take", coop),
        ("Waits and missed chats", by_time[1:3]),
        ("Durations", [by_time[3]]),
        *(_count_tables(over_time["totals"]) if over_time else []),
        ("Email tickets", by_time[4:6]),
        ("Text messages (SMS)", by_time[6:]),
    ]
    return [
        (heading, [t for t in tables if t is not None])
        for heading, tables in sections
        if any(t is not None for t in tables)
    ]


@login_required
def reports(request):
    user = request.user
    if not _may_read_reports(request):
        raise PermissionDenied("Reports are for site coordinators and the help desk.")
    given = _given(request.GET)
    params = StatisticsQuerySerializer(data=given, context={"request": request})
    form = ReportFilters(given)
    params_ok, form_ok = params.is_valid(), form.is_valid()
    context = {
        "form": form,
        "given": given,
        "presets": PRESETS,
        # The period shown when none is given: the serializer's default.
        "preset": given.get("period")
        or ("" if {"from", "to", "month"} & given.keys() else "last-month"),
        "trends": TRENDS,
        "libraries": scoping.visible(Library.objects.active(), user).order_by("name")
        if scoping.is_helpdesk(user)
        else None,
        # The queues the serializer accepts: their library's and the co-op's.
        "queues": scoping.visible(Queue.objects.order_by("name"), user),
        "channels": C.Channel.choices,
    }
    if not (params_ok and form_ok):
        context["errors"] = _errors(params.errors, form.errors)
        return render(request, "chat/reports/index.html", context, status=400)

    period = params.validated_data["period"]
    library = named = params.validated_data.get("library")
    if library is None and not scoping.is_helpdesk(user):
        library = user.library  # a coordinator's page is about their library
    trend = form.cleaned_data["trend"] or ("day" if period.days <= 62 else "week")
    base = privacy.visible_conversations(user)
    queue = params.validated_data.get("queue")
    channel = params.validated_data.get("channel")

    wanted = form.cleaned_data["csv"]
    if wanted == RECORDS:
        return _records_csv(
            statistics.narrowed(base, period=period, queue=queue, channel=channel),
            period=period,
            library=named,
            asynchronous=isinstance(request, ASGIRequest),
        )
    if wanted and wanted not in SOURCES:
        context["errors"] = [f"Download: there is no table named “{wanted}”."]
        return render(request, "chat/reports/index.html", context, status=400)
    sections = _tables(
        base,
        period=period,
        trend=trend,
        library=library,
        queue=queue,
        channel=channel,
        user=user,
        only=SOURCES[wanted] if wanted else None,
    )
    tables = {table.name: table for _, ts in sections for table in ts}
    if wanted:
        if wanted not in tables:  # who answered: of one library's patrons only
            context["errors"] = [
                f"Download: the table “{wanted}” is of one library: choose it."
            ]
            return render(request, "chat/reports/index.html", context, status=400)
        return _table_csv(tables[wanted], period)

    query = request.GET.copy()
    query.pop("csv", None)
    context.update(
        period=period,
        library=library,
        trend=trend,
        sections=sections,
        charts=[t.chart_data() for t in tables.values() if t.chart != "heat"],
        query=query.urlencode(),
        is_helpdesk=scoping.is_helpdesk(user),
    )
    return render(request, "chat/reports/index.html", context)


# --- CSV ------------------------------------------------------------------------------


def excel_safe(value) -> object:
    """`value` as a CSV cell a spreadsheet shows as text: a string that would
    start a formula gets a leading apostrophe. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    """A file whose `write` hands the line back: `csv.writer` into a stream."""

    def write(self, value):
        return value


def _filename(name: str, period: statistics.Period) -> str:
    return f"asktogether-{slugify(name.replace('_', '-'))}-{period.first}-{period.last}.csv"


def _table_csv(table: Table, period: statistics.Period) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(table.name, period)}"'
    )
    writer = csv.writer(response)
    writer.writerow([excel_safe(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([excel_safe(c) for c in row])
    return response


RECORD_COLUMNS = (
    ("pk", "Conversation"),
    ("channel", "Channel"),
    ("library__code", "Library asked from"),
    ("queue__code", "Queue"),
    ("librarian__username", "Answering librarian"),
    ("librarian__library__code", "Librarian's library"),
    ("requested_at", "Requested"),
    ("accepted_at", "Picked up"),
    ("ended_at", "Ended"),
    ("wait_s", "Wait (s)"),
    ("duration_s", "Duration (s)"),
    ("resolution", "Resolution"),
    ("question_type", "Question type"),
    ("read_scale", "READ scale"),
    ("patron_status", "Patron status"),
    ("resident", "Resident"),
    ("status", "Missed"),
    ("rating__score", "Rating"),
)
PERSONAL_COLUMNS = (
    ("patron_name", "Patron name"),
    ("patron_email", "Patron email"),
    ("patron_phone", "Patron phone"),
)


def _record_rows(conversations, zone) -> Iterator[list]:
    fields = [name for name, _ in RECORD_COLUMNS + PERSONAL_COLUMNS]
    rows = conversations.annotate(
        wait_s=sql_figures.WAIT, duration_s=sql_figures.DURATION
    ).values_list(*fields, "personal_data")
    personal = len(RECORD_COLUMNS)
    for row in rows.iterator(chunk_size=2000):
        cells = list(row[:-1])
        for i in (6, 7, 8):
            cells[i] = cells[i] and timezone.localtime(cells[i], zone).isoformat()
        for i in (9, 10):
            cells[i] = None if cells[i] is None else round(cells[i], 1)
        cells[15] = "yes" if cells[15] else "no"
        cells[16] = "yes" if cells[16] == C.Status.MISSED else "no"
        if not row[-1]:  # another library's patron (`chat.privacy`)
            cells[personal:] = [privacy.WITHHELD] * len(PERSONAL_COLUMNS)
        yield cells


def _batch(lines: Iterator[str], size: int = 500) -> str:
    return "".join(itertools.islice(lines, size))


async def _async_batches(lines: Iterator[str]):
    """`lines` for an ASGI server, 500 at a time: Django's ASGI handler reads a
    synchronous iterator into a list before sending any of it, which would
    hold the whole table. Each batch is read in the request's thread (the
    database cursor's)."""
    next_batch = sync_to_async(_batch, thread_sensitive=True)
    while chunk := await next_batch(lines):
        yield chunk


def _records_csv(
    conversations, *, period, library, asynchronous: bool
) -> StreamingHttpResponse:
    """Every conversation of the period the user may read (of `library` if
    the filters name one; else, for a coordinator, their library's and those
    their librarians answered for others, without those patrons' personal
    data), one row each, streamed: never the whole table in memory, under
    WSGI or ASGI (`asynchronous`)."""
    conversations = conversations.order_by("requested_at", "pk")
    if library is not None:
        conversations = conversations.filter(library=library)
    writer = csv.writer(_Echo())
    header = [label for _, label in RECORD_COLUMNS + PERSONAL_COLUMNS]

    def lines():
        yield writer.writerow(header)
        for cells in _record_rows(conversations, period.zone):
            yield writer.writerow([excel_safe(c) for c in cells])

    content = _async_batches(lines()) if asynchronous else lines()
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(RECORDS, period)}"'
    )
    return response
