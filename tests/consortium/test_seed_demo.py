from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from consortium.models import ConsortiumSettings, Library, Queue, Staff, Term
from knowledgebase import services
from knowledgebase.models import CannedMessage, Faq, PolicyPage, PolicySection

pytestmark = pytest.mark.django_db


def snapshot(app="consortium"):
    """Every row of `app`, by model, as comparable tuples."""
    data = {}
    for model in apps.get_app_config(app).get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if f.attname not in ("last_login", "password")
        ]
        data[model.__name__] = sorted(map(repr, model.objects.values_list(*fields)))
    return data


def test_seed_demo_builds_a_realistic_consortium():
    call_command("seed_demo", verbosity=0)
    assert Library.objects.count() >= 8
    assert set(Library.objects.values_list("library_type", flat=True)) == {
        "public",
        "academic",
        "school",
        "special",
    }
    assert Library.objects.values("timezone").distinct().count() >= 2
    assert Queue.objects.coop().count() == 3
    assert Queue.objects.local().count() == Library.objects.count()
    assert Staff.objects.count() >= 30
    assert set(Staff.objects.values_list("role", flat=True)) == set(Staff.Role.values)
    for staff in Staff.objects.all():
        staff.full_clean()  # every seeded row obeys the naming conventions


def test_seed_demo_twice_leaves_the_same_data():
    call_command("seed_demo", verbosity=0)
    first, schedule = snapshot(), snapshot("scheduling")
    for model in ("CoverageRequirement", "ShiftSlot", "Shift", "SubstitutionRequest"):
        assert schedule[model], model
    call_command("seed_demo", verbosity=0)
    assert snapshot() == first
    second = snapshot("scheduling")
    assert {m: len(rows) for m, rows in second.items()} == {
        m: len(rows) for m, rows in schedule.items()
    }
    assert second == schedule


def test_demo_logins_work(client):
    call_command("seed_demo", verbosity=0)
    assert client.login(username="helpdesk", password="askdemo-2026")
    assert client.login(username="sprc-coord", password="askdemo-2026")


def test_seed_demo_builds_a_schedule_with_gaps(monkeypatch):
    # The demo's terms are fixed dates; run it as on the day it was written.
    today = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: today)
    from scheduling import selectors
    from scheduling.models import CoverageRequirement, ShiftSlot, SubstitutionRequest

    call_command("seed_demo", verbosity=0)
    statewide = Queue.objects.get(code="coop-statewide")
    terms = {term.name: term for term in Term.objects.filter(library__isnull=True)}
    for name in ("Fall 2026", "Winter break 2026–27", "Spring 2027"):
        assert CoverageRequirement.objects.filter(
            queue=statewide, term=terms[name]
        ).exists()
    weekday_noon = CoverageRequirement.objects.get(
        queue=statewide, term=terms["Fall 2026"], weekday=0, hour=12
    )
    assert weekday_noon.librarians == 2
    assert ShiftSlot.objects.filter(term=terms["Fall 2026"]).count() > 20
    assert ShiftSlot.objects.filter(term=terms["Winter break 2026–27"]).exists()
    assert not ShiftSlot.objects.filter(term=terms["Spring 2027"]).exists()
    # Every slot belongs to its librarian's library and the library's co-ops.
    for slot in ShiftSlot.objects.select_related("assignee", "library"):
        assert slot.assignee.library_id == slot.library_id
        assert slot.library.coops.filter(pk=slot.queue_id).exists()
    # Most required hours of a fall week are covered, not all: the week grid
    # shows green, amber and red.
    monday = datetime.combine(date(2026, 11, 30), time(), tzinfo=statewide.zone)
    week = selectors.coverage(statewide, monday, monday + timedelta(days=7))
    required = sum(h.required for h in week)
    covered = sum(min(h.count, h.required) for h in week)
    assert 0.6 * required < covered < required
    assert {"met", "short", "empty"} <= {h.state for h in week}
    offer = SubstitutionRequest.objects.get()
    assert offer.offered_by.username == "gcsu-erin"
    assert offer.status == "open" and offer.stage == "library"


