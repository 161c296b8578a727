"""The tables of `/reports/`: each the page's source of truth for one
figure, its chart's data (`Table.chart_data`) and its CSV, laid out from the
answers of `chat.statistics` (nothing is counted here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from chat import statistics
from chat.models import Conversation
from consortium.models import Library

C = Conversation
TRENDS = (("day", "Day"), ("week", "Week"), ("month", "Month"))
# Row headers of the heat map: hour-of-week key `<d>-<hh>` has d = 0 on Monday.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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


def hour_of_week_table(figures: dict) -> Table:
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


def trend_tables(figures: dict, trend: str) -> list[Table]:
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


def channel_table(figures: dict) -> Table:
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


def count_tables(totals: dict) -> list[tuple[str, list[Table]]]:
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


def balance_table(balance: list[dict]) -> Table:
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


def answered_by_table(library: Library, answered_by: dict) -> Table:
    return Table(
        "answered_by",
        f"Who answered {library.name}'s patrons",
        ["Answered by", "Conversations"],
        [[g["label"], g["asked"]] for g in answered_by["groups"]],
        note="The answering librarian's home library (or the help desk).",
    )


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
