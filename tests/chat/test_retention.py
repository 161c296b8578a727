"""Retention (SPEC R4, `chat.services.retention`): conversations asked more
than `retention_days` ago that are over lose the patron's personal data, in
bounded batches, once; every statistic stays the same."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from chat import services, statistics, tasks
from chat.models import (
    Attachment,
    Conversation,
    InboundEmail,
    Message,
    PatronBlock,
    PatronRating,
    RetentionRun,
    SmsMessage,
    Ticket,
)
from chat.services import retention
from chat.services.tickets import reply_address
from consortium.celery import app as celery_app
from consortium.models import ConsortiumSettings, Library
from tests.consortium.factories import (
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
    QueueFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

C = Conversation
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=400)  # past the default 365 days
RECENT = NOW - timedelta(days=30)
S = timedelta(seconds=1)

NAME = "Rosalind Okafor"
EMAIL = "rosalind@example.org"
PHONE = "+18505550123"
SAID = f"I'm Rosalind: write to {EMAIL} or call (850) 555-0123."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def world(db):
    library = LibraryFactory(code="alib", name="Library A")
    other = LibraryFactory(code="blib", name="Library B")
    QueueFactory(library=library)
    QueueFactory(library=other)
    return {
        "library": library,
        "other": other,
        "rob": StaffFactory(library=library, username="alib-rob"),
        "ana": StaffFactory(library=other, username="blib-ana"),
    }


def conversation(library, at, *, librarian=None, wait=30, duration=400, **kw):
    """An ended chat of `library` asked `at` with every field the
    statistics read and every kind of personal data on the conversation."""
    picked = librarian is not None
    fields = dict(
        channel=C.Channel.CHAT,
        status=C.Status.ENDED if picked else C.Status.MISSED,
        question=f"Census records for my family? {SAID}",
        patron_name=NAME,
        patron_email=EMAIL,
        patron_phone=PHONE,
        patron_status=C.PatronStatus.GRADUATE,
        resident=False,
        referrer_url=(
            "https://user:secret@alib.example.org:8443/catalog/search"
            f"?q={EMAIL}&card=21234000123456#results"
        ),
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        patron_ip="203.0.113.9",
        patron_ip_hash="ab" * 32,
        transfer_note=f"Patron asked for a call back at {PHONE}.",
        bad_patron_reason=f"Rude; signed as {NAME}.",
        resolution=C.Resolution.ANSWERED if picked else "",
        question_type=C.QuestionType.RESEARCH if picked else "",
        read_scale=3 if picked else None,
        lang="es",
    )
    fields.update(kw)
    accepted = at + wait * S if picked else None
    return C.objects.create(
        library=library,
        queue=library.queues.get(),
        requested_at=at,
        waiting_since=at,
        librarian=librarian,
        accepted_at=accepted,
        ended_at=accepted + duration * S if picked else at + 90 * S,
        wrapped_up_at=accepted + duration * S if picked else None,
        **fields,
    )


def say(chat, seq, sender, body, **kw):
    return Message.objects.create(
        conversation=chat,
        seq=seq,
        sender=sender,
        body=body,
        created_at=chat.requested_at + seq * S,
        **kw,
    )


def transcript(chat):
    """A patron message with the whole email it came in, a librarian's
    answer, an internal note, and a shared file."""
    M = Message.Sender
    patron = say(
        chat,
        1,
        M.PATRON,
        SAID,
        full_text=f"{SAID}\n\n-- \n{NAME}\n12 Elm Street",
        email_message_id="<CA1234@mail.example.org>",
    )
    say(chat, 2, M.LIBRARIAN, f"Thanks Rosalind, I will write to {EMAIL}.")
    say(chat, 3, M.NOTE, "Card 21234000123456 checked at the desk.")
    shared = say(chat, 4, M.PATRON, "Shared a file: okafor-family-tree.pdf")
    Attachment.objects.create(
        conversation=chat,
        message=shared,
        file=ContentFile(b"%PDF-1.4 family tree", name="okafor-family-tree.pdf"),
        name="okafor-family-tree.pdf",
        size=20,
        content_type="application/pdf",
    )
    return patron


def closed_ticket(chat, assignee, **kw):
    return Ticket.objects.create(
        conversation=chat,
        library=chat.library,
        source=Ticket.Source.EMAIL,
        email=EMAIL,
        subject=f"Question from {EMAIL}",
        assignee=assignee,
        created_at=chat.requested_at,
        due_at=chat.requested_at + timedelta(hours=48),
        first_response_at=chat.requested_at + timedelta(hours=5),
        closed_at=chat.requested_at + timedelta(days=4),
        status=kw.pop("status", Ticket.Status.CLOSED),
        **kw,
    )


def inbound(ticket=None, at=OLD, **kw):
    raw = f"From: {NAME} <{EMAIL}>\r\nSubject: Census\r\n\r\n{SAID}".encode()
    return InboundEmail.objects.create(
        via=InboundEmail.Via.WEBHOOK,
        raw=raw,
        size=len(raw),
        message_id="<CA1234@mail.example.org>",
        from_email=EMAIL,
        subject=f"Census, {NAME}",
        received_at=at,
        status=kw.pop("status", InboundEmail.Status.APPENDED),
        reason=kw.pop("reason", f"A reply from {EMAIL}."),
        ticket=ticket,
        **kw,
    )


def run(**kw):
    return services.retention_scrub(now=NOW, **kw)


def fresh(obj):
    obj.refresh_from_db()
    return obj


# --- Each kind of personal data ---------------------------------------------------


def test_the_patron_s_name_email_and_phone_number_are_removed(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    run()
    chat = fresh(chat)
    assert (chat.patron_name, chat.patron_email, chat.patron_phone) == ("", "", "")
    assert chat.scrubbed_at == NOW


def test_the_patron_s_address_its_hash_and_user_agent_are_removed(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    run()
    chat = fresh(chat)
    assert (chat.patron_ip, chat.patron_ip_hash, chat.user_agent) == (None, "", "")


def test_the_referrer_keeps_its_scheme_host_and_path_only(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    odd = conversation(
        world["library"], OLD, librarian=world["rob"], referrer_url="http://[::1"
    )
    v6 = conversation(
        world["library"],
        OLD,
        librarian=world["rob"],
        referrer_url="http://[2001:db8::1]:8080/help?card=21234000123456",
    )
    run()
    assert fresh(chat).referrer_url == "https://alib.example.org:8443/catalog/search"
    assert fresh(odd).referrer_url == "[removed]"
    assert fresh(v6).referrer_url == "http://[2001:db8::1]:8080/help"


def test_emails_and_numbers_in_the_question_and_transfer_note_are_redacted(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    run()
    chat = fresh(chat)
    # The patron's own name, as they gave it, goes too.
    assert chat.question == (
        "Census records for my family? I'm [patron]: write to [email] or call [phone]."
    )
    assert chat.transfer_note == "Patron asked for a call back at [phone]."
    assert chat.bad_patron_reason == "Rude; signed as [patron]."


def test_emails_and_numbers_in_messages_and_internal_notes_are_redacted(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    transcript(chat)
    run()
    bodies = list(chat.messages.order_by("seq").values_list("body", flat=True))
    assert bodies == [
        "I'm [patron]: write to [email] or call [phone].",
        "Thanks [patron], I will write to [email].",
        "Card [number] checked at the desk.",
        "Shared a file: [removed]",
    ]


def test_the_whole_text_of_emails_and_the_message_ids_are_removed(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    patron = transcript(chat)
    ours = say(
        chat, 5, Message.Sender.LIBRARIAN, "Answer", email_message_id="<t1@ask.local>"
    )
    run()
    patron = fresh(patron)
    assert (patron.full_text, patron.email_message_id) == ("", "")
    assert fresh(ours).email_message_id == ""


def test_a_reply_to_a_scrubbed_ticket_s_email_does_not_reopen_it(world):
    chat = conversation(
        world["library"], OLD, channel=C.Channel.EMAIL, status=C.Status.TICKET
    )
    ticket = closed_ticket(chat, world["rob"])
    say(chat, 1, Message.Sender.LIBRARIAN, "Answer", email_message_id="<t1@ask.local>")
    address = reply_address(ticket)
    run()
    raw = (
        f"From: {NAME} <{EMAIL}>\r\nTo: {address}\r\nSubject: Re: Census\r\n"
        "Message-ID: <late@mail.example.org>\r\nIn-Reply-To: <t1@ask.local>\r\n"
        "\r\nOne more question, a year later."
    ).encode()
    email = services.inbound_email_receive(raw=raw, via="webhook")
    assert email.status == InboundEmail.Status.QUARANTINED
    assert email.ticket is None
    assert "reply address of a ticket that does not exist" in email.reason
    assert fresh(ticket).status == Ticket.Status.CLOSED
    assert chat.messages.count() == 1


def test_attachment_rows_go_and_their_files_are_deleted_after_commit(
    world, django_capture_on_commit_callbacks
):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    transcript(chat)
    name = Attachment.objects.get().file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = run()
    assert not Attachment.objects.exists()
    assert result.attachments == 1
    assert default_storage.exists(name)  # not before the commit
    for callback in callbacks:
        callback()
    assert not default_storage.exists(name)


def test_the_ticket_s_address_and_subject_are_removed(world):
    chat = conversation(
        world["library"], OLD, channel=C.Channel.EMAIL, status=C.Status.TICKET
    )
    ticket = closed_ticket(chat, world["rob"])
    run()
    ticket = fresh(ticket)
    assert (ticket.email, ticket.subject) == ("", "Question from [email]")


def test_stored_inbound_emails_lose_the_raw_message_headers_and_addresses(world):
    chat = conversation(
        world["library"], OLD, channel=C.Channel.EMAIL, status=C.Status.TICKET
    )
    held = inbound(closed_ticket(chat, world["rob"]))
    quarantined = inbound(status=InboundEmail.Status.QUARANTINED)
    unprocessed = inbound(status=InboundEmail.Status.RECEIVED)
    recent = inbound(at=RECENT, status=InboundEmail.Status.QUARANTINED)
    run()
    for email in (fresh(held), fresh(quarantined)):
        assert bytes(email.raw) == b""
        assert (email.from_email, email.message_id) == ("", "")
        assert email.reason == "A reply from [email]."
    assert fresh(held).subject == "Census, [patron]"
    # No conversation to know the patron's name by.
    assert fresh(quarantined).subject == f"Census, {NAME}"
    # Not processed yet, or not old: kept as it arrived.
    assert fresh(unprocessed).from_email == fresh(recent).from_email == EMAIL


def test_sms_provider_errors_are_redacted(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"], channel="sms")
    text = say(chat, 1, Message.Sender.LIBRARIAN, "Your book is in.")
    sms = SmsMessage.objects.create(
        message=text,
        direction=SmsMessage.Direction.OUTBOUND,
        status=SmsMessage.Status.FAILED,
        error=f"21610: {PHONE} is unsubscribed",
        sid="SM" + "0" * 32,
    )
    run()
    sms = fresh(sms)
    assert sms.error == "21610: [phone] is unsubscribed"
    assert sms.status == SmsMessage.Status.FAILED


def test_the_rating_s_comment_is_redacted_and_its_score_kept(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    rating = PatronRating.objects.create(
        conversation=chat, score=4, comment=f"Great! Thanks, from {EMAIL}"
    )
    run()
    rating = fresh(rating)
    assert (rating.score, rating.comment) == (4, "Great! Thanks, from [email]")


def test_patron_blocks_that_ended_before_the_cutoff_are_deleted(world):
    chat = conversation(world["library"], OLD, librarian=world["rob"])
    ended = PatronBlock.objects.create(
        email=EMAIL,
        until=OLD + timedelta(days=7),
        reason="Abuse",
        conversation=chat,
        created_by=world["rob"],
    )
    lasting = PatronBlock.objects.create(
        email=EMAIL,
        until=NOW + timedelta(days=30),
        reason="Abuse",
        conversation=chat,
        created_by=world["rob"],
    )
    result = run()
    assert list(PatronBlock.objects.values_list("pk", flat=True)) == [lasting.pk]
    assert not PatronBlock.objects.filter(pk=ended.pk).exists()
    assert result.details["patron_blocks"] == 1


# --- Statistics stay ----------------------------------------------------------------


@pytest.fixture
def history(world):
    """Old and recent conversations on every channel, answered from both
    libraries, missed, with tickets, ratings and files."""
    library, other, rob, ana = (world[k] for k in ("library", "other", "rob", "ana"))
    made = []
    for n, (at, lib, who) in enumerate(
        [
            (OLD, library, rob),
            (OLD + timedelta(hours=5, minutes=17), library, ana),
            (OLD + timedelta(days=1, hours=2), other, ana),
            (OLD + timedelta(days=3, hours=20), library, None),
            (RECENT, library, rob),
            (RECENT + timedelta(hours=9), other, rob),
        ]
    ):
        chat = conversation(lib, at, librarian=who, wait=10 * (n + 1), duration=97 * n)
        transcript(chat)
        made.append(chat)
        if who is not None:
            PatronRating.objects.create(
                conversation=chat, score=1 + n % 5, comment=SAID
            )
    for n, at in enumerate([OLD + timedelta(hours=30), RECENT + timedelta(hours=3)]):
        chat = conversation(
            library, at, channel=C.Channel.EMAIL, status=C.Status.TICKET
        )
        inbound(closed_ticket(chat, [world["rob"], world["ana"]][n]), at=at)
    sms = conversation(other, OLD + timedelta(hours=50), librarian=ana, channel="sms")
    say(sms, 1, Message.Sender.PATRON, SAID)
    return made


STAT_FIELDS = (
    "pk",
    "channel",
    "status",
    "library_id",
    "queue_id",
    "librarian_id",
    "requested_at",
    "coop_at",
    "accepted_at",
    "ended_at",
    "wrapped_up_at",
    "resolution",
    "question_type",
    "read_scale",
    "patron_status",
    "resident",
    "bad_patron",
    "lang",
    "ticket__created_at",
    "ticket__first_response_at",
    "ticket__closed_at",
    "ticket__assignee_id",
    "ticket__status",
    "ticket__library_id",
    "rating__score",
)


def all_statistics():
    period = statistics.Period(
        (OLD - timedelta(days=1)).date(), date(2026, 3, 2), statistics.consortium_zone()
    )
    figures = {
        by: statistics.conversation_statistics(
            C.objects.all(), period=period, by=by, libraries=None
        )
        for by in statistics.BY_CHOICES
    }
    figures["balance"] = statistics.coop_balance(
        C.objects.all(), period=period, libraries=Library.objects.all()
    )
    return figures


def test_the_statistics_of_a_period_are_identical_before_and_after(history):
    before = all_statistics()
    columns = list(C.objects.order_by("pk").values(*STAT_FIELDS))
    assert before["library"]["totals"]["asked"] == 9
    assert before["library"]["totals"]["tickets_answered"] == 2

    result = run()

    assert result.conversations == 6  # the old ones
    after = all_statistics()
    for by in ("library", "day", "hour_of_week"):
        assert after[by]["totals"] == before[by]["totals"]
        assert after[by]["groups"] == before[by]["groups"]
    assert after == before
    assert list(C.objects.order_by("pk").values(*STAT_FIELDS)) == columns


# --- Once, only what is due, in batches -------------------------------------------


def everything():
    """Every row a scrub writes, as stored."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (
            C,
            Message,
            Ticket,
            InboundEmail,
            SmsMessage,
            PatronRating,
            Attachment,
            PatronBlock,
        )
    ]


