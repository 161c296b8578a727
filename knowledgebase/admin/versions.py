"""K5 in the admin: the versions of a policy section, FAQ or canned message
(kept by django-simple-history) with who, when and why, a diff between a
version and the one before it (or any other), and "Restore this version"
(`services.history_restore`, itself a new version).

For these models the change form's "History" button opens this page instead
of the django-auditlog trail the other scoped admins show: simple-history
records every version of the knowledge base with its author and whole
content, so it is the one complete account of their changes (auditlog does
not track them). The pages follow the admin's scoping: another library's
entry is a 404, a consortium-wide canned message is read-only for a
coordinator (no restore).

Everything shown is escaped: diffs are built from the entries' plain text
with `format_html`, never from their markup.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from consortium import scoping
from consortium.admin.service_admin import SERVICE_ERRORS, refusal_messages, who
from knowledgebase import services
from knowledgebase.admin.templates import template

CHANGE_TYPES = {"+": "Created", "~": "Changed", "-": "Deleted"}
CONTEXT_LINES = 2
MAX_ROWS = 200
MAX_OTHERS = 200  # versions offered to compare with
_TOKEN = re.compile(r"\s+|\S+")


# --- Diffs ---------------------------------------------------------------------


def _line(kind: str, content: SafeString) -> SafeString:
    sign, label = {"del": ("−", "Removed: "), "add": ("+", "Added: ")}.get(
        kind, ("", "")
    )
    return format_html(
        '<div class="kb-line kb-{}"><span class="kb-sign" aria-hidden="true">{}'
        '</span><span class="kb-sr">{}</span>{}</div>',
        kind,
        sign,
        label,
        content,
    )


def _word_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """Two changed lines with the words that differ in <del> and <ins>."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    before, after = [], []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            before.append(conditional_escape(left))
            after.append(conditional_escape(right))
            continue
        if left:
            before.append(format_html("<del>{}</del>", left))
        if right:
            after.append(format_html("<ins>{}</ins>", right))
    # Every piece was escaped or built with format_html above.
    return mark_safe("".join(before)), mark_safe("".join(after))


def text_diff(old: str, new: str) -> SafeString:
    """Line by line (a line is a paragraph or list item of rich text), with
    the changed words marked inside changed lines; long unchanged stretches
    are folded. Every piece of text is escaped."""
    a, b = old.splitlines(), new.splitlines()
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    rows: list[SafeString] = []
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = a[i1:i2]
            head = same[:CONTEXT_LINES] if n > 0 else []
            tail = same[-CONTEXT_LINES:] if n < len(opcodes) - 1 else []
            if len(same) > len(head) + len(tail) + 1:
                hidden = len(same) - len(head) - len(tail)
                rows += [_line("same", conditional_escape(x)) for x in head]
                rows.append(
                    _line("skip", format_html("… {} unchanged lines …", hidden))
                )
                rows += [_line("same", conditional_escape(x)) for x in tail]
            else:
                rows += [_line("same", conditional_escape(x)) for x in same]
            continue
        old_lines, new_lines = a[i1:i2], b[j1:j2]
        for k in range(max(len(old_lines), len(new_lines))):
            left = old_lines[k] if k < len(old_lines) else None
            right = new_lines[k] if k < len(new_lines) else None
            if left is not None and right is not None:
                before, after = _word_diff(left, right)
                rows += [_line("del", before), _line("add", after)]
            elif left is not None:
                rows.append(_line("del", format_html("<del>{}</del>", left)))
            else:
                rows.append(_line("add", format_html("<ins>{}</ins>", right)))
    if not rows:
        rows.append(_line("skip", format_html("{}", "(empty)")))
    # The rows are format_html results: joining them keeps them safe.
    return format_html('<div class="kb-diff">{}</div>', mark_safe("".join(rows)))


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class TextChange:
    label: str
    diff: SafeString


