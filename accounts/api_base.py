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
from typing import Any, ClassVar, cast

from django.db.models import QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, User
from accounts.permissions import Perm
from accounts.selectors import membership_get_active
from accounts.views_base import Tenant, organisation_by_slug
from skillsmap.core.api import ApiCursorPagination
from skillsmap.core.tenancy import organisation_context


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, created on the “API tokens” page.",
        }


# --- Views ---------------------------------------------------------------------------------------


class AuthenticatedRequest(Request):
    """The request an API handler receives: ``IsAuthenticated`` (the default permission, which no
    endpoint overrides) has let only signed-in users through. (An annotation only.)"""

    user: User


class OrgAPIView(APIView):
    """An endpoint under ``/api/v1/orgs/<org_slug>/``. Set ``permissions`` per HTTP method; the
    handler receives the URL's other arguments and finds the caller's context in ``self.tenant``."""

    permissions: ClassVar[Mapping[str, Perm]] = {}
    default_permission: ClassVar[Perm] = Perm.ORGANISATION_VIEW
    tenant: Tenant
    org_slug: str

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
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
        # IsAuthenticated (the default permission class) ran in super().initial().
        user = cast(User, request.user)
        self.tenant = Tenant(
            organisation, membership_get_active(organisation=organisation, user=user)
        )
        if token is not None and token.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This token is read-only.")
        # Django sets the method of every request it serves; only the stubs allow None.
        perm = self.permissions.get(cast(str, request.method), self.default_permission)
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
