"""`/api/v1/statistics/` (SPEC R2): exact figures of a known October 2026,
grouped every way, the permission matrix, bad parameters, query counts and
the `last-month` boundaries in the consortium's time zone (New York)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import statistics
from chat.models import Conversation, Ticket
from consortium.models import Staff
from tests.api_helpers import assert_error, client_for
from tests.consortium.factories import (
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/statistics/"
OCTOBER = "from=2026-10-01&to=2026-10-31"
S = timedelta(seconds=1)
C = Conversation


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def conversation(library, at, *, librarian=None, wait=None, duration=None, **kw):
    """A conversation of `library` asked `at`; picked up after `wait`
    seconds by `librarian` and ended `duration` seconds later, if given."""
    fields = {"channel": C.Channel.CHAT, "status": C.Status.ENDED}
    fields.update(kw)
    accepted = at + wait * S if wait is not None else None
    return C.objects.create(
        library=library,
        queue=library.queues.get(),
        question="Where are the books?",
        requested_at=at,
        waiting_since=at,
        librarian=librarian,
        accepted_at=accepted,
        ended_at=accepted + duration * S if duration is not None else None,
        **fields,
    )


def ticket(chat, *, created, answered_after_hours=None, assignee=None, **kw):
    answered = (
        created + timedelta(hours=answered_after_hours)
        if answered_after_hours is not None
        else None
    )
    return Ticket.objects.create(
        conversation=chat,
        library=chat.library,
        source=kw.pop("source", Ticket.Source.OFFLINE_FORM),
        email="pat@example.org",
        due_at=created + timedelta(hours=48),
        created_at=created,
        first_response_at=answered,
        assignee=assignee,
        status=Ticket.Status.WAITING if answered else Ticket.Status.OPEN,
    )


class World:
    pass


@pytest.fixture
def world(db):
    """Two libraries (A, B), their staff, and October 2026:

    A: a chat answered by Rob (A) after 30 s, 600 s long; a chat answered by
       Cal (B, co-op) after 90 s, 300 s long, followed up by A's inbox by
       email 5 h later; a missed chat at 23:59:59 on 31 October New York
       time (1 November in UTC); an email ticket answered by Nan (A) in 3 h.
    B: a chat answered by Cal after 10 s, 120 s long.
    Outside October (New York time): a chat of A at 23:59 on 30 September
    and one at midnight on 1 November.
    """
    w = World()
    w.lib_a = LibraryFactory(code="alib", name="Library A")
    w.lib_b = LibraryFactory(code="blib", name="Library B")
    QueueFactory(library=w.lib_a)
    QueueFactory(library=w.lib_b)
    w.rob = StaffFactory(library=w.lib_a, username="alib-rob")
    w.nan = StaffFactory(library=w.lib_a, username="alib-nan")
    w.cal = StaffFactory(library=w.lib_b, username="blib-cal")
    w.intern = StaffFactory(
        library=w.lib_a, username="alib-int", role=Staff.Role.INTERN
    )
    w.coord_a = CoordinatorFactory(library=w.lib_a, username="alib-coord")
    w.helpdesk = HelpdeskFactory(username="helpdesk")

    monday = utc(2026, 10, 5, 14, 0)  # Monday 10:00 in New York
    w.answered = conversation(
        w.lib_a,
        monday,
        librarian=w.rob,
        wait=30,
        duration=600,
        resolution=C.Resolution.ANSWERED,
        question_type=C.QuestionType.RESEARCH,
    )
    w.followed_up = conversation(
        w.lib_a,
        utc(2026, 10, 6, 15, 0),
        librarian=w.cal,
        wait=90,
        duration=300,
        resolution=C.Resolution.FOLLOWUP_LIBRARY,
        question_type=C.QuestionType.KNOWN_ITEM,
    )
    ticket(
        w.followed_up,
        created=w.followed_up.ended_at,
        answered_after_hours=5,
        assignee=w.nan,
        source=Ticket.Source.FOLLOWUP_LIBRARY,
    )
    w.missed = conversation(
        w.lib_a, utc(2026, 11, 1, 3, 59, 59), status=C.Status.MISSED
    )
    w.emailed = conversation(
        w.lib_a,
        utc(2026, 10, 20, 12, 0),
        channel=C.Channel.EMAIL,
        status=C.Status.TICKET,
    )
    ticket(
        w.emailed,
        created=w.emailed.requested_at,
        answered_after_hours=3,
        assignee=w.nan,
    )
    w.b_chat = conversation(
        w.lib_b,
        utc(2026, 10, 7, 16, 0),
        librarian=w.cal,
        wait=10,
        duration=120,
        resolution=C.Resolution.ANSWERED,
        question_type=C.QuestionType.DIRECTIONAL,
    )
    conversation(w.lib_a, utc(2026, 10, 1, 3, 59), librarian=w.rob, wait=5)
    conversation(w.lib_a, utc(2026, 11, 1, 4, 0), librarian=w.rob, wait=5)
    return w


def get(user, query=""):
    return client_for(user).get(URL + ("?" + query if query else ""))


def ok(user, query=""):
    response = get(user, query)
    assert response.status_code == 200, response.content
    return response.json()


def groups(data):
    return {g["key"]: g for g in data["groups"]}


# --- Exact figures --------------------------------------------------------------


def test_totals_of_october_are_exact(world):
    data = ok(world.helpdesk, OCTOBER)
    assert data["from"] == "2026-10-01" and data["to"] == "2026-10-31"
    assert data["time_zone"] == "America/New_York"
    assert data["by"] == "library" and data["library"] is None
    assert data["queue"] is None and data["channel"] is None
    assert data["totals"] == {
        "asked": 5,
        "answered": 3,
        "missed": 1,
        "missed_rate": 0.25,  # 1 missed of 4 live chats
        "tickets": 2,
        "tickets_answered": 2,
        "wait_seconds": {"count": 3, "median": 30.0, "p90": 78.0, "max": 90.0},
        "duration_seconds": {"count": 3, "median": 300.0, "p90": 540.0},
        "ticket_first_response_hours": {"count": 2, "median": 4.0, "p90": 4.8},
        # Both answered well within their 48 hours.
        "ticket_deadline": {"count": 2, "met": 2, "share": 1.0},
        "sms_deadline": {
            "conversations": 0,
            "answered": 0,
            "count": 0,
            "met": 0,
            "share": None,
        },
        "resolutions": {
            "answered": 2,
            "followup_library": 1,
            "followup_me": 0,
            "lost_call": 0,
        },
        "channels": {"chat": 4, "sms": 0, "email": 1},
        "question_types": {
            "directional": 1,
            "policy_hours": 0,
            "account_login": 0,
            "e_resources": 0,
            "known_item": 1,
            "research": 1,
            "other": 0,
        },
        "read_scale": {
            "1": 0,
            "2": 0,
            "3": 0,
            "4": 0,
            "5": 0,
            "6": 0,
            "not_recorded": 5,
        },
        "patron_statuses": {
            "middle_school": 0,
            "high_school": 0,
            "undergraduate": 0,
            "graduate": 0,
            "faculty_staff": 0,
            "public": 5,
            "not_recorded": 0,
        },
        "residency": {"resident": 5, "non_resident": 0},
        "ratings": {
            "count": 0,
            "mean": None,
            "scores": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
        },
    }


def test_by_library_groups_by_the_library_asked_from(world):
    data = ok(world.helpdesk, OCTOBER + "&by=library")
    assert [(g["key"], g["label"]) for g in data["groups"]] == [
        ("alib", "Library A"),
        ("blib", "Library B"),
    ]
    a, b = data["groups"]
    assert (a["asked"], a["answered"], a["missed"], a["tickets"]) == (4, 2, 1, 2)
    assert a["missed_rate"] == 0.3333
    assert a["wait_seconds"] == {"count": 2, "median": 60.0, "p90": 84.0, "max": 90.0}
    assert (b["asked"], b["answered"], b["missed"], b["missed_rate"]) == (1, 1, 0, 0.0)
    assert b["wait_seconds"]["median"] == 10.0
    assert b["ticket_first_response_hours"] == {
        "count": 0,
        "median": None,
        "p90": None,
    }


def test_by_library_lists_active_libraries_without_conversations(world):
    LibraryFactory(code="quiet", name="Quiet Library")
    LibraryFactory(code="gone", name="Gone Library", active=False)
    data = ok(world.helpdesk, OCTOBER)
    quiet = groups(data)["quiet"]
    assert "gone" not in groups(data)
    assert (quiet["asked"], quiet["missed_rate"]) == (0, None)
    assert quiet["wait_seconds"] == {
        "count": 0,
        "median": None,
        "p90": None,
        "max": None,
    }


def test_by_answering_library_counts_co_op_answers_for_the_librarians_library(
    world,
):
    data = ok(world.helpdesk, OCTOBER + "&by=answering_library")
    assert [g["key"] for g in data["groups"]] == ["alib", "blib", "unanswered"]
    by_key = groups(data)
    # Rob's chat and Nan's email answer for A; Cal's two chats for B.
    assert by_key["alib"]["asked"] == 2 and by_key["blib"]["asked"] == 2
    assert by_key["unanswered"]["missed"] == 1
    assert by_key["unanswered"]["label"] == "Not answered"


def test_help_desk_answers_have_their_own_group(world):
    conversation(world.lib_a, utc(2026, 10, 9, 12), librarian=world.helpdesk, wait=20)
    by_key = groups(ok(world.helpdesk, OCTOBER + "&by=answering_library"))
    assert by_key["helpdesk"]["asked"] == 1


def test_by_channel_lists_every_channel(world):
    data = ok(world.helpdesk, OCTOBER + "&by=channel")
    assert [(g["key"], g["asked"]) for g in data["groups"]] == [
        ("chat", 4),
        ("sms", 0),
        ("email", 1),
    ]
    assert groups(data)["email"]["missed_rate"] is None


def test_by_day_counts_days_in_the_consortium_time_zone(world):
    data = ok(world.helpdesk, OCTOBER + "&by=day")
    assert len(data["groups"]) == 31
    by_key = groups(data)
    # 1 November 03:59:59 UTC is still 31 October in New York.
    assert by_key["2026-10-31"]["missed"] == 1
    assert by_key["2026-10-31"]["label"] == "Sat 31 Oct 2026"
    assert by_key["2026-10-01"]["asked"] == 0
    assert sum(g["asked"] for g in data["groups"]) == 5


def test_by_week_and_month(world):
    weeks = ok(world.helpdesk, OCTOBER + "&by=week")["groups"]
    assert weeks[0]["key"] == "2026-09-28"  # the Monday of 1 October's week
    assert weeks[-1]["key"] == "2026-10-26"
    assert groups({"groups": weeks})["2026-10-05"]["asked"] == 3
    months = ok(world.helpdesk, "from=2026-09-15&to=2026-11-15&by=month")["groups"]
    assert [(g["key"], g["label"], g["asked"]) for g in months] == [
        ("2026-09", "September 2026", 1),  # 23:59 on 30 September
        ("2026-10", "October 2026", 5),
        ("2026-11", "November 2026", 1),
    ]


def test_by_hour_of_week(world):
    data = ok(world.helpdesk, OCTOBER + "&by=hour_of_week")
    assert len(data["groups"]) == 168
    monday_ten = groups(data)["0-10"]  # the answered chat, 10:00 New York
    assert monday_ten["asked"] == 1
    assert monday_ten["label"] == "Mon 10:00-11:00"


def test_month_parameter_and_library_narrowing(world):
    data = ok(world.helpdesk, "month=2026-10&library=blib&by=answering_library")
    assert data["from"] == "2026-10-01" and data["to"] == "2026-10-31"
    assert data["library"] == "blib"
    assert data["totals"]["asked"] == 1
    assert [g["key"] for g in data["groups"]] == ["blib"]


def test_percentiles_interpolate_between_ranks():
    assert statistics.percentile([], 50) is None
    assert statistics.percentile([7.0], 90) == 7.0
    assert statistics.percentile([10.0, 30.0, 90.0], 90) == pytest.approx(78.0)
    assert statistics.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5


# --- Who sees what --------------------------------------------------------------


def test_coordinator_sees_only_their_own_library(world):
    data = ok(world.coord_a, OCTOBER)
    assert [g["key"] for g in data["groups"]] == ["alib"]
    assert data["totals"]["asked"] == 4
    by_answer = ok(world.coord_a, OCTOBER + "&by=answering_library")
    # B's own chat is not theirs; Cal's answer to A's patron is.
    assert by_answer["totals"]["asked"] == 4
    assert groups(by_answer)["blib"]["asked"] == 1


def test_coordinator_naming_another_library_is_400(world):
    error = assert_error(get(world.coord_a, "library=blib"), 400, field="library")
    assert "blib" in error["fields"]["library"][0]


@pytest.mark.parametrize("who,status", [("rob", 403), ("intern", 403), (None, 401)])
def test_librarians_interns_and_anonymous_are_refused(world, who, status):
    user = getattr(world, who) if who else None
    assert_error(get(user, OCTOBER), status)


# --- Bad parameters ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query,field",
    [
        ("from=2026-10-31&to=2026-10-01", "to"),
        ("from=2026-10-01", "to"),
        ("to=2026-10-01", "from"),
        ("from=2026-13-01&to=2026-10-31", "from"),
        ("from=2024-01-01&to=2026-10-31", "from"),
        ("by=queue", "by"),
        ("period=last-year", "period"),
        ("month=2026-13", "month"),
        ("library=nope", "library"),
    ],
)
def test_bad_parameters_are_400_in_the_error_format(world, query, field):
    assert_error(get(world.helpdesk, query), 400, code="invalid", field=field)


def test_days_given_two_ways_is_400(world):
    error = assert_error(get(world.helpdesk, "month=2026-10&period=last-month"), 400)
    assert "one way only" in error["message"]


def test_two_years_is_the_longest_period(world):
    data = ok(world.helpdesk, "from=2024-10-31&to=2026-10-31")  # 731 days
    assert data["totals"]["asked"] == 6  # with 30 September, not 1 November
    assert_error(get(world.helpdesk, "from=2024-10-30&to=2026-10-31"), 400)


# --- Query count ------------------------------------------------------------------


def libraries_with_conversations(first, stop):
    """Libraries `first` to `stop` (excluded), each with a picked-up chat, a
    missed one and an answered email ticket in October 2026."""
    for n in range(first, stop):
        library = LibraryFactory(code=f"lib{n:03d}x")
        QueueFactory(library=library)
        librarian = StaffFactory(library=library)
        at = utc(2026, 10, 2 + n % 25, 15)
        conversation(library, at, librarian=librarian, wait=n, duration=60)
        conversation(library, at, status=C.Status.MISSED)
        emailed = conversation(
            library, at, channel=C.Channel.EMAIL, status=C.Status.TICKET
        )
        ticket(emailed, created=at, answered_after_hours=1, assignee=librarian)


@pytest.mark.parametrize("by", statistics.BY_CHOICES)
def test_query_count_does_not_grow_with_rows_or_groups(by, django_assert_num_queries):
    helpdesk = HelpdeskFactory(username="helpdesk")
    libraries_with_conversations(0, 2)
    with CaptureQueriesContext(connection) as small:
        assert ok(helpdesk, f"{OCTOBER}&by={by}")["totals"]["asked"] == 6
    libraries_with_conversations(2, 20)
    with django_assert_num_queries(len(small)):
        assert ok(helpdesk, f"{OCTOBER}&by={by}")["totals"]["asked"] == 60
    # The groups and the totals, counted by the database (one statement on
    # PostgreSQL, two on SQLite), and the libraries' names when grouping by
    # library; on PostgreSQL without JIT compilation (`SET LOCAL`, in a
    # savepoint here inside the test's transaction).
    statements = [q["sql"] for q in small.captured_queries]
    selects = [sql for sql in statements if sql.startswith("SELECT")]
    counted = 1 if connection.vendor == "postgresql" else 2
    assert len(selects) == counted + (by in ("library", "answering_library"))
    if connection.vendor == "postgresql":
        assert "SET LOCAL jit = off" in statements
        assert len(statements) == len(selects) + 3  # savepoint, SET, release
    else:
        assert statements == selects


# --- Relative periods --------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    """Set `timezone.now()` (what the API takes for today) to an instant."""

    def freeze(instant):
        monkeypatch.setattr(timezone, "now", lambda: instant)

    return freeze


@pytest.mark.parametrize(
    "now,first,last",
    [
        # 23:30 on 31 October in New York, though 1 November in UTC.
        (utc(2026, 11, 1, 3, 30), "2026-09-01", "2026-09-30"),
        # 00:30 on 1 November in New York.
        (utc(2026, 11, 1, 4, 30), "2026-10-01", "2026-10-31"),
        (utc(2027, 1, 15, 12), "2026-12-01", "2026-12-31"),
        (utc(2028, 3, 1, 12), "2028-02-01", "2028-02-29"),
    ],
)
def test_last_month_is_the_default_in_the_consortium_time_zone(
    world, frozen, now, first, last
):
    frozen(now)
    data = ok(world.helpdesk)
    assert (data["from"], data["to"]) == (first, last)


def test_last_month_counts_from_local_midnight_to_local_midnight(world, frozen):
    frozen(utc(2026, 11, 10, 12))
    data = ok(world.helpdesk, "period=last-month")
    # Not the chats at 23:59 on 30 September and at midnight on 1 November.
    assert data["totals"]["asked"] == 5


@pytest.mark.parametrize(
    "period,first,last",
    [
        ("this-month", "2026-11-01", "2026-11-10"),
        ("last-7-days", "2026-11-04", "2026-11-10"),
        ("last-30-days", "2026-10-12", "2026-11-10"),
    ],
)
def test_relative_periods_end_today(world, frozen, period, first, last):
    frozen(utc(2026, 11, 11, 2))  # still 10 November in New York
    data = ok(world.helpdesk, f"period={period}")
    assert (data["from"], data["to"]) == (first, last)


def test_period_bounds_are_local_midnights():
    zone = statistics.consortium_zone()
    period = statistics.month_period(2026, 10, zone)
    assert period.start == utc(2026, 10, 1, 4)
    # Summer time ends on 1 November 2026: midnight is still EDT (UTC-4).
    assert period.end == utc(2026, 11, 1, 4)
    assert statistics.month_period(2026, 12, zone).last == date(2026, 12, 31)
