"""Durable chat timers (SPEC L6): each fires once, at its deadline, with the
alert it promises, and re-arms itself when activity moved its deadline."""

from datetime import timedelta

import pytest

from chat import events, services, tasks
from chat.models import ChatTimer, Conversation
from tests.chat.conftest import NOW, accepted_chat, monitor, start

pytestmark = pytest.mark.django_db

S = timedelta(seconds=1)


@pytest.fixture
def alerts(monkeypatch):
    """The alerts the timers publish, as (kind, staff ids, conversation)."""
    sent = []

    def record(staff_ids, *, kind, message, conversation_id=None, suggestion=None):
        sent.append((kind, sorted(set(staff_ids)), conversation_id))

    monkeypatch.setattr(events, "publish_alert", record)
    return sent


def fire(at):
    return services.timers_fire(now=at)


def test_a_new_chat_arms_fallback_missed_risk_and_waiting_long(setup):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library)
    due = dict(chat.timers.values_list("kind", "due_at"))
    assert due == {
        "fallback": NOW + 15 * S,
        "missed_risk": NOW + 60 * S,
        "waiting_long": NOW + 180 * S,
    }


def test_missed_risk_fires_once_at_60_seconds_to_those_who_could_take_it(setup, alerts):
    library, local, coop, local_librarian, coop_librarian = setup
    monitor(local_librarian, local)
    monitor(coop_librarian, coop)
    chat = start(library)
    assert fire(NOW + 14 * S) == 0
    assert fire(NOW + 15 * S) == 1  # fallback: the co-op sees it now
    assert fire(NOW + 59 * S) == 0 and alerts == []
    monitor(local_librarian, local, NOW + 60 * S)
    monitor(coop_librarian, coop, NOW + 60 * S)
    assert fire(NOW + 60 * S) == 1
    assert alerts == [
        ("missed_risk", sorted([local_librarian.pk, coop_librarian.pk]), chat.pk)
    ]
    assert fire(NOW + 61 * S) == 0  # once
    tasks_ran_twice = [fire(NOW + 62 * S), fire(NOW + 62 * S)]
    assert tasks_ran_twice == [0, 0] and len(alerts) == 1


def test_a_timer_due_while_every_process_was_down_fires_at_the_next_sweep(
    setup, alerts
):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library)
    # Nothing swept for five minutes (processes restarting): the row waited.
    monitor(local_librarian, local, NOW + 300 * S)
    fire(NOW + 300 * S)
    assert {kind for kind, *_ in alerts} == {"missed_risk", "waiting_long"}
    assert not chat.timers.filter(fired_at__isnull=True).exists()


def test_accepting_cancels_the_waiting_timers_and_arms_the_active_ones(setup):
    chat = accepted_chat(setup)
    due = dict(chat.timers.values_list("kind", "due_at"))
    assert due == {
        "long_chat": NOW + 20 * 60 * S,
        "librarian_silent": NOW + 180 * S,
        "patron_idle": NOW + 300 * S,
        "shift_end": NOW.replace(hour=5) + timedelta(days=1),  # midnight in New York
    }


def test_librarian_silence_nudges_once_per_quiet_spell(setup, alerts):
    _, _, _, librarian, _ = setup
    chat = accepted_chat(setup)
    services.conversation_patron_seen(conversation_id=chat.pk, now=NOW + 170 * S)
    services.message_post(
        conversation_id=chat.pk,
        sender="librarian",
        body="Looking",
        author=librarian,
        now=NOW + 100 * S,
    )
    fire(NOW + 180 * S)  # the deadline moved: re-armed, no nudge
    assert alerts == []
    timer = chat.timers.get(kind="librarian_silent")
    assert timer.due_at == NOW + 280 * S and timer.fired_at is None
    services.conversation_patron_seen(conversation_id=chat.pk, now=NOW + 270 * S)
    fire(NOW + 280 * S)
    assert alerts == [("librarian_silent", [librarian.pk], chat.pk)]
    services.conversation_patron_seen(conversation_id=chat.pk, now=NOW + 450 * S)
    fire(NOW + 460 * S)  # still the same quiet spell: no second nudge
    assert [a for a in alerts if a[0] == "librarian_silent"] == alerts[:1]


