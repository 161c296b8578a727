"""Services: permission checks, long closures and their help-desk notice,
announcements, problem reports; tasks are idempotent."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from consortium import services, tasks
from consortium.models import Announcement, Closure, ProblemReport
from tests.consortium.factories import HolidayFactory, StaffFactory

pytestmark = pytest.mark.django_db


def new_closure(library, start, end, reason="Renovation"):
    return Closure(library=library, reason=reason, start_date=start, end_date=end)


def test_a_closure_over_14_days_forwards_tickets_and_tells_the_help_desk_once(
    helpdesk, library_a, coordinator_a, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        closure = services.closure_save(
            actor=coordinator_a,
            closure=new_closure(library_a, date(2027, 1, 4), date(2027, 1, 18)),
        )
    assert closure.forwards_tickets
    notice = tasks.send_long_closure_notice.delay
    notices = [c for c in callbacks if getattr(c, "func", None) == notice]
    assert len(notices) == 1
    assert tasks.send_long_closure_notice(closure.pk) is True
    assert tasks.send_long_closure_notice(closure.pk) is False  # run twice: one email
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["helpdesk@example.org"]
    assert "Library A" in mailoutbox[0].subject and "forward" in mailoutbox[0].subject


def test_a_14_day_closure_is_not_long(coordinator_a, library_a):
    closure = services.closure_save(
        actor=coordinator_a,
        closure=new_closure(library_a, date(2027, 1, 4), date(2027, 1, 17)),
    )
    assert not closure.forwards_tickets


def test_holiday_days_inside_a_closure_do_not_count(coordinator_a, library_a):
    HolidayFactory(start_date=date(2026, 12, 24), end_date=date(2026, 12, 25))
    closure = services.closure_save(
        actor=coordinator_a,
        closure=new_closure(library_a, date(2026, 12, 14), date(2026, 12, 29)),
    )
    assert not closure.forwards_tickets  # 16 days, 2 of them holidays


def test_selectors_report_forwarding_during_a_long_closure(coordinator_a, library_a):
    from consortium.selectors import library_forwards_tickets

    services.closure_save(
        actor=coordinator_a,
        closure=new_closure(library_a, date(2027, 1, 4), date(2027, 2, 5)),
    )
    assert library_forwards_tickets(library_a, date(2027, 1, 20))
    assert not library_forwards_tickets(library_a, date(2027, 2, 6))


def test_the_sweep_sends_notices_the_worker_missed(
    coordinator_a,
    library_a,
    mailoutbox,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    with django_capture_on_commit_callbacks(execute=False):
        closure = services.closure_save(
            actor=coordinator_a,
            closure=new_closure(library_a, date(2099, 1, 1), date(2099, 3, 1)),
        )
    sent = []
    monkeypatch.setattr(tasks.send_long_closure_notice, "delay", sent.append)
    assert tasks.long_closures_sweep() == 1
    assert sent == [closure.pk]


def test_a_coordinator_cannot_save_another_librarys_rows(coordinator_a, library_b):
    with pytest.raises(PermissionDenied):
        services.closure_save(
            actor=coordinator_a,
            closure=new_closure(library_b, date(2027, 1, 4), date(2027, 1, 5)),
        )
    assert not Closure.objects.exists()


def test_a_row_cannot_be_moved_out_of_another_library(
    coordinator_a, library_a, library_b, helpdesk
):
    closure = services.closure_save(
        actor=helpdesk,
        closure=new_closure(library_b, date(2027, 1, 4), date(2027, 1, 5)),
    )
    closure.library = library_a
    with pytest.raises(PermissionDenied):
        services.record_save(actor=coordinator_a, instance=closure)
    assert Closure.objects.get().library == library_b


def test_librarians_cannot_use_record_services(library_a):
    librarian = StaffFactory(library=library_a)
    with pytest.raises(PermissionDenied):
        services.record_save(
            actor=librarian,
            instance=new_closure(library_a, date(2027, 1, 4), date(2027, 1, 5)),
        )


def test_only_the_help_desk_posts_announcements(
    coordinator_a, helpdesk, mailoutbox, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        services.announcement_save(
            actor=coordinator_a, announcement=Announcement(title="x", body="y")
        )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announcement = services.announcement_save(
            actor=helpdesk,
            announcement=Announcement(
                title="Upgrade", body="Saturday", email_staff=True
            ),
        )
    assert announcement.author == helpdesk and len(callbacks) == 1
    assert (
        tasks.send_announcement_email(announcement.pk) == 2
    )  # helpdesk and coordinator
    assert tasks.send_announcement_email(announcement.pk) == 0
    assert len(mailoutbox) == 2 and all(len(m.to) == 1 for m in mailoutbox)


def test_problem_reports_are_resolved_once_by_the_help_desk(
    library_a, helpdesk, coordinator_a, mailoutbox
):
    librarian = StaffFactory(library=library_a)
    report = services.problem_report_create(
        actor=librarian, summary="Chat sound missing"
    )
    assert tasks.send_problem_report_notice(report.pk) is True
    assert tasks.send_problem_report_notice(report.pk) is False
    assert len(mailoutbox) == 1
    with pytest.raises(PermissionDenied):
        services.problem_report_resolve(
            actor=coordinator_a, report_id=report.pk, resolution="x"
        )
    with pytest.raises(services.DomainError, match="Say how"):
        services.problem_report_resolve(
            actor=helpdesk, report_id=report.pk, resolution=" "
        )
    services.problem_report_resolve(
        actor=helpdesk, report_id=report.pk, resolution="Browser setting"
    )
    with pytest.raises(services.DomainError, match="already resolved"):
        services.problem_report_resolve(
            actor=helpdesk, report_id=report.pk, resolution="again"
        )
    assert ProblemReport.objects.get().resolved_by == helpdesk


def test_coordinators_cannot_create_help_desk_staff(coordinator_a, library_a):
    staff = StaffFactory.build(username="alib-x", library=library_a, role="helpdesk")
    with pytest.raises(PermissionDenied):
        services.staff_save(actor=coordinator_a, staff=staff)