def test_a_second_run_scrubs_nothing_and_changes_nothing(history):
    first = run()
    assert first.conversations == 6
    stored = everything()
    second = services.retention_scrub(now=NOW + timedelta(hours=1))
    assert (second.conversations, second.messages, second.attachments) == (0, 0, 0)
    assert second.details["inbound_emails"] == 0
    assert everything() == stored


def test_open_chats_open_tickets_and_recent_conversations_are_untouched(world):
    library, rob = world["library"], world["rob"]
    waiting = conversation(library, OLD, status=C.Status.WAITING)
    active = conversation(library, OLD, librarian=rob, status=C.Status.ACTIVE)
    emailed = conversation(library, OLD, channel="email", status=C.Status.TICKET)
    ticket = closed_ticket(emailed, rob, status=Ticket.Status.WAITING)
    recent = conversation(library, RECENT, librarian=rob)
    just_before = conversation(library, NOW - timedelta(days=365) + S, librarian=rob)
    assert services.retention_due(now=NOW) == 0

    result = run()

    for chat in (waiting, active, emailed, recent, just_before):
        chat = fresh(chat)
        assert (chat.patron_email, chat.scrubbed_at) == (EMAIL, None)
    assert fresh(ticket).email == EMAIL
    assert result.conversations == 0
    assert result.details["held_open"] == 3  # old, but not over

    # Once the ticket is closed, the next run scrubs it.
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    assert services.retention_due(now=NOW) == 1
    assert run().conversations == 1
    assert fresh(ticket).email == ""


