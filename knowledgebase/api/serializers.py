"""Serializers of the knowledge base. Every write goes through
`knowledgebase.services`; rich text comes back as stored, i.e. sanitised.

Staff-only content: the API is staff-only, but each section says its
`visibility` (and `staff_only`), a page lists its `public_sections` apart
from its `staff_only_sections`, and patron-facing addresses (`url`,
`public_url`) are only given for what patrons can open."""

from __future__ import annotations

import re

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consortium.api.generics import ServiceModelSerializer, SlugRelatedField
from consortium.models import Library
from knowledgebase import services
from knowledgebase.models import (
    CannedMessage,
    Faq,
    PolicyPage,
    PolicySection,
    Visibility,
)

LIBRARY_CODE = re.compile(r"^[a-z0-9-]{1,40}$")


def absolute(request, path: str | None) -> str | None:
    if path is None:
        return None
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


def _username_field():
    return serializers.SlugRelatedField(slug_field="username", read_only=True)


class ReasonMixin(serializers.Serializer):
    """An optional "what changed and why", kept in the entry's history."""

    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Optional; kept in the history next to the change.",
    )

    def create(self, validated_data):
        self._reason = validated_data.pop("reason", "")
        return super().create(validated_data)

    def update(self, instance, validated_data):
        self._reason = validated_data.pop("reason", "")
        return super().update(instance, validated_data)


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(PolicySection.Kind.values)}],
        "description": "The section of the policy page: "
        + ", ".join(f"`{k}` ({label})" for k, label in PolicySection.Kind.choices)
        + ".",
    }
)
class SectionKindField(serializers.ChoiceField):
    """The section's kind (its schema kept inline: `kind` names other choice
    sets elsewhere in the API)."""

    def __init__(self, **kwargs):
        super().__init__(choices=PolicySection.Kind.choices, **kwargs)


class PolicySectionSerializer(ReasonMixin, ServiceModelSerializer):
    kind = SectionKindField()
    library = serializers.CharField(
        source="page.library.code", read_only=True, help_text="Library code."
    )
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        help_text="`public`: patrons see it. `staff`: staff only, never shown "
        "to patrons.",
    )
    staff_only = serializers.SerializerMethodField()
    body = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text="Rich text (HTML); sanitised when stored, returned as stored.",
    )
    updated_by = _username_field()

    class Meta:
        model = PolicySection
        fields = [
            "id",
            "page",
            "library",
            "kind",
            "visibility",
            "staff_only",
            "body",
            "updated_at",
            "updated_by",
            "reason",
        ]
        read_only_fields = ["updated_at"]

    def get_staff_only(self, obj) -> bool:
        return obj.visibility == Visibility.STAFF

    def validate_page(self, page):
        if self.instance is not None and page.pk != self.instance.page_id:
            raise serializers.ValidationError("A section stays on its library's page.")
        return page

    def save_instance(self, instance):
        return services.section_save(
            actor=self._user, section=instance, reason=getattr(self, "_reason", "")
        )


class PageSectionSerializer(serializers.ModelSerializer):
    """A section as listed on its page (read-only)."""

    kind = SectionKindField(read_only=True)
    updated_by = _username_field()

    class Meta:
        model = PolicySection
        fields = ["id", "kind", "visibility", "body", "updated_at", "updated_by"]
        read_only_fields = fields


