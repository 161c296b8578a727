import pytest
from django.apps import apps
from django.core.management import call_command

from consortium.models import Library, Queue, Staff

pytestmark = pytest.mark.django_db


def snapshot():
    """Every row of the consortium app, by model, as comparable tuples."""
    data = {}
    for model in apps.get_app_config("consortium").get_models():
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
    first = snapshot()
    call_command("seed_demo", verbosity=0)
    assert snapshot() == first


def test_demo_logins_work(client):
    call_command("seed_demo", verbosity=0)
    assert client.login(username="helpdesk", password="askdemo-2026")
    assert client.login(username="sprc-coord", password="askdemo-2026")
