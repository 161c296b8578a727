"""REST resources of the knowledge base: scoped and permitted like the admin
(`consortium.api.permissions`), every write through `knowledgebase.services`."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from consortium import scoping
from consortium.api.generics import (
    ScopedModelViewSet,
    crud_docs,
    etag_of,
    library_filter,
)
from consortium.api.permissions import AdminRolePermission, model_admin
from consortium.models import Library
from knowledgebase import search, services
from knowledgebase.api import serializers as s
from knowledgebase.models import CannedMessage, Faq, PolicyPage, PolicySection


class ChangeActionPermission(AdminRolePermission):
    """For actions on a row (`mark-reviewed`, `restore`): reading needs the
    admin's view permission, anything else its change permission."""

    def has_object_permission(self, request, view, obj):
        ma = model_admin(type(obj))
        if request.method in permissions.SAFE_METHODS:
            return ma.has_view_permission(request, obj)
        if not ma.has_change_permission(request, obj):
            self.message = (
                "You can only change your own library's records."
                if scoping.is_coordinator(request.user)
                else "You are not allowed to change this record."
            )
            return False
        return True


ACTION_PERMISSIONS = [permissions.IsAuthenticated, ChangeActionPermission]


class VersionsMixin:
    """`GET <id>/versions/` and `POST <id>/restore/` over the entry's
    django-simple-history records, restoring through
    `services.history_restore` (itself a new version)."""

    history_kind: str = ""

    def _versions(self, request, pk=None):
        obj = self.get_object()
        records = obj.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )
        return Response(s.VersionSerializer(records, many=True).data)

    @transaction.atomic
    def _restore(self, request, pk=None):
        obj = self.get_object()
        body = s.RestoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        history_id = body.validated_data["history_id"]
        if not obj.history.filter(history_id=history_id).exists():
            raise exceptions.ValidationError(
                {"history_id": ["Not a version of this entry."]}
            )
        restored = services.history_restore(
            actor=request.user, kind=self.history_kind, history_id=history_id
        )
        restored = self.get_queryset().get(pk=restored.pk)
        data = self.get_serializer(restored).data
        return Response(data, headers={"ETag": etag_of(data)})


def _version_actions(tag: str, noun: str):
    """The two actions, documented, for a viewset of `noun`s."""

    @extend_schema(
        tags=[tag],
        summary=f"List a {noun}'s versions (who, when, why)",
        responses=s.VersionSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=ACTION_PERMISSIONS,
        pagination_class=None,
        filter_backends=[],
    )
    def versions(self, request, pk=None):
        return self._versions(request, pk)

    @extend_schema(
        tags=[tag],
        summary=f"Restore an earlier version of a {noun}",
        request=s.RestoreSerializer,
        responses={200: OpenApiResponse(description=f"The restored {noun}.")},
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=ACTION_PERMISSIONS,
        filter_backends=[],
    )
    def restore(self, request, pk=None):
        return self._restore(request, pk)

    return versions, restore


# --- Policy pages -----------------------------------------------------------------


class PolicyPageFilter(django_filters.FilterSet):
    library = library_filter("library__code")

    class Meta:
        model = PolicyPage
        fields = ["library"]


