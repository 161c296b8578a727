"""REST resources of the consortium core (SPEC A1-A2): scoped like the admin,
writing through the services."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action

from consortium import services
from consortium.api import serializers as s
from consortium.api.generics import (
    ScopedModelViewSet,
    ScopedReadViewSet,
    action_doc,
    crud_docs,
    library_filter,
)
from consortium.models import (
    Announcement,
    Closure,
    Holiday,
    Library,
    PostedHours,
    ProblemReport,
    Queue,
    Staff,
    Term,
)


class LibraryFilter(django_filters.FilterSet):
    class Meta:
        model = Library
        fields = ["code", "library_type", "active"]


@crud_docs("libraries", "library", "libraries")
class LibraryViewSet(ScopedModelViewSet):
    """Member libraries. The help desk adds and changes them; a site
    coordinator reads and changes their own (not its name, code, type, co-op
    memberships or active flag)."""

    queryset = Library.objects.prefetch_related("coops")
    serializer_class = s.LibrarySerializer
    filterset_class = LibraryFilter
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code", "library_type"]
    ordering = ["name"]


class QueueFilter(django_filters.FilterSet):
    library = library_filter("library__code")

    class Meta:
        model = Queue
        fields = ["library", "kind", "active"]


@crud_docs("queues", "queue", "queues")
class QueueViewSet(ScopedModelViewSet):
    """Chat queues: a library's local queues and the consortium's co-op
    queues. Coordinators read their own and the co-op queues and change some
    settings of their own."""

    queryset = Queue.objects.select_related("library")
    serializer_class = s.QueueSerializer
    filterset_class = QueueFilter
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name", "kind"]
    ordering = ["kind", "code"]


class PostedHoursFilter(django_filters.FilterSet):
    library = library_filter("queue__library__code")
    queue = django_filters.CharFilter(field_name="queue__code", label="Queue code.")

    class Meta:
        model = PostedHours
        fields = ["library", "queue", "term_type", "weekday"]


@crud_docs("hours", "posted-hours row", "posted hours")
class PostedHoursViewSet(ScopedModelViewSet):
    """Posted hours of each queue by term type and weekday."""

    queryset = PostedHours.objects.select_related("queue__library")
    serializer_class = s.PostedHoursSerializer
    filterset_class = PostedHoursFilter
    search_fields = ["queue__code", "queue__name"]
    ordering_fields = ["weekday", "opens", "term_type"]
    ordering = ["queue__code", "term_type", "weekday", "opens"]


class TermFilter(django_filters.FilterSet):
    library = library_filter("library__code")
    consortium = django_filters.BooleanFilter(
        field_name="library", lookup_expr="isnull", label="Consortium calendar only."
    )

    class Meta:
        model = Term
        fields = ["library", "consortium", "term_type"]


@crud_docs("terms", "term", "terms")
class TermViewSet(ScopedModelViewSet):
    """Dated terms: the consortium calendar (no library) and libraries' own."""

    queryset = Term.objects.select_related("library")
    serializer_class = s.TermSerializer
    filterset_class = TermFilter
    search_fields = ["name"]
    ordering_fields = ["start_date", "end_date", "name"]
    ordering = ["start_date"]


@crud_docs("holidays", "holiday", "holidays")
class HolidayViewSet(ScopedModelViewSet):
    """Consortium holidays (every queue closed). The help desk's; coordinators
    read them."""

    queryset = Holiday.objects.all()
    serializer_class = s.HolidaySerializer
    filterset_fields = ["start_date", "end_date"]
    search_fields = ["name"]
    ordering_fields = ["start_date", "name"]
    ordering = ["start_date"]


class ClosureFilter(django_filters.FilterSet):
    library = library_filter("library__code")

    class Meta:
        model = Closure
        fields = ["library", "forwards_tickets"]


@crud_docs("closures", "closure", "closures")
class ClosureViewSet(ScopedModelViewSet):
    """Days a library is closed. A closure longer than the consortium's limit
    forwards the library's tickets to the help desk, which is told by email."""

    queryset = Closure.objects.select_related("library")
    serializer_class = s.ClosureSerializer
    filterset_class = ClosureFilter
    search_fields = ["reason", "library__name"]
    ordering_fields = ["start_date", "end_date"]
    ordering = ["start_date"]


class StaffFilter(django_filters.FilterSet):
    library = library_filter("library__code")
    active = django_filters.BooleanFilter(field_name="is_active")

    class Meta:
        model = Staff
        fields = ["library", "role", "active"]


@crud_docs("staff", "staff member", "staff")
class StaffViewSet(ScopedModelViewSet):
    """Staff accounts. Coordinators manage their own library's staff; only
    the help desk creates help-desk accounts. Passwords are write-only."""

    queryset = Staff.objects.select_related("library")
    serializer_class = s.StaffSerializer
    filterset_class = StaffFilter
    search_fields = ["username", "first_name", "last_name", "email", "display_name"]
    ordering_fields = ["username", "last_name", "role"]
    ordering = ["username"]


class AnnouncementFilter(django_filters.FilterSet):
    current = django_filters.BooleanFilter(
        method="filter_current",
        label="true: shown on the desk now (published, not expired); false: "
        "the others (scheduled or expired).",
    )

    class Meta:
        model = Announcement
        fields = ["current", "email_staff"]

    def filter_current(self, queryset, name, value):
        current = Announcement.objects.current().values("pk")
        return (
            queryset.filter(pk__in=current)
            if value
            else queryset.exclude(pk__in=current)
        )


@crud_docs("announcements", "announcement", "announcements")
class AnnouncementViewSet(ScopedModelViewSet):
    """Help-desk news shown on the desk (SPEC C6). The help desk posts,
    changes and deletes them; coordinators read them. With `email_staff` the
    announcement is emailed once to every active staff member after it is
    saved (`emailed_at` says when)."""

    queryset = Announcement.objects.select_related("author")
    serializer_class = s.AnnouncementSerializer
    filterset_class = AnnouncementFilter
    search_fields = ["title", "body"]
    ordering_fields = ["published_at", "expires_at", "title"]
    ordering = ["-published_at"]


class ProblemReportFilter(django_filters.FilterSet):
    library = library_filter("library__code")

    class Meta:
        model = ProblemReport
        fields = ["status", "library"]


@extend_schema_view(
    list=extend_schema(tags=["problem reports"], summary="List problem reports"),
    retrieve=extend_schema(tags=["problem reports"], summary="Read a problem report"),
)
class ProblemReportViewSet(ScopedReadViewSet):
    """Technical problems staff report from the desk (SPEC C7): the help desk
    sees them all and resolves them; a coordinator reads their library's.
    Nobody files them here: the person who had the problem does, from the
    desk."""

    queryset = ProblemReport.objects.select_related(
        "reporter", "library", "resolved_by"
    )
    serializer_class = s.ProblemReportSerializer
    filterset_class = ProblemReportFilter
    search_fields = ["summary", "details", "reporter__username"]
    ordering_fields = ["created_at", "resolved_at"]
    ordering = ["-created_at"]
    action_needs = {"resolve": "change"}

    @action_doc(
        "problem reports",
        "Resolve a problem report",
        s.ResolutionSerializer,
        s.ProblemReportSerializer,
        "Help desk only. Say how it was resolved; a resolved report stays "
        "resolved (400).",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        report = self.get_object()
        body = s.ResolutionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.run(
            s.ProblemReportSerializer,
            lambda: services.problem_report_resolve(
                actor=request.user,
                report_id=report.pk,
                resolution=body.validated_data["resolution"],
            ),
        )
