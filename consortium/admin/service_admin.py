"""Admin pieces every app's admin shares: a service's refusal shown on the
form it came from (nothing half-saved), per-row reports of actions, a note
field in the actions bar, and read-only admins and inlines for history."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from consortium.admin.base import ReadOnlyMixin, ScopedAdmin, ScopedInline
from consortium.services import DomainError

# What a service raises when it refuses a write.
SERVICE_ERRORS = (DomainError, PermissionDenied, ValidationError)


class ServiceRefused(Exception):
    """`save_model` asked a service for a write and the service refused; the
    change form catches this and shows `error` on the form."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def run_service(call):
    """Run `call` (a service) in a savepoint; turn its refusal into
    `ServiceRefused`, with everything it wrote rolled back."""
    try:
        with transaction.atomic():
            return call()
    except SERVICE_ERRORS as error:
        raise ServiceRefused(error) from error


def refusal_messages(error: Exception) -> list[str]:
    if isinstance(error, DomainError):
        return [error.message]
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error) or "You are not allowed to do this."]


def add_refusal(form: forms.BaseForm, error: Exception) -> None:
    """Put a service's error on `form`: field errors on their fields when the
    form shows them, everything else above the form."""
    if not (isinstance(error, ValidationError) and hasattr(error, "error_dict")):
        form.add_error(None, refusal_messages(error))
        return
    model = getattr(getattr(form, "_meta", None), "model", None)
    for name, errors in error.error_dict.items():
        texts = ValidationError(errors).messages
        if name in form.fields:
            form.add_error(name, texts)
        elif name == NON_FIELD_ERRORS:
            form.add_error(None, texts)
        else:
            label = name.replace("_", " ")
            if model is not None:
                try:
                    label = str(model._meta.get_field(name).verbose_name)
                except FieldDoesNotExist:
                    pass
            form.add_error(None, [f"{label.capitalize()}: {text}" for text in texts])


class ServiceAdmin(ScopedAdmin):
    """A scoped admin whose `save_model` writes through a service that may
    refuse after the form validated (hours, overlaps, a term under way).

    `save_model` calls `run_service`; a refusal aborts the save (the service's
    savepoint is rolled back, so nothing is half-saved) and the change form is
    built again from the same POST with the service's message added to the
    form, so the user sees it next to the fields they typed, as for any other
    validation error. The service runs once per submission.
    """

    def _changeform_view(self, request, object_id, form_url, extra_context):
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            request._service_refusal = refused.error
            return super()._changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_service_refusal", None)
        if error is None:
            return form

        class Refused(form):
            def _post_clean(self):
                super()._post_clean()
                add_refusal(self, error)

        Refused.__name__ = form.__name__
        return Refused

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refused:
            # The delete view's transaction rolled back its log entry too.
            for text in refusal_messages(refused.error):
                self.message_user(request, text, messages.ERROR)
            opts = self.opts
            return admin_redirect(
                f"admin:{opts.app_label}_{opts.model_name}_change", object_id
            )


def admin_redirect(name: str, *args) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name, args=args))


def each(modeladmin, request, queryset, act, done: str) -> int:
    """Run a service for each selected row; report how many worked and, per
    row, why the others did not."""
    ok = 0
    for obj in queryset:
        try:
            with transaction.atomic():
                act(obj)
            ok += 1
        except SERVICE_ERRORS as error:
            for text in refusal_messages(error):
                modeladmin.message_user(request, f"{obj}: {text}", messages.ERROR)
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", messages.SUCCESS)
    return ok


class NoteActionForm(helpers.ActionForm):
    """The actions bar with a note, for actions that record why."""

    note = forms.CharField(
        label="Note:",
        required=False,
        max_length=300,
        widget=forms.TextInput(
            attrs={"size": 40, "placeholder": "Why (kept in the history)"}
        ),
    )


def action_note(request) -> str:
    return (request.POST.get("note") or "").strip()


def who(user) -> str:
    return user.get_full_name() or user.username


class ReadOnlyInline(ReadOnlyMixin, ScopedInline):
    """History shown under a row: nobody edits it here."""

    extra = 0
    can_delete = False


class ReadOnlyAdmin(ReadOnlyMixin, ScopedAdmin):
    pass
