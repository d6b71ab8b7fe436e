"""The API framework every app's endpoints share: one error body, the OpenAPI schema class,
cursor pagination and strict input serializers. Nothing here knows a domain app; the
organisation wall of the endpoints (``OrgAPIView``) is in ``accounts.api_base``, next to the
memberships it resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import Direction, OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from skillsmap.core.tenancy import TenantModel

# --- Errors --------------------------------------------------------------------------------------


class ErrorOut(serializers.Serializer):
    """Every error has the same shape: a sentence for people, a code for programs and, on 400,
    the messages per field (``non_field_errors`` for the request as a whole)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # a declared field; DRF's metaclass moves it off the class, so Serializer.errors stays
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, Mapping):
                for sub, messages in _flatten(value).items():
                    out[f"{key}.{sub}"] = messages
            elif isinstance(value, list) and value and isinstance(value[0], Mapping):
                for index, item in enumerate(value):
                    for sub, messages in _flatten(item).items():
                        out[f"{key}[{index}].{sub}"] = messages
            else:
                out[str(key)] = [str(m) for m in (value if isinstance(value, list) else [value])]
        return out
    messages = detail if isinstance(detail, list) else [detail]
    return {api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in messages]}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (which also rolls the request's transaction back), with the domain's errors
    mapped to 400 and every body reshaped into ``ErrorOut``."""
    # ServiceError is a Django ValidationError: a plain message or messages per field.
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        detail = {
            (api_settings.NON_FIELD_ERRORS_KEY if key == "__all__" else key): value
            for key, value in detail.items()
        }
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        # Another organisation's object and a missing one read exactly the same.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.values()), ["The request is not valid."])
        response.data = {
            "detail": first[0] if len(errors) == 1 else "Some fields are not valid.",
            "code": "invalid",
            "errors": errors,
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else exc.default_code,
        }
    return response


ERROR_RESPONSES = {
    "400": "The request is not valid; `errors` lists the messages per field.",
    "401": "No credentials, or a token that is not valid, has expired or has been revoked.",
    "403": "Your role (or a read-only token) does not allow this.",
    "404": "Not found: missing, or not in this organisation (the two read the same).",
    "429": "Too many requests; retry after the number of seconds in `Retry-After`.",
}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses every endpoint can give, so the schema describes them all."""

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        bodies = super()._get_response_bodies(direction)
        if direction == "response":
            for code, description in ERROR_RESPONSES.items():
                if code not in bodies:
                    bodies[code] = self._get_response_for_code(
                        OpenApiResponse(ErrorOut, description=description),
                        code,
                        direction=direction,
                    )
        return bodies


# --- Pagination ----------------------------------------------------------------------------------


class ApiCursorPagination(CursorPagination):
    """Opaque cursors: stable under inserts, and no ``COUNT(*)`` over a 400,000-row table."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering: str | list[str] | tuple[str, ...] = "-id"


def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The response schema of a cursor-paginated list of ``serializer_class``."""
    name = serializer_class.__name__.removesuffix("Out")
    return type(
        f"{name}Page",
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


# --- Input ---------------------------------------------------------------------------------------


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    """The message for a JSON value of the wrong type, or None. DRF coerces ("yes" → True,
    12 → "12"), which suits form data and query strings; a JSON body should say what it means."""
    if value is None:
        return None
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "Must be a whole number."
    if isinstance(field, serializers.DecimalField | serializers.FloatField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "Must be a number."
    if isinstance(field, serializers.CharField | serializers.ChoiceField | serializers.DateField):
        return None if isinstance(value, str) else "Must be a string."
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return "Must be a list."
        errors = [_json_type_error(field.child, item) for item in value]
        return next((e for e in errors if e), None)
    return None


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not know, so ``organisation`` or ``id`` in a
    body is a 400 rather than silently ignored (or, worse, honoured); for a JSON body (context
    ``json``) it also refuses values of the wrong JSON type."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: ["Unknown field: it cannot be set here."] for key in unknown}
                )
            if self.context.get("json"):
                wrong = {
                    name: [error]
                    for name, value in data.items()
                    if (error := _json_type_error(self.fields[name], value))
                }
                if wrong:
                    raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.INT)
class TenantPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """An id of an object of the caller's organisation. Another organisation's id and a missing one
    get the same message."""

    def __init__(self, *, model: type[TenantModel], noun: str, **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault(
            "error_messages",
            {
                "does_not_exist": f"No {noun} with this id.",
                "incorrect_type": f"Give the {noun}'s id as a number.",
            },
        )
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.filter(organisation=self.context["tenant"].organisation)
