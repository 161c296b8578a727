"""What the knowledge-base admins share: writes through the services with a
refusal shown on the form (all or nothing, even when one submission saves a
page and several sections), a "why" field kept in the history, and the
library filter."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from js_asset import Media as JsMedia

from consortium import scoping
from consortium.admin.service_admin import ServiceAdmin, ServiceRefused
from knowledgebase.admin.templates import template

STAFF_ONLY_HELP = (
    "Public text is shown to patrons. "
    '<strong class="kb-staff-note">Staff only — never shown to patrons:</strong> '
    "librarians see it in the desk, patrons never do. Put database and proxy "
    "login help for co-op staff there, never in a public section."
)


class ReasonForm(forms.ModelForm):
    """A form of a versioned entry, with an optional note for the history."""

    change_reason = forms.CharField(
        label="What changed and why",
        required=False,
        max_length=100,
        help_text="Optional; kept in the history next to your change.",
    )


def change_reason(form) -> str:
    return (form.cleaned_data.get("change_reason") or "").strip()


# sha256 of the <style> tiptap injects (django-prose-editor 0.28's editor.js).
TIPTAP_BASE_STYLE = "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"


class KbServiceAdmin(ServiceAdmin):
    """`ServiceAdmin` (a service's refusal shown on the form it came from)
    for submissions that call several services: the first attempt runs in a
    savepoint, so when the last of them refuses, what the others wrote is
    rolled back too and the form comes back with the message — nothing is
    half-saved."""

    def _changeform_view(self, request, object_id, form_url, extra_context):
        attempt = super(ServiceAdmin, self)._changeform_view
        try:
            with transaction.atomic():
                return attempt(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request._service_refusal = refused.error
            return attempt(request, object_id, form_url, extra_context)

    class Media:
        # The staff-only and overdue marks of the change lists, too.
        css = {"all": ["knowledgebase/admin.css"]}

    @property
    def change_form_template(self):
        return template("change_form")

    def render_change_form(self, request, context, *args, **kwargs):
        # The rich-text editor's import map is an inline <script
        # type="importmap">: it carries the request's CSP nonce (django-csp
        # then adds the nonce to this response's script-src).
        context["media"] = JsMedia.from_media(context["media"], nonce=request.csp_nonce)
        response = super().render_change_form(request, context, *args, **kwargs)
        # Tiptap (inside the editor's bundle) inserts its base <style> with no
        # nonce: that one stylesheet is allowed by its hash. A new editor
        # version with other base styles fails the browser tests' CSP check.
        response._csp_update = {"style-src": [TIPTAP_BASE_STYLE]}
        return response

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only (a consortium-wide canned message for a coordinator):
        # there is no change to give a reason for.
        return [
            (
                name,
                {
                    **options,
                    "fields": [f for f in options["fields"] if f != "change_reason"],
                },
            )
            for name, options in fieldsets
        ]


def library_filter(request, path: str = "library") -> tuple:
    """The library filter, for the help desk only (a coordinator has one)."""
    if scoping.is_helpdesk(request.user):
        return ((path, admin.RelatedOnlyFieldListFilter),)
    return ()