def test_an_idle_patron_gets_are_you_still_there_then_the_closing_suggestion(
    setup, alerts
):
    _, _, _, librarian, _ = setup
    chat = accepted_chat(setup)
    fire(NOW + 300 * S)
    assert alerts == [("patron_idle", [librarian.pk], chat.pk)]
    close = chat.timers.get(kind="patron_idle_close")
    assert close.due_at == NOW + 600 * S
    fire(NOW + 600 * S)
    assert [a[0] for a in alerts] == ["patron_idle", "patron_idle_close"]


def test_a_patron_who_comes_back_is_not_told_to_leave(setup, alerts):
    chat = accepted_chat(setup)
    fire(NOW + 300 * S)
    services.message_post(
        conversation_id=chat.pk, sender="patron", body="here!", now=NOW + 400 * S
    )
    fire(NOW + 600 * S)
    assert [a[0] for a in alerts] == ["patron_idle"]


def test_long_chats_prompt_an_email_follow_up_at_20_minutes(setup, alerts):
    _, _, _, librarian, _ = setup
    chat = accepted_chat(setup)
    for kind in ("librarian_silent", "patron_idle"):
        chat.timers.filter(kind=kind).delete()
    fire(NOW + 20 * 60 * S - S)
    assert alerts == []
    fire(NOW + 20 * 60 * S)
    assert alerts == [("long_chat", [librarian.pk], chat.pk)]


def test_ending_a_chat_cancels_its_timers(setup, alerts):
    chat = accepted_chat(setup)
    services.conversation_end(conversation_id=chat.pk, now=NOW + S)
    fire(NOW + 3600 * S)
    assert alerts == []


def test_a_timer_is_not_fired_twice_by_overlapping_sweeps(setup, alerts):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library)
    timer = chat.timers.get(kind="missed_risk")
    # A second sweep that read the same due row loses the conditional update.
    assert (
        ChatTimer.objects.filter(pk=timer.pk, fired_at__isnull=True).update(
            fired_at=NOW + 60 * S
        )
        == 1
    )
    fire(NOW + 60 * S)
    assert [a for a in alerts if a[0] == "missed_risk"] == []


def test_the_beat_task_fires_timers_and_sweeps_abandoned_chats(setup, monkeypatch):
    library, local, _, local_librarian, _ = setup
    monitor(local_librarian, local)
    chat = start(library, now=NOW - timedelta(minutes=5))
    assert tasks.timers_fire() >= 1
    assert Conversation.objects.get(pk=chat.pk).status == "missed"
    assert tasks.timers_fire() == 0


def test_a_librarian_on_a_shift_is_prompted_when_the_shift_ends(setup, monkeypatch):
    from scheduling.models import Shift

    library, local, _, librarian, _ = setup
    # Two back-to-back shifts: 09:00–10:30 and 10:30–11:00 in New York.
    Shift.objects.create(
        library=library,
        queue=local,
        date=NOW.date(),
        assignee=librarian,
        starts_at=NOW - 60 * 60 * S,
        ends_at=NOW + 30 * 60 * S,
    )
    Shift.objects.create(
        library=library,
        queue=local,
        date=NOW.date(),
        assignee=librarian,
        starts_at=NOW + 30 * 60 * S,
        ends_at=NOW + 60 * 60 * S,
    )
    chat = accepted_chat(setup)
    assert chat.timers.get(kind="shift_end").due_at == NOW + 60 * 60 * S
    said = []
    monkeypatch.setattr(
        events,
        "publish_alert",
        lambda ids, *, kind, message, **kw: (
            said.append(message) if kind == "shift_end" else None
        ),
    )
    fire(NOW + 60 * 60 * S)
    assert said == [
        "Your shift has ended and this chat is still open. Finish it quickly, "
        "transfer it, or continue by email."
    ]