def knowledge_base_counts():
    return {
        model.__name__: (model.objects.count(), model.history.count())
        for model in (PolicyPage, PolicySection, Faq, CannedMessage)
    }


def test_seed_demo_fills_every_librarys_knowledge_base():
    call_command("seed_demo", verbosity=0)
    config = ConsortiumSettings.load()
    overdue = 0
    for library in Library.objects.all():
        page = library.policy_page
        assert page.last_reviewed_at is not None
        assert page.reviewed_by.library_id == library.pk
        kinds = set(page.sections.values_list("kind", flat=True))
        assert kinds == set(PolicySection.Kind.values), library.code
        staff = page.sections.get(kind="eresources", visibility="staff")
        assert "Co-op staff" in staff.text
        assert page.sections.filter(visibility="staff").count() == 1
        assert 3 <= library.faqs.published().count() <= 6
        # The history names the library's coordinator.
        record = staff.history.first()
        assert record.history_user.username == f"{library.code}-coord"
        if services.review_due_on(page, config) < timezone.localdate():
            overdue += 1
    assert overdue >= 1
    # Libraries differ: Springfield College's renewals are not OCPL's.
    renewals = {
        code: PolicySection.objects.get(
            page__library__code=code, kind="borrowing", visibility="public"
        ).text
        for code in ("sprc", "ocpl")
    }
    assert "3 times" in renewals["sprc"] and "5 times" in renewals["ocpl"]
    assert "fine-free" in renewals["ocpl"]
    # One section shows an edit in its history.
    sprc = PolicySection.objects.get(page__library__code="sprc", kind="borrowing")
    assert sprc.history.count() == 2
    # The seeds' canned messages, and libraries' own greeting and goodbye.
    for key in ("no_purpose", "bad_customer", "ip_captured", "crisis", "goodbye"):
        assert CannedMessage.objects.filter(library__isnull=True, key=key).exists()
    own = set(
        CannedMessage.objects.filter(library__isnull=False).values_list(
            "library__code", "key"
        )
    )
    assert {("sprc", "greeting"), ("ocpl", "goodbye")} <= own


def test_staff_only_demo_text_is_only_in_staff_only_sections():
    call_command("seed_demo", verbosity=0)
    public = PolicySection.objects.public()
    for marker in ("Co-op staff", "login?url=", "redirector"):
        assert not public.filter(text__icontains=marker).exists(), marker
        assert not Faq.objects.filter(text__icontains=marker).exists(), marker


def test_seed_demo_twice_adds_no_knowledge_base_rows_or_history():
    call_command("seed_demo", verbosity=0)
    first = knowledge_base_counts()
    assert all(rows for rows, _ in first.values())
    call_command("seed_demo", verbosity=0)
    assert knowledge_base_counts() == first


def test_seed_demo_gives_the_helpdesk_a_stable_api_token(monkeypatch):
    from rest_framework.authtoken.models import Token

    from consortium.management.commands.seed_demo import DEMO_API_TOKEN

    monkeypatch.delenv("DEMO_API_TOKEN", raising=False)
    call_command("seed_demo", verbosity=0)
    token = Token.objects.get(user__username="helpdesk")
    assert token.key == DEMO_API_TOKEN
    # A second run keeps the token, even when another demo key is configured.
    monkeypatch.setenv("DEMO_API_TOKEN", "f" * 40)
    call_command("seed_demo", verbosity=0)
    assert list(Token.objects.values_list("key", flat=True)) == [DEMO_API_TOKEN]


# --- Activity: pending schedule changes, open tickets, past conversations -----------

DEMO_NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def chat_counts():
    from chat.models import ChatTimer, Conversation, InboundEmail, Message, Ticket
    from scheduling.models import AlertEmail, ScheduleChangeRequest

    return {
        model.__name__: model.objects.count()
        for model in (
            Conversation,
            Message,
            Ticket,
            InboundEmail,
            ChatTimer,
            ScheduleChangeRequest,
            AlertEmail,
        )
    }


def past_conversations():
    """Everything but the open tickets: the seeded history."""
    from chat.models import Conversation

    return Conversation.objects.exclude(ticket__status="open")