def test_batches_of_two_scrub_five_conversations_across_batches_and_runs(world):
    chats = [
        conversation(world["library"], OLD + n * S, librarian=world["rob"])
        for n in range(5)
    ]
    first = run(batch_size=2, max_batches=1)
    assert (first.conversations, first.details["left"]) == (2, 3)
    # Oldest ids first.
    assert [fresh(c).scrubbed_at is not None for c in chats] == [True] * 2 + [False] * 3
    assert services.retention_due(now=NOW) == 3

    second = run(batch_size=2)  # two batches of two, then one
    assert (second.conversations, second.details["batches"]) == (3, 2)
    assert second.details["left"] == 0
    assert all(fresh(c).scrubbed_at == NOW for c in chats)
    assert run(batch_size=2).conversations == 0


def test_many_changed_rows_are_updated_in_several_statements_all_applied(
    world, monkeypatch
):
    monkeypatch.setattr(retention, "UPDATE_ROWS", 2)
    chats = [
        conversation(world["library"], OLD + n * S, librarian=world["rob"])
        for n in range(3)
    ]
    for chat in chats:
        transcript(chat)
    assert run().conversations == 3
    assert not C.objects.exclude(patron_email="").exists()
    assert not Message.objects.filter(body__contains=EMAIL).exists()
    assert set(Message.objects.values_list("full_text", flat=True)) == {""}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite locks the whole database"
)
@pytest.mark.django_db(transaction=True)
def test_a_conversation_a_librarian_holds_locked_waits_for_the_next_run(world):
    chats = [
        conversation(world["library"], OLD + n * S, librarian=world["rob"])
        for n in range(3)
    ]
    held, locked, release = chats[1], threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                C.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        first = run()
    finally:
        release.set()
        holder.join(10)
    assert (first.conversations, first.details["left"]) == (2, 1)
    assert fresh(held).scrubbed_at is None
    assert run().conversations == 1
    assert fresh(held).patron_email == ""


