"""The knowledge-base admin (K1, K2, K4-K6 under C8): coordinators edit only
their own library's policy page, FAQs and canned messages, the help desk
everything; rich text is sanitised on save; every version is kept with its
author, shown as a diff and restorable; a service's refusal leaves nothing
saved."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consortium.services import DomainError, record_delete
from knowledgebase import services
from knowledgebase.models import (
    CannedMessage,
    Faq,
    PolicyPage,
    PolicySection,
    ReviewReminder,
    Visibility,
)
from tests.admin_helpers import form_errors, shown_messages
from tests.consortium.factories import CoordinatorFactory

pytestmark = pytest.mark.django_db

Kind = PolicySection.Kind


def url(model, view, *args):
    return reverse(f"admin:knowledgebase_{model._meta.model_name}_{view}", args=args)


def form_data(response, **changes):
    """What the browser sends back for the change form in `response`: every
    field as shown (inline formsets included), then `changes`."""
    context = response.context
    forms = [context["adminform"].form]
    data = {}
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    data.update(changes)
    return data


def section_prefix(response, kind, visibility=Visibility.PUBLIC) -> str:
    """The form prefix of the page's section of `kind` in the change form."""
    formset = response.context["inline_admin_formsets"][0].formset
    for form in formset.forms:
        if (form["kind"].value(), form["visibility"].value()) == (kind, visibility):
            return form.prefix
    raise AssertionError(f"no form for {kind}/{visibility}")


class KB:
    pass


@pytest.fixture
def coordinator_b(library_b):
    return CoordinatorFactory(library=library_b, username="blib-coord")


@pytest.fixture
def kb(library_a, library_b, coordinator_a, coordinator_b):
    """A policy page, a section, a FAQ and a canned message of library A and
    of library B, each written by its coordinator."""
    coordinator_a.first_name, coordinator_a.last_name = "Maria", "Lopez"
    coordinator_a.save()
    w = KB()
    for key, library, coordinator, word in (
        ("a", library_a, coordinator_a, "Alpha"),
        ("b", library_b, coordinator_b, "Bravo"),
    ):
        page = services.page_for(library)
        section = services.section_save(
            actor=coordinator,
            section=PolicySection(
                page=page,
                kind=Kind.BORROWING,
                body=f"<p>{word} books go out for three weeks.</p>",
            ),
        )
        faq = services.faq_save(
            actor=coordinator,
            faq=Faq(
                library=library,
                question=f"How do I renew {word} books?",
                answer="<p>Sign in to your account.</p>",
            ),
        )
        canned = services.canned_save(
            actor=coordinator,
            canned=CannedMessage(
                library=library,
                group=CannedMessage.Group.CLOSING,
                key="goodbye",
                title=f"{word} goodbye",
                body="Bye {patron_name}!",
            ),
        )
        setattr(w, f"page_{key}", page)
        setattr(w, f"section_{key}", section)
        setattr(w, f"faq_{key}", faq)
        setattr(w, f"canned_{key}", canned)
    w.global_canned = CannedMessage.objects.get(library__isnull=True, key="greeting")
    return w


@pytest.fixture
def coord(client, coordinator_a):
    client.force_login(coordinator_a)
    return client


@pytest.fixture
def desk(client, helpdesk):
    client.force_login(helpdesk)
    return client


# --- Scoping (C8) -------------------------------------------------------------------


def test_coordinators_list_only_their_own_librarys_entries(coord, kb):
    pages = coord.get(url(PolicyPage, "changelist")).content.decode()
    assert "Library A" in pages and "Library B" not in pages
    sections = coord.get(url(PolicySection, "changelist")).content.decode()
    assert "Alpha books" in sections and "Bravo books" not in sections
    faqs = coord.get(url(Faq, "changelist")).content.decode()
    assert "renew Alpha" in faqs and "renew Bravo" not in faqs
    canned = coord.get(url(CannedMessage, "changelist")).content.decode()
    assert "Alpha goodbye" in canned and "Bravo goodbye" not in canned
    assert "Every library" in canned  # the consortium-wide ones, to read


def test_the_help_desk_lists_every_librarys_entries(desk, kb):
    sections = desk.get(url(PolicySection, "changelist")).content.decode()
    assert "Alpha books" in sections and "Bravo books" in sections