def history_rows():
    return list(
        past_conversations()
        .order_by("requested_at", "library__code")
        .values_list(
            "library__code",
            "requested_at",
            "status",
            "channel",
            "librarian__username",
            "resolution",
            "question",
            "last_seq",
        )
    )


def test_seed_demo_adds_activity_once(monkeypatch):
    """Past conversations for last month's statistics, open email tickets in
    several inboxes and pending schedule changes the help desk can approve;
    a second run adds nothing."""
    from io import StringIO

    from django.db.models import Count, F, Max
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from chat import demo_history, statistics
    from chat.models import Conversation, Message, Ticket
    from scheduling import services as schedule
    from scheduling.models import ScheduleChangeRequest, ShiftSlot

    now = DEMO_NOW
    monkeypatch.setattr(timezone, "now", lambda: now)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = chat_counts()
    call_command("seed_demo", verbosity=0)
    assert chat_counts() == counts
    assert "Activity: " in out.getvalue()
    assert "5 open email tickets in 4 inboxes" in out.getvalue()
    assert "2 pending schedule-change requests" in out.getvalue()
    assert counts["ChatTimer"] == 0

    # Last month's statistics have something to show.
    period = statistics.named_period(
        "last-month", today=timezone.localdate(), zone=statistics.consortium_zone()
    )
    last_month = Conversation.objects.filter(
        requested_at__gte=period.start, requested_at__lt=period.end
    )
    assert last_month.count() > 100
    figures = statistics.conversation_statistics(
        Conversation.objects.all(), period=period, by="answering_library"
    )["totals"]
    assert figures["missed"] and figures["tickets_answered"]
    assert figures["wait_seconds"]["median"] < 120
    assert 180 <= figures["duration_seconds"]["median"] <= 1200
    assert all(figures["resolutions"].values())  # every resolution code is used
    assert figures["channels"]["email"] and figures["channels"]["chat"]
    # Give and take: some chats are answered by another library's librarian.
    answered = last_month.filter(librarian__isnull=False)
    assert answered.exclude(librarian__library_id=F("library_id")).exists()
    assert answered.filter(librarian__library_id=F("library_id")).exists()

    # The history obeys the models' rules, its messages are numbered 1..last_seq
    # in time order, and nothing of it lies in the future.
    history = past_conversations()
    assert history.count() > 300
    numbering = history.annotate(n=Count("messages"), top=Max("messages__seq"))
    assert not numbering.exclude(n=F("last_seq")).exists()
    assert not numbering.exclude(top=F("last_seq")).exists()
    assert not Message.objects.filter(created_at__gt=now).exists()
    for conversation in history.order_by("pk")[::7]:
        conversation.full_clean(exclude=["patron_token", "transcript_token"])
        times = [m.created_at for m in conversation.messages.order_by("seq")]
        assert times == sorted(times)
        assert times[0] == conversation.requested_at
        if conversation.accepted_at:
            assert conversation.requested_at < conversation.accepted_at
            assert conversation.accepted_at < conversation.ended_at
            assert conversation.ended_at <= conversation.wrapped_up_at < now
        ticket = Ticket.objects.filter(conversation=conversation).first()
        if ticket:
            ticket.full_clean(exclude=["reply_token"])
            assert ticket.status == "closed" and ticket.assignee_id
            assert ticket.created_at < ticket.first_response_at < ticket.closed_at
            assert ticket.closed_at < now
        for message in conversation.messages.all():
            message.full_clean()
    # Texts to the libraries with an SMS number, every message of them a
    # text; most answered within the 12-hour deadline, some not.
    from chat.models import PatronRating, SmsMessage

    texts = last_month.filter(channel="sms")
    assert texts.count() > 10
    assert not texts.exclude(library__sms_number__gt="").exists()
    text_messages = Message.objects.filter(conversation__in=texts).exclude(
        sender="system"
    )
    assert text_messages.count() == (
        SmsMessage.objects.filter(message__conversation__in=texts).count()
    )
    assert not text_messages.filter(sms__isnull=True).exists()
    late = texts.filter(accepted_at__gt=F("requested_at") + timedelta(hours=12))
    assert 0 < late.count() < texts.count() / 3
    # Patrons rated a share of the answered chats, with every score used.
    ratings = PatronRating.objects.filter(conversation__in=last_month)
    assert ratings.count() > 30
    assert set(ratings.values_list("score", flat=True)) == {1, 2, 3, 4, 5}
    assert not ratings.exclude(conversation__status="ended").exists()
    assert not ratings.filter(conversation__resolution="lost_call").exists()
    # Chats from a year before, older than the default retention period.
    settings_row = ConsortiumSettings.load()
    old = Conversation.objects.filter(
        requested_at__lt=now - timedelta(days=settings_row.retention_days)
    )
    assert old.count() >= 5
    assert old.exclude(patron_name="").exists()

    # The same day gives the same history.
    before = history_rows()
    history.delete()
    assert demo_history.seed_history(now=now) == len(before)
    assert history_rows() == before

    # Open email tickets in several libraries' inboxes, as the API lists them.
    helpdesk = Staff.objects.get(username="helpdesk")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=helpdesk)}")
    response = api.get("/api/v1/tickets/", {"status": "open"})
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert len(rows) == 5
    assert len({row["library"] for row in rows}) >= 2
    open_tickets = Ticket.objects.filter(status="open")
    assert {t.source for t in open_tickets} == {"offline_form", "email"}
    for ticket in open_tickets:
        assert ticket.due_at > now
        assert ticket.email.endswith(("@example.net", "@example.org"))

    # Pending schedule changes, which the help desk can approve.
    response = api.get("/api/v1/schedule-change-requests/", {"status": "pending"})
    assert response.status_code == 200, response.content
    pending = response.json()["results"]
    assert len(pending) == 2
    for row in pending:
        request = ScheduleChangeRequest.objects.get(pk=row["id"])
        assert request.requested_by.role == "coordinator"
        assert request.term.start_date <= timezone.localdate() <= request.term.end_date
        decided = schedule.change_request_decide(
            actor=helpdesk, request_id=request.pk, approve=True
        )
        assert decided.status == "approved"
        slot = ShiftSlot.objects.get(pk=decided.slot_id)
        assert slot.assignee_id == request.assignee_id
        assert slot.shifts.exists()
    # Decided requests are not filed again.
    call_command("seed_demo", verbosity=0)
    assert not ScheduleChangeRequest.objects.filter(status="pending").exists()