class PolicyPageSerializer(ServiceModelSerializer):
    library = serializers.CharField(
        source="library.code", read_only=True, help_text="Library code."
    )
    reviewed_by = _username_field()
    public_url = serializers.SerializerMethodField(
        help_text="The patron-facing page (public sections only)."
    )
    public_sections = serializers.SerializerMethodField(
        help_text="What patrons see on the public page."
    )
    staff_only_sections = serializers.SerializerMethodField(
        help_text="Staff only: never shown to patrons."
    )

    class Meta:
        model = PolicyPage
        fields = [
            "id",
            "library",
            "last_reviewed_at",
            "reviewed_by",
            "review_interval_days",
            "public_url",
            "public_sections",
            "staff_only_sections",
        ]
        read_only_fields = ["last_reviewed_at"]

    def get_public_url(self, obj) -> str:
        return absolute(self.context.get("request"), obj.get_absolute_url())

    def _sections(self, obj, visibility):
        rows = [s for s in obj.sections.all() if s.visibility == visibility]
        return PageSectionSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(PageSectionSerializer(many=True))
    def get_public_sections(self, obj):
        return self._sections(obj, Visibility.PUBLIC)

    @extend_schema_field(PageSectionSerializer(many=True))
    def get_staff_only_sections(self, obj):
        return self._sections(obj, Visibility.STAFF)

    def save_instance(self, instance):
        return services.page_save(actor=self._user, page=instance)


class LibraryCodeField(SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Library.objects.all(), **kwargs)


class FaqSerializer(ReasonMixin, ServiceModelSerializer):
    library = LibraryCodeField(help_text="Library code.")
    slug = serializers.SlugField(
        max_length=80,
        required=False,
        allow_blank=True,
        help_text="The last part of the public address; made from the question "
        "when empty.",
    )
    answer = serializers.CharField(
        help_text="Rich text (HTML); sanitised when stored, returned as stored."
    )
    url = serializers.SerializerMethodField(
        help_text="The public address to send patrons; null while unpublished."
    )
    updated_by = _username_field()

    class Meta:
        model = Faq
        fields = [
            "id",
            "library",
            "question",
            "slug",
            "answer",
            "published",
            "position",
            "url",
            "updated_at",
            "updated_by",
            "reason",
        ]
        read_only_fields = ["updated_at"]
        validators = []  # the service makes or checks the address

    def get_url(self, obj) -> str | None:
        if not obj.published:
            return None
        return absolute(self.context.get("request"), obj.get_absolute_url())

    def save_instance(self, instance):
        return services.faq_save(
            actor=self._user, faq=instance, reason=getattr(self, "_reason", "")
        )


class CannedMessageSerializer(ReasonMixin, ServiceModelSerializer):
    library = LibraryCodeField(
        required=False,
        allow_null=True,
        help_text="Library code; null for a consortium-wide message (help desk only).",
    )

    class Meta:
        model = CannedMessage
        fields = [
            "id",
            "library",
            "group",
            "key",
            "title",
            "body",
            "position",
            "reason",
        ]
        validators = []  # checked by the model's constraints on save

    def save_instance(self, instance):
        return services.canned_save(
            actor=self._user, canned=instance, reason=getattr(self, "_reason", "")
        )


# --- Versions ---------------------------------------------------------------------


class VersionSerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    when = serializers.DateTimeField(source="history_date")
    who = serializers.SerializerMethodField()
    change = serializers.SerializerMethodField()
    reason = serializers.CharField(source="history_change_reason", allow_null=True)

    def get_who(self, record) -> str | None:
        user = record.history_user
        return user.username if user is not None else None

    def get_change(self, record) -> str:
        return {"+": "created", "~": "changed", "-": "deleted"}.get(
            record.history_type, "changed"
        )


class RestoreSerializer(serializers.Serializer):
    history_id = serializers.IntegerField(
        min_value=1, help_text="A `history_id` from the entry's versions."
    )


# --- Search -----------------------------------------------------------------------


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=300, help_text="The question or words.")
    library = serializers.RegexField(
        LIBRARY_CODE,
        required=False,
        help_text="Library code (lower-case letters, digits, hyphens).",
        error_messages={"invalid": "Enter a library code such as sprc."},
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=50, default=10, required=False
    )


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="`section` or `faq`.")
    id = serializers.IntegerField()
    title = serializers.CharField()
    library = serializers.CharField(help_text="Library code.")
    staff_only = serializers.BooleanField()
    url = serializers.CharField(
        allow_null=True, help_text="Patron-facing address; null for staff-only."
    )
    excerpt = serializers.CharField()
