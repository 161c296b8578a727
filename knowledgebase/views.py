"""Pages of the knowledge base (SPEC K1-K3).

Public pages, for patrons: a library's policy page (public sections only),
its FAQ list with a search box, and one FAQ at a shareable address. Nothing
here may ever show a staff-only section: they read `PolicySection.objects
.public()` and search with `staff=False`, and rich text is sanitised again
on display (`clean_html`), whatever the database holds.

The desk's JSON endpoints, for staff: search over every library's pages
(staff-only sections included, flagged) and suggestions from the question of
a chat or an email ticket the staff member can see. Errors are
`{"error": "..."}` with a 4xx status, like the rest of the desk's API.
"""

from __future__ import annotations

import re
from functools import wraps

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from consortium.models import Library, Staff
from knowledgebase import search
from knowledgebase.models import Faq, PolicyPage, PolicySection
from knowledgebase.richtext import clean_html

QUERY_CHARS = 200
KIND_ORDER = {kind: n for n, kind in enumerate(PolicySection.Kind.values)}

# --- Public pages -------------------------------------------------------------------


def _library(code: str) -> Library:
    return get_object_or_404(Library, code=code, active=True)


def _safe_html(value: str) -> str:
    """Stored rich text is sanitised on save; sanitise again on display, so a
    row written around the services still cannot carry script."""
    return mark_safe(clean_html(value))


@require_GET
def policies(request, code: str):
    """A library's policy page: its public sections, in the order of the
    kinds, each with the kind as its anchor."""
    library = _library(code)
    page = PolicyPage.objects.filter(library=library).first()
    sections = []
    if page is not None:
        rows = PolicySection.objects.public().filter(page=page).exclude(body="")
        for section in sorted(rows, key=lambda s: KIND_ORDER.get(s.kind, 99)):
            sections.append(
                {
                    "kind": section.kind,
                    "title": section.get_kind_display(),
                    "html": _safe_html(section.body),
                    "updated_at": section.updated_at,
                }
            )
    return render(
        request,
        "knowledgebase/policies.html",
        {"library": library, "page": page, "sections": sections},
    )


@require_GET
def faqs(request, code: str):
    """A library's published FAQs, and a search over its public entries."""
    library = _library(code)
    query = request.GET.get("q", "").strip()[:QUERY_CHARS]
    results = None
    if query:
        results = [
            {
                "kind": hit.kind,
                "title": hit.title,
                "url": hit.url,
                "excerpt": search.excerpt(hit, query),
            }
            for hit in search.search(query, library_ids=[library.pk], staff=False)
            # `staff=False` already leaves them out; a patron page makes sure.
            if not hit.staff_only
        ]
    return render(
        request,
        "knowledgebase/faqs.html",
        {
            "library": library,
            "faqs": Faq.objects.published().filter(library=library),
            "query": query,
            "results": results,
        },
    )


@require_GET
def faq(request, code: str, slug: str):
    library = _library(code)
    entry = get_object_or_404(Faq.objects.published(), library=library, slug=slug)
    return render(
        request,
        "knowledgebase/faq.html",
        {"library": library, "faq": entry, "answer": _safe_html(entry.answer)},
    )


# --- The desk -----------------------------------------------------------------------

SEARCH_LIMIT = 20
SUGGEST_LIMIT = 8
LIBRARY_CODE = re.compile(r"[a-z0-9-]{1,40}")
QUESTION_MESSAGES = 3  # the patron's first messages read with the question
TEXT_CHARS = 6000
STAFF_ROLES = (*Staff.CHAT_ROLES, Staff.Role.INTERN)


