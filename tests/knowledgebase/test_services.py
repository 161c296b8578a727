"""Knowledge-base services: sanitising, search ranking (PostgreSQL full text
or Python ranking on SQLite), suggestions on a small labelled set of
questions, review reminders once per stage, history and restore, and
placeholders rendered as inert text."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from knowledgebase import search, services
from knowledgebase.models import CannedMessage, Faq, PolicySection, ReviewReminder
from knowledgebase.placeholders import fill
from tests.consortium.factories import (
    CoordinatorFactory,
    HelpdeskFactory,
    LibraryFactory,
)

Kind = PolicySection.Kind


def section(actor, library, kind, body, visibility="public"):
    return services.section_save(
        actor=actor,
        section=PolicySection(
            page=services.page_for(library), kind=kind, visibility=visibility, body=body
        ),
    )


def faq(actor, library, question, answer, **kw):
    return services.faq_save(
        actor=actor, faq=Faq(library=library, question=question, answer=answer, **kw)
    )


@pytest.fixture
def kb(db):
    """Two libraries with distinct policies; the labelled questions below
    say which entry a librarian should see first."""

    class KB:
        pass

    k = KB()
    k.helpdesk = HelpdeskFactory(username="helpdesk")
    k.college = LibraryFactory(code="sprc", name="Springfield College Library")
    k.public = LibraryFactory(code="ocpl", name="Orange County Public Library")
    k.coord = CoordinatorFactory(library=k.college, username="sprc-coord")
    hd = k.helpdesk
    k.renew = faq(
        hd,
        k.college,
        "How do I renew my books?",
        "<p>Renew up to three times online in <strong>My Account</strong>, unless "
        "someone has placed a hold. Course reserves cannot be renewed.</p>",
    )
    k.offcampus = faq(
        hd,
        k.college,
        "How do I use the databases off campus?",
        "<p>Sign in with your college username and password when the proxy "
        "asks. Students, faculty and staff only.</p>",
    )
    k.printing = faq(
        hd,
        k.college,
        "Can I print in the library?",
        "<p>Printing costs 10 cents a page; pay with your student card.</p>",
    )
    k.borrowing = section(
        hd,
        k.college,
        Kind.BORROWING,
        "<p>Undergraduates borrow books for 28 days; graduate students for a "
        "semester. Fines are not charged on overdue books, but blocks apply.</p>",
    )
    k.ill = section(
        hd,
        k.college,
        Kind.ILL,
        "<p>Request articles and books we don't own through interlibrary loan "
        "(ILLiad). Articles arrive by email in 2–3 days.</p>",
    )
    k.proxy = section(
        hd,
        k.college,
        Kind.ERESOURCES,
        "<p>Co-op staff: if the proxy login loops, clear cookies; the EZproxy "
        "prefix is https://ezproxy.springfield.edu/login?url=</p>",
        visibility="staff",
    )
    k.card = faq(
        hd,
        k.public,
        "How do I get a library card?",
        "<p>Bring a photo ID and proof of your Orange County address to any "
        "branch. Cards are free for residents.</p>",
    )
    k.public_renew = faq(
        hd,
        k.public,
        "Can I renew my items?",
        "<p>Renew items twice by phone or online with your card number and PIN.</p>",
    )
    return k


LABELLED = [
    # question a patron types, library, the entry that should come first
    ("hi can I renew the books I checked out?", "college", "renew"),
    ("How do I get into JSTOR from home? it asks me to log in", "college", "offcampus"),
    ("how much is printing", "college", "printing"),
    ("how long can i keep a book as an undergrad", "college", "borrowing"),
    ("can you get me an article you don't have", "college", "ill"),
    ("the proxy login keeps looping", "college", "proxy"),
    ("I want a library card, I live in Orlando", "public", "card"),
    ("renew my items please", "public", "public_renew"),
]


@pytest.mark.parametrize("question,library,expected", LABELLED)
def test_suggestions_put_the_right_entry_first(kb, question, library, expected):
    hits = search.suggest(question, getattr(kb, library))
    assert hits, question
    assert hits[0].obj == getattr(kb, expected)
    # Only the patron's library's entries.
    assert {h.library for h in hits} == {getattr(kb, library)}


def test_search_ranks_the_faq_about_the_words_above_passing_mentions(kb):
    hits = search.search("renew", library_ids=None, staff=False)
    assert [h.obj for h in hits[:2]] in (
        [kb.renew, kb.public_renew],
        [kb.public_renew, kb.renew],
    )
    only = search.search("renew", library_ids=[kb.public.pk])
    assert [h.obj for h in only] == [kb.public_renew]


def test_staff_only_sections_are_searched_for_staff_only(kb):
    assert not [h for h in search.search("proxy login looping") if h.staff_only]
    staff = search.search("proxy login looping", staff=True)
    assert staff[0].obj == kb.proxy and staff[0].staff_only


def test_questions_without_content_words_find_nothing(kb):
    assert search.suggest("hello, hi, thanks!", kb.college) == []
    assert search.search("") == []


def test_rich_text_is_sanitised_on_save(kb):
    s = section(
        kb.coord,
        kb.college,
        Kind.LOCAL,
        '<p onclick="x()">Quiet floor <script>alert(1)</script>'
        '<a href="javascript:alert(2)">here</a><img src=x onerror=alert(3)></p>',
    )
    s.refresh_from_db()
    assert "script" not in s.body and "onclick" not in s.body
    assert "javascript" not in s.body and "onerror" not in s.body
    assert "Quiet floor" in s.text


def test_coordinators_edit_only_their_library(kb):
    with pytest.raises(PermissionDenied):
        section(kb.coord, kb.public, Kind.LOCAL, "<p>Not mine</p>")
    assert not PolicySection.objects.filter(page__library=kb.public).exists()


def test_history_keeps_every_version_and_restore_is_a_new_version(kb):
    s = kb.borrowing
    s.body = "<p>Undergraduates borrow books for 21 days.</p>"
    services.section_save(actor=kb.coord, section=s)
    versions = list(s.history.order_by("history_date"))
    assert len(versions) == 2
    assert versions[-1].history_user == kb.coord
    diff = versions[-1].diff_against(versions[0])
    assert "body" in diff.changed_fields
    services.history_restore(
        actor=kb.coord, kind="section", history_id=versions[0].history_id
    )
    s.refresh_from_db()
    assert "28 days" in s.body and "28 days" in s.text
    assert s.history.count() == 3
    assert "Restored" in s.history.first().history_change_reason
    other = CoordinatorFactory(library=kb.public)
    with pytest.raises(PermissionDenied):
        services.history_restore(
            actor=other, kind="section", history_id=versions[0].history_id
        )


def test_review_reminders_once_per_stage(
    kb, django_capture_on_commit_callbacks, monkeypatch
):
    from knowledgebase import tasks

    monkeypatch.setattr(
        tasks.send_review_reminder, "delay", lambda pk: tasks.send_review_reminder(pk)
    )
    page = services.page_for(kb.college)
    services.page_mark_reviewed(actor=kb.coord, page_id=page.pk, today=date(2026, 1, 5))
    due = date(2026, 1, 5) + timedelta(days=180)
    assert services.review_reminders_sweep(today=due - timedelta(days=1)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.review_reminders_sweep(today=due)) == 1
        assert services.review_reminders_sweep(today=due) == []
        assert services.review_reminders_sweep(today=due + timedelta(days=5)) == []
    assert [m.to for m in mail.outbox] == [[kb.coord.email]]
    assert "review Springfield College Library's policy page" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.review_reminders_sweep(today=due + timedelta(days=30))) == 1
    assert mail.outbox[-1].subject.split("] ")[1].startswith("Overdue")
    assert tasks.send_review_reminder(ReviewReminder.objects.first().pk) is False
    # Reviewed again: a new due date, a new reminder when it comes.
    services.page_mark_reviewed(
        actor=kb.coord, page_id=page.pk, today=due + timedelta(days=40)
    )
    assert services.review_reminders_sweep(today=due + timedelta(days=41)) == []


def test_placeholders_fill_as_plain_text_and_unknown_ones_are_refused(kb):
    text = fill(
        "Hi {patron_name}, see {library_faq_url} {unknown}",
        {
            "patron_name": "<script>alert(1)</script>",
            "library_faq_url": "https://x/faq/",
        },
    )
    assert text == "Hi <script>alert(1)</script>, see https://x/faq/ {unknown}"
    bad = CannedMessage(
        library=kb.college, group="closing", key="bye", title="Bye", body="Bye {nme}"
    )
    with pytest.raises(ValidationError) as err:
        services.canned_save(actor=kb.coord, canned=bad)
    assert "Unknown placeholder {nme}" in str(err.value)
    assert not CannedMessage.objects.filter(key="bye").exists()


def test_faq_address_is_made_from_the_question_and_unique(kb):
    again = faq(kb.helpdesk, kb.college, "How do I renew my books?", "<p>Again</p>")
    assert kb.renew.slug == "how-do-i-renew-my-books"
    assert again.slug == "how-do-i-renew-my-books-2"
    assert again.get_absolute_url() == "/libraries/sprc/faq/how-do-i-renew-my-books-2/"


def test_the_default_canned_messages_have_a_first_version_to_restore(db):
    greeting = CannedMessage.objects.get(key="greeting", library=None)
    first = greeting.history.get()
    assert first.history_change_reason == "Initial version"
    assert first.body == greeting.body


@pytest.mark.parametrize(
    "text,query",
    [
        ("Course reserves: two copies stay at the desk.", "copy"),
        ("Borrowing policies differ for alumni.", "policy"),
        ("All databases need your campus login.", "database"),
        ("Fines are not charged on overdue books.", "fine"),
        ("The building closes at 9 p.m.", "close"),
        ("Discounts are applied at checkout.", "apply"),
        ("Renewals are allowed twice.", "renew"),
    ],
)
def test_every_form_of_a_word_finds_the_entry(kb, text, query):
    entry = section(kb.helpdesk, kb.public, Kind.LOCAL, f"<p>{text}</p>")
    hits = search.search(query, library_ids=[kb.public.pk])
    assert entry in [h.obj for h in hits]


def test_contractions_are_not_search_words(kb):
    assert search.terms("I'll be away, we'll see; don't renew") == [
        "away",
        "see",
        "renew",
    ]


def test_a_librarys_own_canned_message_wins_over_the_global_one(kb):
    from chat.models import Conversation
    from chat.services.safety import canned_by_key

    own = services.canned_save(
        actor=kb.coord,
        canned=CannedMessage(
            library=kb.college,
            group="crisis",
            key="crisis",
            title="Crisis (ours)",
            body="Call campus safety at 555-0100.",
        ),
    )
    chat = Conversation(library=kb.college)
    assert canned_by_key(chat, "crisis") == own
    assert canned_by_key(Conversation(library=kb.public), "crisis").library_id is None