def test_a_batch_takes_the_same_statements_for_two_or_five_conversations(world):
    def statements(count, start):
        for n in range(count):
            chat = conversation(world["library"], start + n * S, librarian=world["rob"])
            transcript(chat)
            PatronRating.objects.create(conversation=chat, score=5, comment=SAID)
            inbound(closed_ticket(chat, world["rob"]))
        ConsortiumSettings.load()
        with CaptureQueriesContext(connection) as queries:
            assert run().conversations == count
        return len(queries)

    two = statements(2, OLD)
    five = statements(5, OLD + timedelta(days=1))
    assert two == five


# --- Audit, admin, beat ---------------------------------------------------------------


def test_each_run_is_recorded_with_its_counts_and_in_the_audit_trail(history):
    result = run()
    stored = RetentionRun.objects.get()
    assert stored == result
    assert (stored.retention_days, stored.cutoff) == (365, NOW - timedelta(days=365))
    assert (stored.conversations, stored.attachments) == (6, 4)
    # The four messages of each of the four old chats, and the SMS text.
    assert stored.messages == 17
    assert stored.details["tickets"] == 1
    assert stored.details["ratings"] == 3
    assert stored.details["inbound_emails"] == 1
    entry = LogEntry.objects.get_for_object(stored).get()
    assert entry.action == LogEntry.Action.CREATE


