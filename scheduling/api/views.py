"""REST resources of the schedule (SPEC A2): scoped like the admin, every
write through `scheduling.services` in one transaction."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from consortium.api.base import ErrorSerializer
from consortium.api.generics import (
    ActionsMixin,
    NoteSerializer,
    RequiredNoteSerializer,
    ScopedModelViewSet,
    ScopedReadViewSet,
    action_doc,
    crud_docs,
    library_filter,
    note_from,
)
from consortium.api.permissions import AdminRolePermission
from scheduling import selectors, services
from scheduling.api import serializers as s
from scheduling.models import (
    CoverageRequirement,
    ScheduleChangeRequest,
    Shift,
    ShiftSlot,
    SubstitutionRequest,
)

OPEN = SubstitutionRequest.OPEN_STATUSES


class ScheduleViewSet(ActionsMixin, ScopedModelViewSet):
    """CRUD like the consortium's resources, plus service actions."""


# --- Shifts -------------------------------------------------------------------------


def _unfilled_q():
    open_offer = SubstitutionRequest.objects.filter(
        shift=OuterRef("pk"), status__in=OPEN
    )
    return Q(status=Shift.Status.SCHEDULED) & (
        Q(assignee__isnull=True) | Q(Exists(open_offer))
    )


class ShiftFilter(django_filters.FilterSet):
    library = library_filter("library__code")
    queue = django_filters.CharFilter(field_name="queue__code", label="Queue code.")
    assignee = django_filters.CharFilter(
        field_name="assignee__username", label="Username of the assignee."
    )
    unfilled = django_filters.BooleanFilter(
        method="filter_unfilled",
        label="true: scheduled shifts nobody will cover (no assignee, or given up "
        "and not yet taken); false: the others.",
    )

    class Meta:
        model = Shift
        fields = ["library", "queue", "assignee", "status", "unfilled"]

    def filter_unfilled(self, queryset, name, value):
        return (
            queryset.filter(_unfilled_q()) if value else queryset.exclude(_unfilled_q())
        )


# `from` and `to` are a date range (the shift's local date); `from` is a keyword.
ShiftFilter.base_filters["from"] = django_filters.DateFilter(
    field_name="date", lookup_expr="gte", label="First date (YYYY-MM-DD)."
)
ShiftFilter.base_filters["to"] = django_filters.DateFilter(
    field_name="date", lookup_expr="lte", label="Last date (YYYY-MM-DD)."
)


