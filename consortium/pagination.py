"""Pages of long lists, for the admin's changelists and the REST API.

A page deep in a list (`?page=1000`) is an `OFFSET` of 50,000 rows: the
database builds every skipped row, joins included, before it throws it away,
so the deeper the page the slower. And when a filter is hard to estimate (a
search), the planner may join whole tables for rows it then drops.
`Paginator` reads every page in two steps: the ids of its rows, from the
list's own table (the index of its order alone answers an unfiltered list),
then those rows, joins and all, by id. Two queries a page, whatever its depth.
"""

from __future__ import annotations

from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet


class Paginator(DjangoPaginator):
    """Django's paginator, whose pages read their ids first, then their rows.

    The page is still a queryset (the admin's list-editable formsets want
    one), in the list's order, with its annotations and related rows."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom: int, top: int):
        rows = self.object_list
        if not _by_id(rows):
            return rows[bottom:top]
        ids = list(rows.values_list("pk", flat=True)[bottom:top])
        return rows.filter(pk__in=ids)


def _by_id(rows) -> bool:
    """Whether `rows` can be narrowed by id and keep its order: a queryset,
    not sliced, not a union."""
    return (
        isinstance(rows, QuerySet)
        and not rows.query.is_sliced
        and not rows.query.combinator
    )
