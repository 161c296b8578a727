"""Public pages of the consortium core: the library list, each library's
hours page, the "Chat now" status and embed script; and the staff form for
reporting a technical problem."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from consortium import selectors, services
from consortium.models import (
    Closure,
    ConsortiumSettings,
    Holiday,
    Library,
    PostedHours,
    TermType,
)


def home(request):
    return render(
        request,
        "consortium/home.html",
        {"config": ConsortiumSettings.load(), "libraries": Library.objects.active()},
    )


def library_list(request):
    now = timezone.now()
    rows = [selectors.library_status(lib, now) for lib in Library.objects.active()]
    return render(
        request,
        "consortium/library_list.html",
        {"config": ConsortiumSettings.load(), "statuses": rows},
    )


def library_hours(request, code: str):
    library = get_object_or_404(Library, code=code, active=True)
    now = timezone.now()
    today = now.astimezone(library.zone).date()
    status = selectors.library_status(library, now)
    queues = []
    for queue_status in status.queues:
        table = selectors.posted_hours_table(queue_status.queue)
        terms: list[dict] = []
        for term_type in TermType.values:
            if term_type not in table:
                continue
            days = [
                (label, [(r.opens, r.closes) for r in table[term_type].get(day, [])])
                for day, label in PostedHours.Weekday.choices
            ]
            # Term types with the same hours share one table.
            same = next((t for t in terms if t["days"] == days), None)
            if same:
                same["labels"].append(TermType(term_type).label)
            else:
                terms.append({"labels": [TermType(term_type).label], "days": days})
        queues.append({"status": queue_status, "terms": terms})
    term = selectors.term_on(library_id=library.pk, day=today)
    return render(
        request,
        "consortium/library_hours.html",
        {
            "library": library,
            "status": status,
            "queues": queues,
            "term": term,
            "holidays": Holiday.objects.filter(end_date__gte=today)[:10],
            "closures": Closure.objects.filter(library=library, end_date__gte=today),
            "config": ConsortiumSettings.load(),
        },
    )


STATUS_CACHE_SECONDS = 10


def _status_payload(library: Library, hours_url: str) -> dict:
    status = selectors.library_status(library)
    return {
        "library": library.code,
        "name": library.name,
        "online": status.online,
        "hours_url": hours_url,
        "queues": [
            {
                "code": s.queue.code,
                "open": s.open,
                "online": s.online,
                "next_opening": s.next_opening.isoformat() if s.next_opening else None,
            }
            for s in status.queues
        ],
    }


@require_GET
@cache_control(max_age=STATUS_CACHE_SECONDS, public=True)
def widget_status(request, code: str):
    """What the "Chat now" button reads: is chat online for this library now?

    Every page view of every member library's site polls this, so the answer
    is shared through the cache for a few seconds across all web processes.
    """
    library = Library.objects.filter(code=code).first()
    if library is None:
        response = JsonResponse(
            {"error": f"No library with code “{code}”."}, status=404
        )
    else:
        hours_url = request.build_absolute_uri(library.get_absolute_url())
        payload = cache.get_or_set(
            f"library-status:{library.pk}:{hours_url}",
            lambda: _status_payload(library, hours_url),
            STATUS_CACHE_SECONDS,
        )
        response = JsonResponse(payload)
    # Public information, read by the button on any member library's site.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
@cache_control(max_age=300, public=True)
def embed_js(request):
    return render(
        request, "consortium/embed.js", content_type="text/javascript; charset=utf-8"
    )


class ProblemReportForm(forms.Form):
    summary = forms.CharField(max_length=200, label="What went wrong?")
    details = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="What you did, what you expected and what happened instead.",
    )
    page_url = forms.CharField(max_length=500, required=False, label="Page (if any)")


@login_required
def problem_report_new(request):
    form = ProblemReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.problem_report_create(
            actor=request.user,
            browser=request.headers.get("User-Agent", ""),
            **form.cleaned_data,
        )
        messages.success(request, "Thank you. The help desk has your report.")
        return redirect("problem-report-new")
    return render(request, "consortium/problem_report_form.html", {"form": form})


@login_required
def directory(request):
    """Search the consortium's liaisons and referral agreements."""
    query = request.GET.get("q", "")[:200]
    liaisons, referrals = selectors.referral_directory(query)
    return render(
        request,
        "consortium/directory.html",
        {"query": query, "liaisons": liaisons[:100], "referrals": referrals[:100]},
    )
