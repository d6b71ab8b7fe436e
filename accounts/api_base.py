"""What every API endpoint shares: token authentication, the organisation wall, throttles, error
bodies, cursor pagination and strict input serializers.

An organisation endpoint (``OrgAPIView``) resolves ``(organisation, membership)`` exactly as the
pages do (``accounts.views_base``): the same selectors, the same 404 for an outsider, an unknown
slug, a deactivated member or a token confined to another organisation, and the same role table
(``accounts.permissions``) for the 403. The handler then runs inside ``organisation_context``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView, exception_handler

from accounts.models import ApiToken
from accounts.permissions import Perm
from accounts.selectors import membership_get_active
from accounts.services import ServiceError
from accounts.tenancy import organisation_context
from accounts.views_base import Tenant, organisation_by_slug


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, created on the “API tokens” page.",
        }


# --- Errors --------------------------------------------------------------------------------------


class ErrorOut(serializers.Serializer):
    """Every error has the same shape: a sentence for people, a code for programs and, on 400,
    the messages per field (``non_field_errors`` for the request as a whole)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(
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
    if isinstance(exc, ServiceError):
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [str(exc)]})
    elif isinstance(exc, DjangoValidationError):
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
    "401": "No credentials, or a token that is not valid or has been revoked.",
    "403": "Your role (or a read-only token) does not allow this.",
    "404": "Not found: missing, or not in this organisation (the two read the same).",
    "429": "Too many requests; retry after the number of seconds in `Retry-After`.",
}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses every endpoint can give, so the schema describes them all."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
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
    ordering = "-id"


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

    def __init__(self, *, model: type[Model], noun: str, **kwargs: Any) -> None:
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


# --- Views ---------------------------------------------------------------------------------------


class OrgAPIView(APIView):
    """An endpoint under ``/api/v1/orgs/<org_slug>/``. Set ``permissions`` per HTTP method; the
    handler receives the URL's other arguments and finds the caller's context in ``self.tenant``."""

    permissions: ClassVar[Mapping[str, Perm]] = {}
    default_permission: ClassVar[Perm] = Perm.ORGANISATION_VIEW
    tenant: Tenant
    org_slug: str

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        self.org_slug = kwargs.pop("org_slug")
        with ExitStack() as stack:
            self._context = stack
            response = super().dispatch(request, *args, **kwargs)
            # Render while the organisation is still active, like org_view does for pages.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, IsAuthenticated, throttles
        organisation = organisation_by_slug(self.org_slug)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None and token.only_organisation_id not in (None, organisation.pk):
            raise Http404
        self._context.enter_context(organisation_context(organisation))
        self.tenant = Tenant(
            organisation, membership_get_active(organisation=organisation, user=request.user)
        )
        if token is not None and token.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This token is read-only.")
        perm = self.permissions.get(request.method, self.default_permission)
        if not self.tenant.can(perm):
            raise exceptions.PermissionDenied("Your role does not allow this.")

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "tenant": self.tenant, "view": self}

    def input(
        self, serializer_class: type[serializers.Serializer], data: Any, *, json: bool = True
    ) -> dict[str, Any]:
        """Validate ``data`` (a JSON body, or the query string with ``json=False``) or answer 400."""
        context = {**self.get_serializer_context(), "json": json}
        serializer = serializer_class(data=data, context=context)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def patch_input(
        self, serializer_class: type[serializers.Serializer], current: dict[str, Any]
    ) -> dict[str, Any]:
        """Validate a PATCH body and lay it over ``current``: what the body names changes, the
        rest (defaults of fields it leaves out included) stays as it is."""
        data = self.input(serializer_class, self.request.data)
        return {**current, **{k: v for k, v in data.items() if k in self.request.data}}

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        data = {key: self.request.query_params.get(key) for key in self.request.query_params}
        for key in ("cursor", "page_size"):
            data.pop(key, None)
        return self.input(serializer_class, data, json=False)

    def output(
        self,
        serializer_class: type[serializers.Serializer],
        instance: Any,
        *,
        many: bool = False,
        status_code: int = status.HTTP_200_OK,
    ) -> Response:
        serializer = serializer_class(instance, many=many, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    def page(
        self,
        serializer_class: type[serializers.Serializer],
        queryset: QuerySet | Sequence[Any],
        *,
        ordering: str | tuple[str, ...] = "-id",
    ) -> Response:
        paginator = ApiCursorPagination()
        paginator.ordering = ordering
        rows = paginator.paginate_queryset(queryset, self.request, view=self)
        serializer = serializer_class(rows, many=True, context=self.get_serializer_context())
        return paginator.get_paginated_response(serializer.data)