def error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def desk_api(view):
    """Signed-in active staff of any role (JSON 401/403): interns answer
    email tickets and may look things up too."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return error("Sign in to use the desk.", 401)
        if not user.is_active or user.role not in STAFF_ROLES:
            return error("Your role does not use the desk.", 403)
        return view(request, *args, **kwargs)

    return wrapper


def _public_url(hit: search.Hit) -> str | None:
    """The address a patron may be sent: FAQs and public sections only."""
    if hit.staff_only:
        return None
    return settings.SITE_URL.rstrip("/") + hit.url


def hit_payload(hit: search.Hit, query: str) -> dict:
    library = hit.library
    return {
        "kind": hit.kind,
        "id": hit.obj.pk,
        "title": hit.title,
        "library": {"code": library.code, "name": library.name},
        "staff_only": hit.staff_only,
        "url": _public_url(hit),
        "excerpt": search.excerpt(hit, query),
        # The whole entry, so the librarian can read it in the side pane
        # (staff-only sections have no page a patron could open).
        "text": hit.text[:TEXT_CHARS],
    }


def _id_param(request, name: str) -> int:
    value = request.GET.get(name, "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise ValueError(f"“{name}” must be the number of a {name}.")
    return int(value)


@require_GET
@desk_api
def desk_search(request):
    """`?q=words&library=<code or empty for all>`: ranked entries of any
    library, staff-only sections included and flagged."""
    query = request.GET.get("q", "").strip()[:QUERY_CHARS]
    if not query:
        return error("Type some words to search for.")
    code = request.GET.get("library", "").strip()
    library_ids = None
    library = None
    if code:
        library = (
            Library.objects.filter(code=code, active=True).first()
            if LIBRARY_CODE.fullmatch(code)
            else None
        )
        if library is None:
            return error(f"No library with code “{code[:40]}”.")
        library_ids = [library.pk]
    hits = search.search(query, library_ids=library_ids, staff=True, limit=SEARCH_LIMIT)
    return JsonResponse(
        {
            "query": query,
            "library": {"code": library.code, "name": library.name}
            if library
            else None,
            "hits": [hit_payload(hit, query) for hit in hits],
        }
    )


def question_of(conversation) -> str:
    """What the patron asked: the question and their first few messages."""
    from chat.models import Message

    first = (
        conversation.messages.filter(sender=Message.Sender.PATRON)
        .order_by("seq")
        .values_list("body", flat=True)[:QUESTION_MESSAGES]
    )
    parts = [conversation.question or "", *first]
    seen, text = set(), []
    for part in parts:
        part = (part or "").strip()
        if part and part not in seen:
            seen.add(part)
            text.append(part[:1000])
    return "\n".join(text)


def suggestions(question: str, library: Library) -> list[dict]:
    """The library's entries most relevant to `question`, as the desk shows
    them (staff-only sections included and flagged: staff eyes only)."""
    return [
        hit_payload(hit, question)
        for hit in search.suggest(question, library, limit=SUGGEST_LIMIT)
    ]


def ticket_question(ticket) -> str:
    """What an email ticket asks: its subject and the patron's first words."""
    parts = (ticket.subject, question_of(ticket.conversation))
    return "\n".join(part for part in parts if part)


def ticket_panel(request, ticket) -> dict:
    """The ticket page's "Policies & FAQ" panel: the patron library's
    entries for the ticket's question, and `?kb=words` searched over every
    library. The caller has checked the ticket is in the user's inboxes."""
    library = ticket.conversation.library
    query = request.GET.get("kb", "").strip()[:QUERY_CHARS]
    results = None
    if query:
        hits = search.search(query, staff=True, limit=SEARCH_LIMIT)
        results = [hit_payload(hit, query) for hit in hits]
    return {
        "library": library,
        "suggestions": suggestions(ticket_question(ticket), library),
        "query": query,
        "results": results,
    }


def _suggest_conversation(request, conversation_id: int):
    from chat import selectors
    from chat.models import Conversation

    if request.user.role not in Staff.CHAT_ROLES:
        raise PermissionError("Your role does not staff live chat.")
    conversation = (
        Conversation.objects.select_related("library")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None or not selectors.can_view(request.user, conversation):
        raise Http404("No such chat, or it is not yours.")
    return conversation, question_of(conversation)


def _suggest_ticket(request, ticket_id: int):
    from chat.models import Ticket
    from chat.services.tickets import can_work

    ticket = (
        Ticket.objects.select_related("conversation__library")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or not can_work(request.user, ticket):
        raise Http404("No such ticket in your inboxes.")
    return ticket.conversation, ticket_question(ticket)


@require_GET
@desk_api
def desk_suggest(request):
    """`?conversation=<id>` (a chat the librarian can open in the desk) or
    `?ticket=<id>` (a ticket in their inboxes; interns too): the patron
    library's entries most relevant to the patron's question."""
    given = [name for name in ("conversation", "ticket") if name in request.GET]
    if len(given) != 1:
        return error("Give either “conversation” or “ticket”, the id of one.")
    try:
        number = _id_param(request, given[0])
    except ValueError as exc:
        return error(str(exc))
    try:
        if given[0] == "conversation":
            conversation, question = _suggest_conversation(request, number)
        else:
            conversation, question = _suggest_ticket(request, number)
    except PermissionError as exc:
        return error(str(exc), 403)
    except Http404 as exc:
        return error(str(exc), 404)
    library = conversation.library
    return JsonResponse(
        {
            "library": {"code": library.code, "name": library.name},
            "question": question,
            "hits": suggestions(question, library),
        }
    )


@require_GET
@desk_api
def desk_libraries(request):
    """The libraries the desk's search can be narrowed to."""
    return JsonResponse(
        {
            "libraries": [
                {"code": code, "name": name}
                for code, name in Library.objects.active()
                .order_by("name")
                .values_list("code", "name")
            ]
        }
    )
