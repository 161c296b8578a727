"""Filter backends of every list (`REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]`).
Only DRF's filters are imported here: the settings name this module, and
DRF's generic views read them when they are imported."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from rest_framework import filters

from consortium.sql import search_by_table, sorted_after_filtering


class SearchFilter(filters.SearchFilter):
    """`?search=`: DRF's, with each table searched on its own
    (`consortium.sql.search_by_table`) and the matches sorted once found
    (`consortium.sql.sorted_after_filtering`), so a rare word costs what a
    common one does, not a walk through the whole list."""

    def filter_queryset(self, request, queryset, view):
        search_fields = self.get_search_fields(view, request)
        terms = self.get_search_terms(request)
        if not search_fields or not terms:
            return queryset
        fields = [str(field) for field in search_fields]
        lookups = [self.construct_search(field, queryset) for field in fields]
        found = search_by_table(queryset, lookups, terms)
        if self.must_call_distinct(queryset, fields):
            found = queryset.filter(Exists(found.filter(pk=OuterRef("pk"))))
        return sorted_after_filtering(found)