@crud_docs(
    "shifts",
    "dated shift",
    "dated shifts",
    create=extend_schema(
        tags=["shifts"],
        summary="Add a one-off shift",
        description="Inside the queue's hours that day, in the future; the "
        "assignee must be free.",
    ),
    partial_update=extend_schema(
        tags=["shifts"],
        summary="Reassign a shift",
        description="Only `assignee` changes (null: nobody).",
    ),
)
class ShiftViewSet(ScheduleViewSet):
    """Dated shifts. `?unfilled=true` finds the shifts nobody will cover."""

    queryset = Shift.objects.select_related(
        "library", "queue", "assignee"
    ).prefetch_related(
        Prefetch("offers", queryset=SubstitutionRequest.objects.filter(status__in=OPEN))
    )
    serializer_class = s.ShiftSerializer
    filterset_class = ShiftFilter
    search_fields = ["assignee__username", "assignee__last_name", "queue__code"]
    ordering_fields = ["starts_at", "date"]
    ordering = ["starts_at", "queue__code"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_needs = {"cancel": "change"}

    @action_doc(
        "shifts",
        "Cancel a shift",
        RequiredNoteSerializer,
        s.ShiftSerializer,
        "Cancels one dated shift (its weekly shift stays); say why.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        shift = self.get_object()
        note = note_from(request, required=True)
        return self.run(
            s.ShiftSerializer,
            lambda: services.shift_cancel(
                actor=request.user, shift_id=shift.pk, note=note
            ),
        )


# --- Weekly shifts ------------------------------------------------------------------


class ShiftSlotFilter(django_filters.FilterSet):
    library = library_filter("library__code")
    queue = django_filters.CharFilter(field_name="queue__code", label="Queue code.")
    assignee = django_filters.CharFilter(
        field_name="assignee__username", label="Username of the assignee."
    )

    class Meta:
        model = ShiftSlot
        fields = ["library", "queue", "term", "weekday", "assignee"]


@crud_docs("weekly-shifts", "weekly shift", "weekly shifts")
class ShiftSlotViewSet(ScheduleViewSet):
    """Weekly shifts; the dated shifts of their term follow them. Once a term
    is under way a coordinator changes only who covers one (else: a schedule
    change request)."""

    queryset = ShiftSlot.objects.select_related("library", "queue", "term", "assignee")
    serializer_class = s.ShiftSlotSerializer
    filterset_class = ShiftSlotFilter
    ordering_fields = ["weekday", "starts"]
    ordering = ["term__start_date", "queue__code", "weekday", "starts"]

    def perform_destroy(self, instance):
        services.slot_delete(actor=self.request.user, slot=instance)


# --- Coverage gaps ------------------------------------------------------------------


class CoverageGapViewSet(viewsets.GenericViewSet):
    """Hours of a co-op queue with fewer librarians scheduled than required."""

    queryset = CoverageRequirement.objects.all()
    permission_classes = [permissions.IsAuthenticated, AdminRolePermission]
    serializer_class = s.CoverageGapSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        tags=["coverage"],
        summary="Find coverage gaps",
        parameters=[s.CoverageGapQuerySerializer],
        responses={
            200: s.CoverageGapSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="Bad parameters."),
        },
    )
    def list(self, request):
        params = s.CoverageGapQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queue = params.validated_data["queue"]
        first = params.validated_data["from"]
        zone = queue.zone
        start = selectors.local_instant(first, 0, zone)
        end = selectors.local_instant(
            first + timedelta(days=params.validated_data["days"]), 0, zone
        )
        gaps = selectors.coverage_gaps(queue, start, end)
        return Response(s.CoverageGapSerializer(gaps, many=True).data)


# --- Coverage requirements ----------------------------------------------------------


class CoverageRequirementFilter(django_filters.FilterSet):
    queue = django_filters.CharFilter(
        field_name="queue__code", label="Co-op queue code."
    )

    class Meta:
        model = CoverageRequirement
        fields = ["queue", "term", "weekday"]


@extend_schema_view(
    list=extend_schema(tags=["coverage"], summary="List coverage requirements"),
    retrieve=extend_schema(tags=["coverage"], summary="Read a coverage requirement"),
)
class CoverageRequirementViewSet(ScopedReadViewSet):
    """How many librarians each co-op queue needs, per consortium term,
    weekday and hour (SPEC S1). Everyone with admin access reads them; the
    help desk sets them, many hours at once, with `set` (the only way to
    add, change or remove them, as in the admin)."""

    queryset = CoverageRequirement.objects.select_related("queue", "term")
    serializer_class = s.CoverageRequirementSerializer
    filterset_class = CoverageRequirementFilter
    ordering_fields = ["weekday", "hour", "librarians"]
    ordering = ["queue__code", "term__start_date", "weekday", "hour"]
    action_needs = {"set_requirements": "add"}

    @action_doc(
        "coverage",
        "Set coverage requirements",
        s.RequirementsSetSerializer,
        s.RequirementsSetResultSerializer,
        "Help desk only. Requires `librarians` on a co-op queue in every hour "
        "[from_hour, to_hour) of each weekday of a consortium term, replacing "
        "the number already required there; 0 removes them. Answers the rows "
        "now in that range and notes about hours that do not exist on some "
        "dates (daylight saving).",
    )
    @action(detail=False, methods=["post"], url_path="set")
    def set_requirements(self, request):
        body = s.RequirementsSetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            notes = services.requirements_set(actor=request.user, **data)
        rows = (
            self.get_queryset()
            .filter(
                queue=data["queue"],
                term=data["term"],
                weekday__in=data["weekdays"],
                hour__gte=data["from_hour"],
                hour__lt=data["to_hour"],
            )
            .order_by("weekday", "hour")
        )
        return Response(
            {
                "notes": notes,
                "requirements": s.CoverageRequirementSerializer(rows, many=True).data,
            }
        )


# --- Substitute requests ------------------------------------------------------------


class SubstitutionRequestFilter(django_filters.FilterSet):
    library = django_filters.CharFilter(
        field_name="shift__library__code", label="Library code."
    )

    class Meta:
        model = SubstitutionRequest
        fields = ["library", "status", "stage"]


