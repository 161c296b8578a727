"""The figures the coordinators' reports add (issue 19): ticket and SMS
deadlines, READ scale, patron status, residency, ratings, the co-op give and
take with the hours on co-op shifts, narrowing by queue and channel, and the
API's new parameters and errors. Counted by hand from a small October 2026;
the same on PostgreSQL and SQLite, in a number of queries that does not grow
with the rows."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import statistics
from chat.api.statistics import BalanceSerializer, StatisticsSerializer
from chat.models import Conversation, Message, PatronRating, Ticket
from consortium.models import ConsortiumSettings, Library
from scheduling.models import Shift
from tests.api_helpers import assert_error, client_for
from tests.chat.test_statistics_api import conversation, ticket, utc
from tests.consortium.factories import (
    CoopQueueFactory,
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

C = Conversation
H = timedelta(hours=1)
S = timedelta(seconds=1)
OCTOBER = "from=2026-10-01&to=2026-10-31"
# What the selectors take for "now" in the hand counts: noon UTC on 31 October.
NOW = utc(2026, 10, 31, 12)


class World:
    pass


def text(chat, seq, sender, at, author=None):
    return Message.objects.create(
        conversation=chat,
        seq=seq,
        sender=sender,
        body="…",
        created_at=at,
        author=author,
    )


def sms(library, at, *, librarian=None, answered_after=None, **kw):
    """An SMS conversation whose first text came `at`; `librarian` picked it
    up at once and texted back `answered_after` later, if given. An
    unanswered one has only the after-hours reply (a system text)."""
    status = C.Status.ACTIVE if librarian else C.Status.WAITING
    chat = conversation(
        library,
        at,
        librarian=librarian,
        wait=0 if librarian else None,
        channel=C.Channel.SMS,
        status=status,
        **kw,
    )
    text(chat, 1, Message.Sender.PATRON, at)
    if answered_after is None:
        text(chat, 2, Message.Sender.SYSTEM, at)
    else:
        text(chat, 2, Message.Sender.NOTE, at + answered_after / 2, librarian)
        text(chat, 3, Message.Sender.LIBRARIAN, at + answered_after, librarian)
        text(chat, 4, Message.Sender.LIBRARIAN, at + answered_after + H, librarian)
    return chat


def rate(chat, score):
    PatronRating.objects.create(conversation=chat, score=score)


@pytest.fixture
def world(db):
    """Libraries A and B, a co-op queue, and October 2026 (New York):

    A1 chat answered by Rob (A) after 10 s: READ 2, undergraduate, rated 5.
    A2 chat answered by Cal (B) after 40 s: READ 2, graduate, non-resident,
       rated 3.
    A3 missed chat.
    A4 email answered by Nan (A) after 50 h: past its 48 h deadline.
    A5 email answered by Nan after 3 h: on time.
    A6 email unanswered, due 16 October: past due at NOW.
    A7 email unanswered, due 1 November: not due yet at NOW.
    A8 SMS Rob texted back after 2 h (READ 1): in time.
    A9 SMS Rob texted back after 13 h: late.
    A10 SMS nobody texted back (only the after-hours reply), 10 October.
    A11 SMS nobody texted back yet, asked 6 h before NOW: not due yet.
    B1 chat answered by Rob (A, co-op give): READ 6, rated 4.
    B2 chat answered by the help desk, no patron status recorded.

    A is a member of the co-op queue; A1, A2, A3 and B1 are passed to the
    co-op 15 s after they were asked.

    Co-op shifts in October: Rob 2 h on 5 October and 2 h of a shift
    straddling the period's start (22:00-02:00 New York, 30 September);
    Cal 3 h. Not counted: Rob's cancelled co-op shift, his shift on A's own
    queue, an unassigned co-op shift, a co-op shift in November.
    """
    w = World()
    w.a = LibraryFactory(code="alib", name="Library A")
    w.b = LibraryFactory(code="blib", name="Library B")
    w.queue_a = QueueFactory(library=w.a)
    w.queue_b = QueueFactory(library=w.b)
    w.coop = CoopQueueFactory(code="coop-statewide", timezone="America/New_York")
    w.rob = StaffFactory(library=w.a, username="alib-rob")
    w.nan = StaffFactory(library=w.a, username="alib-nan")
    w.cal = StaffFactory(library=w.b, username="blib-cal")
    w.helpdesk = HelpdeskFactory(username="helpdesk")
    w.coord_a = CoordinatorFactory(library=w.a, username="alib-coord")
    PS = C.PatronStatus

    day = lambda d, h=15: utc(2026, 10, d, h)  # noqa: E731
    w.a1 = conversation(
        w.a, day(5), librarian=w.rob, wait=10, duration=300, read_scale=2,
        patron_status=PS.UNDERGRADUATE,
    )  # fmt: skip
    w.a2 = conversation(
        w.a, day(6), librarian=w.cal, wait=40, duration=200, read_scale=2,
        patron_status=PS.GRADUATE, resident=False,
    )  # fmt: skip
    conversation(w.a, day(7), status=C.Status.MISSED)
    for d, after in ((12, 50), (13, 3), (14, None)):
        emailed = conversation(
            w.a, day(d), channel=C.Channel.EMAIL, status=C.Status.TICKET
        )
        ticket(
            emailed,
            created=day(d),
            answered_after_hours=after,
            assignee=w.nan if after else None,
        )
    late_email = conversation(
        w.a, day(30), channel=C.Channel.EMAIL, status=C.Status.TICKET
    )
    ticket(late_email, created=day(30, 12))
    sms(w.a, day(8), librarian=w.rob, answered_after=2 * H, read_scale=1)
    sms(w.a, day(9), librarian=w.rob, answered_after=13 * H)
    sms(w.a, day(10))
    sms(w.a, NOW - 6 * H)
    w.b1 = conversation(w.b, day(20), librarian=w.rob, wait=10, read_scale=6)
    conversation(w.b, day(21), librarian=w.helpdesk, wait=10, patron_status="")
    rate(w.a1, 5)
    rate(w.a2, 3)
    rate(w.b1, 4)
    # Offered on the co-op after 15 s: A2 (picked up at 40 s) and the missed
    # A3; not A1, picked up at 20 s, nor B1 (B is no member of the co-op).
    w.a.coops.add(w.coop)
    for chat in (w.a1, w.a2, w.b1):
        C.objects.filter(pk=chat.pk).update(coop_at=chat.requested_at + 15 * S)
    C.objects.filter(requested_at=day(7)).update(coop_at=day(7) + 15 * S)

    def shift(queue, assignee, start, hours, **kw):
        Shift.objects.create(
            library=assignee.library if assignee else w.a,
            queue=queue,
            date=start.date(),
            starts_at=start,
            ends_at=start + hours * H,
            assignee=assignee,
            **kw,
        )

    shift(w.coop, w.rob, day(5, 14), 2)
    shift(w.coop, w.rob, utc(2026, 10, 1, 2), 4)  # 2 h before 00:00 EDT
    shift(w.coop, w.cal, day(6, 14), 3)
    shift(w.coop, w.rob, day(7, 14), 5, status=Shift.Status.CANCELLED)
    shift(w.queue_a, w.rob, day(8, 14), 6)
    shift(w.coop, None, day(9, 14), 7)
    shift(w.coop, w.rob, utc(2026, 11, 1, 4), 8)
    return w


def period():
    return statistics.Period(
        date(2026, 10, 1), date(2026, 10, 31), statistics.consortium_zone()
    )


def figures(by="library", **kw):
    return statistics.conversation_statistics(
        C.objects.all(), period=period(), by=by, now=NOW, **kw
    )


def by_key(data):
    return {group["key"]: group for group in data["groups"]}


# --- New figures, by hand ------------------------------------------------------------


def test_ticket_first_response_and_deadline(world):
    totals = figures()["totals"]
    # Answered after 50 h and 3 h: median 26.5, p90 3 + 0.9 × 47.
    assert totals["ticket_first_response_hours"] == {
        "count": 2,
        "median": 26.5,
        "p90": 45.3,
    }
    # A4 late, A5 on time, A6 past due; A7 not due yet at NOW.
    assert totals["tickets"] == 4
    assert totals["ticket_deadline"] == {"count": 3, "met": 1, "share": 0.3333}


def test_ticket_deadline_is_each_ticket_s_own(world):
    # Not 48 h from the consortium's settings: the ticket's `due_at` (a
    # queue's own hours, a follow-up's end of day), the reminders' deadline.
    a5 = Ticket.objects.get(conversation__requested_at=utc(2026, 10, 13, 15))
    Ticket.objects.filter(pk=a5.pk).update(due_at=a5.created_at + H)
    assert figures()["totals"]["ticket_deadline"] == {
        "count": 3,
        "met": 0,
        "share": 0.0,
    }


def test_sms_answered_by_a_librarian_s_text_within_the_answer_time(world):
    deadline = figures()["totals"]["sms_deadline"]
    # A8 in 2 h; A9 in 13 h (late); A10 never (past due); A11 not due yet.
    assert deadline == {
        "conversations": 4,
        "answered": 2,
        "count": 3,
        "met": 1,
        "share": 0.3333,
    }


def test_sms_answer_time_is_the_consortium_setting(world):
    ConsortiumSettings.objects.update_or_create(
        pk=1, defaults={"sms_response_hours": 14}
    )
    deadline = figures()["totals"]["sms_deadline"]
    assert (deadline["count"], deadline["met"]) == (3, 2)  # A9's 13 h is in time


def test_read_scale_patron_status_residency_and_ratings(world):
    totals = figures()["totals"]
    assert totals["asked"] == 13
    assert totals["read_scale"] == {
        "1": 1,
        "2": 2,
        "3": 0,
        "4": 0,
        "5": 0,
        "6": 1,
        "not_recorded": 9,
    }
    assert totals["patron_statuses"] == {
        "middle_school": 0,
        "high_school": 0,
        "undergraduate": 1,
        "graduate": 1,
        "faculty_staff": 0,
        "public": 10,
        "not_recorded": 1,
    }
    assert totals["residency"] == {"resident": 12, "non_resident": 1}
    assert totals["ratings"] == {
        "count": 3,
        "mean": 4.0,
        "scores": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1},
    }


def test_every_group_has_the_new_figures(world):
    libraries = by_key(figures("library"))
    a, b = libraries["alib"], libraries["blib"]
    assert (a["ratings"]["count"], a["ratings"]["mean"]) == (2, 4.0)
    assert b["ratings"] == {
        "count": 1,
        "mean": 4.0,
        "scores": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
    }
    assert b["patron_statuses"]["not_recorded"] == 1
    assert b["sms_deadline"]["share"] is None
    assert a["sms_deadline"]["share"] == 0.3333
    channels = by_key(figures("channel"))
    assert channels["sms"]["sms_deadline"]["met"] == 1
    assert channels["sms"]["read_scale"]["1"] == 1
    assert channels["email"]["ticket_deadline"]["count"] == 3
    assert channels["chat"]["ticket_deadline"] == {"count": 0, "met": 0, "share": None}
    days = by_key(figures("day"))
    assert days["2026-10-08"]["sms_deadline"]["met"] == 1
    assert days["2026-10-05"]["ratings"]["scores"]["5"] == 1


def test_queue_and_channel_narrow_the_conversations(world):
    assert figures(channel=C.Channel.SMS)["totals"]["asked"] == 4
    assert figures(queue=world.queue_b)["totals"]["asked"] == 2
    both = figures(queue=world.queue_a, channel=C.Channel.CHAT)["totals"]
    assert (both["asked"], both["missed"]) == (3, 1)
    on_coop = figures(queue=world.coop)["totals"]
    assert (on_coop["asked"], on_coop["missed"]) == (2, 1)  # A2 and A3
    with pytest.raises(ValueError):
        figures(channel="fax")


def test_only_the_figures_asked_for_are_counted(world):
    heat = figures("hour_of_week", figures=["asked"])
    assert set(heat["totals"]) == {"asked"}
    assert set(heat["groups"][0]) == {"key", "label", "asked"}
    assert heat["totals"]["asked"] == 13
    some = figures("library", figures=("ratings", "sms_deadline"))
    full = figures("library")
    for name in ("ratings", "sms_deadline"):
        assert some["totals"][name] == full["totals"][name]
        assert [g[name] for g in some["groups"]] == [g[name] for g in full["groups"]]
    assert list(full["totals"]) == list(statistics.FIGURE_NAMES)
    with pytest.raises(ValueError):
        figures(figures=["asked", "happiness"])


# --- Co-op balance --------------------------------------------------------------------


def test_coop_balance_by_hand(world):
    lines = statistics.coop_balance(
        C.objects.all(),
        period=period(),
        libraries=Library.objects.all(),
    )
    assert lines == [
        {
            "key": "alib",
            "label": "Library A",
            "asked": 11,
            # A1, A4, A5 (Nan's emails), A8, A9 (Rob's texts).
            "answered_own": 5,
            "taken": 1,  # A2, by Cal
            "taken_by_helpdesk": 0,
            "unanswered": 5,  # A3, A6, A7, A10, A11
            "given": 1,  # B1
            "scheduled_hours": 4.0,
            "given_per_hour": 0.25,
        },
        {
            "key": "blib",
            "label": "Library B",
            "asked": 2,
            "answered_own": 0,
            "taken": 2,
            "taken_by_helpdesk": 1,
            "unanswered": 0,
            "given": 1,  # A2
            "scheduled_hours": 3.0,
            "given_per_hour": 0.33,
        },
    ]


def test_coop_balance_narrowed_to_a_channel_and_a_co_op_queue(world):
    libraries = Library.objects.all()
    chats = statistics.coop_balance(
        C.objects.all(), period=period(), libraries=libraries, channel="chat"
    )
    a = chats[0]
    assert (a["asked"], a["answered_own"], a["taken"], a["unanswered"]) == (3, 1, 1, 1)
    on_coop = statistics.coop_balance(
        C.objects.all(), period=period(), libraries=libraries, queue=world.coop
    )
    a, b = on_coop
    assert (a["asked"], a["taken"], a["unanswered"], a["given"]) == (2, 1, 1, 0)
    assert b["asked"] == 0
    assert [line["scheduled_hours"] for line in on_coop] == [4.0, 3.0]


def test_a_coordinator_s_balance_is_their_library_s_line_complete(world):
    data = ok(world.coord_a, f"{OCTOBER}", balance=True)
    assert [line["key"] for line in data["groups"]] == ["alib"]
    a = data["groups"][0]
    # B1, B's patron answered by Rob, is theirs to count.
    assert (a["asked"], a["given"], a["scheduled_hours"]) == (11, 1, 4.0)
    assert BalanceSerializer(data).data == data


def test_help_desk_balance_lists_every_library(world):
    data = ok(world.helpdesk, f"{OCTOBER}&library=blib", balance=True)
    assert data["library"] == "blib"
    assert [(line["key"], line["given"]) for line in data["groups"]] == [("blib", 1)]
    data = ok(world.helpdesk, f"{OCTOBER}&channel=sms", balance=True)
    assert data["channel"] == "sms"
    assert [line["asked"] for line in data["groups"]] == [4, 0]


# --- API parameters and errors ------------------------------------------------------


def get(user, query, *, balance=False):
    url = "/api/v1/statistics/" + ("balance/" if balance else "")
    return client_for(user).get(f"{url}?{query}")


def ok(user, query, *, balance=False):
    response = get(user, query, balance=balance)
    assert response.status_code == 200, response.content
    return response.json()


def test_api_narrows_by_queue_code_and_channel(world):
    data = ok(world.helpdesk, f"{OCTOBER}&queue=blib&channel=chat&by=channel")
    assert (data["queue"], data["channel"]) == ("blib", "chat")
    assert data["totals"]["asked"] == 2
    assert StatisticsSerializer(data).data == data
    coordinator = ok(world.coord_a, f"{OCTOBER}&queue=coop-statewide")
    assert coordinator["totals"]["asked"] == 2


@pytest.mark.parametrize("balance", [False, True])
@pytest.mark.parametrize(
    "who,query,field,says",
    [
        ("helpdesk", "queue=nope", "queue", "No queue with the code “nope”"),
        ("coord_a", "queue=blib", "queue", "No queue with the code “blib”"),
        ("helpdesk", "channel=fax", "channel", "“fax” is not a channel"),
        ("coord_a", "library=blib", "library", "No library with the code “blib”"),
        ("helpdesk", "library=nope", "library", "No library with the code “nope”"),
        ("helpdesk", "from=2026-10-31&to=2026-10-01", "to", "is before the first"),
        ("helpdesk", "from=2016-10-01&to=2026-10-31", "from", "at most two years"),
    ],
)
def test_bad_parameters_are_400_and_say_why(world, balance, who, query, field, says):
    error = assert_error(
        get(getattr(world, who), query, balance=balance), 400, field=field
    )
    assert says in error["fields"][field][0]


def test_an_out_of_scope_queue_answers_like_an_unknown_one(world):
    # Nothing tells a coordinator that B's queue exists.
    unknown = assert_error(get(world.coord_a, "queue=zzz"), 400, field="queue")
    theirs = assert_error(get(world.coord_a, "queue=blib"), 400, field="queue")
    assert (
        unknown["fields"]["queue"][0].replace("zzz", "blib")
        == (theirs["fields"]["queue"][0])
    )


@pytest.mark.parametrize("who,status", [("rob", 403), (None, 401)])
def test_balance_is_refused_to_librarians_and_anonymous(world, who, status):
    assert_error(
        get(getattr(world, who) if who else None, OCTOBER, balance=True), status
    )


# --- Query counts --------------------------------------------------------------------


def more_of_everything(n):
    """`n` more libraries with a rated chat, a text answered, an email ticket
    and a co-op shift each in October."""
    coop = CoopQueueFactory(timezone="America/New_York")
    for i in range(n):
        library = LibraryFactory(code=f"more{i:03d}")
        QueueFactory(library=library)
        librarian = StaffFactory(library=library)
        at = utc(2026, 10, 2 + i % 25, 15)
        rate(conversation(library, at, librarian=librarian, wait=i, read_scale=3), 2)
        sms(library, at, librarian=librarian, answered_after=H)
        emailed = conversation(
            library, at, channel=C.Channel.EMAIL, status=C.Status.TICKET
        )
        ticket(emailed, created=at, answered_after_hours=1, assignee=librarian)
        Shift.objects.create(
            library=library,
            queue=coop,
            date=at.date(),
            starts_at=at,
            ends_at=at + H,
            assignee=librarian,
        )


@pytest.mark.parametrize(
    "query",
    [
        f"{OCTOBER}&by=library",
        f"{OCTOBER}&by=hour_of_week&channel=sms",
        f"{OCTOBER}&by=day&queue=alib",
        f"{OCTOBER}&by=answering_library&queue=coop-statewide",
        f"{OCTOBER}&library=alib",
    ],
)
@pytest.mark.parametrize("balance", [False, True])
def test_query_counts_do_not_grow_with_rows(
    world, query, balance, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as small:
        ok(world.helpdesk, query, balance=balance)
    more_of_everything(15)
    with django_assert_num_queries(len(small)):
        data = ok(world.helpdesk, query, balance=balance)
    if balance and "library=" not in query:
        assert len(data["groups"]) == 17


def test_selector_query_counts(world, django_assert_num_queries):
    libraries = Library.objects.all()
    counted = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(counted):
        figures("channel")
    # The pairs, the libraries, the shifts' hours.
    with django_assert_num_queries(3):
        statistics.coop_balance(C.objects.all(), period=period(), libraries=libraries)
    more_of_everything(10)
    with django_assert_num_queries(counted):
        assert figures("channel")["totals"]["sms_deadline"]["met"] == 11
    with django_assert_num_queries(3):
        lines = statistics.coop_balance(
            C.objects.all(), period=period(), libraries=libraries
        )
    assert sum(line["scheduled_hours"] for line in lines) == 17.0
