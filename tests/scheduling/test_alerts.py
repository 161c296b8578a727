"""Shift-gap alerts, attendance and "insufficient help on the desk": exactly
once per stage, however often the sweeps run."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection

from consortium.models import QueueMonitor
from scheduling import services, tasks
from scheduling.models import Alert, AlertEmail, Shift, ShiftSlot

H = 60
# Sunday Jan 24 2027, 08:00 Eastern.
SUNDAY_8 = datetime(2027, 1, 24, 13, 0, tzinfo=UTC)


def weekly(world, library, assignee, starts, ends, actor=None, weekday=6):
    return services.slot_save(
        actor=actor or world.helpdesk,
        slot=ShiftSlot(
            library=library,
            queue=world.queue,
            term=world.spring,
            weekday=weekday,
            starts=starts,
            ends=ends,
            assignee=assignee,
        ),
        now=world.now,
    )


@pytest.fixture
def sunday(world):
    """Sundays need 2 librarians 09:00–12:00; Rob covers 09:00–12:00, Cal
    (Central) 10:00–11:00 Eastern, and a slot 12:00–13:00 has nobody."""
    services.requirements_set(
        actor=world.helpdesk,
        queue=world.queue,
        term=world.spring,
        weekdays=[6],
        from_hour=9,
        to_hour=12,
        librarians=2,
    )
    weekly(world, world.lib_a, world.rob, 9 * H, 12 * H)
    weekly(world, world.lib_c, world.cal, 10 * H, 11 * H)
    weekly(world, world.lib_a, None, 12 * H, 13 * H)
    return world


def run(callback, django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        return callback(**kw)


def test_urgent_alert_lists_each_gap_once(sunday, django_capture_on_commit_callbacks):
    assert (
        run(
            services.alerts.gaps_urgent,
            django_capture_on_commit_callbacks,
            now=SUNDAY_8,
        )
        == 3
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["askref-l@example.org"]
    body = message.body
    assert "Sun Jan 24, 09:00–10:00 EST (08:00–09:00 CST) — 1 of 2 librarians" in body
    assert "Sun Jan 24, 11:00–12:00 EST (10:00–11:00 CST) — 1 of 2 librarians" in body
    assert "12:00–13:00 EST" in body and "nobody assigned" in body
    assert "10:00–11:00 EST" not in body.split("Shifts nobody")[0]  # that hour is met
    # Again, and again an hour later: nothing new.
    assert (
        run(
            services.alerts.gaps_urgent,
            django_capture_on_commit_callbacks,
            now=SUNDAY_8,
        )
        == 0
    )
    assert (
        run(
            services.alerts.gaps_urgent,
            django_capture_on_commit_callbacks,
            now=SUNDAY_8 + timedelta(hours=1),
        )
        == 0
    )
    assert len(mail.outbox) == 1
    # Cal gives up next Sunday's hour: his give-up has its own alerts (library
    # first, then the listserv), so the urgent alert lists only the hours
    # nobody was scheduled for.
    services.shift_give_up(
        actor=sunday.cal,
        shift_id=Shift.objects.get(assignee=sunday.cal, date=date(2027, 1, 31)).pk,
        now=SUNDAY_8,
    )
    assert (
        run(
            services.alerts.gaps_urgent,
            django_capture_on_commit_callbacks,
            now=SUNDAY_8 + timedelta(days=6),
        )
        == 3
    )
    assert len(mail.outbox) == 2
    body = mail.outbox[1].body
    assert "Sun Jan 31, 09:00–10:00 EST (08:00–09:00 CST) — 1 of 2" in body
    assert "Sun Jan 31, 11:00–12:00 EST (10:00–11:00 CST) — 1 of 2" in body
    assert "10:00–11:00 EST" not in body and "Cal" not in body


def test_gaps_beyond_48_hours_wait_for_their_turn(
    sunday, django_capture_on_commit_callbacks
):
    early = SUNDAY_8 - timedelta(hours=49)
    assert (
        run(services.alerts.gaps_urgent, django_capture_on_commit_callbacks, now=early)
        == 0
    )
    assert mail.outbox == []


def test_daily_digest_once_per_library_and_day_from_seven_local(
    sunday, django_capture_on_commit_callbacks
):
    at_6_eastern = datetime(2027, 1, 18, 11, 0, tzinfo=UTC)
    run(
        services.alerts.gaps_digest,
        django_capture_on_commit_callbacks,
        now=at_6_eastern,
    )
    assert mail.outbox == []
    at_7_eastern = at_6_eastern + timedelta(hours=1)  # 06:00 in Chicago
    assert (
        run(
            services.alerts.gaps_digest,
            django_capture_on_commit_callbacks,
            now=at_7_eastern,
        )
        == 1
    )
    assert mail.outbox[0].to == [sunday.coord_a.email]
    assert "Library A's shifts nobody is covering" in mail.outbox[0].body
    assert "times in America/New_York" in mail.outbox[0].body
    assert (
        run(
            services.alerts.gaps_digest,
            django_capture_on_commit_callbacks,
            now=at_7_eastern + timedelta(hours=1),
        )
        == 1
    )
    assert mail.outbox[1].to == [sunday.coord_c.email]
    assert "times in America/Chicago" in mail.outbox[1].body
    assert "Sun Jan 24, 08:00–09:00 CST" in mail.outbox[1].body
    for hours in (2, 5, 12):
        run(
            services.alerts.gaps_digest,
            django_capture_on_commit_callbacks,
            now=at_7_eastern + timedelta(hours=hours),
        )
    assert len(mail.outbox) == 2
    next_day = at_7_eastern + timedelta(days=1, hours=1)
    assert (
        run(
            services.alerts.gaps_digest,
            django_capture_on_commit_callbacks,
            now=next_day,
        )
        == 2
    )
    assert len(mail.outbox) == 4


def test_no_show_alerts_coordinator_and_helpdesk_once(
    sunday, django_capture_on_commit_callbacks
):
    start = datetime(2027, 1, 24, 14, 0, tzinfo=UTC)  # 09:00 EST, Rob's shift
    assert (
        run(
            services.alerts.attendance_check,
            django_capture_on_commit_callbacks,
            now=start + timedelta(minutes=4),
        )
        == 0
    )
    later = start + timedelta(minutes=6)
    assert (
        run(
            services.alerts.attendance_check,
            django_capture_on_commit_callbacks,
            now=later,
        )
        == 1
    )
    assert (
        run(
            services.alerts.attendance_check,
            django_capture_on_commit_callbacks,
            now=later,
        )
        == 0
    )
    shift = Shift.objects.get(assignee=sunday.rob, date=date(2027, 1, 24))
    assert shift.attendance == "no_show"
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {sunday.coord_a.email, "helpdesk@example.org"}
    assert "No-show" in mail.outbox[0].subject


def test_a_librarian_monitoring_the_queue_is_present(
    sunday, django_capture_on_commit_callbacks
):
    start = datetime(
        2027, 1, 24, 15, 0, tzinfo=UTC
    )  # 10:00 EST, Cal's shift (09:00 CST)
    now = start + timedelta(minutes=5)
    QueueMonitor.objects.create(
        staff=sunday.cal, queue=sunday.queue, last_seen=now - timedelta(seconds=20)
    )
    QueueMonitor.objects.create(
        staff=sunday.rob, queue=sunday.queue, last_seen=now - timedelta(minutes=5)
    )  # stale
    run(services.alerts.attendance_check, django_capture_on_commit_callbacks, now=now)
    cal = Shift.objects.get(assignee=sunday.cal, date=date(2027, 1, 24))
    rob = Shift.objects.get(assignee=sunday.rob, date=date(2027, 1, 24))
    assert cal.attendance == "present"
    assert rob.attendance == "no_show"  # a heartbeat five minutes old does not count
    assert [m.subject for m in mail.outbox if "No-show" in m.subject] and len(
        mail.outbox
    ) == 1


def test_insufficient_help_on_the_desk(sunday, django_capture_on_commit_callbacks):
    hour = datetime(2027, 1, 24, 14, 0, tzinfo=UTC)  # 09:00 EST, 2 required
    QueueMonitor.objects.create(
        staff=sunday.rob, queue=sunday.queue, last_seen=hour + timedelta(minutes=3)
    )
    assert (
        run(
            services.alerts.insufficient_check,
            django_capture_on_commit_callbacks,
            now=hour + timedelta(minutes=3),
        )
        == 0
    )
    now = hour + timedelta(minutes=5, seconds=30)
    QueueMonitor.objects.filter(staff=sunday.rob).update(last_seen=now)
    assert (
        run(
            services.alerts.insufficient_check,
            django_capture_on_commit_callbacks,
            now=now,
        )
        == 1
    )
    assert (
        run(
            services.alerts.insufficient_check,
            django_capture_on_commit_callbacks,
            now=now + timedelta(minutes=10),
        )
        == 0
    )
    assert len(mail.outbox) == 1
    assert "1 of 2 required librarians online" in mail.outbox[0].body
    assert set(mail.outbox[0].to) == {"askref-l@example.org", "helpdesk@example.org"}
    # Enough librarians the next hour: nothing.
    nxt = hour + timedelta(hours=1, minutes=6)
    QueueMonitor.objects.filter(staff=sunday.rob).update(last_seen=nxt)
    QueueMonitor.objects.create(staff=sunday.cal, queue=sunday.queue, last_seen=nxt)
    assert (
        run(
            services.alerts.insufficient_check,
            django_capture_on_commit_callbacks,
            now=nxt,
        )
        == 0
    )


def test_an_alert_email_is_sent_once_however_often_the_task_runs(sunday):
    services.alerts.gaps_urgent(now=SUNDAY_8)
    email = AlertEmail.objects.get()
    assert tasks.send_alert_email(email.pk) is True
    assert tasks.send_alert_email(email.pk) is False
    assert len(mail.outbox) == 1


def test_sweep_requeues_emails_a_dead_worker_left(sunday, monkeypatch):
    services.alerts.gaps_urgent(now=SUNDAY_8)  # on-commit send never ran
    AlertEmail.objects.update(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    sent = []
    monkeypatch.setattr(tasks.send_alert_email, "delay", lambda pk: sent.append(pk))
    result = tasks.schedule_sweep()
    assert result["requeued"] == 1 and sent == [AlertEmail.objects.get().pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent sweeps race only on PostgreSQL",
)
def test_concurrent_sweeps_alert_each_gap_once(sunday):
    barrier = threading.Barrier(6)
    results = []

    def sweep():
        barrier.wait()
        try:
            results.append(services.alerts.gaps_urgent(now=SUNDAY_8))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 3
    assert Alert.objects.filter(kind="urgent_hour").count() == 2
    assert Alert.objects.filter(kind="urgent_shift").count() == 1
    assert AlertEmail.objects.count() == 1


def test_a_run_of_short_hours_is_alerted_whole_when_it_enters_the_window(
    sunday, django_capture_on_commit_callbacks
):
    services.requirements_set(
        actor=sunday.helpdesk,
        queue=sunday.queue,
        term=sunday.spring,
        weekdays=[6],
        from_hour=13,
        to_hour=16,
        librarians=1,
    )
    # Friday 13:30 EST: Sunday 13:00 is within 48 h, 14:00 and 15:00 not yet.
    now = datetime(2027, 1, 22, 18, 30, tzinfo=UTC)
    run(services.alerts.gaps_urgent, django_capture_on_commit_callbacks, now=now)
    hours = Alert.objects.filter(kind="urgent_hour", key__contains="20270124T")
    assert sorted(a.key.split(":")[1] for a in hours) == [
        "20270124T1400Z",
        "20270124T1600Z",
        "20270124T1800Z",
        "20270124T1900Z",
        "20270124T2000Z",
    ]
    assert (
        "Sun Jan 24, 13:00–16:00 EST (12:00–15:00 CST) — 0 of 1" in mail.outbox[0].body
    )
    for minutes in (30, 90, 150):
        run(
            services.alerts.gaps_urgent,
            django_capture_on_commit_callbacks,
            now=now + timedelta(minutes=minutes),
        )
    assert len(mail.outbox) == 1