def test_seed_demo_adds_no_change_request_without_a_term_under_way():
    from io import StringIO

    from consortium.management.commands.seed_demo import Command
    from scheduling.models import ScheduleChangeRequest

    call_command("seed_demo", verbosity=0)
    ScheduleChangeRequest.objects.all().delete()
    command = Command(stdout=StringIO(), stderr=StringIO())
    command._change_requests(datetime(2031, 7, 1, 12, tzinfo=UTC))
    assert not ScheduleChangeRequest.objects.exists()
    assert "No consortium term is under way" in command.stdout.getvalue()


def test_history_rows_get_their_ids_where_the_database_returns_none(db, monkeypatch):
    """SQLite before 3.35 returns no ids from a bulk insert: the demo history
    reads them back, so its tickets and messages can point at them."""
    from django.db import connection

    from chat.demo_history import _bulk_create
    from chat.models import Conversation
    from tests.consortium.factories import LibraryFactory, QueueFactory

    monkeypatch.setattr(
        type(connection.features), "can_return_rows_from_bulk_insert", False
    )
    library = LibraryFactory()
    queue = QueueFactory(library=library)
    rows = [
        Conversation(library=library, queue=queue, question=f"Q{n}", status="missed")
        for n in range(3)
    ]
    probe = Conversation(library=library, queue=queue, question="P", status="missed")
    Conversation.objects.bulk_create([probe])
    assert probe.pk is None  # as on the old databases
    _bulk_create(Conversation, rows, key="transcript_token", batch=2)
    assert [row.pk for row in rows] == [
        Conversation.objects.get(question=f"Q{n}").pk for n in range(3)
    ]