@extend_schema_view(
    list=extend_schema(tags=["substitutes"], summary="List substitute requests"),
    retrieve=extend_schema(tags=["substitutes"], summary="Read a substitute request"),
)
class SubstitutionRequestViewSet(ScopedReadViewSet):
    """Shifts given up for a substitute. The library's coordinator or the
    help desk approves or turns down a pending claim, offers it to the whole
    consortium or withdraws it."""

    queryset = SubstitutionRequest.objects.select_related(
        "shift__library", "shift__queue", "offered_by", "claimed_by", "decided_by"
    )
    serializer_class = s.SubstitutionRequestSerializer
    filterset_class = SubstitutionRequestFilter
    ordering_fields = ["created_at", "widen_at"]
    ordering = ["-created_at"]
    action_needs = dict.fromkeys(("approve", "reject", "widen", "withdraw"), "view")

    @action_doc("substitutes", "Approve a claim", None, s.SubstitutionRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self.act(
            lambda o: services.substitution_decide(
                actor=request.user, offer_id=o.pk, approve=True
            )
        )

    @action_doc(
        "substitutes",
        "Turn down a claim",
        NoteSerializer,
        s.SubstitutionRequestSerializer,
        "The shift is offered again; the claimer is told (with the note).",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        note = note_from(request)
        return self.act(
            lambda o: services.substitution_decide(
                actor=request.user, offer_id=o.pk, approve=False, note=note
            )
        )

    @action_doc(
        "substitutes",
        "Offer to the whole consortium",
        None,
        s.SubstitutionRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    def widen(self, request, pk=None):
        return self.act(
            lambda o: services.substitution_widen(actor=request.user, offer_id=o.pk)
        )

    @action_doc(
        "substitutes", "Withdraw a give-up", None, s.SubstitutionRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self.act(
            lambda o: services.substitution_withdraw(actor=request.user, offer_id=o.pk)
        )


# --- Schedule change requests -------------------------------------------------------


class ScheduleChangeRequestFilter(django_filters.FilterSet):
    library = library_filter("library__code")

    class Meta:
        model = ScheduleChangeRequest
        fields = ["library", "status", "action"]


@extend_schema_view(
    list=extend_schema(
        tags=["schedule-changes"], summary="List schedule change requests"
    ),
    retrieve=extend_schema(
        tags=["schedule-changes"], summary="Read a schedule change request"
    ),
    create=extend_schema(
        tags=["schedule-changes"],
        summary="Request a schedule change",
        description="Checked now as it would be on approval; the help desk is emailed.",
    ),
)
class ScheduleChangeRequestViewSet(mixins.CreateModelMixin, ScopedReadViewSet):
    """Coordinators request changes to the weekly shifts of a term under way;
    the help desk approves (the change is applied) or rejects with a note."""

    queryset = ScheduleChangeRequest.objects.select_related(
        "library", "requested_by", "decided_by", "queue", "term", "assignee", "slot"
    )
    serializer_class = s.ScheduleChangeRequestSerializer
    filterset_class = ScheduleChangeRequestFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    action_needs = {"approve": "decide", "reject": "decide", "withdraw": "withdraw"}

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @action_doc(
        "schedule-changes",
        "Approve a schedule change",
        NoteSerializer,
        s.ScheduleChangeRequestSerializer,
        "Applies the change to the weekly shifts (help desk only).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        note = note_from(request)
        return self.act(
            lambda r: services.change_request_decide(
                actor=request.user, request_id=r.pk, approve=True, note=note
            )
        )

    @action_doc(
        "schedule-changes",
        "Reject a schedule change",
        RequiredNoteSerializer,
        s.ScheduleChangeRequestSerializer,
        "Help desk only; the note is required and the coordinator reads it.",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        note = note_from(request, required=True)
        return self.act(
            lambda r: services.change_request_decide(
                actor=request.user, request_id=r.pk, approve=False, note=note
            )
        )

    @action_doc(
        "schedule-changes",
        "Withdraw a schedule change",
        None,
        s.ScheduleChangeRequestSerializer,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self.act(
            lambda r: services.change_request_withdraw(
                actor=request.user, request_id=r.pk
            )
        )