@pytest.mark.parametrize(
    "entry", ["page_b", "section_b", "faq_b", "canned_b"], ids=lambda e: e[:-2]
)
@pytest.mark.parametrize("view", ["change", "history"])
def test_coordinator_gets_404_for_another_librarys_entry(coord, kb, entry, view):
    obj = getattr(kb, entry)
    assert coord.get(url(type(obj), view, obj.pk)).status_code == 404


@pytest.mark.parametrize("entry", ["section_b", "faq_b", "canned_b"])
def test_coordinator_cannot_see_or_restore_another_librarys_versions(coord, kb, entry):
    obj = getattr(kb, entry)
    record = obj.history.first()
    version = url(type(obj), "version", obj.pk, record.history_id)
    restore = url(type(obj), "restore", obj.pk, record.history_id)
    assert coord.get(version).status_code == 404
    assert coord.post(restore).status_code == 404
    # Nor through their own entry's address with the other's version id.
    own = getattr(kb, entry.replace("_b", "_a"))
    assert (
        coord.post(url(type(own), "restore", own.pk, record.history_id)).status_code
        == 404
    )
    assert obj.history.count() == 1


def test_consortium_wide_canned_messages_are_read_only_for_coordinators(
    coord, kb, helpdesk
):
    message = kb.global_canned
    message.title = "Greeting (every library)"
    services.canned_save(actor=helpdesk, canned=message)
    page = coord.get(url(CannedMessage, "change", message.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert "Write your library&#x27;s own version" in html
    assert f"key={message.key}" in html
    before = message.body
    response = coord.post(
        url(CannedMessage, "change", message.pk),
        {"group": message.group, "key": message.key, "title": "Mine", "body": "Hi"},
    )
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.body == before
    record = message.history.first()
    versions = coord.get(url(CannedMessage, "version", message.pk, record.history_id))
    assert versions.status_code == 200
    assert "Restore this version" not in versions.content.decode()
    restore = url(CannedMessage, "restore", message.pk, record.history_id)
    assert coord.post(restore).status_code == 403


def test_review_reminders_are_for_the_help_desk_only(
    client, coordinator_a, helpdesk, kb
):
    reminder = ReviewReminder.objects.create(
        page=kb.page_a, stage="due", due_on=timezone.localdate()
    )
    client.force_login(coordinator_a)
    assert client.get(url(ReviewReminder, "changelist")).status_code == 403
    assert client.get(url(ReviewReminder, "change", reminder.pk)).status_code in (
        403,
        404,
    )
    assert b"reviewreminder" not in client.get(reverse("admin:index")).content
    client.force_login(helpdesk)
    listing = client.get(url(ReviewReminder, "changelist"))
    assert listing.status_code == 200 and "Library A" in listing.content.decode()
    assert client.get(url(ReviewReminder, "add")).status_code == 403


# --- Policy pages (K1, K4) ---------------------------------------------------------


def test_a_coordinator_finds_every_missing_section_ready_to_fill_in(coord, kb):
    response = coord.get(url(PolicyPage, "change", kb.page_a.pk))
    formset = response.context["inline_admin_formsets"][0].formset
    offered = {(f["kind"].value(), f["visibility"].value()) for f in formset.forms}
    assert {(kind, "public") for kind in Kind.values} <= offered
    assert (Kind.ERESOURCES, "staff") in offered
    assert "Staff only — never shown to patrons" in response.content.decode()


def test_saving_the_page_stores_only_the_sections_filled_in_sanitised(coord, kb):
    page_url = url(PolicyPage, "change", kb.page_a.pk)
    form = coord.get(page_url)
    staff = section_prefix(form, Kind.ERESOURCES, Visibility.STAFF)
    hours = section_prefix(form, Kind.HOURS)
    response = coord.post(
        page_url,
        form_data(
            form,
            **{
                f"{staff}-body": "<p>EZproxy prefix: https://proxy.example.org/login?url="
                "<script>alert(1)</script></p>",
                f"{hours}-body": '<p onclick="steal()">Open 9–5. '
                '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">map</a>'
                "</p>",
                "change_reason": "Spring update",
            },
        ),
    )
    assert response.status_code == 302, form_errors(response)
    sections = PolicySection.objects.filter(page=kb.page_a)
    # Borrowing (existing) + the two filled in; the untouched blanks are not saved.
    assert sections.count() == 3
    staff_section = sections.get(kind=Kind.ERESOURCES, visibility=Visibility.STAFF)
    assert "EZproxy prefix" in staff_section.body
    assert "<script" not in staff_section.body and "alert(1)" not in staff_section.body
    hours_section = sections.get(kind=Kind.HOURS)
    for bad in ("onclick", "onerror", "<img", "javascript:"):
        assert bad not in hours_section.body
    assert "Open 9–5." in hours_section.text
    record = hours_section.history.first()
    assert record.history_user == kb.section_a.updated_by
    assert record.history_change_reason == "Spring update"


def test_the_section_admin_sanitises_what_it_saves(coord, kb):
    change = url(PolicySection, "change", kb.section_a.pk)
    response = coord.post(
        change,
        form_data(
            coord.get(change),
            body='<p>Renew twice.<script>alert("x")</script></p>'
            '<p><a href="javascript:alert(1)" onmouseover="x()">Account</a></p>',
        ),
    )
    assert response.status_code == 302, form_errors(response)
    kb.section_a.refresh_from_db()
    body = kb.section_a.body
    assert "Renew twice." in body and "Account" in body
    for bad in ("<script", "javascript:", "onmouseover", 'alert("x")'):
        assert bad not in body


def test_a_refused_section_leaves_nothing_of_the_submission_saved(
    coord, kb, monkeypatch
):
    page_url = url(PolicyPage, "change", kb.page_a.pk)
    form = coord.get(page_url)
    real = services.section_save
    calls = []

    def refuse_the_second(**kwargs):
        calls.append(kwargs["section"].kind)
        if len(calls) == 2:
            raise DomainError("The library's policy page is locked for review.")
        return real(**kwargs)

    monkeypatch.setattr(services, "section_save", refuse_the_second)
    response = coord.post(
        page_url,
        form_data(
            form,
            **{
                f"{section_prefix(form, Kind.HOURS)}-body": "<p>Open late.</p>",
                f"{section_prefix(form, Kind.ILL)}-body": "<p>ILL is free.</p>",
            },
        ),
    )
    assert response.status_code == 200
    assert "locked for review" in response.content.decode()
    assert PolicySection.objects.filter(page=kb.page_a).count() == 1
    assert not PolicySection.history.filter(page_id=kb.page_a.pk, kind="hours")


def test_save_and_mark_reviewed_restarts_the_review_clock(coord, kb, coordinator_a):
    PolicyPage.objects.filter(pk=kb.page_a.pk).update(
        last_reviewed_at=timezone.localdate() - timedelta(days=400)
    )
    listing = coord.get(url(PolicyPage, "changelist")).content.decode()
    assert "(overdue)" in listing
    page_url = url(PolicyPage, "change", kb.page_a.pk)
    form = coord.get(page_url)
    assert "Save and mark reviewed" in form.content.decode()
    response = coord.post(page_url, form_data(form, _mark_reviewed="1"), follow=True)
    assert any("marked reviewed" in m for m in shown_messages(response))
    kb.page_a.refresh_from_db()
    assert kb.page_a.last_reviewed_at == timezone.localdate()
    assert kb.page_a.reviewed_by == coordinator_a
    assert "(overdue)" not in coord.get(url(PolicyPage, "changelist")).content.decode()


def test_a_coordinator_creates_their_missing_page_with_its_sections(client, library_b):
    newcomer = CoordinatorFactory(library=library_b, username="blib-new")
    client.force_login(newcomer)
    form = client.get(url(PolicyPage, "add"))
    assert form.status_code == 200
    library_field = form.context["adminform"].form.fields["library"]
    assert list(library_field.queryset) == [library_b]
    response = client.post(
        url(PolicyPage, "add"),
        form_data(
            form,
            library=library_b.pk,
            **{f"{section_prefix(form, Kind.ILL)}-body": "<p>ILL is free.</p>"},
        ),
    )
    page = PolicyPage.objects.get(library=library_b)
    assert response.status_code == 302
    assert response["Location"] == url(PolicyPage, "change", page.pk)
    assert list(page.sections.values_list("kind", flat=True)) == ["ill"]
    # One page per library: nothing more to add.
    assert client.get(url(PolicyPage, "add")).status_code == 403


def test_the_mark_reviewed_action_skips_other_librarys_pages(coord, kb):
    coord.post(
        url(PolicyPage, "changelist"),
        {"action": "mark_reviewed", "_selected_action": [kb.page_a.pk, kb.page_b.pk]},
    )
    kb.page_a.refresh_from_db()
    kb.page_b.refresh_from_db()
    assert kb.page_a.last_reviewed_at == timezone.localdate()
    assert kb.page_b.last_reviewed_at is None


# --- History (K5) --------------------------------------------------------------------


def edit_section(client, section, body, reason=""):
    change = url(PolicySection, "change", section.pk)
    response = client.post(
        change, form_data(client.get(change), body=body, change_reason=reason)
    )
    assert response.status_code == 302, form_errors(response)


def test_history_lists_each_version_with_its_author_and_a_diff(coord, kb):
    section = kb.section_a
    edit_section(
        coord,
        section,
        "<p>Alpha books go out for four weeks.</p><p>&lt;script&gt;x()&lt;/script&gt;</p>",
        reason="Longer loans",
    )
    history = coord.get(url(PolicySection, "history", section.pk)).content.decode()
    assert history.count("Maria Lopez") == 2
    assert "Longer loans" in history and "Created" in history
    latest, first = section.history.order_by("-history_date")[:2]
    diff = coord.get(url(PolicySection, "version", section.pk, latest.history_id))
    html = diff.content.decode()
    assert "<del>three</del>" in html and "<ins>four</ins>" in html
    # Text that looks like markup is shown as text, never run.
    assert "&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<script>x()" not in html
    assert "Restore" not in html.split("Back to every version")[0].split("<h2>")[0]
    # Any two versions: the first against the latest.
    both = coord.get(
        url(PolicySection, "version", section.pk, first.history_id),
        {"against": latest.history_id},
    ).content.decode()
    assert "<del>four</del>" in both and "<ins>three</ins>" in both
    # The change form leads there.
    change = coord.get(url(PolicySection, "change", section.pk)).content.decode()
    assert url(PolicySection, "history", section.pk) in change


def test_restoring_a_version_brings_back_its_text_as_a_new_version(coord, kb):
    section = kb.section_a
    edit_section(coord, section, "<p>Alpha books go out for one week.</p>")
    first = section.history.order_by("history_date").first()
    version = coord.get(url(PolicySection, "version", section.pk, first.history_id))
    assert "Restore this version" in version.content.decode()
    response = coord.post(
        url(PolicySection, "restore", section.pk, first.history_id), follow=True
    )
    assert any("Restored" in m for m in shown_messages(response))
    section.refresh_from_db()
    assert "three weeks" in section.body and "three weeks" in section.text
    assert section.history.count() == 3
    newest = section.history.first()
    assert newest.history_user == section.updated_by
    assert newest.history_change_reason.startswith("Restored the version of")


def test_restore_accepts_only_a_post(coord, kb):
    record = kb.faq_a.history.first()
    restore = url(Faq, "restore", kb.faq_a.pk, record.history_id)
    assert coord.get(restore).status_code == 405


def test_the_page_history_shows_every_sections_changes(coord, kb):
    edit_section(coord, kb.section_a, "<p>Alpha books go out for a month.</p>")
    html = coord.get(url(PolicyPage, "history", kb.page_a.pk)).content.decode()
    assert html.count("Borrowing") >= 2
    latest = kb.section_a.history.first()
    assert url(PolicySection, "version", kb.section_a.pk, latest.history_id) in html


def test_a_faqs_history_and_restore(coord, kb):
    faq = kb.faq_a
    change = url(Faq, "change", faq.pk)
    response = coord.post(
        change,
        form_data(coord.get(change), answer="<p>Call the circulation desk.</p>"),
    )
    assert response.status_code == 302, form_errors(response)
    first = faq.history.order_by("history_date").first()
    html = coord.get(url(Faq, "version", faq.pk, first.history_id)).content.decode()
    assert "Sign in to your account." in html
    coord.post(url(Faq, "restore", faq.pk, first.history_id))
    faq.refresh_from_db()
    assert "Sign in" in faq.answer and faq.history.count() == 3


def test_a_deleted_faq_keeps_its_versions_and_can_be_restored(coord, kb):
    faq = kb.faq_a
    response = coord.post(url(Faq, "delete", faq.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Faq.objects.filter(pk=faq.pk).exists()
    history = coord.get(url(Faq, "history", faq.pk))
    assert history.status_code == 200
    assert "This entry was deleted" in history.content.decode()
    first = faq.history.order_by("history_date").first()
    coord.post(url(Faq, "restore", faq.pk, first.history_id))
    assert Faq.objects.get(pk=faq.pk).question == "How do I renew Alpha books?"
    # Another library's deleted FAQ stays out of reach.
    other, pk = kb.faq_b, kb.faq_b.pk
    record = other.history.order_by("history_date").first()
    record_delete(actor=other.updated_by, instance=other)
    assert coord.get(url(Faq, "history", pk)).status_code == 404
    assert coord.post(url(Faq, "restore", pk, record.history_id)).status_code == 404
    assert not Faq.objects.filter(pk=pk).exists()


# --- FAQs and canned messages (K2, K6) --------------------------------------------


def test_a_new_faq_gets_its_address_from_the_question(coord, library_a, kb):
    response = coord.post(
        url(Faq, "add"),
        {
            "library": library_a.pk,
            "question": "Can I print from my laptop?",
            "slug": "",
            "answer": "<p>Yes, with <strong>Mobile Print</strong>.</p>",
            "published": "on",
            "position": 0,
        },
    )
    assert response.status_code == 302, form_errors(response)
    faq = Faq.objects.get(question="Can I print from my laptop?")
    assert faq.slug == "can-i-print-from-my-laptop"
    assert faq.updated_by.username == "alib-coord"
    page = coord.get(url(Faq, "change", faq.pk)).content.decode()
    assert "http://testserver/libraries/alib/faq/can-i-print-from-my-laptop/" in page


def test_a_coordinator_cannot_add_an_faq_for_another_library(coord, library_b, kb):
    response = coord.post(
        url(Faq, "add"),
        {
            "library": library_b.pk,
            "question": "Sneaky?",
            "answer": "<p>x</p>",
            "position": 0,
        },
    )
    assert response.status_code == 200
    assert not Faq.objects.filter(question="Sneaky?").exists()


def test_an_unknown_placeholder_is_an_error_on_the_body(coord, library_a, kb):
    response = coord.post(
        url(CannedMessage, "add"),
        {
            "library": library_a.pk,
            "group": "greeting",
            "key": "greeting",
            "title": "Hello",
            "body": "Hello {nme}, welcome to {library_name}",
            "position": 0,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Unknown placeholder {nme}" in " ".join(errors["body"])
    assert not CannedMessage.objects.filter(library=library_a, key="greeting").exists()


def test_a_coordinator_overrides_the_global_greeting_for_their_patrons(
    coord, library_a, kb
):
    response = coord.post(
        url(CannedMessage, "add"),
        {
            "library": library_a.pk,
            "group": "greeting",
            "key": "greeting",
            "title": "Our greeting",
            "body": "Hello {patron_name}, this is {librarian_name} at {library_name}.",
            "position": 0,
            "change_reason": "Our own wording",
        },
    )
    assert response.status_code == 302, form_errors(response)
    own = CannedMessage.objects.get(library=library_a, key="greeting")
    assert own.history.first().history_change_reason == "Our own wording"
    # The global one now points to the library's own version.
    page = coord.get(url(CannedMessage, "change", kb.global_canned.pk))
    assert url(CannedMessage, "change", own.pk) in page.content.decode()


def test_the_canned_message_form_lists_the_placeholders(coord, kb):
    html = coord.get(url(CannedMessage, "add")).content.decode()
    for name in ("patron_name", "librarian_name", "library_hours_url"):
        assert "{" + name + "}" in html
