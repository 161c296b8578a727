"""The OpenAPI schema class (settings: DEFAULT_SCHEMA_CLASS). Kept apart from
`base` because drf-spectacular imports DRF's generic views, which read the
pagination setting that points at `base`."""

import copy

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from consortium.api.base import ErrorSerializer


def _stored_as(field):
    """(model field, may be null) of the column a serializer field reads,
    following its dotted source; (None, False) when it reads none."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    model_field, nullable = None, False
    for attr in getattr(field, "source_attrs", None) or []:
        if model is None:
            return None, False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None, False
        nullable = nullable or model_field.null
        model = model_field.related_model if model_field.is_relation else None
    return model_field, nullable


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with every operation's error responses (in
    the one error format) described, read-only fields as null or blank as
    their columns may be, and bodies that reject unknown fields saying so."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # A read-only field keeps no `allow_null`/`allow_blank` of its model
        # field (e.g. `resolved_by` of an open report is null, `attendance`
        # of a future shift is ""): describe the values it really returns.
        if field.read_only and direction == "response":
            model_field, nullable = _stored_as(field)
            if model_field is not None:
                field = copy.copy(field)
                field.allow_null = field.allow_null or nullable
                if model_field.blank and isinstance(field, serializers.ChoiceField):
                    field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _map_basic_serializer(self, serializer, direction):
        from consortium.api.generics import ServiceModelSerializer, StrictSerializer

        schema = super()._map_basic_serializer(serializer, direction)
        strict = (ServiceModelSerializer, StrictSerializer)
        if direction == "request" and isinstance(force_instance(serializer), strict):
            schema["additionalProperties"] = False  # unknown fields are a 400
        return schema

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        codes = {
            400: "Invalid input: unknown fields, wrong types, broken rules, "
            "or a query parameter (filter, ordering, page size) that is not valid.",
            401: "Not logged in: send `Authorization: Token <key>`.",
            403: "Your role may not do this.",
            404: "No such row, or not in your scope."
            if "{" in self.path
            else "No such page of results (`?page=` past the last page).",
        }
        if self.method in ("POST", "PUT", "PATCH"):
            codes[415] = "The body is not JSON (`Content-Type: application/json`)."
        if self.method in ("PUT", "PATCH", "DELETE") and "{" in self.path:
            codes[412] = "`If-Match` names a stale version."
        if self.method == "DELETE":
            codes[409] = "The row is still in use."
        for code, description in codes.items():
            bodies.setdefault(
                str(code),
                self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    str(code),
                ),
            )
        return bodies
