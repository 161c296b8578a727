"""REST resources of the consortium core (SPEC A1-A2): scoped like the admin,
writing through the services."""

from __future__ import annotations

import django_filters

from consortium.api import serializers as s
from consortium.api.generics import ScopedModelViewSet, crud_docs, library_filter
from consortium.models import (
    Closure,
    Holiday,
    Library,
    PostedHours,
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
