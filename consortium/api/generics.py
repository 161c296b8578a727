"""Strict serializers that save through the services and scoped viewsets:
what every app's `api/` builds its resources from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import models, transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.response import Response

from consortium import scoping, services
from consortium.api.base import ErrorSerializer, PreconditionFailed
from consortium.api.permissions import AdminRolePermission, model_admin

# --- Docs and filters every resource shares ---------------------------------------------


def crud_docs(tag: str, noun: str, plural: str, *, create=True, delete=True, **extra):
    """Schema tags and summaries of a viewset's standard actions; `extra`
    replaces any of them (or documents custom actions)."""
    a = "an" if noun[:1].lower() in "aeiou" else "a"
    docs = {
        "list": extend_schema(tags=[tag], summary=f"List {plural}"),
        "retrieve": extend_schema(tags=[tag], summary=f"Read {a} {noun}"),
        "update": extend_schema(tags=[tag], summary=f"Replace {a} {noun}"),
        "partial_update": extend_schema(tags=[tag], summary=f"Change {a} {noun}"),
    }
    if create:
        docs["create"] = extend_schema(tags=[tag], summary=f"Add {a} {noun}")
    if delete:
        docs["destroy"] = extend_schema(tags=[tag], summary=f"Delete {a} {noun}")
    docs.update(extra)
    return extend_schema_view(**docs)


def library_filter(path: str):
    """`?library=<code>` over the library at `path`."""
    return django_filters.CharFilter(field_name=path, label="Library code (e.g. sprc).")


# --- Serializers -----------------------------------------------------------------------


def reject_unknown_fields(data, fields) -> None:
    """400 unless `data` is an object naming only `fields` (each unknown one
    listed: a typo must not be silently ignored)."""
    if not isinstance(data, Mapping):
        raise exceptions.ValidationError(
            {NON_FIELD_ERRORS: ["Send a JSON object of field names and values."]}
        )
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise exceptions.ValidationError({name: ["Unknown field."] for name in unknown})


class StrictSerializer(serializers.Serializer):
    """The body of a service action: unknown fields are a 400 naming them."""

    def to_internal_value(self, data):
        reject_unknown_fields(data, self.fields)
        return super().to_internal_value(data)


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, refusing NUL characters (400) as its `CharField` does: they
    cannot even be looked up in PostgreSQL."""

    default_error_messages = {"null_characters": "Null characters are not allowed."}

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)


class BoundedDateTimeField(serializers.DateTimeField):
    """A date and time in 1900-9998: an earlier one would come back with its
    time zone's local mean time offset (-04:56:02), which is not RFC 3339; a
    later one can overflow in another time zone."""

    default_error_messages = {"range": "Enter a date and time in 1900-9998."}

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not 1900 <= value.year <= 9998:
            self.fail("range")
        return value


