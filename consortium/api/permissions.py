"""API permissions: the admin's own answers (`consortium.admin.base.ScopedPermissions`),
so the admin and the API cannot drift apart."""

from __future__ import annotations

from django.contrib import admin
from rest_framework import permissions

from consortium import scoping

_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def model_admin(model):
    """The registered `ScopedAdmin` of `model`: its permission answers are the
    API's, so the admin and the API cannot drift apart."""
    return admin.site.get_model_admin(model)


class AdminRolePermission(permissions.BasePermission):
    """Who may do what is what the model's admin says (`ScopedPermissions`):
    the help desk anything, a coordinator what `coordinator_can` lists and
    only on their own library's rows, nobody else anything (403). Rows out of
    scope never reach here: the viewset's queryset hides them (404)."""

    message = "You are not allowed to do this."

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        ma = model_admin(view.queryset.model)
        if not ma.has_view_permission(request):
            return False  # no access to this kind of row at all
        if (view.lookup_url_kwarg or view.lookup_field) in view.kwargs:
            # A row: first found in the user's scope (404 otherwise, as in
            # the admin), then `has_object_permission` decides.
            return True
        action = _ACTIONS.get(request.method, "view")
        return action == "view" or getattr(ma, f"has_{action}_permission")(request)

    def has_object_permission(self, request, view, obj):
        ma = model_admin(type(obj))
        action = _ACTIONS.get(request.method, "view")
        if action == "view":
            return ma.has_view_permission(request, obj)
        if not getattr(ma, f"has_{action}_permission")(request, obj):
            self.message = (
                "You can only change your own library's records."
                if scoping.is_coordinator(request.user)
                else "You are not allowed to change this record."
            )
            return False
        return True