def display_value(field, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _value(record, name: str):
    try:
        return getattr(record, name)
    except ObjectDoesNotExist:
        return None


def compare(
    old, new, *, text_fields: dict[str, Callable[[str], str]], skip: frozenset[str]
) -> tuple[list[FieldChange], list[TextChange]]:
    """What changed from history record `old` (None: nothing before) to `new`:
    text fields as diffs of their plain text, the others as before/after."""
    model = new.instance_type
    names = [f.name for f in new.tracked_fields if f.editable and f.name not in skip]
    if old is None:
        changed = [
            (name, None, _value(new, name))
            for name in names
            if _value(new, name) not in (None, "")
        ]
    else:
        delta = new.diff_against(old, included_fields=names, foreign_keys_are_objs=True)
        changed = [(c.field, c.old, c.new) for c in delta.changes]
    fields, texts = [], []
    for name, before, after in changed:
        field = model._meta.get_field(name)
        label = capfirst(str(field.verbose_name))
        if name in text_fields:
            plain = text_fields[name]
            texts.append(TextChange(label, text_diff(plain(before), plain(after))))
        else:
            fields.append(
                FieldChange(
                    label, display_value(field, before), display_value(field, after)
                )
            )
    return fields, texts


def plain_text(value) -> str:
    return str(value or "")


# --- Rows of the versions page ------------------------------------------------


def when_label(record) -> str:
    return date_format(timezone.localtime(record.history_date), "DATETIME_FORMAT")


def version_row(record, *, url: str | None, **extra) -> dict:
    return {
        "when": record.history_date,
        "who": who(record.history_user) if record.history_user else "—",
        "change": CHANGE_TYPES.get(record.history_type, record.history_type),
        "reason": record.history_change_reason or "",
        "url": url,
        **extra,
    }


def history_context(modeladmin, request, obj, **extra) -> dict:
    return {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "object": obj,
        **extra,
    }


class VersionsMixin:
    """The versions pages of a scoped admin whose model has `history`.

    `history_kind` names the model for `services.history_restore`;
    `version_text_fields` maps fields shown as text diffs to the function
    that makes their plain text."""

    history_kind: str = ""
    version_text_fields: dict[str, Callable[[str], str]] = {}
    version_skip = frozenset({"id", "updated_by"})

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/history/<int:history_id>/restore/",
                wrap(self.restore_view),
                name="{}_{}_restore".format(*info),
            ),
            path(
                "<path:object_id>/history/<int:history_id>/",
                wrap(self.version_view),
                name="{}_{}_version".format(*info),
            ),
            *super().get_urls(),
        ]

    def _url(self, view: str, *args) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse("admin:{}_{}_{}".format(*info, view), args=args)

    def _versioned_or_404(self, request, object_id):
        """The entry as the user may see it, and whether it was deleted. A
        deleted entry is found through its last version, scoped the same
        way; anything else out of scope does not exist (404)."""
        try:
            pk = self.opts.pk.to_python(unquote(object_id))
        except ValidationError as exc:
            raise Http404 from exc
        obj = self.get_queryset(request).filter(pk=pk).first()
        if obj is not None:
            if not self.has_view_permission(request, obj):
                raise PermissionDenied
            return obj, False
        last = self.model.history.filter(id=pk).order_by("-history_date").first()
        if last is None or last.history_type != "-":
            raise Http404(f"No {self.opts.verbose_name} with this id.")
        instance = last.instance
        if not scoping.owns(request.user, instance):
            raise Http404(f"No {self.opts.verbose_name} with this id.")
        return instance, True

    def _may_restore(self, request, obj) -> bool:
        return self.has_change_permission(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        obj, deleted = self._versioned_or_404(request, object_id)
        records = list(
            self.model.history.filter(id=obj.pk)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[: MAX_ROWS + 1]
        )
        may_restore = self._may_restore(request, obj)
        rows = [
            version_row(
                record,
                url=self._url("version", obj.pk, record.history_id),
                current=index == 0 and not deleted,
                can_restore=may_restore and (index > 0 or deleted),
            )
            for index, record in enumerate(records[:MAX_ROWS])
        ]
        context = history_context(
            self,
            request,
            obj,
            title=f"History of “{obj}”",
            crumb="History",
            deleted=deleted,
            object_url=None if deleted else self._url("change", obj.pk),
            intro="Every saved version, newest first: who changed it, when and "
            "why. Open one to see what changed and to restore it.",
            rows=rows,
            truncated=len(records) > MAX_ROWS,
            **(extra_context or {}),
        )
        return TemplateResponse(request, template("versions"), context)

    def version_view(self, request, object_id, history_id):
        obj, deleted = self._versioned_or_404(request, object_id)
        history = self.model.history.filter(id=obj.pk).select_related("history_user")
        record = history.filter(history_id=history_id).first()
        if record is None:
            raise Http404("No such version.")
        against = request.GET.get("against", "")
        base = None
        if against.isdigit():
            base = history.filter(history_id=int(against)).first()
        if base is None:
            base = record.prev_record
        fields, texts = compare(
            base,
            record,
            text_fields=self.version_text_fields,
            skip=self.version_skip,
        )
        latest = history.order_by("-history_date", "-history_id").first()
        is_current = not deleted and latest.history_id == record.history_id
        others = [
            {
                "id": other.history_id,
                "label": f"{when_label(other)} — "
                f"{who(other.history_user) if other.history_user else '—'} "
                f"({CHANGE_TYPES.get(other.history_type, '')})",
                "selected": base is not None and other.history_id == base.history_id,
            }
            for other in history.order_by("-history_date", "-history_id")[:MAX_OTHERS]
            if other.history_id != record.history_id
        ]
        context = history_context(
            self,
            request,
            obj,
            title=f"Version of “{obj}”",
            crumb=when_label(record),
            object_url=None if deleted else self._url("change", obj.pk),
            history_url=self._url("history", obj.pk),
            who=who(record.history_user) if record.history_user else "—",
            when=record.history_date,
            change=CHANGE_TYPES.get(record.history_type, record.history_type),
            reason=record.history_change_reason or "",
            is_current=is_current,
            base_label=when_label(base) if base is not None else "",
            others=others,
            fields=fields,
            texts=texts,
            can_restore=not is_current and self._may_restore(request, obj),
            restore_url=self._url("restore", obj.pk, record.history_id),
        )
        return TemplateResponse(request, template("version"), context)

    def restore_view(self, request, object_id, history_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj, _deleted = self._versioned_or_404(request, object_id)
        record = self.model.history.filter(id=obj.pk, history_id=history_id).first()
        if record is None:
            raise Http404("No such version.")
        if not self._may_restore(request, obj):
            raise PermissionDenied
        try:
            with transaction.atomic():
                restored = services.history_restore(
                    actor=request.user, kind=self.history_kind, history_id=history_id
                )
        except SERVICE_ERRORS as error:
            for text in refusal_messages(error):
                self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(self._url("version", obj.pk, history_id))
        self.message_user(
            request,
            f"Restored the version of {when_label(record)} of “{restored}”; it is "
            "saved as the newest version.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._url("history", restored.pk))
