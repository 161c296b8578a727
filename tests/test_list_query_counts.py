"""Every list reads the same number of queries for 3 rows as for 30 (issue
15): each REST list under `/api/v1/` (the router's resources, with the
searches and filters of the big ones), the statistics endpoint grouped every
way, and each admin changelist, as the help desk and as a site coordinator.

A consortium is grown "unit" by unit: each unit adds a library with a row of
every listed model, and the same rows again in the coordinator's library A,
so both readers' lists grow. The counts are taken at 3 units and again at
30."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework.authtoken.models import Token

from chat import statistics
from chat.models import (
    BackupCall,
    BlockedSender,
    Conversation,
    InboundEmail,
    Message,
    PatronBlock,
    RetentionRun,
    Ticket,
)
from consortium.api.urls import router
from consortium.models import (
    Announcement,
    Closure,
    Holiday,
    Liaison,
    PostedHours,
    ProblemReport,
    QueueMonitor,
    ReferralAgreement,
    Term,
    TermType,
)
from knowledgebase.models import (
    CannedMessage,
    Faq,
    PolicyPage,
    PolicySection,
    ReviewReminder,
)
from scheduling.models import (
    Alert,
    AlertEmail,
    CoverageRequirement,
    ScheduleChangeRequest,
    Shift,
    ShiftSlot,
    SubstitutionRequest,
)
from tests.consortium.factories import (
    CoopQueueFactory,
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

SMALL, LARGE = 3, 30
TODAY = date(2026, 10, 14)
KINDS = [kind for kind, _ in PolicySection.Kind.choices]
_n = itertools.count()


class World:
    pass


@pytest.fixture
def world(db, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 10, 14, 15, tzinfo=UTC))
    w = World()
    w.helpdesk = HelpdeskFactory(username="helpdesk")
    w.a = LibraryFactory(code="alib", name="Library A")
    w.coord = CoordinatorFactory(library=w.a, username="alib-coord")
    w.coop = CoopQueueFactory(code="coop-state")
    w.term = Term.objects.create(
        name="Fall 2026",
        term_type=TermType.SEMESTER,
        start_date=date(2026, 8, 24),
        end_date=date(2026, 12, 11),
    )
    w.units = 0
    return w


def grow(w, units: int) -> None:
    """Add units up to `units`: a new library with a row of every model,
    and the same in library A."""
    while w.units < units:
        w.units += 1
        library = LibraryFactory()
        library.coops.add(w.coop)
        for lib, other in ((library, w.a), (w.a, library)):
            _rows(w, lib, other, w.units)


def _rows(w, lib, other, i):
    n = next(_n)
    now = timezone.now()
    queue = QueueFactory(library=lib, code=f"{lib.code}-q{n}")
    PostedHours.objects.create(
        queue=queue, term_type=TermType.SEMESTER, weekday=2, opens=0, closes=1440
    )
    Term.objects.create(
        library=lib,
        name=f"Term {n}",
        term_type=TermType.BREAK,
        start_date=date(2027, 1, 1) + timedelta(days=10 * n),
        end_date=date(2027, 1, 5) + timedelta(days=10 * n),
    )
    Holiday.objects.create(
        name=f"Holiday {n}",
        start_date=date(2028, 1, 1) + timedelta(days=n),
        end_date=date(2028, 1, 1) + timedelta(days=n),
    )
    Closure.objects.create(
        library=lib,
        reason="Inventory",
        start_date=date(2027, 6, 1) + timedelta(days=3 * n),
        end_date=date(2027, 6, 1) + timedelta(days=3 * n),
    )
    librarian = StaffFactory(library=lib, username=f"{lib.code}-lib{n}")
    Token.objects.create(user=librarian)
    Liaison.objects.create(
        library=lib, subject=f"Law {n}", name="Lee", email="lee@example.org"
    )
    ReferralAgreement.objects.create(
        from_library=lib, to_library=other, subject=f"Ref {n}"
    )
    Announcement.objects.create(title=f"News {n}", body="Body", author=w.helpdesk)
    ProblemReport.objects.create(reporter=librarian, library=lib, summary="Broken")
    QueueMonitor.objects.create(staff=librarian, queue=queue)
    QueueMonitor.objects.create(staff=librarian, queue=w.coop)
    BackupCall.objects.create(staff=librarian, message="Help")
    RetentionRun.objects.create(retention_days=365, cutoff=now, details={"left": n})

    # Conversations, their messages, tickets and emails.
    asked = now - timedelta(days=i, minutes=n)
    chat = Conversation.objects.create(
        library=lib,
        queue=queue,
        question=f"Where is aquifer book {n}?",
        patron_name="Maya Garcia",
        patron_email=f"maya{n}@example.org",
        status=Conversation.Status.ENDED,
        librarian=librarian,
        requested_at=asked,
        waiting_since=asked,
        accepted_at=asked + timedelta(seconds=30),
        ended_at=asked + timedelta(minutes=5),
        resolution=Conversation.Resolution.FOLLOWUP_LIBRARY,
        question_type=Conversation.QuestionType.KNOWN_ITEM,
        last_seq=2,
    )
    for seq, sender in ((1, "patron"), (2, "librarian")):
        Message.objects.create(
            conversation=chat,
            seq=seq,
            sender=sender,
            body="Hello",
            author=librarian if sender == "librarian" else None,
        )
    ticket = Ticket.objects.create(
        conversation=chat,
        library=lib,
        source=Ticket.Source.FOLLOWUP_LIBRARY,
        email=chat.patron_email,
        subject=f"Aquifer {n}",
        due_at=now - timedelta(hours=1) if n % 2 else now + timedelta(days=1),
        created_at=chat.ended_at,
        assignee=librarian if n % 3 else None,
        status=Ticket.Status.CLAIMED if n % 3 else Ticket.Status.OPEN,
        forwarded_to_helpdesk=n % 4 == 0,
    )
    InboundEmail.objects.create(
        via=InboundEmail.Via.WEBHOOK,
        raw=b"Subject: hi",
        size=11,
        from_email=chat.patron_email,
        subject="hi",
        ticket=ticket,
        status=InboundEmail.Status.APPENDED,
    )
    PatronBlock.objects.create(
        email=chat.patron_email,
        until=now + timedelta(days=30),
        reason="Abuse",
        conversation=chat,
        created_by=w.helpdesk,
    )
    BlockedSender.objects.create(
        pattern=f"notices{n}@example.org",
        library=lib if n % 3 else None,
        reason="Booking confirmations",
        created_by=w.helpdesk,
    )

    # The schedule.
    slot = ShiftSlot.objects.create(
        library=lib,
        queue=w.coop,
        term=w.term,
        weekday=n % 7,
        starts=9 * 60,
        ends=12 * 60,
        assignee=librarian,
    )
    shift = Shift.objects.create(
        library=lib,
        queue=w.coop,
        slot=slot,
        date=TODAY + timedelta(days=1),
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=3),
        assignee=librarian if n % 2 else None,
    )
    SubstitutionRequest.objects.create(
        shift=shift, offered_by=librarian, widen_at=now + timedelta(hours=12)
    )
    CoverageRequirement.objects.create(
        queue=w.coop, term=w.term, weekday=n // 24 % 7, hour=n % 24, librarians=1
    )
    ScheduleChangeRequest.objects.create(
        library=lib,
        requested_by=librarian,
        action=ScheduleChangeRequest.Action.ADD,
        queue=w.coop,
        term=w.term,
        weekday=1,
        reason="More hours",
    )
    ScheduleChangeRequest.objects.create(
        library=lib,
        requested_by=librarian,
        action=ScheduleChangeRequest.Action.CHANGE,
        slot=slot,
        starts=10 * 60,
        reason="Later start",
    )
    email = AlertEmail.objects.create(to="a@example.org", subject="Gap", body="Gap")
    Alert.objects.create(
        kind=Alert.Kind.URGENT_SHIFT, key=f"gap-{n}", shift=shift, queue=w.coop,
        email=email,
    )  # fmt: skip

    # The knowledge base.
    page, _ = PolicyPage.objects.get_or_create(library=lib)
    if i <= 2 * len(KINDS):
        PolicySection.objects.create(
            page=page,
            kind=KINDS[(i - 1) % len(KINDS)],
            visibility="public" if i <= len(KINDS) else "staff",
            body="<p>Loans</p>",
            text="Loans",
        )
    Faq.objects.create(
        library=lib, question=f"Question {n}?", slug=f"q{n}", answer="<p>A</p>"
    )
    CannedMessage.objects.create(
        library=lib, group="greeting", key=f"k{n}", title="Hello", body="Hello"
    )
    ReviewReminder.objects.create(page=page, stage="due", due_on=TODAY + timedelta(n))

    # Beat's schedules (the help desk's admin pages).
    if lib == w.a:
        interval = IntervalSchedule.objects.create(every=n + 1, period="seconds")
        CrontabSchedule.objects.create(minute=str(n % 60), hour=str(n % 24))
        ClockedSchedule.objects.create(clocked_time=now + timedelta(days=n))
        SolarSchedule.objects.create(event="sunrise", latitude=n % 90, longitude=0)
        PeriodicTask.objects.create(
            name=f"task {n}", task="chat.tasks.timers_fire", interval=interval
        )


# --- What is read ------------------------------------------------------------------

YEAR = "from=2025-10-15&to=2026-10-14"


def api_lists() -> list[str]:
    paths = []
    for prefix, _viewset, _basename in router.registry:
        if prefix == "coverage-gaps":
            paths.append("/api/v1/coverage-gaps/?queue=coop-state&from=2026-10-15")
        elif prefix == "kb-search":
            paths.append("/api/v1/kb-search/?q=loans")
        elif prefix == "statistics":
            paths += [
                f"/api/v1/statistics/?{YEAR}&by={by}" for by in statistics.BY_CHOICES
            ]
        else:
            paths.append(f"/api/v1/{prefix}/")
    return paths + [
        "/api/v1/conversations/?search=aquifer",
        "/api/v1/conversations/?search=maya+garcia",
        "/api/v1/conversations/?status=ended&has_ticket=true&ordering=-ended_at",
        f"/api/v1/conversations/?answering_library=alib&{YEAR}",
        "/api/v1/tickets/?search=aquifer",
        "/api/v1/tickets/?overdue=true",
        "/api/v1/tickets/?helpdesk_inbox=true",
        "/api/v1/shifts/?unfilled=true",
        "/api/v1/staff/?search=lib",
    ]  # fmt: skip


def admin_changelists() -> list[str]:
    paths = [
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
    ]
    return paths + [
        "/admin/chat/conversation/?q=aquifer",
        "/admin/chat/conversation/?q=maya+garcia",
        "/admin/chat/conversation/?"  # the date filter's "This month"
        + urlencode(
            {
                "requested_at__gte": "2026-10-01 00:00:00-04:00",
                "requested_at__lt": "2026-11-01 00:00:00-04:00",
            }
        ),
        "/admin/chat/ticket/?q=aquifer",
        "/admin/chat/ticket/?status__exact=open",
        "/admin/scheduling/shift/?q=lib",
        "/admin/consortium/staff/?q=lib",
        "/admin/auditlog/logentry/?q=queue",
    ]


_ROW = re.compile(r"<tr[ >]")


def read(client, path) -> tuple[int, int] | None:
    """(queries, rows shown) of one list, or None if the reader may not see
    it (403 for their role, or an empty model list page)."""
    client.get(path)  # caches (content types, settings) warm, as in production
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code == 403:
        return None
    assert response.status_code == 200, (path, response.status_code)
    if path.startswith("/api/"):
        data = response.json()
        if isinstance(data, list):
            rows = len(data)
        else:
            rows = len(data.get("results", data.get("groups", [])))
    else:
        html = response.content.decode()
        table = html.partition('id="result_list"')[2].partition("</table>")[0]
        rows = max(0, len(_ROW.findall(table)) - 1)
    return len(queries), rows


def counts(w, who) -> dict[str, tuple[int, int] | None]:
    client = Client()
    client.force_login(w.helpdesk if who == "helpdesk" else w.coord)
    return {path: read(client, path) for path in api_lists() + admin_changelists()}


# --- The tests ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["helpdesk", "coordinator"])
def test_no_list_reads_more_queries_for_more_rows(world, who):
    grow(world, SMALL)
    small = counts(world, who)
    grow(world, LARGE)
    large = counts(world, who)
    grown = {
        path: (small[path][0], large[path][0])
        for path in small
        if small[path] is not None and small[path][0] != large[path][0]
    }
    assert grown == {}, "queries at 3 and at 30 rows differ"
    assert [p for p in small if (small[p] is None) != (large[p] is None)] == []


def test_the_lists_measured_do_grow(world):
    """The query counts above are of lists that show more rows at 30 units."""
    grow(world, SMALL)
    small = counts(world, "helpdesk")
    grow(world, LARGE)
    large = counts(world, "helpdesk")
    # Lists that cannot grow: one row per consortium (settings), fixed
    # groupings (statistics by channel, and by time over a fixed year), the
    # coverage gaps of one queue and week, and search hits capped by `limit`.
    fixed = re.compile(
        r"consortiumsettings|statistics/\?.*by=(channel|day|week|month|hour_of_week)"
        r"|coverage-gaps|kb-search|helpdesk_inbox"
    )
    flat = [
        path
        for path in small
        if not fixed.search(path)
        and large[path][1] <= small[path][1]
        and large[path][1] < 50  # a full page either way
    ]
    assert flat == []


def test_a_coordinator_reads_every_list_of_their_role(world):
    grow(world, SMALL)
    refused = [path for path, seen in counts(world, "coordinator").items() if not seen]
    # The help desk's own pages; the rest are scoped to library A.
    assert all(
        re.search(
            r"authtoken|celery|consortiumsettings|alert|reviewreminder|retentionrun",
            path,
        )
        for path in refused
    ), refused