def test_the_retention_period_is_the_consortium_s_setting(world):
    chat = conversation(world["library"], RECENT, librarian=world["rob"])
    config = ConsortiumSettings.load()
    config.retention_days = 20
    config.save()
    assert services.retention_due(now=NOW) == 1
    assert run().cutoff == NOW - timedelta(days=20)
    assert fresh(chat).patron_email == ""


def test_how_many_the_next_run_will_scrub_is_one_count(
    world, django_assert_num_queries
):
    conversation(world["library"], OLD, librarian=world["rob"])
    conversation(world["library"], OLD, status=C.Status.WAITING)
    ConsortiumSettings.load()
    with django_assert_num_queries(1):
        assert services.retention_due(now=NOW) == 1


def test_the_help_desk_sees_in_the_admin_how_many_the_next_run_will_scrub(
    world, client
):
    for n in range(3):
        conversation(world["library"], datetime.now(UTC) - timedelta(days=400 + n))
    client.force_login(HelpdeskFactory(username="desk"))
    page = client.get("/admin/chat/retentionrun/")
    assert page.status_code == 200
    text = " ".join(page.content.decode().split())
    assert (
        "The next run will scrub the personal data of 3 conversations asked more "
        "than 365 days ago"
    ) in text
    client.force_login(CoordinatorFactory(library=world["library"]))
    assert client.get("/admin/chat/retentionrun/").status_code == 403


