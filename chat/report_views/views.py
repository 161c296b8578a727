"""The `/reports/` page: filters validated with the statistics API's rules,
the sections of tables (`tables`), and the downloads (`downloads`)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.shortcuts import render

from chat import privacy, statistics
from chat.api.statistics import StatisticsQuerySerializer
from chat.models import Conversation
from chat.report_views.downloads import RECORDS, records_csv, table_csv
from chat.report_views.tables import (
    SOURCES,
    TRENDS,
    Table,
    answered_by_table,
    balance_table,
    channel_table,
    count_tables,
    hour_of_week_table,
    trend_tables,
)
from consortium import scoping
from consortium.models import Library, Queue
from consortium.sql import without_jit

C = Conversation
PRESETS = (
    ("last-month", "Last calendar month"),
    ("this-month", "This month so far"),
    ("last-7-days", "Last 7 days"),
    ("last-30-days", "Last 30 days"),
)


# --- Filters ----------------------------------------------------------------------


class ReportFilters(forms.Form):
    """What the statistics API does not take: the trend grouping and which
    CSV to download. Period, library, queue and channel are validated by
    `StatisticsQuerySerializer`, the API's own rules."""

    trend = forms.ChoiceField(
        label="Trend by", choices=TRENDS, required=False, initial="day"
    )
    csv = forms.CharField(required=False, max_length=40)


def _may_read_reports(request) -> bool:
    """The people `/api/v1/statistics/` answers (`AdminRolePermission` on
    conversations): the help desk and site coordinators."""
    return admin.site.get_model_admin(Conversation).has_view_permission(request)


def _given(query) -> dict:
    """The non-empty parameters: an empty field of the GET form means "not
    given", as it would by leaving it out of an API call."""
    return {key: value for key, value in query.items() if value.strip()}


def _errors(serializer_errors, form_errors) -> list[str]:
    """Every message, each saying which field it is about."""
    names = {
        "from": "From",
        "to": "To",
        "month": "Month",
        "period": "Period",
        "library": "Library",
        "queue": "Queue",
        "channel": "Channel",
        "trend": "Trend by",
        "csv": "Download",
        "non_field_errors": "Period",
        "__all__": "Filters",
    }
    found = []
    for errors in (serializer_errors, form_errors):
        for name, messages in errors.items():
            messages = messages if isinstance(messages, list) else [messages]
            found += [f"{names.get(name, name)}: {message}" for message in messages]
    return found


# What the tables of `tables.hour_of_week_table`, `answered_by_table` and
# `channel_table` read (`statistics.FIGURE_NAMES`).
ASKED_ONLY = ("asked",)
CHANNEL_FIGURES = ("asked", "answered", "missed", "tickets", "tickets_answered")


def _tables(
    base, *, period, trend, library, queue, channel, user, only=None
) -> list[tuple[str, list[Table]]]:
    """The page's sections, each a heading and its tables; with `only` (a
    source of `SOURCES`), only the tables read from it."""
    asked = base if library is None else base.filter(library=library)
    listed = (
        Library.objects.filter(pk=library.pk)
        if library
        else scoping.visible(Library.objects.active(), user)
    )
    narrow = {"period": period, "queue": queue, "channel": channel}

    def wanted(source):
        return only is None or only == source

    def count(conversations, by, figures=None):
        # Only the figures a table shows: the heat map is one count a row,
        # not the ~56 aggregates (and the SMS subquery) of the trend.
        return statistics.conversation_statistics(
            conversations, by=by, libraries=listed, figures=figures, **narrow
        )

    with without_jit():  # consortium.sql: JIT costs more than these queries
        over_time = count(asked, trend) if wanted("trend") else None
        heat = (
            count(asked, "hour_of_week", ASKED_ONLY) if wanted("hour_of_week") else None
        )
        channels = (
            count(asked, "channel", CHANNEL_FIGURES) if wanted("channel") else None
        )
        balance = (
            statistics.coop_balance(base, libraries=listed, **narrow)
            if wanted("balance")
            else None
        )
        answered_by = (
            count(asked, "answering_library", ASKED_ONLY)
            if library is not None and wanted("answering_library")
            else None
        )
    by_time = trend_tables(over_time, trend) if over_time else [None] * 7
    coop = [
        balance_table(balance) if balance is not None else None,
        answered_by_table(library, answered_by) if answered_by else None,
    ]
    sections = [
        ("Volume", [hour_of_week_table(heat) if heat else None, by_time[0]]),
        ("Channels", [channel_table(channels) if channels else None]),
        ("Co-op give and take", coop),
        ("Waits and missed chats", by_time[1:3]),
        ("Durations", [by_time[3]]),
        *(count_tables(over_time["totals"]) if over_time else []),
        ("Email tickets", by_time[4:6]),
        ("Text messages (SMS)", by_time[6:]),
    ]
    return [
        (heading, [t for t in tables if t is not None])
        for heading, tables in sections
        if any(t is not None for t in tables)
    ]


