"""The scoped admin (SPEC C8): one base class applies `consortium.scoping` to
changelists, change/delete/history views reached by URL, foreign-key choices,
search, actions and inlines, and sends every write through the services."""

from __future__ import annotations

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.contrib.admin.utils import lookup_spawns_duplicates, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.text import smart_split, unescape_string_literal

from consortium import scoping, services
from consortium.models import Library
from consortium.pagination import Paginator
from consortium.sql import search_by_table, sorted_after_filtering

ALL = frozenset({"view", "add", "change", "delete"})


class ScopedPermissions:
    """Permission answers shared by model admins and inlines.

    The help desk may do anything. A coordinator may do what
    `coordinator_can` lists, and only to rows of their own library.
    """

    coordinator_can: frozenset[str] = frozenset({"view"})

    def _may(self, request, action: str, obj=None) -> bool:
        user = request.user
        if scoping.is_helpdesk(user):
            return True
        if not scoping.is_coordinator(user) or action not in self.coordinator_can:
            return False
        if obj is None:
            return True
        if action == "view":
            return scoping.visible(
                type(obj)._default_manager.filter(pk=obj.pk), user
            ).exists()
        return scoping.owns(user, obj)


def _limit_to_scope(db_field, request, kwargs, wide_fields):
    """Coordinators choose only their own library's rows in relation fields."""
    related = db_field.related_model
    if (
        db_field.name not in wide_fields
        and scoping.scope_path(related) is not None
        and not scoping.is_helpdesk(request.user)
    ):
        base = kwargs.get("queryset")
        if base is None:
            base = related._default_manager.all()
            limit = db_field.get_limit_choices_to()
            if limit:
                base = base.complex_filter(limit)
        kwargs["queryset"] = scoping.visible(base, request.user, include_shared=False)
        if related is Library and not db_field.many_to_many:
            # A coordinator has exactly one library: no empty choice to pick first.
            kwargs["empty_label"] = None


class ReadOnlyMixin:
    """For admins and inlines whose rows only services write (history, mail):
    nobody adds, changes or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ListsMixin:
    """What every long changelist needs: a deep page reads its ids first
    (`consortium.pagination`), pages of 50 rows (the cost of a page is mostly
    rendering its cells), no second count of the whole table beside the
    filtered rows ("Show all" instead), and searches that use each table's
    indexes and sort what they find (`SearchChangeList`)."""

    paginator = Paginator
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return SearchChangeList

    def get_search_results(self, request, queryset, search_term):
        """Django's search (`icontains` on every search field, each word
        somewhere), with each table searched on its own
        (`consortium.sql.search_by_table`). Fields with Django's `^`, `=` or
        `@` prefixes keep Django's own search."""
        fields = [str(field) for field in self.get_search_fields(request)]
        if not fields or not search_term or any(f[0] in "^=@" for f in fields):
            return super().get_search_results(request, queryset, search_term)
        terms = [
            unescape_string_literal(bit)
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]
            else bit
            for bit in smart_split(search_term)
        ]
        lookups = [f"{field}__icontains" for field in fields]
        duplicates = any(lookup_spawns_duplicates(self.opts, f) for f in lookups)
        return search_by_table(queryset, lookups, terms), duplicates