def test_the_help_desk_can_start_the_job_at_once_from_the_admin(
    world, client, monkeypatch
):
    started = []
    monkeypatch.setattr(tasks.retention_scrub, "delay", lambda: started.append(1))
    client.force_login(CoordinatorFactory(library=world["library"]))
    assert client.post("/admin/chat/retentionrun/run/").status_code == 403
    client.force_login(HelpdeskFactory(username="desk"))
    assert client.get("/admin/chat/retentionrun/run/").status_code == 405
    assert started == []
    page = client.post("/admin/chat/retentionrun/run/", follow=True)
    assert started == [1]
    assert "The retention job has started" in page.content.decode()


def test_the_beat_task_runs_the_service_and_is_safe_to_run_twice(world):
    chat = conversation(
        world["library"],
        datetime.now(UTC) - timedelta(days=400),
        librarian=world["rob"],
    )
    assert tasks.retention_scrub()["conversations"] == 1
    scrubbed_at = fresh(chat).scrubbed_at
    assert tasks.retention_scrub()["conversations"] == 0
    assert fresh(chat).scrubbed_at == scrubbed_at
    assert RetentionRun.objects.count() == 2


def test_beat_s_database_scheduler_stores_a_daily_run_in_the_consortium_s_zone(
    settings,
):
    entry = settings.CELERY_BEAT_SCHEDULE["retention-scrub"]
    stored = ModelEntry.from_entry("retention-scrub", app=celery_app, **entry)
    # Beat asks the stored entry when it is due: within the next day.
    due, next_check = stored.is_due()
    assert not due and 0 < next_check <= 24 * 3600
    task = PeriodicTask.objects.get(name="retention-scrub")
    assert task.task == "chat.tasks.retention_scrub"
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "3", "*")
    assert str(crontab.timezone) == settings.TIME_ZONE
