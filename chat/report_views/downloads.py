"""The CSV downloads of `/reports/`: a table as shown, and the
conversation-level records (SPEC R1) streamed row by row under WSGI and ASGI,
the patron's personal data only where `chat.privacy` allows it. Every cell is
Excel-safe (`excel_safe`)."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator

from asgiref.sync import sync_to_async
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from chat import privacy, statistics
from chat.models import Conversation
from chat.report_views.tables import Table
from chat.statistics import figures as sql_figures

C = Conversation
RECORDS = "records"
# Cells a spreadsheet would read as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def table_csv(table: Table, period: statistics.Period) -> HttpResponse:
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


def records_csv(
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