class SearchChangeList(ChangeList):
    """A changelist whose search results are sorted once found
    (`consortium.sql.sorted_after_filtering`): a rare word must not make the
    database walk the whole list in its order."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return sorted_after_filtering(queryset) if self.query else queryset

    def get_results(self, request):
        super().get_results(request)
        if not self.multi_page and isinstance(self.paginator, Paginator):
            # Read like any other page (ids first, then rows), so a list
            # makes the same queries on one page as on many.
            self.result_list = self.paginator.page(1).object_list


class ScopedAdmin(
    ListsMixin, ScopedPermissions, AuditlogHistoryAdminMixin, admin.ModelAdmin
):
    # Relations whose choices stay consortium-wide for coordinators (e.g. the
    # library a referral goes to).
    consortium_wide_fields: tuple[str, ...] = ()
    # Fields coordinators may see but not change.
    coordinator_readonly_fields: tuple[str, ...] = ()
    show_auditlog_history_link = False

    # Changelist lookups a coordinator may use besides the list filters and
    # the date hierarchy (e.g. links from another admin page).
    coordinator_lookups: tuple[str, ...] = ()

    # --- visibility ---
    def get_queryset(self, request):
        return scoping.visible(super().get_queryset(request), request.user)

    def lookup_allowed(self, lookup, value, request):
        """Django lets a changelist URL filter on any of the model's own
        fields, shown or not (`?password__startswith=`, a token by regex):
        a coordinator may filter only on what the page offers."""
        if scoping.is_helpdesk(request.user):
            return super().lookup_allowed(lookup, value, request)
        offered = {self.date_hierarchy, *self.coordinator_lookups}
        for item in self.get_list_filter(request):
            if isinstance(item, (tuple, list)):
                offered.add(item[0])
            elif isinstance(item, str):
                offered.add(item)
            else:  # a SimpleListFilter
                offered.add(item.parameter_name)
        if lookup.split("__", 1)[0] not in offered - {None}:
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_module_permission(self, request):
        return self._may(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view", obj) or self._may(request, "change", obj)

    def has_add_permission(self, request):
        return self._may(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not scoping.is_helpdesk(request.user):
            fields += [f for f in self.coordinator_readonly_fields if f not in fields]
        return fields

    def _get_visible_or_404(self, request, object_id):
        """A row outside the user's scope does not exist for them: 404, as for
        a row that does not exist at all (Django would redirect instead)."""
        if object_id is None:
            return None
        try:
            pk = self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError as exc:
            raise Http404 from exc
        obj = self.get_queryset(request).filter(pk=pk).first()
        if obj is None:
            raise Http404(f"No {self.model._meta.verbose_name} with this id.")
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._get_visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self._get_visible_or_404(request, object_id)
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        """Django's "History" button shows the audit trail: who changed what, when."""
        self._get_visible_or_404(request, object_id)
        return self.auditlog_history_view(request, object_id, extra_context)

    def auditlog_history_view(self, request, object_id, extra_context=None):
        self._get_visible_or_404(request, object_id)
        return super().auditlog_history_view(request, object_id, extra_context)

    # --- choices ---
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _limit_to_scope(db_field, request, kwargs, self.consortium_wide_fields)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        _limit_to_scope(db_field, request, kwargs, self.consortium_wide_fields)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        user = request.user
        path = scoping.scope_path(self.model)
        if scoping.is_coordinator(user) and path and "__" not in path and path != "pk":
            initial.setdefault(path, user.library_id)
        return initial

    # --- writes go through the services ---
    def save_model(self, request, obj, form, change):
        services.record_save(actor=request.user, instance=obj)

    def delete_model(self, request, obj):
        services.record_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.record_delete(actor=request.user, instance=obj)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.record_delete(actor=request.user, instance=obj)
        for obj in instances:
            services.record_save(actor=request.user, instance=obj)
        formset.save_m2m()


class ScopedInline(ScopedPermissions):
    """Inline rows follow their parent: a coordinator edits them only inside a
    parent row of their own library."""

    consortium_wide_fields: tuple[str, ...] = ()

    def _may_inline(self, request, action, obj):
        return self._may(request, action) and (
            obj is None or action == "view" or scoping.owns(request.user, obj)
        )

    def has_view_permission(self, request, obj=None):
        return self._may_inline(request, "view", obj)

    def has_add_permission(self, request, obj=None):
        return self._may_inline(request, "add", obj)

    def has_change_permission(self, request, obj=None):
        return self._may_inline(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_inline(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _limit_to_scope(db_field, request, kwargs, self.consortium_wide_fields)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
