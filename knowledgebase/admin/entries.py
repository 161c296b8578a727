"""FAQs (K2) and canned messages (K6) in the admin. Coordinators keep their
library's; the help desk everybody's and the consortium-wide canned
messages, which coordinators see read-only and can override for their
patrons with a message of the same key. Writes go through `faq_save` and
`canned_save`; every version is kept (History)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from consortium import scoping
from consortium.admin.base import ALL
from consortium.admin.service_admin import run_service
from knowledgebase import services
from knowledgebase.admin.base import (
    KbServiceAdmin,
    ReasonForm,
    change_reason,
    library_filter,
)
from knowledgebase.admin.pages import public_url
from knowledgebase.admin.versions import VersionsMixin, plain_text
from knowledgebase.models import CannedMessage, Faq
from knowledgebase.placeholders import PLACEHOLDERS
from knowledgebase.richtext import to_text

# --- FAQs ----------------------------------------------------------------------


class FaqForm(ReasonForm):
    class Meta:
        model = Faq
        fields = ("library", "question", "slug", "answer", "published", "position")
        help_texts = {
            "slug": "The last part of the FAQ's address; made from the question "
            "when left empty. Changing it breaks links already sent to patrons.",
            "published": "Patrons can open a published FAQ at its address, and the "
            "desk suggests it.",
            "position": "Lower numbers come first on the library's FAQ page.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@admin.register(Faq)
class FaqAdmin(VersionsMixin, KbServiceAdmin):
    coordinator_can = ALL
    form = FaqForm
    history_kind = "faq"
    version_text_fields = {"answer": to_text}
    list_display = (
        "question",
        "library",
        "published",
        "position",
        "updated_at",
        "link",
    )
    list_select_related = ("library",)
    search_fields = ("question", "text", "slug")
    fields = (
        "library",
        "question",
        "answer",
        "slug",
        "public_address",
        "published",
        "position",
        "change_reason",
        "updated_at",
        "updated_by",
    )
    readonly_fields = ("public_address", "updated_at", "updated_by")

    def get_list_filter(self, request):
        return (*library_filter(request), "published")

    @admin.display(description="address")
    def link(self, obj):
        url = public_url(obj)
        if url is None:
            return "—"
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description="address to send patrons")
    def public_address(self, obj):
        if obj is None or obj.pk is None:
            return "Shown once the FAQ is saved."
        url = public_url(obj)
        if url is None:
            return "The public FAQ pages are not installed yet."
        note = (
            ""
            if obj.published
            else " Not published: patrons cannot open it until it is."
        )
        return format_html(
            '<input type="text" readonly value="{}" size="70" class="vTextField" '
            'onfocus="this.select()" aria-label="Address of this FAQ to copy"> '
            '<a href="{}" target="_blank" rel="noopener">Open</a>{}',
            absolute(url),
            url,
            note,
        )

    def save_model(self, request, obj, form, change):
        run_service(
            lambda: services.faq_save(
                actor=request.user, faq=obj, reason=change_reason(form)
            )
        )


# --- Canned messages -------------------------------------------------------------

PLACEHOLDER_MEANINGS = {
    "patron_name": "the patron's name, or “there” when they gave none",
    "librarian_name": "the answering librarian's display name",
    "librarian_library": "the answering librarian's own library",
    "library_name": "the patron's library",
    "library_hours_url": "the address of the patron's library's hours page",
    "library_url": "the patron's library's website",
    "library_faq_url": "the address of the patron's library's FAQ page",
}


def placeholder_help() -> str:
    items = format_html_join(
        "",
        "<li><code>{{{}}}</code> — {}</li>",
        ((name, PLACEHOLDER_MEANINGS.get(name, "")) for name in PLACEHOLDERS),
    )
    return format_html(
        "Sent as plain text. Placeholders, filled in when the message is used "
        "(anything else in braces is refused):<ul>{}</ul>",
        items,
    )


class CannedForm(ReasonForm):
    class Meta:
        model = CannedMessage
        fields = ("library", "group", "key", "title", "body", "position")
        help_texts = {
            "library": "Empty: every library's (the help desk's). A library's "
            "message with the same key as a consortium-wide one replaces it "
            "for that library's patrons (e.g. its own greeting or goodbye).",
            "position": "Order within the group in the chat composer.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "body" in self.fields:
            self.fields["body"].help_text = placeholder_help()


class WhoseFilter(admin.SimpleListFilter):
    title = "whose"
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        return (
            ("consortium", "Every library (consortium-wide)"),
            ("library", "A library's own"),
        )

    def queryset(self, request, queryset):
        if self.value() == "consortium":
            return queryset.filter(library__isnull=True)
        if self.value() == "library":
            return queryset.filter(library__isnull=False)
        return queryset


@admin.register(CannedMessage)
class CannedMessageAdmin(VersionsMixin, KbServiceAdmin):
    coordinator_can = ALL
    form = CannedForm
    history_kind = "canned"
    version_text_fields = {"body": plain_text}
    list_display = ("title", "group", "key", "whose", "position")
    list_select_related = ("library",)
    search_fields = ("title", "key", "body")
    fields = ("library", "group", "key", "title", "body", "position", "change_reason")

    def get_list_filter(self, request):
        return ("group", WhoseFilter, *library_filter(request))

    @admin.display(description="library", ordering="library__name")
    def whose(self, obj):
        return obj.library or "Every library"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "library":
            kwargs["empty_label"] = "— Every library (consortium-wide) —"
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self._get_visible_or_404(request, object_id)
        extra_context = {**(extra_context or {}), **self._own_version(request, obj)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _own_version(self, request, obj) -> dict:
        """For a coordinator reading a consortium-wide message: a link to
        their library's version of it, or to make one from it."""
        user = request.user
        if obj.library_id is not None or not scoping.is_coordinator(user):
            return {}
        own = CannedMessage.objects.filter(
            library_id=user.library_id, key=obj.key
        ).first()
        if own is not None:
            return {
                "own_version_url": reverse(
                    "admin:knowledgebase_cannedmessage_change", args=[own.pk]
                ),
                "own_version_label": "Your library's own version replaces it for "
                "your patrons: open it.",
            }
        query = urlencode(
            {
                "library": user.library_id,
                "group": obj.group,
                "key": obj.key,
                "title": f"{obj.title} ({user.library.name})",
                "body": obj.body,
                "position": obj.position,
            }
        )
        return {
            "own_version_url": reverse("admin:knowledgebase_cannedmessage_add")
            + f"?{query}",
            "own_version_label": "Write your library's own version (it replaces "
            "this one for your patrons).",
        }

    def save_model(self, request, obj, form, change):
        run_service(
            lambda: services.canned_save(
                actor=request.user, canned=obj, reason=change_reason(form)
            )
        )