class ServiceModelSerializer(serializers.ModelSerializer):
    """A model serializer that

    - rejects unknown fields (400 listing them);
    - rejects, for coordinators, changes to the fields the admin shows them
      read-only (`coordinator_readonly_fields`);
    - offers coordinators only their own library's rows in relation fields,
      as the admin's choices do (`consortium_wide_fields` stay open);
    - saves through a service (`save_instance`), never `Model.save()`.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
    }

    def get_fields(self):
        fields = super().get_fields()
        user = self._user
        if user is None or scoping.is_helpdesk(user):
            return fields
        wide = getattr(model_admin(self.Meta.model), "consortium_wide_fields", ())
        for name, field in fields.items():
            related = getattr(field, "child_relation", field)
            qs = getattr(related, "queryset", None)
            if qs is None or name in wide or scoping.scope_path(qs.model) is None:
                continue
            related.queryset = scoping.visible(qs, user, include_shared=False)
        return fields

    @property
    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def to_internal_value(self, data):
        reject_unknown_fields(data, self.fields)
        self._check_coordinator_readonly(data)
        return super().to_internal_value(data)

    def _check_coordinator_readonly(self, data):
        user = self._user
        if user is None or scoping.is_helpdesk(user) or self.instance is None:
            return
        locked = getattr(
            model_admin(self.Meta.model), "coordinator_readonly_fields", ()
        )
        current = type(self)(self.instance, context=self.context).data
        changed = {
            name: ["Only the help desk can change this."]
            for name in locked
            if name in data and name in current and data[name] != current[name]
        }
        if changed:
            raise exceptions.ValidationError(changed)

    def create(self, validated_data):
        many = self._pop_many(validated_data)
        instance = self.Meta.model(**validated_data)
        instance = self.save_instance(instance)
        self._set_many(instance, many)
        return instance

    def update(self, instance, validated_data):
        many = self._pop_many(validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance = self.save_instance(instance)
        self._set_many(instance, many)
        return instance

    def save_instance(self, instance):
        return services.record_save(actor=self._user, instance=instance)

    def _pop_many(self, validated_data):
        names = [f.name for f in self.Meta.model._meta.many_to_many]
        return {n: validated_data.pop(n) for n in names if n in validated_data}

    def _set_many(self, instance, many):
        for name, values in many.items():
            getattr(instance, name).set(values)


# --- Viewsets --------------------------------------------------------------------------


def etag_of(data) -> str:
    raw = json.dumps(data, sort_keys=True, default=str).encode()
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


class ScopedModelViewSet(viewsets.ModelViewSet):
    """CRUD over `scoping.visible(queryset, user)`; a row outside the user's
    scope is a 404, as in the admin. Writes run in one transaction through the
    serializer's service, deletes through `services.record_delete`.

    Optimistic concurrency: a detail GET returns an `ETag`; a PUT/PATCH/DELETE
    that sends `If-Match` with a stale tag gets 412 and changes nothing.
    """

    permission_classes = [permissions.IsAuthenticated, AdminRolePermission]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return scoping.visible(super().get_queryset(), self.request.user)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_of(response.data)
        return response

    def _check_if_match(self, instance):
        expected = self.request.headers.get("If-Match")
        if expected and expected.strip() != "*":
            current = etag_of(self.get_serializer(instance).data)
            if current not in [t.strip() for t in expected.split(",")]:
                raise PreconditionFailed()

    def get_object(self):
        obj = super().get_object()
        if self.request.method in ("PUT", "PATCH", "DELETE"):
            # Lock the row so the If-Match check and the write see the same state.
            type(obj)._default_manager.select_for_update().filter(pk=obj.pk).exists()
            obj.refresh_from_db()
            self._check_if_match(obj)
        return obj

    @transaction.atomic
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @transaction.atomic
    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        response["ETag"] = etag_of(response.data)
        return response

    @transaction.atomic
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.record_delete(actor=self.request.user, instance=instance)


# --- Service actions -------------------------------------------------------------------


class ActionPermission(AdminRolePermission):
    """The admin's answers, with each custom action asking for the admin
    permission it needs (`view.action_needs`): "view" leaves the decision to
    the service (which checks who may act), "decide"/"withdraw" ask the
    admin's `has_decide_permission`/`has_withdraw_permission`, "add" (a
    collection action that writes rows) the admin's `has_add_permission`, and
    "change" on a row the admin's `has_change_permission` for that row."""

    def _needs(self, view):
        return getattr(view, "action_needs", {}).get(view.action)

    def has_permission(self, request, view):
        needed = self._needs(view)
        if needed is None:
            return super().has_permission(request, view)
        if not request.user or not request.user.is_authenticated:
            return False
        ma = model_admin(view.queryset.model)
        if not ma.has_view_permission(request):
            return False
        if needed in ("decide", "withdraw", "add"):
            return getattr(ma, f"has_{needed}_permission")(request)
        return True

    def has_object_permission(self, request, view, obj):
        needed = self._needs(view)
        if needed is None:
            return super().has_object_permission(request, view, obj)
        ma = model_admin(type(obj))
        if needed in ("view", "decide", "withdraw", "add"):
            return ma.has_view_permission(request, obj)
        return getattr(ma, f"has_{needed}_permission")(request, obj)


class ActionsMixin:
    permission_classes = [permissions.IsAuthenticated, ActionPermission]
    action_needs: dict[str, str] = {}

    def run(self, serializer_class, call):
        """Run a service `call` in one transaction; answer with the row."""
        with transaction.atomic():
            row = call()
        return Response(
            serializer_class(row, context=self.get_serializer_context()).data
        )

    def act(self, call):
        """Run the service `call(row)` on the row of this request (404 out of
        scope) in one transaction; answer with the row it returns."""
        row = self.get_object()
        return self.run(self.get_serializer_class(), lambda: call(row))


class ScopedReadViewSet(
    ActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List and read rows in the user's scope (404 otherwise), plus service
    actions."""

    def get_queryset(self):
        return scoping.visible(super().get_queryset(), self.request.user)


class NoteSerializer(StrictSerializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default=""
    )


class RequiredNoteSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=1000,
        help_text="Why; it is kept with the change and shown to those concerned.",
    )


def note_from(request, required=False) -> str:
    """The `note` of an action's body (400 when required and missing)."""
    cls = RequiredNoteSerializer if required else NoteSerializer
    data = cls(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data["note"]


def action_doc(tag, summary, request, response, description=""):
    """Schema docs of a service action: its body, the row it answers with,
    and the 400 the service gives when it refuses."""
    return extend_schema(
        tags=[tag],
        summary=summary,
        description=description,
        request=request,
        responses={
            200: response,
            400: OpenApiResponse(
                ErrorSerializer, description="Refused: the service says why."
            ),
        },
    )
