"""Long lists (issue 15): a deep page holds the rows the offset names, read
by id; a search finds rows through a related table as a join would; the
admin's list of libraries and queues tells who is online as the one-row
selectors do."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from chat.models import Conversation, Ticket
from consortium import selectors
from consortium.models import Library, Queue, QueueMonitor, Staff, TermType
from consortium.pagination import Paginator
from tests.api_helpers import client_for
from tests.consortium.factories import (
    ClosureFactory,
    CoopQueueFactory,
    HelpdeskFactory,
    HolidayFactory,
    HoursFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- Pages read by id ----------------------------------------------------------------


@pytest.fixture
def staff(db):
    library = LibraryFactory(code="alib")
    return [
        StaffFactory(library=library, username=f"alib-s{n:03d}", last_name=str(n % 7))
        for n in range(130)
    ]


def test_every_page_holds_the_rows_its_offset_names(staff):
    everyone = Staff.objects.order_by("last_name", "pk")
    expected = list(everyone)
    pages = Paginator(everyone, 20)
    read = [row for number in pages.page_range for row in pages.page(number)]
    assert read == expected
    assert list(pages.page(4)) == expected[60:80]


def test_a_deep_api_page_is_the_offset_s_rows_in_order(staff):
    helpdesk = HelpdeskFactory(username="helpdesk")
    client = client_for(helpdesk)
    everyone = [row["username"] for row in client.get(
        "/api/v1/staff/?ordering=username&page_size=200"
    ).json()["results"]]  # fmt: skip
    page = client.get("/api/v1/staff/?ordering=username&page_size=25&page=4").json()
    assert [row["username"] for row in page["results"]] == everyone[75:100]
    assert page["count"] == len(everyone)


def test_a_deep_admin_page_is_the_offset_s_rows(staff):
    client = Client()
    client.force_login(HelpdeskFactory(username="helpdesk"))
    response = client.get("/admin/consortium/staff/?o=1&p=3")
    assert response.status_code == 200
    shown = [staff.username for staff in response.context["cl"].result_list]
    assert (
        shown
        == list(Staff.objects.order_by("username").values_list("username", flat=True))[
            100:
        ]
    )


# --- Search, table by table ------------------------------------------------------------


@pytest.fixture
def tickets(db):
    library = LibraryFactory(code="alib")
    queue = QueueFactory(library=library)
    made = {}
    for name, question, subject in (
        ("by_question", "Do you hold the Okeechobee aquifer survey?", "A survey"),
        ("by_subject", "A question", "Okeechobee maps"),
        ("neither", "Opening hours?", "Hours"),
    ):
        chat = Conversation.objects.create(
            library=library,
            queue=queue,
            question=question,
            channel=Conversation.Channel.EMAIL,
            status=Conversation.Status.TICKET,
        )
        made[name] = Ticket.objects.create(
            conversation=chat,
            library=library,
            source=Ticket.Source.EMAIL,
            email="pat@example.org",
            subject=subject,
            due_at=chat.requested_at + timedelta(days=1),
        )
    return made


def test_ticket_search_finds_the_question_of_the_conversation(tickets):
    client = client_for(HelpdeskFactory(username="helpdesk"))
    found = client.get("/api/v1/tickets/?search=okeechobee").json()["results"]
    assert {row["id"] for row in found} == {
        tickets["by_question"].pk,
        tickets["by_subject"].pk,
    }
    both = client.get("/api/v1/tickets/?search=okeechobee+aquifer").json()
    assert [row["id"] for row in both["results"]] == [tickets["by_question"].pk]


def test_admin_ticket_search_finds_the_question_of_the_conversation(tickets):
    client = Client()
    client.force_login(HelpdeskFactory(username="helpdesk"))
    response = client.get("/admin/chat/ticket/?q=okeechobee")
    shown = {ticket.pk for ticket in response.context["cl"].result_list}
    assert shown == {tickets["by_question"].pk, tickets["by_subject"].pk}
    quoted = client.get('/admin/chat/ticket/?q="aquifer survey"')
    assert [t.pk for t in quoted.context["cl"].result_list] == [
        tickets["by_question"].pk
    ]


# --- Who is online, for a whole list ---------------------------------------------------


@pytest.fixture
def consortium(db):
    """Queues open 09:00-17:00 New York on Mondays (in a library's own break
    term not at all), one of each way to be closed: a closure, the break
    term, inactive, Tokyo's midnight; `silent` is left unmonitored by the
    tests that say so; the co-op queue is open all Monday."""
    coop = CoopQueueFactory(code="coop-state")
    HoursFactory(queue=coop, weekday=0, opens=0, closes=1440)
    queues = {}
    for code in ("open", "closed", "term", "inactive", "silent", "night"):
        library = LibraryFactory(code=code, timezone="America/New_York")
        queue = QueueFactory(library=library)
        HoursFactory(queue=queue, weekday=0, opens=9 * 60, closes=17 * 60)
        queues[code] = queue
    library = LibraryFactory(code="coop-only")
    library.coops.add(coop)
    queues["coop"] = coop
    ClosureFactory(
        library=queues["closed"].library,
        start_date=date(2026, 10, 12),
        end_date=date(2026, 10, 12),
    )
    TermFactory(
        library=queues["term"].library,
        term_type=TermType.BREAK,
        start_date=date(2026, 10, 1),
        end_date=date(2026, 10, 31),
    )
    Queue.objects.filter(pk=queues["inactive"].pk).update(active=False)
    Library.objects.filter(code="night").update(timezone="Asia/Tokyo")
    return queues


def monitor_all(queues, at, but=()):
    for code, queue in queues.items():
        if code not in but:
            librarian = StaffFactory(library=queue.library) if queue.library else None
            QueueMonitor.objects.create(
                staff=librarian or StaffFactory(), queue=queue, last_seen=at
            )


@pytest.mark.parametrize("holiday", [False, True])
def test_a_list_of_queues_is_online_as_each_queue_is(consortium, holiday):
    at = utc(2026, 10, 12, 15)  # Monday 11:00 in New York, midnight in Tokyo
    if holiday:
        HolidayFactory(start_date=date(2026, 10, 12), end_date=date(2026, 10, 12))
    monitor_all(consortium, at, but=("silent",))
    queues = list(Queue.objects.select_related("library"))
    expected = {q.pk for q in queues if selectors.queue_is_online(q, at)}
    assert selectors.queues_online(queues, at) == expected
    assert expected == (
        set() if holiday else {consortium["open"].pk, consortium["coop"].pk}
    )


def test_a_list_of_libraries_is_online_as_each_library_is(consortium):
    at = utc(2026, 10, 12, 15)
    monitor_all(consortium, at)
    libraries = list(Library.objects.all())
    expected = {lib.pk for lib in libraries if selectors.library_status(lib, at).online}
    assert selectors.libraries_online(libraries, at) == expected
    assert Library.objects.get(code="coop-only").pk in expected


def test_the_admin_lists_show_who_is_online(consortium, monkeypatch):
    at = utc(2026, 10, 12, 15)
    monitor_all(consortium, at)
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: at)
    client = Client()
    client.force_login(HelpdeskFactory(username="helpdesk"))
    libraries = client.get("/admin/consortium/library/").context["cl"].result_list
    online = {lib.code for lib in libraries if lib.chat_online}
    assert online == {"open", "silent", "coop-only"}
    queues = client.get("/admin/consortium/queue/").context["cl"].result_list
    assert {q.code for q in queues if q.chat_online} == {"open", "silent", "coop-state"}
