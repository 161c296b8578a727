"""Every change is audited (who, when, what changed) and visible in the admin."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from consortium.models import Library
from tests.consortium.factories import ClosureFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_an_admin_change_records_who_when_and_what(client, coordinator_a, library_a):
    client.force_login(coordinator_a)
    data = {
        "timezone": "America/Chicago",
        "website": "https://a.example.org/",
        "contact_phone": "555-0100",
        "fallback_delay_seconds": 30,
        "contact_email": "",
        "ticket_email": "",
        "service_area": "",
        "widget_origins": "",
    }
    response = client.post(
        reverse("admin:consortium_library_change", args=[library_a.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LogEntry.objects.get_for_object(library_a).latest("timestamp")
    assert entry.actor == coordinator_a
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes_dict["contact_phone"] == ["", "555-0100"]
    assert entry.changes_dict["fallback_delay_seconds"] == ["15", "30"]
    assert entry.additional_data == {"library_id": library_a.pk}


def test_coordinators_cannot_change_consortium_owned_library_fields(
    client, coordinator_a, library_a
):
    client.force_login(coordinator_a)
    client.post(
        reverse("admin:consortium_library_change", args=[library_a.pk]),
        {
            "code": "hacked",
            "active": "",
            "timezone": "America/New_York",
            "website": "https://a.example.org/",
            "fallback_delay_seconds": 15,
        },
    )
    library_a.refresh_from_db()
    assert library_a.code == "alib" and library_a.active


def test_history_page_shows_the_audit_trail(client, coordinator_a, library_a):
    closure = ClosureFactory(
        library=library_a,
        reason="Inventory",
        start_date="2027-03-01",
        end_date="2027-03-02",
    )
    client.force_login(coordinator_a)
    client.post(
        reverse("admin:consortium_closure_change", args=[closure.pk]),
        {
            "library": library_a.pk,
            "reason": "Inventory week",
            "start_date": "2027-03-01",
            "end_date": "2027-03-05",
        },
    )
    page = client.get(
        reverse("admin:consortium_closure_history", args=[closure.pk])
    ).content.decode()
    assert "Inventory week" in page and "alib-coord" in page


def test_coordinators_see_only_their_librarys_audit_entries(
    client, coordinator_a, library_a, library_b, helpdesk
):
    StaffFactory(library=library_a, username="alib-new")
    StaffFactory(library=library_b, username="blib-new")
    client.force_login(coordinator_a)
    response = client.get(reverse("admin:auditlog_logentry_changelist"))
    reprs = {e.object_repr for e in response.context["cl"].queryset}
    assert any("alib-new" in r for r in reprs)
    assert not any("blib-new" in r for r in reprs)
    other = LogEntry.objects.filter(object_repr__contains="blib-new").first()
    assert client.get(
        reverse("admin:auditlog_logentry_change", args=[other.pk])
    ).status_code in (403, 404)

    client.force_login(helpdesk)
    response = client.get(reverse("admin:auditlog_logentry_changelist"))
    reprs = {e.object_repr for e in response.context["cl"].queryset}
    assert any("blib-new" in r for r in reprs) and any("alib-new" in r for r in reprs)


def test_passwords_are_not_written_to_the_audit_log(library_a):
    staff = StaffFactory(library=library_a)
    staff.set_password("another-secret")
    staff.save()
    for entry in LogEntry.objects.get_for_object(staff):
        assert "password" not in entry.changes_dict


def test_service_writes_outside_requests_name_the_actor(helpdesk, library_a):
    from consortium import services

    library = Library.objects.get(pk=library_a.pk)
    library.contact_phone = "555-0199"
    services.record_save(actor=helpdesk, instance=library)
    entry = LogEntry.objects.get_for_object(library).latest("timestamp")
    assert entry.actor == helpdesk


def test_nested_services_keep_the_actor_for_later_writes(helpdesk, library_a):
    """An inner service must not leave the outer context without its actor."""
    from datetime import date

    from consortium import services
    from consortium.audit import acting_as
    from consortium.models import Closure, Liaison

    with acting_as(helpdesk):
        services.closure_save(
            actor=helpdesk,
            closure=Closure(
                library=library_a,
                reason="Paint",
                start_date=date(2027, 1, 4),
                end_date=date(2027, 1, 5),
            ),
        )
        liaison = Liaison.objects.create(
            library=library_a, subject="Art", name="A", email="a@a.org"
        )
    assert LogEntry.objects.get_for_object(liaison).get().actor == helpdesk


def test_audit_entries_hold_only_the_rows_own_fields(helpdesk, library_a):
    entry = LogEntry.objects.get_for_object(library_a).earliest("timestamp")
    assert "closures" not in entry.changes_dict and "staff" not in entry.changes_dict
