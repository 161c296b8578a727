"""Who sees which rows (SPEC C8): the help desk sees everything; a site
coordinator sees the rows of their own library and, read-only, consortium-wide
rows; nobody else has administrative access.

The admin, the REST API and the services all ask these functions, so the rule
lives in one place.
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet


def is_helpdesk(user) -> bool:
    return bool(getattr(user, "is_helpdesk", False))


def is_coordinator(user) -> bool:
    return bool(getattr(user, "is_coordinator", False)) and user.library_id is not None


def scope_path(model) -> str | None:
    """The lookup from `model` to its library, or None for consortium-wide models."""
    return getattr(model, "scope_path", None)


def _library_q(model, library_id: int, *, include_shared: bool) -> Q:
    path = scope_path(model)
    if path is None:
        return Q() if include_shared else Q(pk__in=[])
    q = Q(**{path: library_id})
    if include_shared and getattr(model, "scope_shared", False):
        q |= Q(**{f"{path}__isnull": True})
    return q


def visible(queryset: QuerySet, user, *, include_shared: bool = True) -> QuerySet:
    """`queryset` narrowed to the rows `user` may see."""
    if is_helpdesk(user):
        return queryset
    if is_coordinator(user):
        return queryset.filter(
            _library_q(queryset.model, user.library_id, include_shared=include_shared)
        )
    return queryset.none()


def owns(user, obj: Model) -> bool:
    """Whether `user` may change `obj` (its library is theirs, or they are help desk)."""
    if is_helpdesk(user):
        return True
    if not is_coordinator(user) or scope_path(type(obj)) is None:
        return False
    return obj.scope_library_id == user.library_id