@crud_docs("knowledge base", "policy page", "policy pages", delete=False, create=False)
class PolicyPageViewSet(ScopedModelViewSet):
    """Each library's policy page with its sections, public and staff-only
    listed apart. The help desk changes the review interval; the library's
    coordinator (or the help desk) marks it reviewed."""

    queryset = PolicyPage.objects.select_related(
        "library", "reviewed_by"
    ).prefetch_related(
        Prefetch(
            "sections",
            queryset=PolicySection.objects.select_related("updated_by").order_by(
                "kind", "visibility"
            ),
        )
    )
    serializer_class = s.PolicyPageSerializer
    filterset_class = PolicyPageFilter
    search_fields = ["library__name", "library__code"]
    ordering_fields = ["last_reviewed_at", "library__name"]
    ordering = ["library__name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        # Every library has its page (made on first use): none is added here,
        # so the list takes no POST (405) and its `Allow` offers none.
        if actions:
            actions = {m: a for m, a in actions.items() if a != "create"}
        return super().as_view(actions, **initkwargs)

    @extend_schema(
        tags=["knowledge base"],
        summary="Mark a policy page reviewed today",
        request=None,
        responses=s.PolicyPageSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="mark-reviewed",
        permission_classes=ACTION_PERMISSIONS,
        filter_backends=[],
    )
    @transaction.atomic
    def mark_reviewed(self, request, pk=None):
        page = self.get_object()
        services.page_mark_reviewed(actor=request.user, page_id=page.pk)
        data = self.get_serializer(self.get_queryset().get(pk=page.pk)).data
        return Response(data, headers={"ETag": etag_of(data)})


# --- Policy sections --------------------------------------------------------------


class PolicySectionFilter(django_filters.FilterSet):
    library = library_filter("page__library__code")

    class Meta:
        model = PolicySection
        fields = ["library", "kind", "visibility"]


@crud_docs("knowledge base", "policy section", "policy sections", delete=False)
class PolicySectionViewSet(VersionsMixin, ScopedModelViewSet):
    """Sections of the policy pages, each `public` or `staff` (never shown
    to patrons). Bodies are sanitised when stored. A section is not deleted
    (as in the admin): one that does not apply is left empty."""

    queryset = PolicySection.objects.select_related("page__library", "updated_by")
    serializer_class = s.PolicySectionSerializer
    filterset_class = PolicySectionFilter
    search_fields = ["text", "page__library__name", "page__library__code"]
    ordering_fields = ["kind", "visibility", "updated_at"]
    ordering = ["page__library__name", "kind", "visibility"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    history_kind = "section"

    versions, restore = _version_actions("knowledge base", "policy section")


# --- FAQs -------------------------------------------------------------------------


class FaqFilter(django_filters.FilterSet):
    library = library_filter("library__code")

    class Meta:
        model = Faq
        fields = ["library", "published"]


@crud_docs("knowledge base", "FAQ", "FAQs")
class FaqViewSet(VersionsMixin, ScopedModelViewSet):
    """Public questions and answers of each library; `url` is the address to
    send patrons (null while unpublished)."""

    queryset = Faq.objects.select_related("library", "updated_by")
    serializer_class = s.FaqSerializer
    filterset_class = FaqFilter
    search_fields = ["question"]
    ordering_fields = ["position", "question", "updated_at"]
    ordering = ["library__name", "position", "question"]
    history_kind = "faq"

    versions, restore = _version_actions("knowledge base", "FAQ")


# --- Canned messages --------------------------------------------------------------


class CannedMessageFilter(django_filters.FilterSet):
    library = library_filter("library__code")
    consortium = django_filters.BooleanFilter(
        field_name="library", lookup_expr="isnull", label="Consortium-wide only."
    )

    class Meta:
        model = CannedMessage
        fields = ["library", "consortium", "group", "key"]


@crud_docs("knowledge base", "canned message", "canned messages")
class CannedMessageViewSet(VersionsMixin, ScopedModelViewSet):
    """Canned chat messages: consortium-wide (`library: null`, the help
    desk's; coordinators read them) and each library's own, which override
    the consortium-wide message with the same `key`. Unknown placeholders
    are refused (400)."""

    queryset = CannedMessage.objects.select_related("library")
    serializer_class = s.CannedMessageSerializer
    filterset_class = CannedMessageFilter
    search_fields = ["title", "key", "body"]
    ordering_fields = ["group", "position", "title", "key"]
    ordering = ["group", "position", "title"]
    history_kind = "canned"

    versions, restore = _version_actions("knowledge base", "canned message")


# --- Search -----------------------------------------------------------------------


class KbSearchViewSet(viewsets.ViewSet):
    """Full-text search over policy sections (staff-only ones included: the
    API is for staff) and published FAQs, most relevant first. A
    coordinator searches their own library only."""

    queryset = PolicySection.objects.none()  # whose admin answers permissions
    lookup_field = "pk"
    lookup_url_kwarg = None
    permission_classes = [permissions.IsAuthenticated, AdminRolePermission]

    @extend_schema(
        tags=["knowledge base"],
        summary="Search policy sections and FAQs",
        parameters=[s.SearchQuerySerializer],
        responses={
            200: s.SearchHitSerializer(many=True),
            400: OpenApiResponse(
                description="Missing `q`, or a malformed or unknown library."
            ),
        },
    )
    def list(self, request):
        params = s.SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["q"]
        libraries = scoping.visible(
            Library.objects.all(), request.user, include_shared=False
        )
        code = params.validated_data.get("library")
        if code:
            libraries = libraries.filter(code=code)
        library_ids = list(libraries.values_list("pk", flat=True))
        if code and not library_ids:
            raise exceptions.ValidationError({"library": ["No such library."]})
        if scoping.is_helpdesk(request.user) and not code:
            library_ids = None  # every library
        hits = search.search(
            query,
            library_ids=library_ids,
            staff=True,
            limit=params.validated_data["limit"],
        )
        data = [
            {
                "kind": hit.kind,
                "id": hit.obj.pk,
                "title": hit.title,
                "library": hit.library.code,
                "staff_only": hit.staff_only,
                "url": None
                if hit.staff_only
                else s.absolute(request, hit.obj.get_absolute_url()),
                "excerpt": search.excerpt(hit, query),
            }
            for hit in hits
        ]
        return Response(s.SearchHitSerializer(data, many=True).data)