@login_required
def reports(request):
    user = request.user
    if not _may_read_reports(request):
        raise PermissionDenied("Reports are for site coordinators and the help desk.")
    given = _given(request.GET)
    params = StatisticsQuerySerializer(data=given, context={"request": request})
    form = ReportFilters(given)
    params_ok, form_ok = params.is_valid(), form.is_valid()
    context = {
        "form": form,
        "given": given,
        "presets": PRESETS,
        # The period shown when none is given: the serializer's default.
        "preset": given.get("period")
        or ("" if {"from", "to", "month"} & given.keys() else "last-month"),
        "trends": TRENDS,
        "libraries": scoping.visible(Library.objects.active(), user).order_by("name")
        if scoping.is_helpdesk(user)
        else None,
        # The queues the serializer accepts: their library's and the co-op's.
        "queues": scoping.visible(Queue.objects.order_by("name"), user),
        "channels": C.Channel.choices,
    }
    if not (params_ok and form_ok):
        context["errors"] = _errors(params.errors, form.errors)
        return render(request, "chat/reports/index.html", context, status=400)

    period = params.validated_data["period"]
    library = named = params.validated_data.get("library")
    if library is None and not scoping.is_helpdesk(user):
        library = user.library  # a coordinator's page is about their library
    trend = form.cleaned_data["trend"] or ("day" if period.days <= 62 else "week")
    base = privacy.visible_conversations(user)
    queue = params.validated_data.get("queue")
    channel = params.validated_data.get("channel")

    wanted = form.cleaned_data["csv"]
    if wanted == RECORDS:
        return records_csv(
            statistics.narrowed(base, period=period, queue=queue, channel=channel),
            period=period,
            library=named,
            asynchronous=isinstance(request, ASGIRequest),
        )
    if wanted and wanted not in SOURCES:
        context["errors"] = [f"Download: there is no table named “{wanted}”."]
        return render(request, "chat/reports/index.html", context, status=400)
    sections = _tables(
        base,
        period=period,
        trend=trend,
        library=library,
        queue=queue,
        channel=channel,
        user=user,
        only=SOURCES[wanted] if wanted else None,
    )
    tables = {table.name: table for _, ts in sections for table in ts}
    if wanted:
        if wanted not in tables:  # who answered: of one library's patrons only
            context["errors"] = [
                f"Download: the table “{wanted}” is of one library: choose it."
            ]
            return render(request, "chat/reports/index.html", context, status=400)
        return table_csv(tables[wanted], period)

    query = request.GET.copy()
    query.pop("csv", None)
    context.update(
        period=period,
        library=library,
        trend=trend,
        sections=sections,
        charts=[t.chart_data() for t in tables.values() if t.chart != "heat"],
        query=query.urlencode(),
        is_helpdesk=scoping.is_helpdesk(user),
    )
    return render(request, "chat/reports/index.html", context)
