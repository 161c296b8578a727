"""What every app's `api/` shares and the REST_FRAMEWORK settings name:
pagination and the one error format. (Serializer and viewset bases are in
`consortium.api.generics`, the schema class in `consortium.api.schema`: this
module must not import DRF's generic views, which read these settings.)

Every 4xx has the body::

    {"error": {"code": "invalid", "message": "…", "fields": {"name": ["…"]}}}
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import exception_handler as drf_exception_handler

from consortium import services
from consortium.pagination import Paginator

# --- Pagination ------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    """`?page=N&page_size=M`: 50 rows by default; a page size above 200 is
    capped at 200 (not an error), as DRF does. A deep page reads its ids
    first (`consortium.pagination`), so it costs about what the first does."""

    django_paginator_class = Paginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- One error format ------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This record is in use and cannot be deleted."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "This record changed since you read it. Read it again and redo your change."
    )
    default_code = "stale"


def _as_drf(exc):
    """Django and domain exceptions as the DRF exception with the right status."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(
                {k: list(v) for k, v in exc.message_dict.items()}
            )
        return exceptions.ValidationError({NON_FIELD_ERRORS: list(exc.messages)})
    if isinstance(exc, services.DomainError) and exc.code == "not_found":
        return exceptions.NotFound(exc.message)
    if isinstance(exc, services.DomainError) and exc.code == "forbidden":
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, services.DomainError):
        return exceptions.ValidationError(
            {NON_FIELD_ERRORS: [exc.message]}, code=exc.code
        )
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return Conflict(
            "This record is still used by other records (for example queues, "
            "staff or shifts); remove or move those first, or mark it inactive."
        )
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(
            str(exc) or "You are not allowed to do this."
        )
    return exc


def _flatten(value) -> list[str]:
    if isinstance(value, Mapping):
        return [
            f"{k}: {m}" if k not in (NON_FIELD_ERRORS, "non_field_errors") else m
            for k, v in value.items()
            for m in _flatten(v)
        ]
    if isinstance(value, list):
        return [m for item in value for m in _flatten(item)]
    return [str(value)]


def error_body(exc: exceptions.APIException) -> dict:
    detail = exc.detail
    code = exc.get_codes()
    if isinstance(exc, exceptions.ValidationError):
        fields: dict[str, list[str]] = {}
        general: list[str] = []
        items = detail.items() if isinstance(detail, Mapping) else [(None, detail)]
        for key, value in items:
            if key in (None, NON_FIELD_ERRORS, "non_field_errors"):
                general += _flatten(value)
            else:
                fields[key] = _flatten(value)
        codes = [c for c in _flatten(code)] if not isinstance(code, str) else [code]
        # A domain error's own code (e.g. "already_claimed") beats "invalid".
        specific = next((c for c in codes if c not in ("invalid", "")), "invalid")
        if general:
            message = " ".join(general)
        else:
            message = "Check the highlighted fields: " + ", ".join(fields) + "."
        return {
            "error": {
                "code": specific if general and not fields else "invalid",
                "message": message,
                "fields": fields,
            }
        }
    return {
        "error": {
            "code": code if isinstance(code, str) else "error",
            "message": " ".join(_flatten(detail)),
            "fields": {},
        }
    }


def exception_handler(exc, context):
    """DRF's handler, after mapping Django and domain errors, with every
    error body in the one format."""
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = error_body(exc)
    return response


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField())
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
